"""Checks for chapter 01's exercises: each starts the learner's app on a live server and measures it."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from ..chapters import ch01_async_vs_sync as ch01
from ..embedded import pid_alive
from ..loadgen import LoadResult, load
from ..measure import ping_while_busy, thread_limit
from ..probes import Probe, probe
from . import (
    ExerciseFailed,
    all_ok,
    announce,
    answer_keys,
    hints,
    json_body,
    no_server_errors,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["check_non_blocking", "check_process_pool", "check_thread_limit", "show_me"]

SLEEP = ch01.SLEEP  # seconds a slow handler of the chapter waits
R = TypeVar("R")

hints(
    "1.1",
    ("the body of lookup", "return await run_in_threadpool(ch01.legacy_lookup, key)"),
)
hints(
    "1.2",
    ("the lifespan, before yield", "anyio.to_thread.current_default_thread_limiter().total_tokens = 100"),
)
hints(
    "1.3",
    (
        "the lifespan, before yield",
        """
        app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
        await ch01.warm_up(app.state.pool, 2)  # optional: start the workers now, not on the first request
        """,
    ),
    (
        "the body of cpu",
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(request.app.state.pool, ch01.cpu_work, ch01.CPU_N)
        """,
    ),
)


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


@answer_keys("1.1", r"run_in_threadpool\(|to_thread\.run_sync\(|asyncio\.to_thread\(")
async def check_non_blocking(app: Any) -> None:
    """Exercise 1.1: ``GET /lookup/{key}`` calls the blocking ``legacy_lookup`` without blocking the loop."""
    __tracebackhide__ = True
    n = 10
    srv = start_app(app, "exercise 1.1")
    announce(f"{n} concurrent GET /lookup/abc (each blocks {SLEEP} s somewhere), and 5 GET /ping meanwhile", 45)
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
            "a blocking call runs on the loop itself. Either let FastAPI run the handler in a worker thread (how "
            "does it run a handler that is not `async`?), or keep `async def` and hand the call to a thread with "
            'run_in_threadpool, as the hint above says. checks.show_me("1.1") shows the code.',
        )
        require(
            busy.wall < n * SLEEP / 3,
            f"{n} concurrent lookups took {busy.wall:.2f} s, close to {n} × {SLEEP} s: they ran one after another.",
        )
    finally:
        srv.stop()
    passed(
        f"{n} concurrent lookups took {busy.wall:.2f} s in all (one after another: {n * SLEEP:.1f} s), "
        f"and /ping answered in {ping * 1000:.0f} ms meanwhile."
    )


@answer_keys("1.2", r"total_tokens\s*=")
async def check_thread_limit(app: Any) -> None:
    """Exercise 1.2: 80 concurrent ``def`` requests finish in one wave: the limit is raised in the lifespan.

    It judges the server's loop only. The notebook's own loop may hold a limit set by an earlier try in a cell:
    that is reported, never held against a lifespan that is now right.
    """
    __tracebackhide__ = True
    n = 80
    srv = start_app(app, "exercise 1.2")
    announce(f"the server loop's thread limit, then {n} concurrent GET /work (each sleeps {SLEEP} s in a thread)", 45)
    try:
        server_tokens = srv.run(thread_limit())
        kernel_tokens = await thread_limit()
        if server_tokens < n and kernel_tokens >= n:
            raise ExerciseFailed(
                f"the notebook's event loop allows {kernel_tokens:g} threads, but the server's loop still allows "
                f"{server_tokens:g}. anyio keeps one limiter per event loop, and current_default_thread_limiter() "
                "returns the limiter of the loop that calls it: call it inside the lifespan, which runs on the "
                "server's loop (a limiter fetched in a cell and changed in the lifespan is still the notebook's). "
                "If an earlier try set the limit in a cell, that is why the notebook's loop says "
                f"{kernel_tokens:g}: harmless here; `anyio.to_thread.current_default_thread_limiter().total_tokens "
                "= 40` in a cell puts it back."
            )
        require(
            server_tokens >= n,
            f"the server's loop allows {server_tokens:g} worker threads; {n} concurrent requests need {n}. "
            "Raise the limit of anyio's default thread limiter in the lifespan, before `yield`.",
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
            f"{n} concurrent requests took {result.wall:.2f} s, about {result.wall / SLEEP:.0f} waves of {SLEEP} s, "
            f"and up to {p.max_threads_waiting} of them waited for a thread; with enough threads they would all "
            "sleep at once.",
        )
    finally:
        srv.stop()
    passed(f"the server's loop allows {server_tokens:g} threads; {n} requests took {result.wall:.2f} s, one wave.")


def _sum_of_squares(n: int) -> int:
    return (n - 1) * n * (2 * n - 1) // 6  # sum(i * i for i in range(n)), in closed form


def _pids(result: LoadResult) -> set[int]:
    return {json.loads(r.body or b"{}").get("pid") for r in result.records} - {None}


async def _still_running(pids: set[int], grace: float = 3.0) -> set[int]:
    """Which of ``pids`` still run ``grace`` seconds from now, at the latest (fewer, sooner, once they exit)."""
    deadline = time.monotonic() + grace
    if os.name == "nt":  # no way to ask without psutil there: the check does not claim it
        return set()
    running = {pid for pid in pids if pid_alive(pid)}
    while running and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        running = {pid for pid in running if pid_alive(pid)}
    return running


@answer_keys("1.3", r"ProcessPoolExecutor\(", r"run_in_executor\(")
async def check_process_pool(app: Any) -> None:
    """Exercise 1.3: ``GET /cpu`` runs ``cpu_work`` in a process pool made by the lifespan; ``/ping`` stays fast.

    It fails a pool made when the cell ran (it outlives the server), a pool made per request (new processes each
    time: the start-up cost every time), a pool that forks, and work done in the server's own process.
    """
    __tracebackhide__ = True
    n = 4
    existing = getattr(getattr(app, "state", None), "pool", None)
    made_before = isinstance(existing, ProcessPoolExecutor) and not getattr(existing, "_shutdown_thread", True)
    require(
        not made_before,
        "app.state.pool holds a running pool before the server has started: it was made when the cell ran. A pool "
        "made there is never shut down with the app; make it in the lifespan, before `yield`, and shut it down "
        "after `yield`.",
    )
    # The lifespan's pool.shutdown() waits for the jobs still queued: an answer that returns the futures without
    # awaiting them leaves up to 8 × 0.2 s of CPU there, which on a busy machine outlasts LiveServer's default of
    # 3 s, and its warning would blame a blocking handler.
    srv = start_app(app, "exercise 1.3", stop_timeout=20)
    announce(f"{n} GET /cpu (about {n} × 0.2 s of CPU work) with 5 GET /ping meanwhile, twice", 60)
    try:
        pool = getattr(app.state, "pool", None)
        if isinstance(pool, ProcessPoolExecutor):
            context = pool._mp_context  # the pool's start method: not public, and no other way to read it
            method = context.get_start_method() if context is not None else multiprocessing.get_start_method()
            require(
                method != "fork",
                "your pool starts its workers with fork (the default on Linux before Python 3.14). fork copies "
                "this whole process, the server's threads and the kernel's in mid-step, and that can deadlock. "
                'Give the pool a "spawn" context (multiprocessing.get_context), as the chapter does.',
            )
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
        first = _pids(busy)
        require(
            os.getpid() not in first,
            f"the work ran in the server's own process (pid {os.getpid()}): on its event loop or in one of its "
            "threads, it holds the server's GIL while it computes. Hand it to the pool the lifespan made: inside a "
            "handler that is request.app.state.pool, and loop.run_in_executor sends a function to it.",
        )
        _pings_ok(pings)
        ping = pings.percentile(50)
        require(
            ping < SLEEP / 2,
            f"while {n} CPU jobs ran, a /ping waited {ping:.2f} s: the server's loop was not free.",
        )
        again = await load(srv, "/cpu", n=n, timeout=20, max_seconds=20, progress=False, keep_bodies=True)
        all_ok(again, "GET /cpu")
        second = _pids(again)
        require(
            first & second,
            f"the first {n} jobs ran in processes {sorted(first)}, the next {n} in new ones, {sorted(second)}: a "
            "new pool per request pays for starting processes every time (about a second each, more on a busy "
            "machine). Make the pool once, in the lifespan, and keep it on app.state.",
        )
    finally:
        srv.stop()
    workers = first | second
    left = await _still_running(workers)
    require(
        not left,
        f"the worker processes {sorted(left)} still run after the server stopped: the pool was not shut down with "
        "the app. Make it in the lifespan and shut it down after `yield` (pool.shutdown()).",
    )
    passed(
        f"{n} CPU jobs ran in worker processes {sorted(workers)} in {busy.wall:.2f} s, the same processes served "
        f"the next {n}, /ping answered in {ping * 1000:.0f} ms meanwhile, and the pool stopped with the server."
    )
