"""The checks behind each chapter's exercises.

An exercise cell holds the learner's code; the solution sits between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` markers in the same cell (see
:mod:`course_app.editions`). The next cell calls a check from
``course_app.exercises.chNN``, which runs the learner's code live against a real
server and either says what passed or raises :class:`ExerciseFailed` with what is
wrong in plain words.
"""

from __future__ import annotations

import functools
import http
import importlib
import inspect
import json
import pkgutil
import re
import textwrap
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ..loadgen import LoadResult
from ..server import STOP_TIMEOUT, LiveServer, ServerStartError

__all__ = [
    "ExerciseFailed",
    "Hint",
    "all_ok",
    "announce",
    "answer_keys",
    "declared_checks",
    "describe_error",
    "describe_statuses",
    "ensure_callable",
    "hints",
    "json_body",
    "no_server_errors",
    "passed",
    "require",
    "show_me",
    "start_app",
]


F = TypeVar("F", bound=Callable[..., Any])


def answer_keys(exercise: str, *patterns: str) -> Callable[[F], F]:
    """Declare which exercise a check judges ("1.3"), and what it asks the learner to write, as regular
    expressions over the exercise cells' code.

    The learner edition of the exercise must match none of them (nothing of the answer given away outside the
    solution markers), and the instructor edition all of them (the keys describe the real solution). The test
    is tests/test_exercises.py. Pick what *is* the answer: ``Path\\(ge=``, not ``def``.

    The check comes back wrapped: each call records its outcome (passed, or failed with the first line of what
    it said) for ``python3 run.py progress`` (:mod:`course_app.progress`), and the exercises that command lists
    are the ones declared here.
    """
    compiled = tuple(re.compile(p) for p in patterns)

    def declare(check: F) -> F:
        judged = _recorded(exercise, check)
        judged.exercise = exercise  # type: ignore[attr-defined]
        judged.answer_keys = compiled  # type: ignore[attr-defined]
        return judged

    return declare


def declared_checks() -> dict[str, Callable[..., Any]]:
    """Every exercise's check, by exercise number ("1.3"), in course order: the functions of
    ``course_app.exercises.chNN`` that declare the exercise they judge with :func:`answer_keys`.

    The one list of the course's exercises: ``python3 run.py progress``, the instructor guide and the tests read it.
    """
    found: dict[str, Callable[..., Any]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not re.fullmatch(r"ch\d\d", info.name):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            number = getattr(value, "exercise", None)
            if callable(value) and isinstance(number, str) and value.__module__ == module.__name__:
                found[number] = value
    return dict(sorted(found.items(), key=lambda item: tuple(int(part) for part in item[0].split("."))))


_PASSED: ContextVar[str] = ContextVar("passed", default="")  # what passed() said, for the record


def _record(exercise: str, outcome: BaseException | None) -> None:
    from ..progress import record_attempt

    if outcome is None:
        record_attempt(exercise, True, _PASSED.get())
    elif isinstance(outcome, ExerciseFailed):
        record_attempt(exercise, False, str(outcome))
    else:  # the check itself broke (or the learner's code, in a way it does not put in words)
        record_attempt(exercise, False, f"{type(outcome).__name__}: {outcome}")


def _recorded(exercise: str, check: F) -> F:
    """``check``, recording each call's outcome. Interruptions (Ctrl-C, a cancelled cell) are not attempts."""
    if inspect.iscoroutinefunction(check):

        @functools.wraps(check)
        async def judged_async(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            _PASSED.set("")
            try:
                result = await check(*args, **kwargs)
            except Exception as exc:
                _record(exercise, exc)
                raise
            _record(exercise, None)
            return result

        return cast(F, judged_async)

    @functools.wraps(check)
    def judged(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        _PASSED.set("")
        try:
            result = check(*args, **kwargs)
        except Exception as exc:
            _record(exercise, exc)
            raise
        _record(exercise, None)
        return result

    return cast(F, judged)


@dataclass(frozen=True)
class Hint:
    """The code that replaces one ``# YOUR CODE HERE`` placeholder of an exercise, exactly as it is to be pasted.

    tests/test_exercises.py pastes every hint into the learner edition's cell, in place of its placeholder, runs
    the cell and the check: a hint that fails when pasted fails that test.
    """

    exercise: str  # "1.3"
    where: str  # which placeholder, in words: "the lifespan, before yield"
    code: str


_HINTS: dict[str, list[Hint]] = {}


def hints(exercise: str, *pastes: tuple[str, str]) -> list[Hint]:
    """Register the answer of ``exercise``: one ``(where, code)`` per placeholder, in the order they appear."""
    _HINTS[exercise] = [Hint(exercise, where, textwrap.dedent(code).strip("\n")) for where, code in pastes]
    return _HINTS[exercise]


def show_me(exercise: str) -> None:
    """Print the code that solves ``exercise`` ("1.3"), for a learner who has tried and wants to see it."""
    if exercise not in _HINTS:
        known = ", ".join(sorted(_HINTS)) or "none loaded yet: import the chapter's checks first"
        raise ValueError(f"no exercise {exercise!r}; the exercises with answers are: {known}")
    pastes = _HINTS[exercise]
    print(f"Exercise {exercise}: replace each `# YOUR CODE HERE` and the `raise NotImplementedError()` under it.\n")
    for number, paste in enumerate(pastes, 1):
        placeholder = f"placeholder {number} of {len(pastes)}, " if len(pastes) > 1 else ""
        print(f"# {placeholder}{paste.where}:")
        print(paste.code, end="\n\n")


def announce(what: str, seconds: float) -> None:
    """Say up front what the check sends, and how long it may take at most."""
    print(f"Checking: {what}. This takes {seconds:g} s at most.")


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
    _PASSED.set(message)
    print(f"\u2705 {message}")


_ERRORS: list[tuple[type[BaseException], re.Pattern[str], str]] = [
    (
        Exception,
        re.compile(r"'coroutine' object is not iterable|<coroutine object"),
        "your handler returned a coroutine instead of its result: an async function (or run_in_threadpool) was "
        "called without `await` in front of it",
    ),
    (
        Exception,
        re.compile(r"'coroutine' object has no attribute"),
        "an async function was called without `await` in front of it: you got its coroutine, not its result",
    ),
    (
        TypeError,
        re.compile(r"'coroutine' object is not an async iterator"),
        "your lifespan has no `yield`: an @asynccontextmanager function needs one (is it still the placeholder?)",
    ),
    (
        Exception,
        re.compile(r"await wasn't used with future|<Future (pending|finished)"),
        "your handler returned a Future instead of its result: `run_in_executor(...)` needs `await` in front of it",
    ),
    (
        TypeError,
        re.compile(r"object (\w+) can't be used in 'await' expression"),
        "you put `await` in front of something that is not awaitable (a plain function's result): `await` goes in "
        "front of a coroutine, such as a call of an async function, run_in_threadpool(...) or run_in_executor(...)",
    ),
    (
        TypeError,
        re.compile(r"first argument must be callable|object is not callable|a callable object was expected"),
        "you called the function yourself and passed on its result: pass the function and its arguments "
        "separately, `run_in_threadpool(f, x)`, not `run_in_threadpool(f(x))`",
    ),
    (
        TypeError,
        re.compile(r"'async for' requires an object with __aiter__|is not an async iterator"),
        "you wrote `async for` over a coroutine: a coroutine is awaited once (`await f()`); `async for` is for "
        "async generators and streams",
    ),
    (
        TypeError,
        re.compile(r"unhashable type: 'list'"),
        "asyncio.gather() takes the awaitables as separate arguments, not one list: `gather(*awaitables)`, with "
        "the star",
    ),
    (
        Exception,
        re.compile(r"Unable to serialize unknown type: <class 'coroutine'>"),
        "an async function was called without `await` in front of it: your handler returned its coroutine "
        "inside the answer, which cannot be turned into JSON",
    ),
    (
        Exception,
        re.compile(
            r"session is provisioning a new connection|concurrent operations are not permitted|"
            r"another operation is in progress|IllegalStateChangeError|is already in progress"
        ),
        "several queries ran at once on one session (asyncio.gather over one AsyncSession): a session is one "
        "connection, and a connection runs one query at a time. Await them one after another, or give each "
        "query its own session",
    ),
    (
        Exception,
        re.compile(r"pool is not initialized"),
        "the pool was never awaited: `asyncpg.create_pool(...)` gives a pool that opens its connections only when "
        "it is awaited: `pool = await asyncpg.create_pool(...)`, or `async with asyncpg.create_pool(...) as pool`",
    ),
    (
        AttributeError,
        re.compile(r"'PoolAcquireContext' object has no attribute"),
        "`pool.acquire()` was called without `await` (or `async with`): you got the acquire context, not a "
        "connection. `conn = await pool.acquire(...)`, given back with `await pool.release(conn)`",
    ),
    (
        BrokenProcessPool,
        re.compile(r""),
        "the process pool broke: a worker process died. Most often the function sent to it was defined in a "
        "notebook cell: it pickles by name, and a fresh worker process cannot find that name (the worker's "
        "traceback above says so). Send a function defined in a module, such as `ch01.cpu_work`",
    ),
]


def describe_error(exc: BaseException) -> str:
    """A plain-words account of an exception the learner's code raised, with the original below it."""
    if isinstance(exc, NotImplementedError):
        return "the exercise code is still the placeholder: replace `raise NotImplementedError()` with your solution"
    original = f"{type(exc).__name__}: {exc}".strip()
    for kind, pattern, words in _ERRORS:
        if isinstance(exc, kind) and pattern.search(original):
            return f"{words}.\n(The original error: {_shorten(original)})"
    return f"your code raised {_shorten(original)}"


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_statuses(result: LoadResult) -> str:
    """What a run's answers were, in words: ``20 × 404 Not Found``, ``3 × no answer within 1 s``."""
    parts = []
    for key, count in result.statuses.most_common():
        if isinstance(key, int):
            try:
                name = f"{key} {http.HTTPStatus(key).phrase}"
            except ValueError:
                name = str(key)
        else:
            name = {"timeout": "no answer in time", "cut off": "cut off by the check's own bound"}.get(key, key)
        parts.append(f"{count} × {name}")
    return ", ".join(parts)


def ensure_callable(obj: Any, what: str) -> None:
    require(callable(obj), f"{what} should be a function or an app, but it is {type(obj).__name__}")


def start_app(app: Any, name: str, *, stop_timeout: float = STOP_TIMEOUT) -> LiveServer:
    """The learner's app on a LiveServer, which stops it within ``stop_timeout`` seconds."""
    ensure_callable(app, "your app")
    try:
        # log_level="critical": the check explains failures in words; tracebacks would bury them
        return LiveServer(app, name=name, start_timeout=30, stop_timeout=stop_timeout, log_level="critical").start()
    except ServerStartError as exc:
        cause = exc.__cause__
        reason = describe_error(cause) if cause is not None else str(exc)
        raise ExerciseFailed(f"your app did not start: {reason}") from None


def no_server_errors(srv: LiveServer, what: str) -> None:
    if srv.errors:
        raise ExerciseFailed(f"{what} failed: {describe_error(srv.errors[-1])}")


def all_ok(result: LoadResult, what: str) -> None:
    require(
        dict(result.statuses) == {200: result.n},
        f"{what} should answer with status 200 (OK) every time; it answered: {describe_statuses(result)}",
    )


def json_body(result: LoadResult, what: str) -> Any:
    body = result.records[0].body or b""
    try:
        return json.loads(body)
    except ValueError:
        raise ExerciseFailed(f"{what} should return JSON, but it returned {body[:80]!r}") from None
