#!/usr/bin/env python3
"""One command to open the course, one to test it. Needs only Python 3.10 or newer.

    python run.py lab      # install everything, open the course in JupyterLab
    python run.py test     # install everything, run the unit tests and every notebook (nbval)
    python run.py check    # install everything, then lint, type-check, compare notebook pairs (scripts/check)

Anything after the command is passed on: ``python run.py test -k server``,
``python run.py lab --instructor``, ``python run.py doctor``.

It installs into the virtual environment that is active, or else creates
``.venv`` here. It reinstalls only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COMMANDS = {
    "lab": ["-m", "course_app", "lab"],
    "test": ["-m", "pytest"],
    "doctor": ["-m", "course_app", "doctor"],
    "learner": ["-m", "course_app", "learner"],
    "bench": ["-m", "benchmarks"],
    "check": ["scripts/check"],  # a bash script, run with PYTHON set to this environment's python
}


def environment() -> Path:
    """The Python to install into: the active virtual environment, or ``.venv``."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.executable)
    home = ROOT / ".venv"
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        print(f"creating a virtual environment in {home}", flush=True)
        venv.EnvBuilder(with_pip=True).create(home)
    return python


EXTRAS = "test,dev"  # dev: the pinned tools of scripts/check


def install(python: Path) -> None:
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    marker = python.parent.parent / ".course-installed"
    if marker.exists() and marker.read_text() == stamp:
        return
    print("installing the course and its dependencies (first run only) ...", flush=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{EXTRAS}]"], check=True)
    marker.write_text(stamp)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 10):  # noqa: UP036 - run.py must say so on an old Python, not crash
        print(f"the course needs Python 3.10 or newer; this is {sys.version.split()[0]}", file=sys.stderr)
        return 2
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        print(f"commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    python = environment()
    try:
        install(python)
    except subprocess.CalledProcessError as exc:
        print(f"installation failed ({exc}); see pip's message above", file=sys.stderr)
        return 1
    os.chdir(ROOT)
    command = COMMANDS[argv[0]]
    if command[0].startswith("scripts/"):
        return run_script(python, command[0], argv[1:])
    return subprocess.call([str(python), *command, *argv[1:]])


def find_bash() -> str | None:
    """bash, preferring Git for Windows' own on Windows (the bash.exe of WSL cannot run a Windows python)."""
    git = shutil.which("git")
    if os.name == "nt" and git:
        for candidate in (Path(git).parent.parent / "bin" / "bash.exe", Path(git).parent / "bash.exe"):
            if candidate.exists():
                return str(candidate)
    return shutil.which("bash")


def run_script(python: Path, script: str, args: list[str]) -> int:
    """Run one of the bash scripts in scripts/ with this environment's python as ``PYTHON``."""
    bash = find_bash()
    if bash is None:
        print(
            f"{script} is a bash script and no bash is on PATH. On Windows, Git for Windows provides one: "
            "run this from Git Bash, or add Git's bin folder to PATH.",
            file=sys.stderr,
        )
        return 2
    env = {**os.environ, "PYTHON": python.as_posix()}  # forward slashes: Git Bash on Windows reads them too
    return subprocess.call([bash, script, *args], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
