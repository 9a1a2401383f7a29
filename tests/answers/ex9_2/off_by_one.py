"""Starts at the message whose id is `last_event_id`, not the one after it: `sent = last_event_id - 1`.

The last event the client had is sent again.
"""

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

from . import app_with

EXPECTED = "start with the one after it (off by one)"


async def body(feed: Feed, last_event_id: int | None) -> AsyncIterator[ServerSentEvent]:
    sent = last_event_id - 1 if last_event_id else 0
    while True:
        await feed.wait_past(sent)
        for i in range(sent, len(feed.messages)):
            yield ServerSentEvent(data=feed.messages[i], id=str(i + 1))
        sent = len(feed.messages)


app = app_with(body)
