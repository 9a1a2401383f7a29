"""`await websocket.send_text("invalid token")` and `return`, without closing.

The client reads a message, then the connection drops without a close frame: nothing says it was refused.
"""

from fastapi import WebSocket

from course_app.chapters.ch08_websockets.stand_ins import verify_token

from . import app_with

EXPECTED = "ended without closing the WebSocket"


async def refuse(websocket: WebSocket, token: str) -> bool:
    if not verify_token(token):
        await websocket.send_text("invalid token")
        return True
    return False


app = app_with(refuse)
