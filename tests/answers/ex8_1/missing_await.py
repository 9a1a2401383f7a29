"""`websocket.close(status.WS_1008_POLICY_VIOLATION)` without `await`, then `return`.

The coroutine is made and never run (Python warns, later, "coroutine was never awaited"); the handler returns and
uvicorn drops the connection without a close frame.
"""

from fastapi import WebSocket, status

from course_app.chapters.ch08_websockets.stand_ins import verify_token

from . import app_with

EXPECTED = "ended without closing the WebSocket"
MISTAKE = "await"


async def refuse(websocket: WebSocket, token: str) -> bool:
    if not verify_token(token):
        websocket.close(status.WS_1008_POLICY_VIOLATION)  # type: ignore[unused-coroutine]
        return True
    return False


app = app_with(refuse)
