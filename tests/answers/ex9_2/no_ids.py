"""Skips what was seen, but sends the events without an `id`.

The browser then has no Last-Event-ID to send: the skipping can never happen.
"""

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

from . import app_with

EXPECTED = "your events have no id"


async def body(feed: Feed, last_event_id: int | None) -> AsyncIterator[ServerSentEvent]:
    sent = last_event_id or 0
    while True:
        await feed.wait_past(sent)
        for i in range(sent, len(feed.messages)):
            yield ServerSentEvent(data=feed.messages[i])
        sent = len(feed.messages)


app = app_with(body)
