"""The goodbye after the `while True` loop, with no `try`.

A client that leaves cancels the generator inside the loop: the line after it is never reached.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi.sse import ServerSentEvent

from . import app_with, goodbye

EXPECTED = "their cleanup never ran"


async def body(state: Any) -> AsyncIterator[ServerSentEvent]:
    while True:
        await asyncio.sleep(0.05)
        yield ServerSentEvent(data="tick")
    await goodbye(state)  # never reached


app = app_with(body)
