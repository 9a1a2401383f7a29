"""The seed's finite stream (ten messages, one a tick), served by both libraries, side by side.

``GET /count`` is sse-starlette's ``EventSourceResponse`` around a generator, as the seed writes it; ``GET
/count-fastapi`` is FastAPI's own: the path operation itself is the generator, declared with
``response_class=EventSourceResponse``. Both give each event an ``id`` (the seed's do not), end after ``n`` events,
and want ``Accept: text/event-stream`` (else 406).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import sse_starlette
from fastapi import Depends, FastAPI, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from .common import wants_event_stream

__all__ = ["app"]

Count = Annotated[int, Query(ge=1, le=100, description="how many messages")]
Every = Annotated[float, Query(ge=0, le=5, description="seconds before each message")]

app = FastAPI(title="ch09: a finite stream, both libraries")


@app.get("/count", dependencies=[Depends(wants_event_stream)])
async def count(n: Count = 10, every: Every = 1.0) -> sse_starlette.EventSourceResponse:
    async def messages() -> AsyncIterator[sse_starlette.ServerSentEvent]:
        for i in range(n):
            await asyncio.sleep(every)
            yield sse_starlette.ServerSentEvent(data=f"Message {i}", event="message", id=str(i))

    return sse_starlette.EventSourceResponse(messages())


@app.get("/count-fastapi", dependencies=[Depends(wants_event_stream)], response_class=EventSourceResponse)
async def count_fastapi(n: Count = 10, every: Every = 1.0) -> AsyncIterator[ServerSentEvent]:
    for i in range(n):
        await asyncio.sleep(every)
        yield ServerSentEvent(data=f"Message {i}", event="message", id=str(i))
