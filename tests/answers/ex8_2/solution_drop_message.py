"""`queue.put_nowait(text)` in `try`, or `with contextlib.suppress(asyncio.QueueFull)`: the slow member keeps its place and
misses the messages that do not fit.

Also right: nothing waits and nothing grows. (The member is not told what it missed; disconnecting it, as the room of
the chapter does, lets it reconnect and catch up.)
"""

import asyncio
import contextlib
from typing import Any

from . import app_with

EXPECTED = None


async def broadcast(room: Any, text: str) -> None:
    for queue in list(room.members.values()):
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(text)


app = app_with(broadcast)
