"""Checks for chapter 00's exercises."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..load import load
from ..server import LiveServer, ServerStartError
from . import ExerciseFailed, describe_error, ensure_callable, passed, require

N = 20
WAIT_MS = 200


async def check_wait(app: Any) -> None:
    """Exercise 0.1: ``GET /wait/{ms}`` waits ``ms`` milliseconds without blocking the loop."""
    __tracebackhide__ = True
    ensure_callable(app, "my_app")
    try:
        srv = LiveServer(app, name="exercise 0.1").start()
    except ServerStartError as exc:
        raise ExerciseFailed(f"your app did not start: {exc}") from None
    try:
        result = await load(srv, f"/wait/{WAIT_MS}", n=N, timeout=10, keep_bodies=True, progress=False)
        if srv.errors:
            raise ExerciseFailed(f"GET /wait/{WAIT_MS} failed: {describe_error(srv.errors[-1])}")
        statuses = dict(result.statuses)
        require(statuses == {200: N}, f"GET /wait/{WAIT_MS} should answer 200 every time; it answered {statuses}")
        body = result.records[0].body or b""
        try:
            data = json.loads(body)
        except ValueError:
            raise ExerciseFailed(f"the response should be JSON, but it was {body[:80]!r}") from None
        require(
            data == {"waited_ms": WAIT_MS},
            f'GET /wait/{WAIT_MS} should return {{"waited_ms": {WAIT_MS}}}, but it returned {data}',
        )
        seconds = WAIT_MS / 1000
        require(
            result.percentile(0) >= seconds * 0.9,
            f"a request came back after {result.percentile(0):.3f} s: the handler should wait {seconds} s first",
        )
        require(
            result.wall < seconds * N / 3,
            f"{N} concurrent requests took {result.wall:.2f} s, close to {N} x {seconds} s: they waited for each "
            "other, so the handler blocks the event loop. Use `await asyncio.sleep(...)`, not `time.sleep(...)`.",
        )
        async with httpx.AsyncClient(base_url=srv.url, timeout=5) as client:
            bad = await client.get("/wait/-5")
        require(
            bad.status_code == 422,
            f"GET /wait/-5 should be refused with 422 (a negative wait makes no sense), but it answered "
            f"{bad.status_code}. Declare the limit on the parameter, e.g. `ms: int = Path(ge=0, le=2000)`.",
        )
    finally:
        srv.stop()
    passed(f"{N} concurrent waits of {seconds} s took {result.wall:.2f} s in all, and /wait/-5 is refused with 422.")
