"""`await asyncio.gather(*(ws.send_text(text) for ws in room.members))`: the sends run at once.

The others get the message, but gather waits for every send, the stuck one too: the sender's handler stops at the
first message that cannot reach the member that never reads.
"""

import asyncio
from typing import Any

from . import app_with

EXPECTED = "waited for the member that never reads"


async def broadcast(room: Any, text: str) -> None:
    await asyncio.gather(*(websocket.send_text(text) for websocket in list(room.members)))


app = app_with(broadcast)
