"""An authenticated WebSocket whose refusals a client can read, and whose token never reaches a log.

* The token is the **first message** on the connection, not a query parameter: a URL is written to logs (uvicorn
  logs every WebSocket's path with its query string, at INFO, even with the access log off), to browser history
  and to proxies' logs; a message is not. A browser cannot set an ``Authorization`` header on a WebSocket, so a
  first message (or a short-lived ticket) is what works everywhere.
* The server accepts first, then reads the token within ``AUTH_TIMEOUT`` seconds. A missing, late or bad token gets
  close code **1008** (policy violation) with a reason. A close *before* ``accept()`` would reach the client as a
  bare HTTP 403 without code or reason, and an ``HTTPException`` raised in a WebSocket leaves a traceback in the log.
* ``GET /me``: the same check for plain HTTP clients, with ``Authorization: Bearer <token>`` (401 without it).
"""

from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Header, HTTPException, WebSocket, WebSocketDisconnect
from starlette import status

from .stand_ins import decode_token, verify_token

AUTH_TIMEOUT = 5.0  # seconds a client has to send its token (the default of build())
MAX_TOKEN = 256  # characters; a longer first message is not a token


async def authenticate(websocket: WebSocket) -> dict[str, Any] | None:
    """Read the token (the first message) and return its user; or close with 1008 and a reason, and return None."""
    timeout: float = websocket.app.state.auth_timeout
    with anyio.move_on_after(timeout):
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        token = message.get("text") or ""
        if 0 < len(token) <= MAX_TOKEN and verify_token(token):
            return decode_token(token)
        await websocket.close(status.WS_1008_POLICY_VIOLATION, "a valid token is required as the first message")
        return None
    await websocket.close(status.WS_1008_POLICY_VIOLATION, f"no token within {timeout:g} s")
    return None


async def authenticated_websocket(websocket: WebSocket) -> None:
    await websocket.accept()  # first: a refusal after accept() carries its code and reason to the client
    user = await authenticate(websocket)
    if user is None:
        return
    try:
        await websocket.send_text(f"Welcome {user['name']}")
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"{user['name']}: {data}")
    except WebSocketDisconnect:
        pass  # the client left: nothing to clean up


async def me(authorization: Annotated[str, Header(max_length=300)] = "") -> dict[str, Any]:
    """The user of an ``Authorization: Bearer <token>`` header, for HTTP clients."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not verify_token(token.strip()):
        raise HTTPException(401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"})
    return decode_token(token.strip())


def build(auth_timeout: float = AUTH_TIMEOUT) -> FastAPI:
    """The app; a client has ``auth_timeout`` seconds to send its token."""
    app = FastAPI(title="ch08: a WebSocket that authenticates with its first message")
    app.state.auth_timeout = auth_timeout
    app.websocket("/ws/authenticated")(authenticated_websocket)
    app.get("/me")(me)
    return app


app = build()
