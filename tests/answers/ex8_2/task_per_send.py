"""`asyncio.create_task(ws.send_text(text))` for each member: nothing waits.

Nothing bounds it either: every message for the member that never reads becomes a task stuck in its send, holding
the message; memory grows with every message, for as long as that member stays connected.
"""

import asyncio
from typing import Any

from . import app_with

EXPECTED = "tasks were running on the server"

_tasks: set[asyncio.Task[None]] = set()  # kept, as the docs advise: a task nobody references may vanish


async def broadcast(room: Any, text: str) -> None:
    for websocket in list(room.members):
        task = asyncio.create_task(websocket.send_text(text))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


app = app_with(broadcast)
