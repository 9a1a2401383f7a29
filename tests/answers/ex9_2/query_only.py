"""Reads where to resume from a query parameter (`?last_id=`), not from the `Last-Event-ID` header.

EventSource sends the header when it reconnects; it never adds a query parameter. The check reconnects as a
browser does, and gets everything again.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

EXPECTED = "it ignores the header"

app = FastAPI()
feed = app.state.feed = Feed()


@app.get("/feed", response_class=EventSourceResponse)
async def stream(last_id: Annotated[int | None, Query(ge=0)] = None) -> AsyncIterator[ServerSentEvent]:
    sent = last_id or 0
    while True:
        await feed.wait_past(sent)
        for i in range(sent, len(feed.messages)):
            yield ServerSentEvent(data=feed.messages[i], id=str(i + 1))
        sent = len(feed.messages)
