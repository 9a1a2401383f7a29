"""`raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason=...)` when the token is bad.

After `accept()`, Starlette's handler for WebSocketException closes the connection with that code and reason: the
same as calling `close` yourself.
"""

from fastapi import WebSocket, WebSocketException, status

from course_app.chapters.ch08_websockets.stand_ins import verify_token

from . import app_with

EXPECTED = None


async def refuse(websocket: WebSocket, token: str) -> bool:
    if not verify_token(token):
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="a valid token is required")
    return False


app = app_with(refuse)
