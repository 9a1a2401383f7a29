"""`await websocket.close(status.WS_1008_POLICY_VIOLATION, "a valid token is required")` when `verify_token` says
no, then `return`.

Accepted first, so the close is a WebSocket close frame: the client reads 1008 and the reason.
"""

from fastapi import WebSocket, status

from course_app.chapters.ch08_websockets.stand_ins import verify_token

from . import app_with

EXPECTED = None


async def refuse(websocket: WebSocket, token: str) -> bool:
    if not verify_token(token):
        await websocket.close(status.WS_1008_POLICY_VIOLATION, "a valid token is required")
        return True
    return False


app = app_with(refuse)
