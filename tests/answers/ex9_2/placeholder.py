"""The cell as the learner edition gives it: `raise NotImplementedError()` as the body."""

from collections.abc import AsyncIterator

from fastapi.sse import ServerSentEvent

from course_app.chapters.ch09_sse.common import Feed

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


async def body(feed: Feed, last_event_id: int | None) -> AsyncIterator[ServerSentEvent]:
    raise NotImplementedError()
    yield ServerSentEvent(data="never")


app = app_with(body)
