"""Answers to exercise 8.1: refuse a bad token with close code 1008.

:func:`app_with` builds what the notebook's cell builds around the learner's piece: accept, read the token (the first
message), the learner's ``refuse(websocket, token)`` (True: the connection was refused, return), then the welcome
and the echo.
"""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from course_app.chapters.ch08_websockets.stand_ins import decode_token


def app_with(refuse: Callable[[WebSocket, str], Awaitable[bool]]) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws")
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        token = await websocket.receive_text()
        if await refuse(websocket, token):
            return
        user = decode_token(token)
        try:
            await websocket.send_text(f"Welcome {user['name']}")
            while True:
                await websocket.send_text(f"{user['name']}: {await websocket.receive_text()}")
        except WebSocketDisconnect:
            pass

    return app
