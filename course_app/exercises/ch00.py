"""Checks for chapter 00's exercises."""

from __future__ import annotations

from typing import Any

import httpx

from ..loadgen import load
from . import all_ok, answer_keys, json_body, no_server_errors, passed, require, start_app

N = 20
WAIT_MS = 200


@answer_keys(r"Path\([^)]*\b(ge|le)=", r"asyncio\.sleep\(")
async def check_wait(app: Any) -> None:
    """Exercise 0.1: ``GET /wait/{ms}`` waits ``ms`` milliseconds without blocking the loop."""
    __tracebackhide__ = True
    what = f"GET /wait/{WAIT_MS}"
    seconds = WAIT_MS / 1000
    srv = start_app(app, "exercise 0.1")
    try:
        result = await load(srv, f"/wait/{WAIT_MS}", n=N, timeout=10, keep_bodies=True, progress=False)
        no_server_errors(srv, what)
        all_ok(result, what)
        data = json_body(result, what)
        require(
            data == {"waited_ms": WAIT_MS}, f'{what} should return {{"waited_ms": {WAIT_MS}}}, but it returned {data}'
        )
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
