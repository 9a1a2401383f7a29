"""A goodbye written as plain blocking code in `finally`: `time.sleep(0.3)` where the given one awaits.

Every stream's cleanup finishes, but each holds the server's whole event loop for 0.3 s: every other request and
stream waits.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi.sse import ServerSentEvent

from . import app_with

EXPECTED = "a cleanup blocked the whole event loop"
MISTAKE = "blocking"


async def body(state: Any) -> AsyncIterator[ServerSentEvent]:
    try:
        while True:
            await asyncio.sleep(0.05)
            yield ServerSentEvent(data="tick")
    finally:
        state.open -= 1
        time.sleep(0.3)
        state.goodbyes += 1


app = app_with(body)
