"""Checks for chapter 01's exercises: each starts the learner's app on a live server and measures it."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..chapters import ch01_async_vs_sync as ch01
from ..loadgen import LoadResult, load
from ..measure import ping_while_busy, thread_limit
from ..probes import Probe, probe
from . import ExerciseFailed, all_ok, answer_keys, json_body, no_server_errors, passed, require, start_app

SLEEP = ch01.SLEEP  # seconds a slow handler of the chapter waits
R = TypeVar("R")


async def _measure(measure: Callable[[], Awaitable[R]], score: Callable[[R], float]) -> R:
    """Measure once; after a near miss (1 <= score < 3), once more, and keep the better of the two.

    A near miss may be noise (another program, a garbage-collection pause); a clear miss is the code.
    """
    first = await measure()
    if not 1 <= score(first) < 3:
        return first
    second = await measure()
    return second if score(second) < score(first) else first


def _pings_ok(pings: LoadResult) -> None:
    require(
        404 not in pings.statuses,
        "your app has no GET /ping, which the check uses to see whether the loop is free: "
        "keep the line `...include_router(ch01.ping_router)`",
    )
    all_ok(pings, "GET /ping")


@answer_keys(r"run_in_threadpool\(|to_thread\.run_sync\(|asyncio\.to_thread\(")
async def check_non_blocking(app: Any) -> None:
    """Exercise 1.1: ``GET /lookup/{key}`` calls the blocking ``legacy_lookup`` without blocking the loop."""
    __tracebackhide__ = True
    n = 10
    srv = start_app(app, "exercise 1.1")
    try:
        busy, pings = await _measure(
            lambda: ping_while_busy(srv, "/lookup/abc", n),
            lambda bp: max(bp[1].percentile(50) / (SLEEP / 2), bp[0].wall / (n * SLEEP / 3)),
        )
        no_server_errors(srv, "GET /lookup/abc")
        all_ok(busy, "GET /lookup/abc")
        data = json_body(busy, "GET /lookup/abc")
        require(
            data == {"key": "abc", "value": "ABC"},
            f'GET /lookup/abc should return what legacy_lookup("abc") returns, {{"key": "abc", "value": "ABC"}}, '
            f"but it returned {data}",
        )
        _pings_ok(pings)
        ping = pings.percentile(50)
        require(
            ping < SLEEP / 2,
            f"while {n} lookups ran, a /ping waited {ping:.2f} s: the event loop was blocked. Inside `async def`, "
            "a blocking call runs on the loop itself. Make the handler a plain `def` (FastAPI then runs it in a "
            "worker thread), or keep `async def` and `await run_in_threadpool(ch01.legacy_lookup, key)`.",
        )
        require(
            busy.wall < n * SLEEP / 3,
            f"{n} concurrent lookups took {busy.wall:.2f} s, close to {n} x {SLEEP} s: they ran one after another.",
        )
    finally:
        srv.stop()
    passed(
        f"{n} concurrent lookups took {busy.wall:.2f} s in all (one after another: {n * SLEEP:.1f} s), "
        f"and /ping answered in {ping * 1000:.0f} ms meanwhile."
    )


@answer_keys(r"total_tokens\s*=")
async def check_thread_limit(app: Any) -> None:
    """Exercise 1.2: 80 concurrent ``def`` requests finish in one wave: the limit is raised in the lifespan."""
    __tracebackhide__ = True
    n = 80
    srv = start_app(app, "exercise 1.2")
    try:
        server_tokens = srv.run(thread_limit())
        kernel_tokens = await thread_limit()
        if server_tokens < n and kernel_tokens >= n:
            raise ExerciseFailed(
                f"the notebook's event loop now allows {kernel_tokens:g} threads, but the server's loop still "
                f"allows {server_tokens:g}. anyio keeps one limit per event loop: set it in the app's lifespan, "
                "which runs on the server's loop."
            )
        require(
            server_tokens >= n,
            f"the server's loop allows {server_tokens:g} worker threads; {n} concurrent requests need {n}. "
            "Set `anyio.to_thread.current_default_thread_limiter().total_tokens` in the lifespan.",
        )
        # The first round also starts the threads (a millisecond or more each, on a busy machine): measure the next.
        await load(srv, "/work", n=n, timeout=20, max_seconds=20, progress=False)

        async def measure() -> tuple[LoadResult, Probe]:
            with probe(srv) as p:
                result = await load(srv, "/work", n=n, timeout=20, max_seconds=20, progress=False)
            return result, p

        result, p = await _measure(measure, lambda rp: rp[0].wall / (1.75 * SLEEP))
        no_server_errors(srv, "GET /work")
        all_ok(result, "GET /work")
        require(
            p.max_threads_waiting == 0 and result.wall < 1.75 * SLEEP,
            f"{n} concurrent requests took {result.wall:.2f} s, about {result.wall / SLEEP:.0f} waves of {SLEEP} s, and up to "
            f"{p.max_threads_waiting} of them waited for a thread; with enough threads they would all sleep at once.",
        )
    finally:
        srv.stop()
    passed(f"the server's loop allows {server_tokens:g} threads; {n} requests took {result.wall:.2f} s, one wave.")


def _sum_of_squares(n: int) -> int:
    return (n - 1) * n * (2 * n - 1) // 6  # sum(i * i for i in range(n)), in closed form


@answer_keys(r"ProcessPoolExecutor\(", r"run_in_executor\(")
async def check_process_pool(app: Any) -> None:
    """Exercise 1.3: ``GET /cpu`` runs ``cpu_work`` in a process pool; ``/ping`` stays fast meanwhile."""
    __tracebackhide__ = True
    n = 4
    srv = start_app(app, "exercise 1.3")
    try:
        busy, pings = await _measure(
            lambda: ping_while_busy(srv, "/cpu", n), lambda bp: bp[1].percentile(50) / (SLEEP / 2)
        )
        no_server_errors(srv, "GET /cpu")
        all_ok(busy, "GET /cpu")
        data = json_body(busy, "GET /cpu")
        require(
            isinstance(data, dict) and data.get("result") == _sum_of_squares(ch01.CPU_N),
            f"GET /cpu should return what ch01.cpu_work(ch01.CPU_N) returns; it returned {str(data)[:120]}",
        )
        pids = {json.loads(r.body or b"{}").get("pid") for r in busy.records}
        require(
            os.getpid() not in pids,
            f"the work ran in the server's own process (pid {os.getpid()}): on its event loop or in one of its "
            "threads, it holds the server's GIL while it computes. Hand it to the pool: "
            "`await loop.run_in_executor(app.state.pool, ch01.cpu_work, ch01.CPU_N)`.",
        )
        _pings_ok(pings)
        ping = pings.percentile(50)
        require(
            ping < SLEEP / 2,
            f"while {n} CPU jobs ran, a /ping waited {ping:.2f} s: the server's loop was not free.",
        )
    finally:
        srv.stop()
    passed(
        f"{n} CPU jobs ran in worker processes {sorted(pids)} in {busy.wall:.2f} s, "
        f"and /ping answered in {ping * 1000:.0f} ms meanwhile."
    )
