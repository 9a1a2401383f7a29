"""Checks for chapter 05's exercises: each serves the learner's app beside the chapter's service, which keeps
the books of every call (started, ended, how), so a check can see what a client of the app never sees: calls
that went on after the answer, or too many at once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

from ..chapters.ch05_concurrency import service
from ..chapters.ch05_concurrency.service import Book, Call
from ..loadgen import LoadResult, load
from ..server import LiveServer
from . import (
    ExerciseFailed,
    announce,
    answer_keys,
    describe_error,
    describe_statuses,
    ensure_callable,
    hints,
    passed,
    require,
    show_me,
)
from . import start_app as _start_app

__all__ = ["check_bounded_calls", "check_first_success", "check_timeouts", "show_me"]

FAIL_FAST, GOOD, SLOW = 0.03, 0.15, 0.8  # exercise 5.1: store1 fails after, store2 answers after, store3 after
BOUND, CALLS, DELAY = 20, 60, 0.02  # exercise 5.2: the service's limit, calls per request, each call's time

hints(
    "5.1",
    (
        "the body of ex51_fastest_price",
        """
        pending = {asyncio.create_task(first_wins.price(client, url)) for url in urls}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if task.exception() is None:
                        return task.result()
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        raise HTTPException(502, "every store failed")
        """,
    ),
)
hints(
    "5.2",
    ("the lifespan, before yield", 'yield {"client": client, "bound": asyncio.Semaphore(BOUND)}'),
    (
        "the body of ex52_call",
        """
        async with request.state.bound:
            return await bounded.call(request.state.client, url)
        """,
    ),
)


def _fastapi_app(app: Any) -> None:
    ensure_callable(app, "your app")
    require(
        hasattr(app, "router") and hasattr(app, "state"), "your app should be a FastAPI app, made with FastAPI(...)"
    )


def _start(app: Any, name: str, service_url: str) -> LiveServer:
    app.state.service = service_url  # where your handler finds the stores: request.app.state.service
    return _start_app(app, name)


def _body(result: LoadResult) -> Any:
    raw = result.records[0].body or b""
    with contextlib.suppress(ValueError):
        return json.loads(raw)
    return raw.decode(errors="replace")


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    """An exception, or every exception inside a group, however nested."""
    inner = getattr(exc, "exceptions", None)  # an ExceptionGroup's (task groups raise them)
    if isinstance(inner, tuple):
        for each in inner:
            yield from _leaves(each)
    else:
        yield exc


def _said(errors: list[BaseException], words: str) -> bool:
    return any(words in str(leaf) for error in errors for leaf in _leaves(error))


async def _settled(book: Book, source: str, seconds: float) -> list[Call]:
    """The calls to ``source``, once one is recorded (it ended, one way or another), or after ``seconds``."""
    deadline = time.perf_counter() + seconds
    while not book.of(source) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    return book.of(source)


# -- exercise 5.1 ------------------------------------------------------------------------------------------------


@answer_keys("5.1", r"\.cancel\(\)", r"502")
async def check_first_success(app: Any) -> None:
    """Exercise 5.1: the first successful answer wins; a failure never does; the losers are cancelled."""
    __tracebackhide__ = True
    _fastapi_app(app)
    announce(
        f"GET /fastest-price/42 with store1 failing after {FAIL_FAST:g} s, store2 answering after {GOOD:g} s and "
        f"store3 after {SLOW:g} s; then once with every store failing",
        10,
    )
    svc_app = service.create_app()
    book: Book = svc_app.state.book
    with LiveServer(svc_app, name="exercise 5.1: the stores", log_level="critical") as svc:
        srv = _start(app, "exercise 5.1", svc.url)
        try:
            book.behave("store1", delay=FAIL_FAST, fail=1.0)
            book.behave("store2", delay=GOOD)
            book.behave("store3", delay=SLOW)
            good = await load(srv, "/fastest-price/42", n=1, keep_bodies=True, timeout=3, max_seconds=5)
            slow_calls = await _settled(book, "store3", SLOW + 0.5)
            errors_good = list(srv.errors)
            book.reset()
            for n in (1, 2, 3):
                book.behave(f"store{n}", delay=FAIL_FAST * n, fail=1.0)
            bad = await load(srv, "/fastest-price/42", n=1, keep_bodies=True, timeout=3, max_seconds=5)
            errors_bad = srv.errors[len(errors_good) :]
        finally:
            srv.stop()
    if _said(errors_good, "Passing coroutines is forbidden"):
        raise ExerciseFailed(
            "asyncio.wait() refused what it was given: it takes tasks, not coroutines (Python 3.11 and later), "
            "as in the seed's race. Wrap each call in asyncio.create_task(...) first."
        )
    status = good.records[0].status
    body = _body(good)
    if status != 200 and _said(errors_good, "503"):
        raise ExerciseFailed(
            f"your handler answered {status}: the first store to finish, store1, failed (it answered 503), and its "
            "failure won. A failed call must not win: set it aside and wait for the next one to finish."
        )
    if errors_good:
        raise ExerciseFailed(f"GET /fastest-price/42 failed: {describe_error(errors_good[-1])}")
    require(
        status == 200,
        f"with store2 answering a price, GET /fastest-price/42 should answer 200; it answered: "
        f"{describe_statuses(good)}",
    )
    if isinstance(body, dict) and "detail" in body:
        raise ExerciseFailed(
            f"your handler answered 200 with store1's error as the price: {body}. The first store to finish "
            "failed, and its failure won. Check each finished call (task.exception()) and skip the failures."
        )
    source = body.get("source") if isinstance(body, dict) else None
    require(source is not None, f"GET /fastest-price/42 should return a store's answer; it returned {body!r}")
    latency = good.records[0].latency
    require(
        latency < 0.75 * SLOW and source == "store2",
        f"your handler answered with {source}'s price after {latency:.2f} s: it waited for the slowest store "
        f"({SLOW:g} s). The first successful answer, store2's after {GOOD:g} s, should win at once: wait with "
        "asyncio.wait(..., return_when=asyncio.FIRST_COMPLETED), not gather.",
    )
    outcome = slow_calls[0].outcome if slow_calls else "still running"
    require(
        outcome == "cancelled",
        f"store3, the slowest, was not cancelled: it {'went on and answered' if outcome == 'ok' else outcome} "
        f"after {SLOW:g} s, long after your handler had its answer. Cancel the calls still pending "
        "(task.cancel()), in a `finally`, and await them.",
    )
    bad_status = bad.records[0].status
    if bad_status == 500 or errors_bad:
        error = describe_error(errors_bad[-1]) if errors_bad else "an error"
        raise ExerciseFailed(
            f"when every store fails, your handler answered 500 ({error}): a crash. Say what happened: raise "
            "HTTPException(502, ...) once the last call has failed."
        )
    require(
        bad_status in (502, 503, 504),
        f"when every store fails, your handler answered {describe_statuses(bad)}: it should answer 502 (Bad "
        "Gateway), the stores failed",
    )
    passed(
        f"store1's failure was set aside, store2's price won after {latency:.2f} s, store3 was cancelled; with every "
        f"store failing, a {bad_status}."
    )


# -- exercise 5.2 ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _counting_semaphores() -> Iterator[list[asyncio.Semaphore]]:
    made: list[asyncio.Semaphore] = []
    init = asyncio.Semaphore.__init__

    def counted(sem: asyncio.Semaphore, *args: Any, **kwargs: Any) -> None:
        made.append(sem)
        init(sem, *args, **kwargs)

    asyncio.Semaphore.__init__ = counted  # type: ignore[method-assign,assignment]
    try:
        yield made
    finally:
        asyncio.Semaphore.__init__ = init  # type: ignore[method-assign]


@answer_keys("5.2", r"Semaphore\(", r"state\.bound")
async def check_bounded_calls(app: Any) -> None:
    """Exercise 5.2: one bound for the whole app, made in the lifespan: never more than BOUND calls in flight."""
    __tracebackhide__ = True
    _fastapi_app(app)
    announce(
        f"2 requests at once to GET /fan-out?n={CALLS}, to a service that allows {BOUND} calls at a time; then the "
        "server restarts and serves one more",
        15,
    )
    svc_app = service.create_app()
    book: Book = svc_app.state.book
    book.reset(limit=BOUND)
    book.behave("api", delay=DELAY)
    with (
        LiveServer(svc_app, name="exercise 5.2: the service", log_level="critical") as svc,
        _counting_semaphores() as made,
    ):
        srv = _start(app, "exercise 5.2", svc.url)
        try:
            both = await load(srv, f"/fan-out?n={CALLS}", n=2, keep_bodies=True, timeout=8, max_seconds=10)
        finally:
            srv.stop()
        peak, refused = book.peak, book.outcomes().get("refused", 0)
        book.reset(limit=BOUND)
        book.behave("api", delay=DELAY)
        again = _start(app, "exercise 5.2, restarted", svc.url)
        try:
            restarted = await load(again, f"/fan-out?n={CALLS}", n=1, keep_bodies=True, timeout=8, max_seconds=10)
        finally:
            again.stop()
    errors = srv.errors + again.errors
    if _said(errors, "is bound to a different event loop"):
        raise ExerciseFailed(
            "after a restart, your app failed: its semaphore was made outside the lifespan (in a cell, or when a "
            "module was imported), and the first server's event loop kept it. The restarted server runs on a new "
            "loop, where it cannot wait on it. Make it in the lifespan and yield it with the client."
        )
    if refused or peak > BOUND:
        per_call = len(made) >= CALLS
        how = (
            f"you made {len(made)} semaphores, one per call: each call waits on its own, which bounds nothing. "
            "Make one, in the lifespan, and share it through request.state"
            if per_call
            else "nothing bounded them. Give every call one shared asyncio.Semaphore(BOUND), made in the lifespan"
        )
        raise ExerciseFailed(
            f"the service saw {peak} of your calls in flight at once and refused {refused} of them (429 Too "
            f"Many Requests): it allows {BOUND}. {how}."
        )
    if errors:
        raise ExerciseFailed(f"GET /fan-out failed: {describe_error(errors[-1])}")
    for result in (both, restarted):
        if set(result.statuses) != {200}:
            body = _body(result)
            if "coroutine" in str(body):
                raise ExerciseFailed(
                    "your calls were never made: ex52_call returned a coroutine, not a status. "
                    "`return await bounded.call(...)`, with `await`."
                )
            raise ExerciseFailed(
                f"GET /fan-out should answer 200 when every call got an answer; it answered "
                f"{describe_statuses(result)}: {str(body)[:200]}"
            )
    if peak <= 2:
        raise ExerciseFailed(
            f"your calls went one at a time (the service saw {peak} in flight at most), and the two requests "
            f"took {both.wall:.1f} s instead of about {2 * CALLS / BOUND * DELAY:.2f} s. A semaphore lets through "
            "as many as its value, and asyncio.Semaphore() holds 1: asyncio.Semaphore(BOUND)."
        )
    passed(
        f"{2 * CALLS} calls from two requests at once, never more than {peak} in flight (the service allows "
        f"{BOUND}), none refused; the restarted server too ({book.peak} at most)."
    )


# -- exercise 5.3 ------------------------------------------------------------------------------------------------

CALL_TIMEOUT, BUDGET = 0.3, 0.5  # exercise 5.3: seconds for each call, and for the handler's three calls in all

hints(
    "5.3",
    (
        "the body of ex53_user",
        """
        answers = []
        try:
            async with asyncio.timeout(BUDGET):
                for url in urls:
                    response = await client.get(url, timeout=CALL_TIMEOUT)
                    response.raise_for_status()
                    answers.append(response.json())
        except TimeoutError:
            raise HTTPException(504, f"the budget of {BUDGET} s ran out") from None
        except httpx.HTTPError as exc:
            raise ch05.service_failed(exc) from None
        return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}
        """,
    ),
)


def _one(result: LoadResult) -> tuple[int | None, float, Any]:
    record = result.records[0]
    return record.status, record.latency, _body(result)


@answer_keys("5.3", r"timeout=CALL_TIMEOUT", r"\(BUDGET\)")
async def check_timeouts(app: Any) -> None:
    """Exercise 5.3: a timeout on each call, a budget for the handler, 504 when either runs out, 502 for a failure."""
    __tracebackhide__ = True
    _fastapi_app(app)
    announce(
        "GET /user/7 four times: quick calls; a profile call that hangs; three calls of 0.2 s each; comments failing",
        10,
    )
    svc_app = service.create_app()
    book: Book = svc_app.state.book
    runs: dict[str, LoadResult] = {}
    with LiveServer(svc_app, name="exercise 5.3: the service", log_level="critical") as svc:
        srv = _start(app, "exercise 5.3", svc.url)
        try:
            for name, where, delay, fail in (
                ("quick", "api", 0.02, 0.0),
                ("hang", "api/users/7", 2.0, 0.0),
                ("sum", "api", 0.2, 0.0),
                ("fail", "api/users/7/comments", 0.02, 1.0),
            ):
                book.reset()
                book.behave("api", delay=0.02)
                book.behave(where, delay=delay, fail=fail)
                runs[name] = await load(srv, "/user/7", n=1, keep_bodies=True, timeout=1.5, max_seconds=3)
                if srv.errors:
                    break
        finally:
            srv.stop()
    if srv.errors:
        if _said(srv.errors, "budget") or any(isinstance(e, TimeoutError) for x in srv.errors for e in _leaves(x)):
            raise ExerciseFailed(
                "when the budget ran out, your handler answered 500: asyncio.timeout raises TimeoutError as it leaves "
                "the block, and an exception nobody catches is a 500. Catch TimeoutError around the block and raise "
                "HTTPException(504, ...)."
            )
        raise ExerciseFailed(f"GET /user/7 failed: {describe_error(srv.errors[-1])}")
    status, _, body = _one(runs["quick"])
    require(
        status == 200 and isinstance(body, dict) and {"profile", "posts", "comments"} <= set(body),
        f"with three quick calls, GET /user/7 should answer 200 with profile, posts and comments; it answered "
        f"{describe_statuses(runs['quick'])}: {str(body)[:200]}",
    )
    status, latency, body = _one(runs["hang"])
    if status is None:
        raise ExerciseFailed(
            "with the profile call hanging for 2 s, your handler had not answered after 1.5 s: nothing bounds the "
            "calls. Give each call a timeout (client.get(url, timeout=CALL_TIMEOUT)) and the handler a budget."
        )
    require(
        status != 200,
        f"with the profile call hanging, your handler answered 200 with {str(body)[:120]}: a timeout was caught and "
        "turned into an answer with nothing in it. Answer 504, so that the client knows it got nothing.",
    )
    require(
        status == 504 and latency < 0.9 * BUDGET,
        f"with the profile call hanging, your handler answered {status} after {latency:.2f} s: the call should "
        f"give up after its own timeout ({CALL_TIMEOUT:g} s) with a 504. A budget for the whole handler is not "
        "a timeout per call: pass timeout=CALL_TIMEOUT to each client.get.",
    )
    status, latency, body = _one(runs["sum"])
    require(
        status != 200,
        f"three calls of 0.2 s each, each under its {CALL_TIMEOUT:g} s timeout, took {latency:.2f} s and your handler "
        f"answered 200: its budget ({BUDGET:g} s) was never enforced. Wrap the three calls in "
        "asyncio.timeout(BUDGET) and answer 504 when it runs out.",
    )
    require(
        status == 504 and latency < 3 * 0.2,
        f"with three calls of 0.2 s, your handler answered {status} after {latency:.2f} s: it should answer 504 "
        f"when its budget of {BUDGET:g} s runs out",
    )
    status, _, body = _one(runs["fail"])
    require(
        status == 502,
        f"with the comments call failing (503), your handler answered {status}: {str(body)[:120]}. A service that "
        "failed is a 502 (raise_for_status(), then ch05.service_failed(exc) or HTTPException(502, ...)).",
    )
    passed(
        f"a hung call cut at {_one(runs['hang'])[1]:.2f} s, three slow calls cut by the budget at "
        f"{_one(runs['sum'])[1]:.2f} s (both 504), a failed call a 502, quick calls a 200."
    )
