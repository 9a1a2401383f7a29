"""`for websocket in room.members: await websocket.send_text(text)`, the seed's broadcast, ignoring the queues.

Once the buffers towards the member that never reads are full, that `await` never returns: the sender's handler
stops, and so does the room.
"""

from typing import Any

from . import app_with

EXPECTED = "waited for the member that never reads"


async def broadcast(room: Any, text: str) -> None:
    for websocket in list(room.members):
        await websocket.send_text(text)


app = app_with(broadcast)
