"""`await websocket.close()` for a bad token: no code given, so 1000 (normal closure).

The client cannot tell a refusal from a goodbye: 1000 means "done, all fine".
"""

from fastapi import WebSocket

from course_app.chapters.ch08_websockets.stand_ins import verify_token

from . import app_with

EXPECTED = "a refused token is a policy violation: close code 1008"


async def refuse(websocket: WebSocket, token: str) -> bool:
    if not verify_token(token):
        await websocket.close()
        return True
    return False


app = app_with(refuse)
