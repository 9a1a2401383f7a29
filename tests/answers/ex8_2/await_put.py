"""`await queue.put(text)` for each member: the queues are used, but `put` waits while a queue is full.

The member that never reads fills its queue, and the next `put` to it waits for ever: the sender stalls as with the
seed, ten messages later.
"""

from typing import Any

from . import app_with

EXPECTED = "waited for the member that never reads"


async def broadcast(room: Any, text: str) -> None:
    for queue in list(room.members.values()):
        await queue.put(text)


app = app_with(broadcast)
