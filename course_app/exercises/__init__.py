"""The checks behind each chapter's exercises.

An exercise cell holds the learner's code; the solution sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` markers in the same cell (see
:mod:`course_app.editions`). The next cell calls a check from
``course_app.exercises.chNN``, which runs the learner's code live against a real
server and either says what passed or raises :class:`ExerciseFailed` with what is
wrong in plain words.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ExerciseFailed", "passed", "require"]


class ExerciseFailed(AssertionError):
    """The learner's code ran but does not do what the exercise asks (plain-words message)."""

    def _render_traceback_(self) -> list[str]:  # IPython: show the words, not our frames
        return [f"\033[1;31mNot yet:\033[0m {self}"]


def require(condition: object, message: str) -> None:
    """Raise :class:`ExerciseFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ExerciseFailed(message)


def passed(message: str) -> None:
    """Tell the learner the check passed (printed, so it shows in the cell's output)."""
    print(f"\u2705 {message}")


def describe_error(exc: BaseException) -> str:
    """A plain-words account of an exception the learner's code raised."""
    if isinstance(exc, NotImplementedError):
        return "the exercise code is still the placeholder: replace `raise NotImplementedError()` with your solution"
    return f"your code raised {type(exc).__name__}: {exc}"


def ensure_callable(obj: Any, what: str) -> None:
    require(callable(obj), f"{what} should be a function or an app, but it is {type(obj).__name__}")
