"""Disconnects and cleanup: an endless stream of ticks whose generator notes when its cleanup ran, in four shapes,
each served by sse-starlette (``/ticks/{shape}``) and by FastAPI's own SSE (``/ticks-fastapi/{shape}``):

* ``finally``: ``try``/``finally``: the cleanup runs however the stream ends, and cancellation goes on;
* ``swallow``: the seed's heartbeat shape: ``except asyncio.CancelledError`` and no re-raise;
* ``blocking``: a cleanup that calls ``time.sleep``: it holds the whole event loop while it runs;
* ``slow``: a cleanup that awaits something slow (flushing to a database, say): it holds only its own stream.

``app.state.closed`` lists a :class:`Closed` per stream, in the order their cleanup finished (the notebook runs
in the same process and reads it directly; ``GET /closed`` shows it to anyone else).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Annotated, Any

import sse_starlette
from fastapi import Depends, FastAPI, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from .common import wants_event_stream

__all__ = ["CLEANUP_SECONDS", "Closed", "Shape", "app", "build"]

CLEANUP_SECONDS = 0.3  # what the blocking and the slow cleanups take
Every = Annotated[float, Query(ge=0.01, le=5, description="seconds between ticks")]


class Shape(str, Enum):
    finally_ = "finally"
    swallow = "swallow"
    blocking = "blocking"
    slow = "slow"


@dataclass
class Closed:
    shape: str
    library: str
    ticks: int
    how: str  # "finally", "except CancelledError", or "never" while it runs
    cleanup_started: float  # time.perf_counter()
    cleanup_done: float


async def ticks_finally(closed: list[Closed], library: str, every: float) -> AsyncIterator[int]:
    n, how = 0, "finally"
    try:
        while True:
            await asyncio.sleep(every)
            n += 1
            yield n
    finally:
        now = time.perf_counter()
        closed.append(Closed("finally", library, n, how, now, now))


async def ticks_swallow(closed: list[Closed], library: str, every: float) -> AsyncIterator[int]:
    n = 0
    try:
        while True:
            await asyncio.sleep(every)
            n += 1
            yield n
    except asyncio.CancelledError:  # the seed's shape: cleanup here, and the cancellation is swallowed
        now = time.perf_counter()
        closed.append(Closed("swallow", library, n, "except CancelledError", now, now))


async def ticks_blocking(closed: list[Closed], library: str, every: float) -> AsyncIterator[int]:
    n = 0
    try:
        while True:
            await asyncio.sleep(every)
            n += 1
            yield n
    finally:
        started = time.perf_counter()
        time.sleep(CLEANUP_SECONDS)  # noqa: ASYNC251  (the lesson: a blocking call in async cleanup)
        closed.append(Closed("blocking", library, n, "finally", started, time.perf_counter()))


async def ticks_slow(closed: list[Closed], library: str, every: float) -> AsyncIterator[int]:
    n = 0
    try:
        while True:
            await asyncio.sleep(every)
            n += 1
            yield n
    finally:
        started = time.perf_counter()
        await asyncio.sleep(CLEANUP_SECONDS)  # an awaited cleanup: only this stream waits
        closed.append(Closed("slow", library, n, "finally", started, time.perf_counter()))


GENERATORS = {
    Shape.finally_: ticks_finally,
    Shape.swallow: ticks_swallow,
    Shape.blocking: ticks_blocking,
    Shape.slow: ticks_slow,
}


def build(*, ping: float = 15) -> FastAPI:
    app = FastAPI(title="ch09: disconnects and cleanup")
    closed: list[Closed] = []
    app.state.closed = closed

    @app.get("/ticks/{shape}", dependencies=[Depends(wants_event_stream)])
    async def ticks(shape: Shape, every: Every = 0.5) -> sse_starlette.EventSourceResponse:
        """Endless ticks, by sse-starlette."""
        return sse_starlette.EventSourceResponse(GENERATORS[shape](closed, "sse-starlette", every), ping=ping)

    @app.get("/ticks-fastapi/{shape}", dependencies=[Depends(wants_event_stream)], response_class=EventSourceResponse)
    async def ticks_fastapi(shape: Shape, every: Every = 0.5) -> AsyncIterator[ServerSentEvent]:
        """Endless ticks, by FastAPI's own SSE."""
        async for n in GENERATORS[shape](closed, "fastapi", every):
            yield ServerSentEvent(data=n)

    @app.get("/closed")
    async def closed_streams(request: Request) -> list[dict[str, Any]]:
        return [asdict(c) for c in closed]

    @app.get("/ping")
    async def ping_route() -> dict[str, float]:
        return {"at": time.perf_counter()}

    return app


app = build()
