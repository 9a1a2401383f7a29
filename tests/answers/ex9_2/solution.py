"""Start after `last_event_id` (0 when there is none), send each message with its number as its id, then wait
for more. Right: a reconnection gets exactly what it missed."""

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

from . import app_with

EXPECTED = None


async def body(feed: Feed, last_event_id: int | None) -> AsyncIterator[ServerSentEvent]:
    sent = last_event_id or 0
    while True:
        await feed.wait_past(sent)
        for i in range(sent, len(feed.messages)):
            yield ServerSentEvent(data=feed.messages[i], id=str(i + 1))
        sent = len(feed.messages)


app = app_with(body)
