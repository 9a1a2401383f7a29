"""Small JSON files the course keeps about this learner's runs, in the course folder (``.course/`` or
``$COURSE_HOME``): the errata's last measurements (``errata.json``) and the exercise checks' results
(``progress.json``). Nothing leaves the machine.

Bookkeeping must never break a lesson: a file that is missing or unreadable starts over (with a warning that
says so, and the unreadable one kept beside it as ``NAME.corrupt``); a folder that cannot be written gives a
warning, never an exception in a notebook cell. Writes are atomic (a temporary file, then ``os.replace``), and
two kernels of one checkout take turns through a lock file where the platform has ``fcntl``.

What is recorded is decided by ``COURSE_RECORD``: ``errata``, ``progress`` or both (comma-separated; ``all``),
``none`` or ``0`` for nothing. Unset, everything is recorded, except inside a pytest test process
(``PYTEST_CURRENT_TEST`` is set there), so that the test suite never writes a developer's own progress; tests that
test the recording set ``COURSE_RECORD`` and a temporary ``COURSE_HOME``. The notebook runs of the test suite
record the errata only (``notebooks/conftest.py``).
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .paths import course_home

__all__ = ["CourseStateWarning", "now", "read_state", "recording", "state_file", "update_state"]

KINDS = ("errata", "progress")
VERSION = 1


class CourseStateWarning(UserWarning):
    """The course could not read or write one of its bookkeeping files; the lesson goes on."""


def recording(kind: str) -> bool:
    """Whether ``kind`` ("errata" or "progress") is recorded in this process (see the module's doc)."""
    setting = os.environ.get("COURSE_RECORD")
    if setting is None:
        return "PYTEST_CURRENT_TEST" not in os.environ
    words = {w.strip().lower() for w in setting.split(",") if w.strip()}
    return bool(words & {"1", "all", "yes", "on"}) or kind in words


def state_file(name: str) -> Path:
    """The file ``name`` ("errata", "progress") in the course folder."""
    return course_home() / f"{name}.json"


def now() -> str:
    """The time, as recorded: ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def when(at: str) -> str:
    """A recorded time for people: "2026-11-26 04:16 UTC"."""
    return at[:16].replace("T", " ") + " UTC" if len(at) >= 16 else at


def _warn(message: str) -> None:
    warnings.warn(message, CourseStateWarning, stacklevel=3)


def _load(path: Path) -> tuple[dict[str, Any], str | None]:
    """The file's content (``{}`` when missing), and why it could not be used, when it could not."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, f"cannot be read ({exc.strerror or exc})"
    try:
        data = json.loads(text)
    except ValueError as exc:
        return {}, f"is not valid JSON ({exc})"
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}, "is not a file this version of the course wrote"
    return data, None


def read_state(name: str) -> dict[str, Any]:
    """What the file ``name`` holds (``{}`` when it is missing or unreadable, with a warning for the latter)."""
    path = state_file(name)
    data, problem = _load(path)
    if problem:
        _warn(f"{path} {problem}; it is ignored")
    return data


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # Windows: no lock; os.replace still keeps the file whole
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def update_state(name: str, change: Callable[[dict[str, Any]], None]) -> bool:
    """Read the file ``name``, let ``change`` edit its content in place, write it back atomically.

    Returns whether it was written. Any problem with the file or the folder is a warning, never an exception:
    a corrupt file starts over (kept as ``NAME.json.corrupt``), a folder that cannot be written loses this one
    record. Exceptions raised by ``change`` itself are the caller's and propagate.
    """
    path = state_file(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            data, problem = _load(path)
            if problem:
                _warn(f"{path} {problem}; starting it over (the old file is kept as {path.name}.corrupt)")
                with suppress(OSError):
                    os.replace(path, path.with_name(path.name + ".corrupt"))
            data["version"] = VERSION
            change(data)
            text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        _warn(f"could not record in {path} ({exc.strerror or exc}); set COURSE_HOME to a folder you can write to")
        return False
    return True
