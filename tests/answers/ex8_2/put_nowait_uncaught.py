"""`queue.put_nowait(text)` for each member, without catching `asyncio.QueueFull`.

When the slow member's queue is full, the exception goes up into the sender's handler, which ends: the sender is
disconnected because of somebody else.
"""

from typing import Any

from . import app_with

EXPECTED = "QueueFull escaped into the sender's handler"


async def broadcast(room: Any, text: str) -> None:
    for queue in list(room.members.values()):
        queue.put_nowait(text)


app = app_with(broadcast)
