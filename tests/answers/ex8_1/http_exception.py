"""`raise HTTPException(status_code=401, detail="Unauthorized")` for a bad token, as the seed does.

The WebSocket is already accepted: FastAPI's HTTP error handler tries to send a 401 response on it, uvicorn refuses
(RuntimeError), the log gets a traceback and the client a dropped connection without a close frame.
"""

from fastapi import HTTPException, WebSocket

from course_app.chapters.ch08_websockets.stand_ins import verify_token

from . import app_with

EXPECTED = "your handler raised HTTPException"


async def refuse(websocket: WebSocket, token: str) -> bool:
    if not verify_token(token):
        raise HTTPException(status_code=401, detail="Unauthorized")
    return False


app = app_with(refuse)
