# mypy: ignore-errors
# ruff: noqa  (the seed's code: its style is part of what the chapter shows)
"""The seed's ``ConnectionManager`` and chat route as meant: ``def init`` spelled ``def __init__``, nothing else.

With the list in place the room runs, and its design problems show: ``broadcast`` awaits each member's
``send_text`` in turn, so one member that does not read stalls everyone once its buffers are full; a failed send
raises in the handler of whoever is broadcasting; the list is shared by handlers that add and remove while a
broadcast walks it. ``GET /members`` is the course's, not the seed's: how many connections the manager holds.
"""

from fastapi import FastAPI
from fastapi import WebSocket, WebSocketDisconnect
from typing import List

app = FastAPI()


class ConnectionManager:
    def __init__(self):
        self.active_connections: List[WebSocket] = []

    async def connect(self, websocket: WebSocket):
        await websocket.accept()
        self.active_connections.append(websocket)

    def disconnect(self, websocket: WebSocket):
        self.active_connections.remove(websocket)

    async def send_personal_message(self, message: str, websocket: WebSocket):
        await websocket.send_text(message)

    async def broadcast(self, message: str):
        for connection in self.active_connections:
            await connection.send_text(message)


manager = ConnectionManager()


@app.websocket("/ws/chat/{client_id}")
async def chat_endpoint(websocket: WebSocket, client_id: str):
    await manager.connect(websocket)
    await manager.broadcast(f"Client {client_id} joined the chat")
    try:
        while True:
            data = await websocket.receive_text()
            await manager.broadcast(f"Client {client_id}: {data}")
    except WebSocketDisconnect:
        manager.disconnect(websocket)
        await manager.broadcast(f"Client {client_id} left the chat")


# The course's, not the seed's: how many connections the manager holds.
@app.get("/members")
async def members() -> dict[str, int]:
    return {"members": len(manager.active_connections)}
