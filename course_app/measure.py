"""Measuring helpers that notebooks, exercise checks and tests share.

* :func:`best_of`: the least disturbed of a few runs, as ``timeit.repeat`` reasons;
* :func:`ping_while_busy`: who is kept waiting: a batch of slow requests, and cheap ``GET /ping``\\ s meanwhile;
* :func:`thread_limit`: the size of anyio's thread limiter of the loop that awaits it.
"""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Awaitable, Callable
from typing import NamedTuple, TypeVar

import anyio.to_thread

from .loadgen import LoadResult, load
from .server import LiveServer

__all__ = ["BusyAndPings", "best_of", "ping_while_busy", "thread_limit"]

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
