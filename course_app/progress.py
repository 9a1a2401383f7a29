"""Which exercises the learner has passed: every check records each attempt's outcome in the course folder
(``progress.json``, see :mod:`course_app.state`), and ``python3 run.py progress`` prints it. Nothing leaves the
machine.

The exercises are found from the checks themselves: every check in ``course_app/exercises/chNN.py`` declares the
exercise it judges with ``@answer_keys("1.3", ...)``.
"""

from __future__ import annotations

import os
import re
import shutil
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import checkout
from .state import CourseStateWarning, read_state, recording, state_file, update_state
from .state import now as _now
from .state import when as _when

__all__ = ["Exercise", "Result", "exercises", "format_progress", "judging_the_solutions", "record_attempt", "results"]

STATE = "progress"  # .course/progress.json
MESSAGE_LIMIT = 200


@dataclass(frozen=True)
class Exercise:
    """An exercise, as its check declares it."""

    number: str  # "1.3"
    chapter: str  # "01"
    check: str  # "course_app.exercises.ch01.check_process_pool"
    title: str  # the first line of the check's docstring, without "Exercise 1.3:"


@dataclass(frozen=True)
class Result:
    """What the checks recorded about one exercise on this machine."""

    attempts: int
    passed_at: str | None  # when it first passed, if it has
    last_passed: bool
    last_message: str  # the first line of what the check said
    last_at: str


def exercises() -> list[Exercise]:
    """Every exercise of every chapter, in course order, from the checks' ``answer_keys`` declarations."""
    from .exercises import declared_checks

    found = []
    for number, check in declared_checks().items():
        doc = (check.__doc__ or "").strip().splitlines()
        title = re.sub(r"^Exercise [\d.]+:\s*", "", doc[0] if doc else check.__name__).replace("``", "`").rstrip(".")
        found.append(
            Exercise(number, check.__module__.rsplit(".ch", 1)[1], f"{check.__module__}.{check.__name__}", title)
        )
    return found


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def judging_the_solutions() -> bool:
    """Whether this process runs in the checkout's ``notebooks/`` folder, the edition with solutions: there the
    checks judge the course's own solutions (nbval, the benchmarks, an instructor's ``lab --instructor``), not
    the learner, whose edition lives in ``learner/``."""
    root = checkout()
    try:
        return root is not None and Path.cwd().resolve() == (root / "notebooks").resolve()
    except OSError:
        return False


def record_attempt(exercise: str, passed: bool, message: str = "") -> None:
    """Record one attempt at ``exercise`` ("1.3"): whether its check passed, and the first line of what it said.

    Not recorded: when ``COURSE_RECORD`` leaves progress out, and, unless it names progress, in a pytest test
    process or in the edition with solutions (:func:`judging_the_solutions`). Never raises: a problem with the
    record is a warning, and the learner's cell goes on.
    """
    if not recording(STATE) or ("COURSE_RECORD" not in os.environ and judging_the_solutions()):
        return

    def change(data: dict[str, Any]) -> None:
        entries = data.get("exercises")
        if not isinstance(entries, dict):
            entries = data["exercises"] = {}
        entry = entries.get(exercise)
        if not isinstance(entry, dict):
            entry = entries[exercise] = {}
        at = _now()
        before = entry.get("attempts")
        entry["attempts"] = (before if isinstance(before, int) and before > 0 else 0) + 1
        if passed and not entry.get("passed_at"):
            entry["passed_at"] = at
        entry["last"] = {"passed": bool(passed), "message": _first_line(message), "at": at}

    try:
        update_state(STATE, change)
    except Exception as exc:  # bookkeeping never breaks a lesson
        warnings.warn(f"could not record the attempt at exercise {exercise}: {exc}", CourseStateWarning, 2)


def results() -> dict[str, Result]:
    """Exercise number -> what the checks recorded about it on this machine."""
    entries = read_state(STATE).get("exercises")
    found = {}
    for number, entry in (entries if isinstance(entries, dict) else {}).items():
        last = entry.get("last") if isinstance(entry, dict) else None
        if not isinstance(last, dict):
            continue
        attempts = entry.get("attempts")
        found[str(number)] = Result(
            attempts=attempts if isinstance(attempts, int) and attempts > 0 else 1,
            passed_at=entry["passed_at"] if isinstance(entry.get("passed_at"), str) else None,
            last_passed=bool(last.get("passed")),
            last_message=str(last.get("message", "")),
            last_at=str(last.get("at", "")),
        )
    return found


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def format_progress(width: int | None = None) -> str:
    """Every exercise with passed / tried / not tried, and a total, wrapped to ``width`` (default: the terminal's)."""
    width = max(60, width or shutil.get_terminal_size((100, 24)).columns)
    found, done = exercises(), results()
    status_w = 16
    indent = " " * (2 + 5 + 2 + status_w + 2)
    lines = [
        "Your exercises, as the checks recorded them on this machine (nothing leaves it):",
        f"{state_file(STATE)}",
    ]
    chapter = None
    counts = {"passed": 0, "tried": 0, "not tried": 0}
    for exercise in found:
        if exercise.chapter != chapter:
            chapter = exercise.chapter
            lines += ["", f"chapter {chapter}"]
        result = done.get(exercise.number)
        if result is None:
            status, notes = "not tried", []
        elif result.passed_at:
            status = "passed"
            notes = [f"passed {_when(result.passed_at)}, tried {_times(result.attempts)}"]
            if not result.last_passed:
                notes.append(f"the last try did not pass: {result.last_message}")
        else:
            status = f"tried {_times(result.attempts)}"
            notes = [f"last ({_when(result.last_at)}): {result.last_message}"]
        counts["tried" if status.startswith("tried") else status] += 1
        head = f"  {exercise.number:<5}  {status:<{status_w}}  "
        body = textwrap.wrap(exercise.title, width - len(head)) or [""]
        lines.append(head + body[0])
        lines += [indent + more for more in body[1:]]
        for note in notes:
            lines += textwrap.wrap(note, width, initial_indent=indent + "· ", subsequent_indent=indent + "  ")
    total = len(found)
    lines += [
        "",
        f"passed {counts['passed']} of {total} exercises; tried but not passed yet: {counts['tried']}; "
        f"not tried: {counts['not tried']}",
    ]
    return "\n".join(lines)
