"""`try`/`finally` around the loop, and the awaited goodbye shielded, with a bound.

Right: the cleanup runs however the stream ends, and the shield lets its `await` finish even though the stream's
task is being cancelled; `move_on_after(1, ...)` keeps a stuck goodbye from holding the server's shutdown.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi.sse import ServerSentEvent

from . import app_with, goodbye

EXPECTED = None


async def body(state: Any) -> AsyncIterator[ServerSentEvent]:
    try:
        while True:
            await asyncio.sleep(0.05)
            yield ServerSentEvent(data="tick")
    finally:
        with anyio.move_on_after(1, shield=True):
            await goodbye(state)


app = app_with(body)
