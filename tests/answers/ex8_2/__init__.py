"""Answers to exercise 8.2: a broadcast that a member that never reads cannot stall.

:func:`app_with` builds what the notebook's cell builds around the learner's piece, ``broadcast(room, text)``: a room
of members, each with a queue of ``QUEUE_SIZE`` messages and a writer task that sends from it.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

QUEUE_SIZE = 10


class Room:
    def __init__(self, broadcast: Callable[["Room", str], Awaitable[None]]) -> None:
        self.members: dict[WebSocket, asyncio.Queue[str]] = {}
        self._broadcast = broadcast

    async def broadcast(self, text: str) -> None:
        await self._broadcast(self, text)


def app_with(broadcast: Callable[[Any, str], Awaitable[None]]) -> FastAPI:
    app = FastAPI()
    room = Room(broadcast)

    @app.websocket("/ws")
    async def member(websocket: WebSocket) -> None:
        await websocket.accept()
        queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        room.members[websocket] = queue

        async def writer() -> None:
            while True:
                await websocket.send_text(await queue.get())

        sending = asyncio.create_task(writer())
        try:
            while True:
                await room.broadcast(await websocket.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            room.members.pop(websocket, None)
            sending.cancel()

    return app
