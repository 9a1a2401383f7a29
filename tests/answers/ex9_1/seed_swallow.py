"""The seed's heartbeat shape: `except asyncio.CancelledError:` around the loop, the goodbye awaited there, no
re-raise.

The except clause runs when the client leaves, but its `await` is cancelled again at once, as in `finally`
without a shield: the goodbye never finishes.
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
    except asyncio.CancelledError:
        await goodbye(state)


app = app_with(body)
