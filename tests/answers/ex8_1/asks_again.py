"""A loop that answers "invalid token, try again" and waits for another token, for as long as it takes.

The connection stays open: a client with a stolen or expired token may guess for ever, and holds a connection
while it does.
"""

from fastapi import WebSocket

from course_app.chapters.ch08_websockets.stand_ins import verify_token

from . import app_with

EXPECTED = "the connection stayed open"


async def refuse(websocket: WebSocket, token: str) -> bool:
    while not verify_token(token):
        await websocket.send_text("invalid token, try again")
        token = await websocket.receive_text()
    return False


app = app_with(refuse)
