"""Answers to exercise 9.2: resume a stream after ``Last-Event-ID``.

:func:`app_with` builds what the notebook's cell builds around the learner's generator body: ``GET /feed``
(FastAPI's own SSE) with the header ``Last-Event-ID`` read as ``last_event_id: int | None``, and the exercise's
feed (``course_app.chapters.ch09_sse.common.Feed``: message i has id i, from 1) in ``app.state.feed``.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import FastAPI, Header
from fastapi.sse import EventSourceResponse, ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

Body = Callable[[Feed, int | None], AsyncIterator[ServerSentEvent]]


def app_with(body: Body) -> FastAPI:
    app = FastAPI()
    feed = app.state.feed = Feed()

    @app.get("/feed", response_class=EventSourceResponse)
    async def stream(last_event_id: Annotated[int | None, Header(ge=0)] = None) -> AsyncIterator[ServerSentEvent]:
        async for event in body(feed, last_event_id):
            yield event

    return app
