#!/usr/bin/env python3
"""One command to open the course, one to test it. Needs only Python 3.11 or newer.

    python3 run.py lab     # install everything, then open the course in JupyterLab
    python3 run.py test    # install everything, then run the unit tests and every notebook (nbval)
    python3 run.py help    # every command

It installs into the virtual environment that is active, or else creates .venv here,
and reinstalls only when pyproject.toml changes. Anything after the command is passed on
to the tool underneath.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent

# command -> (what runs, in this environment's python; what it does). Help is generated from this table.
COMMANDS: dict[str, tuple[list[str], str]] = {
    "lab": (["-m", "course_app", "lab"], "open the course in JupyterLab (--instructor: the edition with solutions)"),
    "test": (["-m", "pytest"], "run the unit tests and every notebook (pytest and nbval; e.g. test -k server)"),
    "check": (["scripts/check"], "what CI checks besides the tests: ruff, mypy, notebook pairs (scripts/check)"),
    "doctor": (["-m", "course_app", "doctor"], "versions, a live server, the thread pool, the embedded database"),
    "learner": (["-m", "course_app", "learner"], "write the learner edition to learner/ (--force refreshes it)"),
    "serve": (
        ["-m", "course_app", "serve"],
        "serve a chapter's app on 127.0.0.1 until Ctrl-C, e.g. serve 01 --app shared_client",
    ),
    "bench": (["-m", "benchmarks"], "performance figures (--smoke: the tiny pass CI runs)"),
    "site": (["-m", "course_app", "site"], "execute every notebook, write the HTML site to build/site (--out DIR)"),
    "errata": (["-m", "course_app", "errata"], "the seed's claims, their verdicts, and your last measurements"),
    "progress": (["-m", "course_app", "progress"], "which exercises you have passed (recorded on this machine only)"),
    "guide": (["-m", "course_app", "guide"], "the instructor guide, as Markdown (--out FILE writes it to a file)"),
    "oldest": (
        [
            "-m",
            "pytest",
            "notebooks",
            *(f"tests/test_{name}.py" for name in ("uvicorn_internals", "server", "load", "db")),
        ],
        "the notebooks (nbval) and the tests of library internals against the oldest versions pyproject.toml "
        "allows, in .venv-oldest",
    ),
}
HELP_WORDS = ("help", "-h", "--help")


def usage() -> str:
    """The help text: plain text, every command with what it does."""
    width = max(map(len, COMMANDS))
    lines = [
        "usage: python3 run.py COMMAND [ARGUMENTS...]",
        "",
        "One command to open the course, one to test it; each installs everything first (the first time).",
        "",
        "commands:",
        *(f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()),
        f"  {'help':<{width}}  this text (also -h, --help)",
        "",
        "Anything after the command goes to the tool underneath:",
        "  python3 run.py test -k server",
        "  python3 run.py lab --instructor",
        "  python3 run.py serve 01 --app process_pool --port 8000",
        "",
        "It installs into the active virtual environment, or else creates .venv here; it reinstalls only",
        "when pyproject.toml changes. Needs Python 3.11 or newer; on Windows, type python or py for python3.",
    ]
    return "\n".join(lines)


def environment() -> Path:
    """The Python to install into: the active virtual environment, or .venv."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.executable)
    home = ROOT / ".venv"
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        print(f"creating a virtual environment in {home}", flush=True)
        venv.EnvBuilder(with_pip=True).create(home)
    return python


EXTRAS = "test,dev,site"  # dev: the pinned tools of scripts/check; site: python3 run.py site


def install(python: Path) -> None:
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    marker = python.parent.parent / ".course-installed"
    if marker.exists() and marker.read_text() == stamp:
        return
    print("installing the course and its dependencies (first run only) ...", flush=True)
    # pip shows the build backend's warnings even with --quiet. setuptools warns about every editable install
    # that a folder named like the package may shadow it: here that folder is the package, so it is only noise.
    quiet = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), "ignore:Editable installation"]))
    env = {**os.environ, "PYTHONWARNINGS": quiet}
    if not install_with_uv(python, env):
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{EXTRAS}]"], check=True, env=env)
    marker.write_text(stamp)


OLDEST = ROOT / ".venv-oldest"


def lower_bounds(pyproject: str) -> list[str]:
    """Each dependency of pyproject.toml that has a lower bound, pinned to it (markers kept): a constraints file.

    Only the bounded ones: a dependency without a bound makes no claim about old versions, and gets the newest.
    """
    block = re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.DOTALL | re.MULTILINE)
    assert block is not None, "pyproject.toml has no dependencies list"
    pins = []
    for requirement in re.findall(r'^\s*"([^"]+)"', block.group(1), re.MULTILINE):
        spec, _, marker = requirement.partition(";")
        bound = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*>=\s*([^,\s]+)", spec)
        if bound:
            pins.append(f"{bound[1]}=={bound[2]}" + (f"; {marker.strip()}" if marker else ""))
    return pins


def install_oldest(python: Path) -> Path:
    """.venv-oldest, with the course installed and every bounded dependency at its lower bound; its python."""
    oldest = OLDEST / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not oldest.exists():
        print(f"creating a virtual environment in {OLDEST}", flush=True)
        venv.EnvBuilder(with_pip=True).create(OLDEST)
    pins = lower_bounds((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    constraints = OLDEST / "oldest-constraints.txt"
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    marker = OLDEST / ".course-installed"
    if not (marker.exists() and marker.read_text() == stamp):
        print(f"installing the course with its oldest allowed versions ({', '.join(pins)}) ...", flush=True)
        constraints.write_text("\n".join(pins) + "\n")
        target = ["-c", str(constraints), "-e", f"{ROOT}[test]"]
        uv = [str(python), "-m", "uv", "pip", "install", "--quiet", "--python", str(oldest)]  # install() put uv there
        if not (_uv_wanted() and _run([*uv, *target])):
            subprocess.run([oldest, "-m", "pip", "install", "--quiet", *target], check=True)
        marker.write_text(stamp)
    return oldest


_VERSIONS = """import importlib.metadata as m, sys
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return "not installed here"
print("oldest versions:", ", ".join(f"{name} {version(name)}" for name in sys.argv[1:]), flush=True)
"""


def _uv_wanted() -> bool:
    return os.environ.get("COURSE_NO_UV", "").strip() in ("", "0")


def _run(cmd: list[str]) -> bool:
    try:
        subprocess.run(cmd, check=True)
    except (subprocess.CalledProcessError, OSError):
        return False
    return True


def install_with_uv(python: Path, env: dict[str, str]) -> bool:
    """Install with uv (one wheel from PyPI, about ten times faster than pip here); False to fall back to pip.

    uv reads no pip configuration: where pip must go through a configured index (a company mirror), set
    COURSE_NO_UV=1, or let uv fail and pip take over.
    """
    if not _uv_wanted():
        return False
    try:
        subprocess.run([python, "-m", "pip", "install", "--quiet", "uv"], check=True, env=env)
        uv = [str(python), "-m", "uv", "pip", "install", "--quiet", "--python", str(python)]
        subprocess.run([*uv, "-e", f"{ROOT}[{EXTRAS}]"], check=True, env=env)
    except (subprocess.CalledProcessError, OSError):
        print("uv could not install the course; pip will (slower) ...", flush=True)
        return False
    return True


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py must say so on an old Python, not crash
        print(
            f"the course needs Python 3.11 or newer (its FastAPI, Starlette, SQLAlchemy and others do); this is "
            f"Python {sys.version.split()[0]} at {sys.executable}. Install Python 3.11, 3.12 or 3.13 and run "
            "run.py with it, e.g. python3.13 run.py lab",
            file=sys.stderr,
        )
        return 2
    if not argv:
        print(usage(), file=sys.stderr)
        return 2
    if argv[0] in HELP_WORDS:
        print(usage())
        return 0
    if argv[0] not in COMMANDS:
        print(f"run.py: unknown command {argv[0]!r}", file=sys.stderr)
        print(f"commands: {', '.join(COMMANDS)}  (python3 run.py help says what each does)", file=sys.stderr)
        return 2
    python = environment()
    try:
        install(python)
    except subprocess.CalledProcessError as exc:
        print(f"installation failed ({exc}); see pip's message above", file=sys.stderr)
        return 1
    os.chdir(ROOT)
    command = COMMANDS[argv[0]][0]
    if argv[0] == "oldest":
        try:
            python = install_oldest(python)
        except subprocess.CalledProcessError as exc:
            print(f"installing the oldest versions failed ({exc}); see the installer's message above", file=sys.stderr)
            return 1
        names = [re.split(r"[=;]", pin)[0] for pin in lower_bounds((ROOT / "pyproject.toml").read_text("utf-8"))]
        subprocess.run([python, "-c", _VERSIONS, *names], check=False)  # what this run is true for
    if command[0].startswith("scripts/"):
        return run_script(python, command[0], argv[1:])
    return call([str(python), *command, *argv[1:]])


def call(cmd: list[str], env: dict[str, str] | None = None) -> int:
    """Run ``cmd`` to its end and return its exit status, as a shell would run it in the foreground.

    Ctrl-C reaches the command from the terminal, and this process ignores it meanwhile: the command
    decides (JupyterLab asks, the server stops cleanly), instead of being killed a moment later.
    SIGTERM and SIGHUP sent to this process are passed on to the command. Death by a signal is
    reported as 128 + its number, as shells do.
    """
    with subprocess.Popen(cmd, env=env) as proc, _passing_signals_to(proc):
        code = proc.wait()
    return 128 - code if code < 0 else code


@contextmanager
def _passing_signals_to(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # signal handlers live in the main thread
        yield
        return

    def forward(signum: int, frame: FrameType | None) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    forwarded = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {sig: signal.signal(sig, forward) for sig in forwarded}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def find_bash() -> str | None:
    """bash, preferring Git for Windows' own on Windows (the bash.exe of WSL cannot run a Windows python)."""
    git = shutil.which("git")
    if os.name == "nt" and git:
        for candidate in (Path(git).parent.parent / "bin" / "bash.exe", Path(git).parent / "bash.exe"):
            if candidate.exists():
                return str(candidate)
    return shutil.which("bash")


def run_script(python: Path, script: str, args: list[str]) -> int:
    """Run one of the bash scripts in scripts/ with this environment's python as PYTHON."""
    bash = find_bash()
    if bash is None:
        print(
            f"{script} is a bash script and no bash is on PATH. On Windows, Git for Windows provides one: "
            "run this from Git Bash, or add Git's bin folder to PATH.",
            file=sys.stderr,
        )
        return 2
    env = {**os.environ, "PYTHON": python.as_posix()}  # forward slashes: Git Bash on Windows reads them too
    return call([bash, script, *args], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
