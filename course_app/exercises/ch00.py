"""Checks for chapter 00's exercises."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any

import httpx
from fastapi import FastAPI, Query

from ..loadgen import Outcome, load
from . import (
    ExerciseFailed,
    all_ok,
    announce,
    answer_keys,
    describe_error,
    ensure_callable,
    hints,
    json_body,
    no_server_errors,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["check_sleep_many", "check_wait", "show_me"]

N = 20
WAIT_MS = 200
LIMIT = 1.0  # seconds the check gives each request: five times what it should take

hints(
    "0.1",
    (
        "the route, in the exercise cell",
        """
        @my_app.get("/wait/{ms}")
        async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
            await asyncio.sleep(ms / 1000)
            return {"waited_ms": ms}
        """,
    ),
)

hints(
    "0.2",
    (
        "the body of sleep_many",
        """
        async with httpx.AsyncClient(base_url=base_url) as client:
            responses = await asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)))
        return [r.json() for r in responses]
        """,
    ),
)


@answer_keys("0.1", r"Path\([^)]*\b(ge|le)=", r"asyncio\.sleep\(")
async def check_wait(app: Any) -> None:
    """Exercise 0.1: ``GET /wait/{ms}`` waits ``ms`` milliseconds without blocking the loop."""
    __tracebackhide__ = True
    what = f"GET /wait/{WAIT_MS}"
    seconds = WAIT_MS / 1000
    srv = start_app(app, "exercise 0.1")
    serial = N * WAIT_MS / 1000  # one request after another: a blocked loop
    announce(
        f"one GET /wait/{WAIT_MS}, which should take {WAIT_MS} ms = {seconds} s and is given {LIMIT:g} s; "
        f"then {N} at once, given {serial + 1:g} s",
        LIMIT + serial + 3,
    )
    try:
        one = await load(srv, f"/wait/{WAIT_MS}", n=1, timeout=LIMIT, max_seconds=LIMIT + 1)
        no_server_errors(srv, what)
        require(
            one.records[0].outcome is not Outcome.TIMEOUT,
            f"{what} got no answer within {LIMIT:g} s, though it should take {seconds} s. Does the handler wait "
            f"far longer than asked? asyncio.sleep() takes seconds, and {WAIT_MS} is a number of milliseconds.",
        )
        result = await load(srv, f"/wait/{WAIT_MS}", n=N, timeout=serial + 1, max_seconds=serial + 2, keep_bodies=True)
        no_server_errors(srv, what)
        all_ok(result, what)
        data = json_body(result, what)
        require(
            data == {"waited_ms": WAIT_MS}, f'{what} should return {{"waited_ms": {WAIT_MS}}}, but it returned {data}'
        )
        require(
            result.percentile(0) >= seconds * 0.9,
            f"a request came back after {result.percentile(0) * 1000:.0f} ms: the handler should wait {WAIT_MS} ms "
            "first. Calling asyncio.sleep(...) without `await` only creates a coroutine and returns at once (Python "
            "then warns that the coroutine 'was never awaited').",
        )
        require(
            result.wall < seconds * N / 3,
            f"{N} concurrent requests took {result.wall:.2f} s, close to {N} × {seconds} s: they waited for each "
            "other, so the handler blocks the event loop. Inside `async def`, wait with `await asyncio.sleep(...)`, "
            "never `time.sleep(...)`.",
        )
        async with httpx.AsyncClient(base_url=srv.url, timeout=LIMIT) as client:
            for ms, why in ((-5, "a negative wait makes no sense"), (5000, "a wait over 2000 ms is absurd")):
                try:
                    answer = str((await client.get(f"/wait/{ms}")).status_code)
                except httpx.TimeoutException:
                    answer = f"nothing within {LIMIT:g} s (it started waiting)"
                require(
                    answer == "422",
                    f"GET /wait/{ms} should be refused with 422 ({why}), but it answered {answer}. Declare the "
                    "limits on the path parameter itself, with fastapi.Path (see its ge= and le= arguments); "
                    'checks.show_me("0.1") shows the code.',
                )
    finally:
        srv.stop()
    passed(f"{N} concurrent waits of {seconds} s took {result.wall:.2f} s in all, and absurd waits are refused (422).")


SLEEPERS = 10
SLEEP = 0.2


def _sleep_app() -> FastAPI:
    """The check's own server: GET /sleep waits, and counts how many requests were in flight at most."""
    app = FastAPI(title="exercise 0.2: the check's server")
    app.state.now = app.state.most = 0

    @app.get("/sleep")
    async def sleep(seconds: float = Query(SLEEP, ge=0, le=5)) -> dict[str, float]:
        app.state.now += 1
        app.state.most = max(app.state.most, app.state.now)
        try:
            await asyncio.sleep(seconds)
        finally:
            app.state.now -= 1
        return {"slept": seconds}

    return app


@answer_keys("0.2", r"asyncio\.gather\(|TaskGroup\(")
async def check_sleep_many(sleep_many: Any) -> None:
    """Exercise 0.2: ``await sleep_many(base_url, n)`` sends ``n`` concurrent GET /sleep and returns their JSON."""
    __tracebackhide__ = True
    ensure_callable(sleep_many, "sleep_many")
    require(
        inspect.iscoroutinefunction(sleep_many),
        "sleep_many should be an `async def` function: the notebook awaits it on its own event loop. A plain "
        "`def` could only wait by blocking that loop, and everything else in the notebook with it.",
    )
    serial = SLEEPERS * SLEEP
    srv = start_app(_sleep_app(), "exercise 0.2")
    announce(
        f"await sleep_many(url, {SLEEPERS}): {SLEEPERS} GET /sleep of {SLEEP} s each, at once should take about "
        f"{SLEEP} s; it is given {serial + 1:g} s",
        serial + 2,
    )
    try:
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(sleep_many(srv.url, SLEEPERS), timeout=serial + 1)
        except TimeoutError:
            raise ExerciseFailed(
                f"sleep_many(url, {SLEEPERS}) did not return within {serial + 1:g} s, though {SLEEPERS} requests "
                f"of {SLEEP} s at once take about {SLEEP} s."
            ) from None
        except ExerciseFailed:
            raise
        except Exception as exc:
            if isinstance(exc, RuntimeError) and "asyncio.run() cannot be called" in str(exc):
                raise ExerciseFailed(
                    "asyncio.run() starts an event loop of its own, and one is already running here (the "
                    "notebook's). Inside an async function, `await` what you would have passed to asyncio.run()."
                ) from None
            raise ExerciseFailed(f"sleep_many raised an error: {describe_error(exc)}") from None
        elapsed = time.perf_counter() - started
        no_server_errors(srv, "GET /sleep")
        if inspect.isawaitable(result) or any(inspect.isawaitable(r) for r in _items(result)):
            _close(result)
            raise ExerciseFailed(
                "sleep_many returned something still to be awaited (a coroutine or a Future), not the bodies: "
                "an `await` is missing in front of a call."
            )
        require(
            isinstance(result, list) and len(result) == SLEEPERS,
            f"sleep_many(url, {SLEEPERS}) should return a list of {SLEEPERS} JSON bodies; it returned "
            f"{str(result)[:120]}",
        )
        require(
            all(item == {"slept": SLEEP} for item in result),
            f'each item should be the JSON body of one response, {{"slept": {SLEEP}}}; the first is '
            f"{str(result[0])[:120]} (a response's .json() gives its body)",
        )
        most = srv.app.state.most  # type: ignore[union-attr]
        require(
            most > 1,
            f"the {SLEEPERS} requests took {elapsed:.2f} s, about {SLEEPERS} × {SLEEP} s: the server never had two "
            "in flight. An `await` inside a loop waits for each request before the next one starts; start them "
            "all, then wait for them together.",
        )
        require(
            elapsed < serial / 2,
            f"the {SLEEPERS} requests took {elapsed:.2f} s, with at most {most} in flight at a time: most of them "
            "still waited for others.",
        )
    finally:
        srv.stop()
    passed(f"{SLEEPERS} requests of {SLEEP} s took {elapsed:.2f} s in all, {most} of them in flight at once.")


def _items(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (list, tuple)) else []


def _close(result: Any) -> None:
    """Close coroutines that were never awaited, so that Python does not warn about them later."""
    for item in [result, *_items(result)]:
        if inspect.iscoroutine(item):
            item.close()
        elif isinstance(item, asyncio.Future):
            item.cancel()
