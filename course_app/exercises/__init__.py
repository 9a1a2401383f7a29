"""The checks behind each chapter's exercises.

An exercise cell holds the learner's code; the solution sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` markers in the same cell (see
:mod:`course_app.editions`). The next cell calls a check from
``course_app.exercises.chNN``, which runs the learner's code live against a real
server and either says what passed or raises :class:`ExerciseFailed` with what is
wrong in plain words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from ..loadgen import LoadResult
from ..server import LiveServer, ServerStartError

__all__ = [
    "ExerciseFailed",
    "all_ok",
    "answer_keys",
    "describe_error",
    "ensure_callable",
    "json_body",
    "no_server_errors",
    "passed",
    "require",
    "start_app",
]


F = TypeVar("F", bound=Callable[..., Any])


def answer_keys(*patterns: str) -> Callable[[F], F]:
    """Declare what a check's exercise asks the learner to write, as regular expressions over the cell's code.

    The learner edition of the exercise must match none of them (nothing of the answer given away outside the
    solution markers), and the instructor edition all of them (the keys describe the real solution). The test
    is tests/test_exercises.py. Pick what *is* the answer: ``Path\\(ge=``, not ``def``.
    """
    compiled = tuple(re.compile(p) for p in patterns)

    def declare(check: F) -> F:
        check.answer_keys = compiled  # type: ignore[attr-defined]
        return check

    return declare


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


def start_app(app: Any, name: str) -> LiveServer:
    ensure_callable(app, "your app")
    try:
        # log_level="critical": the check explains failures in words; tracebacks would bury them
        return LiveServer(app, name=name, start_timeout=30, log_level="critical").start()
    except ServerStartError as exc:
        cause = exc.__cause__
        reason = describe_error(cause) if cause is not None else str(exc)
        raise ExerciseFailed(f"your app did not start: {reason}") from None


def no_server_errors(srv: LiveServer, what: str) -> None:
    if srv.errors:
        raise ExerciseFailed(f"{what} failed: {describe_error(srv.errors[-1])}")


def all_ok(result: LoadResult, what: str) -> None:
    statuses = dict(result.statuses)
    require(statuses == {200: result.n}, f"{what} should answer 200 every time; it answered {statuses}")


def json_body(result: LoadResult, what: str) -> Any:
    body = result.records[0].body or b""
    try:
        return json.loads(body)
    except ValueError:
        raise ExerciseFailed(f"{what} should return JSON, but it returned {body[:80]!r}") from None
