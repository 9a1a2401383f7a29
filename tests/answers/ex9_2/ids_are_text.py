"""Skips what was seen, but gives each event its text as its id (`id=feed.messages[i]`).

An id must say where the stream is: the server compares the one the browser sends back with its own. Text
cannot be compared so; here, a reconnection's `Last-Event-ID: message 3` is not even a number.
"""

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

from . import app_with

EXPECTED = "the ids should be the messages' numbers"


async def body(feed: Feed, last_event_id: int | None) -> AsyncIterator[ServerSentEvent]:
    sent = last_event_id or 0
    while True:
        await feed.wait_past(sent)
        for i in range(sent, len(feed.messages)):
            yield ServerSentEvent(data=feed.messages[i], id=feed.messages[i])
        sent = len(feed.messages)


app = app_with(body)
