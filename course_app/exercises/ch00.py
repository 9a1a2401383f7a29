"""Checks for chapter 00's exercises."""

from __future__ import annotations

from typing import Any

import httpx

from ..loadgen import Outcome, load
from . import all_ok, announce, answer_keys, hints, json_body, no_server_errors, passed, require, show_me, start_app

__all__ = ["check_wait", "show_me"]

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
