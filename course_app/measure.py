"""Measuring helpers that notebooks, exercise checks and tests share.

* :func:`best_of`: the least disturbed of a few runs, as ``timeit.repeat`` reasons;
* :func:`ping_while_busy`: who is kept waiting: a batch of slow requests, and cheap ``GET /ping``\\ s meanwhile;
* :func:`thread_limit`: the size of anyio's thread limiter of the loop that awaits it;
* :func:`free_cores`: how many cores CPU-bound processes get right now (on a shared machine, fewer than it has).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import operator
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple, TypeVar

import anyio.to_thread

from . import lifeline
from .loadgen import LoadResult, load
from .server import LiveServer

__all__ = ["BusyAndPings", "best_of", "free_cores", "ping_while_busy", "thread_limit"]

R = TypeVar("R")


async def best_of(k: int, measure: Callable[[], Awaitable[R]], key: Callable[[R], float] | None = None) -> R:
    """Run ``measure()`` ``k`` times; keep the least disturbed result (smallest ``key``, by default the wall time).

    On a shared machine noise only ever adds time: other programs, or Python's garbage collector pausing every
    thread of the process for up to a tenth of a second. So the fastest of a few runs is the closest to what
    the code itself costs: the reasoning of ``timeit.repeat``.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive whole number of runs, not {k!r}")
    results = [await measure() for _ in range(k)]
    return min(results, key=key or operator.attrgetter("wall"))


class BusyAndPings(NamedTuple):
    """The slow requests of :func:`ping_while_busy`, and the pings sent while they ran."""

    busy: LoadResult
    pings: LoadResult


async def ping_while_busy(
    srv: LiveServer, path: str, n: int, *, pings: int = 5, head_start: float = 0.1, tries: int = 1
) -> BusyAndPings:
    """Send ``n`` requests to ``path`` and, ``head_start`` seconds later, ``pings`` concurrent ``GET /ping``.

    Both loads run at once on the caller's loop (``asyncio.gather``); the head start lets the busy requests reach
    the server first. With ``tries`` > 1 the whole measurement is repeated and the run with the fastest median
    ping is kept: noise only ever makes a ping slower.
    """

    async def once() -> BusyAndPings:
        async def pinger() -> LoadResult:
            await asyncio.sleep(head_start)
            return await load(srv, "/ping", n=pings, timeout=20, max_seconds=20, progress=False, label="/ping")

        busy, ping_result = await asyncio.gather(
            load(srv, path, n=n, timeout=20, max_seconds=20, progress=False, keep_bodies=True, label=path), pinger()
        )
        return BusyAndPings(busy, ping_result)

    return await best_of(tries, once, key=lambda bp: bp.pings.percentile(50))


async def thread_limit() -> float:
    """The size of anyio's default thread limiter *of the loop that awaits this*."""
    return anyio.to_thread.current_default_thread_limiter().total_tokens


def _spin(n: int) -> float:
    """Pure-Python CPU work in a worker process; returns the seconds it took there."""
    started = time.perf_counter()
    sum(i * i for i in range(n))
    return time.perf_counter() - started


async def free_cores(processes: int = 2, n: int = 2_000_000) -> float:
    """How many cores ``processes`` CPU-bound processes get right now: from 1.0 (they take turns) to ``processes``.

    One job alone, then ``processes`` jobs at once, in fresh worker processes (the best of two of each):
    ``processes × alone / together``. A quiet machine with enough cores gives about ``processes``; a core kept
    busy by another program, or another learner's kernel, gives less. Takes about a second.
    """
    if not isinstance(processes, int) or processes < 1:
        raise ValueError(f"processes must be a positive whole number, not {processes!r}")
    loop = asyncio.get_running_loop()
    # watch_parent from each worker's first instant: a kernel killed while they start must not leave them behind
    pool = ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("spawn"), initializer=lifeline.watch_parent
    )
    try:
        await asyncio.gather(*(loop.run_in_executor(pool, _spin, 1000) for _ in range(processes)))  # start them

        async def together(k: int) -> float:
            started = time.perf_counter()
            await asyncio.gather(*(loop.run_in_executor(pool, _spin, n) for _ in range(k)))
            return time.perf_counter() - started

        alone = min([await together(1), await together(1)])
        many = min([await together(processes), await together(processes)])
    finally:
        await asyncio.to_thread(pool.shutdown)
    return max(1.0, min(float(processes), processes * alone / many))
