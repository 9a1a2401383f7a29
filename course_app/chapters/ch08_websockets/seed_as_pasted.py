# ruff: noqa  (the seed as written: its style is part of what the chapter shows)
"""The seed's section "WebSocket Handling", as written: four WebSocket routes on one app.

Only the line breaks are restored (the published text lost them), and the two functions it calls without
defining, ``verify_token`` and ``decode_token``, come from :mod:`.stand_ins`. The seed imports ``FastAPI`` and
``HTTPException`` elsewhere; here they are imported with the rest. ``GET /members`` is the course's, not the
seed's: it says how many connections the manager holds (none: ``def init`` never ran, so there is no list).
"""

from fastapi import FastAPI, HTTPException
from fastapi import WebSocket, WebSocketDisconnect, Depends
from typing import List
import json

from .stand_ins import decode_token, verify_token

app = FastAPI()


# Simple WebSocket
@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        print("Client disconnected")


# WebSocket with authentication
async def get_current_user_ws(websocket: WebSocket):
    token = websocket.query_params.get("token")
    if not token or not verify_token(token):
        await websocket.close(code=1008)  # Policy violation
        raise HTTPException(status_code=401, detail="Unauthorized")
    return decode_token(token)


@app.websocket("/ws/authenticated")
async def authenticated_websocket(websocket: WebSocket, user=Depends(get_current_user_ws)):
    await websocket.accept()
    try:
        await websocket.send_text(f"Welcome {user['name']}")
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"{user['name']}: {data}")
    except WebSocketDisconnect:
        print(f"User {user['name']} disconnected")


# Broadcasting to multiple connections
class ConnectionManager:
    def init(self):
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


# WebSocket with JSON messages
@app.websocket("/ws/json")
async def json_websocket(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json()
            message_type = data.get("type")
            if message_type == "ping":
                await websocket.send_json({"type": "pong"})
            elif message_type == "message":
                await websocket.send_json({"type": "response", "data": f"Received: {data.get('content')}"})
    except WebSocketDisconnect:
        print("Client disconnected")


# The course's, not the seed's: how many connections the manager holds.
@app.get("/members")
async def members() -> dict[str, int]:
    return {"members": len(getattr(manager, "active_connections", []))}
