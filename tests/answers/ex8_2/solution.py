"""`queue.put_nowait(text)` for each member, over a copy of the members; a member whose queue is full
(`asyncio.QueueFull`) is removed from the room.

The broadcast never waits: a member that never reads fills its own queue and is dropped, and nobody else notices.
"""

import asyncio
from typing import Any

from . import app_with

EXPECTED = None


async def broadcast(room: Any, text: str) -> None:
    for websocket, queue in list(room.members.items()):
        try:
            queue.put_nowait(text)
        except asyncio.QueueFull:
            room.members.pop(websocket, None)


app = app_with(broadcast)
