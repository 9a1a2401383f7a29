"""`except asyncio.CancelledError:` with the shielded goodbye, then `raise`.

Right, for a client that leaves: the stream is cancelled, the cleanup runs and the cancellation goes on. (It
still misses the other ways a generator ends, an error or `aclose()`, which `finally` covers: the notebook shows
`aclose()`.)
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
    except asyncio.CancelledError:
        with anyio.CancelScope(shield=True):
            await goodbye(state)
        raise


app = app_with(body)
