"""Answers to exercise 9.1: a stream whose cleanup always runs, finishes its awaited goodbye, and blocks nothing.

:func:`app_with` builds what the notebook's cell builds around the learner's generator: ``GET /ticks`` (FastAPI's
own SSE) counts the stream as open, then runs the learner's part; ``GET /ping``; and :func:`goodbye`, the given
async cleanup (it counts the stream as closed at once, then takes 0.3 s, then counts a goodbye).
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent


async def goodbye(state: Any) -> None:
    state.open -= 1
    await asyncio.sleep(0.3)
    state.goodbyes += 1


def app_with(body: Callable[[Any], AsyncIterator[ServerSentEvent]]) -> FastAPI:
    app = FastAPI()
    app.state.open, app.state.goodbyes = 0, 0

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/ticks", response_class=EventSourceResponse)
    async def ticks(request: Request) -> AsyncIterator[ServerSentEvent]:
        state = request.app.state
        state.open += 1
        async for event in body(state):
            yield event

    return app
