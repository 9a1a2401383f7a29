"""The cell as the learner edition gives it: `raise NotImplementedError()` where the loop goes."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi.sse import ServerSentEvent

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


async def body(state: Any) -> AsyncIterator[ServerSentEvent]:
    raise NotImplementedError()
    yield ServerSentEvent(data="never")


app = app_with(body)
