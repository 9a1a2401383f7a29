"""``run.py``, the README's entry point: help, usage errors, what each command runs, signals, and the docs agreeing."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
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
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        tomllib = pytest.importorskip("tomli")  # installed with pytest on 3.10
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
