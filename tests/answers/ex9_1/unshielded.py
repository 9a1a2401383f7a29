"""`finally: await goodbye(state)`, without a shield.

The cleanup starts, but its first `await` is cancelled at once: anyio's cancellation is level-triggered, every
await inside the cancelled scope raises again. The goodbye never finishes.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi.sse import ServerSentEvent

from . import app_with, goodbye

EXPECTED = "goodbyes never finished: an `await` in a cancelled stream's cleanup is cancelled at once"


async def body(state: Any) -> AsyncIterator[ServerSentEvent]:
    try:
        while True:
            await asyncio.sleep(0.05)
            yield ServerSentEvent(data="tick")
    finally:
        await goodbye(state)


app = app_with(body)
