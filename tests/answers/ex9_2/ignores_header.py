"""Sends every message from the first, with ids, and never looks at `last_event_id`.

A browser that reconnects gets everything again, and shows it twice.
"""

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

from . import app_with

EXPECTED = "it ignores the header"


async def body(feed: Feed, last_event_id: int | None) -> AsyncIterator[ServerSentEvent]:
    sent = 0
    while True:
        await feed.wait_past(sent)
        for i in range(sent, len(feed.messages)):
            yield ServerSentEvent(data=feed.messages[i], id=str(i + 1))
        sent = len(feed.messages)


app = app_with(body)
