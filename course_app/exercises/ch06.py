"""Checks for chapter 06's exercises: each serves the learner's app and watches its background tasks live."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx

from ..server import LiveServer
from . import (
    ExerciseFailed,
    announce,
    answer_keys,
    describe_error,
    ensure_callable,
    hints,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["EMAIL_SECONDS", "check_failure_stops_nothing", "check_send_after_reply", "show_me"]

EMAIL_SECONDS = 0.5  # exercise 6.1: how long the mail server takes to answer

hints(
    "6.1",
    (
        "the task",
        """
        await asyncio.sleep(EMAIL_SECONDS)
        outbox.append(email)
        """,
    ),
    ("the route", "background_tasks.add_task(send_welcome_email, request.app.state.outbox, email)"),
)
hints(
    "6.2",
    (
        "step",
        """
        try:
            await task(done, order_id)
        except Exception:
            shop_log.exception("order %s: %s failed", order_id, task.__name__)
        """,
    ),
)


class _Stamped(list[str]):
    """A list that notes when each item was appended (``time.perf_counter()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: str) -> None:
        self.times.append(time.perf_counter())
        super().append(item)


def _list_on_state(app: Any, name: str) -> list[Any]:
    ensure_callable(app, "your app")
    found = getattr(getattr(app, "state", None), name, None)
    require(
        isinstance(found, list),
        f"your app should keep its list in app.state.{name} (the exercise cell sets it: run that cell again)",
    )
    assert isinstance(found, list)
    return found


def _task_errors(srv: LiveServer) -> None:
    """Say in words what an exception that reached the server means here."""
    if not srv.errors:
        return
    error = srv.errors[-1]
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, NotImplementedError):
        raise ExerciseFailed(describe_error(error))
    if isinstance(error, TypeError) and ("not callable" in text or "must be callable" in text):
        raise ExerciseFailed(
            "add_task got a coroutine, not a function: `add_task(send_welcome_email(outbox, email))` calls the "
            "function at once and hands over its result, which cannot run later. Pass the function and its "
            "arguments separately: `add_task(send_welcome_email, outbox, email)`.\n"
            f"(The original error: {text})"
        )
    raise ExerciseFailed(f"a background task failed: {describe_error(error)}")


async def _loop_lag(srv: LiveServer, seconds: float) -> float:
    """The longest the server's loop took to run a no-op over ``seconds``, sampled from the notebook's thread."""
    worst, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        sent = time.perf_counter()
        future = asyncio.run_coroutine_threadsafe(asyncio.sleep(0), srv.loop)
        await asyncio.wrap_future(future)
        worst = max(worst, time.perf_counter() - sent)
        await asyncio.sleep(0.02)
    return worst


async def _wait_until(condition: Any, seconds: float) -> bool:
    end = time.perf_counter() + seconds
    while not condition() and time.perf_counter() < end:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return bool(condition())


@answer_keys("6.1", r"add_task\(\s*send_welcome_email\s*,", r"await asyncio\.sleep\(EMAIL_SECONDS\)")
async def check_send_after_reply(app: Any) -> None:
    """Exercise 6.1: the answer comes at once, the email after it, the loop stays free, a graceful stop keeps it."""
    __tracebackhide__ = True
    _list_on_state(app, "outbox")
    app.state.outbox = outbox = _Stamped()  # the same empty list, that notes when each email was filed
    t = EMAIL_SECONDS
    announce("one sign-up, timed; the server's loop watched while the email goes; one more, then a graceful stop", 12)
    srv = start_app(app, "exercise 6.1")  # a graceful stop waits up to 1.5 s (3 t) for what still runs
    try:
        async with httpx.AsyncClient(base_url=srv.url, timeout=5 * t + 2) as client:
            sent = time.perf_counter()
            try:
                r = await client.post("/signup", params={"email": "ada@example.com"})
            except httpx.TimeoutException:
                raise ExerciseFailed(f"POST /signup gave no answer within {5 * t + 2:g} s") from None
            answered = time.perf_counter()
            latency = answered - sent
            lag = await _loop_lag(srv, t) if r.status_code == 200 and latency < t else 0.0
            arrived = await _wait_until(lambda: len(outbox) >= 1, 3 * t)
            if arrived and not srv.errors and r.status_code == 200:
                await client.post("/signup", params={"email": "grace@example.com"})
        _task_errors(srv)
        require(
            r.status_code == 200,
            f"POST /signup?email=ada@example.com answered {r.status_code}, not 200: {r.text[:200]}",
        )
        filed = outbox.times[0] - sent if outbox.times else float("inf")
        sent_before_reply = bool(outbox.times) and outbox.times[0] <= answered
        require(
            filed >= 0.8 * t,
            f"the email was filed {filed * 1000:.0f} ms after the request, before the mail server could have "
            f"answered ({t:g} s): `asyncio.sleep(EMAIL_SECONDS)` without `await` in front of it makes a coroutine "
            "and waits for nothing",
        )
        require(
            latency < 0.8 * t,
            f"the client waited {latency:.2f} s for its answer"
            + (
                ", and the email was already sent: the handler waited for it (`await send_welcome_email(...)`). "
                "Schedule it instead, with background_tasks.add_task(...), so that it runs after the response."
                if sent_before_reply
                else f": the answer should come at once, and the {t:g} s of the email after it"
            ),
        )
        require(
            lag < 0.5 * t,
            f"while the email was being sent, the server's event loop was stuck for {lag:.2f} s: the task blocked "
            "it (time.sleep, or another blocking call, inside async def), and every other request waited. Use "
            "`await asyncio.sleep(...)`, or make the task a plain `def`, which Starlette runs in a worker thread.",
        )
        require(arrived, f"no email reached the outbox within {3 * t:g} s of the answer: was the task scheduled?")
    finally:
        srv.stop()
    _task_errors(srv)
    require(
        outbox.count("ada@example.com") == 1,
        f"the outbox holds {outbox.count('ada@example.com')} emails to ada@example.com for one sign-up: one, please",
    )
    require(
        "grace@example.com" in outbox,
        "the email of a sign-up answered just before a graceful stop was never sent. asyncio.create_task(...) is "
        "not part of the request: the server does not wait for it, and cancels it when it stops (and without a "
        "reference kept, it can even vanish before). background_tasks.add_task(...) belongs to the request, and a "
        "graceful stop waits for it.",
    )
    passed(
        f"the answer came after {latency * 1000:.0f} ms, the email {t:g} s later without stopping the loop (longest "
        f"stall {lag * 1000:.0f} ms), and a graceful stop still sent the last one."
    )


class _Kept(logging.Handler):
    """Keeps the records of level ERROR and above that are not uvicorn's own."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("uvicorn"):
            self.records.append(record)


@contextlib.contextmanager
def _error_log() -> Iterator[_Kept]:
    kept, root = _Kept(), logging.getLogger()
    root.addHandler(kept)
    try:
        yield kept
    finally:
        root.removeHandler(kept)


@answer_keys("6.2", r"except Exception", r"\.exception\(")
async def check_failure_stops_nothing(app: Any) -> None:
    """Exercise 6.2: a task that raises is logged, with its traceback, and the tasks after it still run."""
    __tracebackhide__ = True
    done = _list_on_state(app, "done")
    done.clear()
    announce("order 1 (its receipt fails), then order 2; then what ran and what was logged", 8)
    srv = start_app(app, "exercise 6.2")
    try:
        with _error_log() as log:
            answers = []
            for n in (1, 2):  # a connection each: a task that raises makes uvicorn close its connection
                async with httpx.AsyncClient(base_url=srv.url, timeout=5) as client:
                    answers.append((await client.post(f"/orders/{n}")).status_code)
            await _wait_until(lambda: "stock 2" in done and ("stock 1" in done or bool(srv.errors)), 2)
            await asyncio.sleep(0.1)  # time for what would come after
    except httpx.HTTPError as exc:
        srv.stop()
        raise ExerciseFailed(f"the check's requests failed: {type(exc).__name__}: {exc}") from None
    finally:
        srv.stop()
    require(answers == [200, 200], f"POST /orders/1 and /orders/2 answered {answers}, not 200 and 200")
    if not done:
        if srv.errors:
            raise ExerciseFailed(f"no task did anything: {describe_error(srv.errors[-1])}")
        raise ExerciseFailed(
            "no task did anything: `task(done, order_id)` without `await` makes a coroutine and never runs it. "
            "`await task(done, order_id)`."
        )
    if srv.errors and "stock 1" not in done:
        raise ExerciseFailed(
            f"update_stock never ran for order 1: send_receipt raised ({type(srv.errors[-1]).__name__}), and a "
            "background task that raises ends the run: the tasks after it never start, and the server closes the "
            "connection. A try/except in the route cannot help, since the tasks run after it has returned; "
            "catch the exception inside `step`, around `await task(...)`."
        )
    _server_errors(srv)
    require(
        [d for d in done if d.endswith(" 1")] == ["charge 1", "stock 1"]
        and [d for d in done if d.endswith(" 2")] == ["charge 2", "receipt 2", "stock 2"],
        f"what the tasks did: {done}; expected charge and stock for order 1, charge, receipt and stock for order 2",
    )
    failures = [r for r in log.records if r.exc_info]
    require(
        bool(failures),
        "send_receipt failed for order 1, and nothing was logged: the failure vanished, and nobody will ever know "
        "the receipt was not sent. Log it: `shop_log.exception(...)` in the `except` block keeps the traceback.",
    )
    passed(
        f"order 1's receipt failed and was logged ({failures[0].getMessage()!r}, with its traceback); "
        "update_stock still ran for both orders."
    )


def _server_errors(srv: LiveServer) -> None:
    if srv.errors:
        raise ExerciseFailed(
            f"an exception reached the server: {describe_error(srv.errors[-1])}. A task that raises makes uvicorn "
            "close the connection; log the failure in `step` instead of raising it again."
        )
