"""A live feed: one in-process publisher, the same stream served by sse-starlette and by FastAPI's own SSE, and a
page to watch it in a browser.

The interface (benchmark P6 imports it; keep it):

* ``build(**settings) -> FastAPI``; ``app = build()``. Settings: ``queue_size`` (100), ``history`` (1000),
  ``ping`` (sse-starlette's keep-alive interval in seconds, its default 15; FastAPI's is its own, 15 s),
  ``retry_ms`` (the ``retry:`` sent first, how long a browser waits before reconnecting: 1000).
* ``GET /events``: the stream, by sse-starlette. ``GET /events-fastapi``: the same stream, by FastAPI's
  ``EventSourceResponse``. Both want ``Accept: text/event-stream`` (else 406) and resume after ``Last-Event-ID``
  (header, or ``?last_id=``). Each event: ``id: <boot>-<n>``, ``event: message``, ``data: <the published JSON>``.
* ``POST /publish`` with a JSON body: the body is the event's data, sent to every subscriber, unchanged (a
  benchmark puts its timestamp in it). Answers ``{"id": ..., "subscribers": ...}``. Bodies over 64 kB: 413.
* ``GET /stats``: subscribers, published, dropped, cleanups (streams whose cleanup ran). ``GET /feed``: the page.

A slow subscriber: each has its own queue of ``queue_size`` events. Publishing never waits; when a subscriber's
queue is full, that subscriber is dropped (its stream ends, ``dropped`` counts it) and nobody else is slowed
down. Its browser reconnects with ``Last-Event-ID`` and gets what it missed from the last ``history`` events.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sse_starlette
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.sse import EventSourceResponse as FastAPIEventSourceResponse
from fastapi.sse import ServerSentEvent as FastAPIEvent

from .common import Publisher, last_event_id, wants_event_stream
from .page import FEED_PAGE

__all__ = ["MAX_BODY", "app", "build"]

MAX_BODY = 64 * 1024
Resume = Annotated[tuple[str, int] | None, Depends(last_event_id)]


def build(*, queue_size: int = 100, history: int = 1000, ping: float = 15, retry_ms: int = 1000) -> FastAPI:
    """The live feed app with its own publisher (``app.state.publisher``)."""
    if ping < 0 or retry_ms < 0:
        raise ValueError("ping and retry_ms must not be negative")
    publisher = Publisher(queue_size=queue_size, history=history)
    app = FastAPI(title="ch09: live feed", max_body_size=MAX_BODY)  # a bigger body: 413, before it is read
    app.state.publisher = publisher

    @app.get("/events", dependencies=[Depends(wants_event_stream)], response_class=sse_starlette.EventSourceResponse)
    async def events(resume: Resume) -> sse_starlette.EventSourceResponse:
        """The feed, by sse-starlette."""

        async def stream() -> AsyncIterator[sse_starlette.ServerSentEvent]:
            yield sse_starlette.ServerSentEvent(comment="connected", retry=retry_ms)
            async for item in publisher.events(resume):
                yield sse_starlette.ServerSentEvent(data=item.data, id=item.id, event=item.event)

        return sse_starlette.EventSourceResponse(stream(), ping=ping)

    @app.get("/events-fastapi", dependencies=[Depends(wants_event_stream)], response_class=FastAPIEventSourceResponse)
    async def events_fastapi(resume: Resume) -> AsyncIterator[FastAPIEvent]:
        """The feed, by FastAPI's own SSE."""
        yield FastAPIEvent(comment="connected", retry=retry_ms)
        async for item in publisher.events(resume):
            yield FastAPIEvent(raw_data=item.data, id=item.id, event=item.event)

    @app.post("/publish")
    async def publish(request: Request) -> dict[str, Any]:
        """Publish the JSON body to every subscriber."""
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise HTTPException(422, "the body should be JSON: it is sent as the event's data") from None
        item = publisher.publish(data)
        return {"id": item.id, "subscribers": len(publisher.subscribers)}

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return publisher.stats()

    @app.get("/feed", response_class=HTMLResponse)
    async def feed() -> str:
        """The page: open it in two tabs, publish in one, watch both."""
        return FEED_PAGE

    return app


app = build()
