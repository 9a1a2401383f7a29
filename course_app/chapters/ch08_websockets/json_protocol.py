"""A JSON protocol with validation: every bad message gets an answer, and the connection is never dropped silently.

Clients send ``{"type": "ping"}`` or ``{"type": "message", "content": "<text>"}``; the server answers
``{"type": "pong"}`` or ``{"type": "response", "data": "Received: <text>"}``. ``GET /protocol`` gives the JSON Schema
of what a client may send.

* text that is not JSON, or JSON of the wrong shape (not an object, an unknown ``type``, a missing or too long
  ``content``): ``{"type": "error", "detail": ...}`` saying what is wrong, and the connection stays open;
* ``MAX_ERRORS`` bad messages in a row: close code 1008 (policy violation) with a reason;
* a binary message: close code 1003 (unsupported data) with a reason;
* a message larger than the server's limit (uvicorn's ``ws_max_size``, 16 MiB unless set) never reaches the app:
  uvicorn closes with 1009 (message too big). Set it to what the protocol needs.
"""

from typing import Annotated, Any, Literal

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette import status

MAX_CONTENT = 1000  # characters in a message's content
MAX_ERRORS = 5  # bad messages in a row before the server gives up on the client

app = FastAPI(title="ch08: a JSON protocol with validation")


class Ping(BaseModel):
    type: Literal["ping"]


class Message(BaseModel):
    type: Literal["message"]
    content: Annotated[str, Field(max_length=MAX_CONTENT)]


ClientMessage = TypeAdapter(Annotated[Ping | Message, Field(discriminator="type")])


def answer(message: Ping | Message) -> dict[str, Any]:
    if isinstance(message, Ping):
        return {"type": "pong"}
    return {"type": "response", "data": f"Received: {message.content}"}


def explain(exc: ValidationError) -> str:
    """A validation error in one line: where, and what is wrong (pydantic's own words)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "the message"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


@app.websocket("/ws/json")
async def json_websocket(websocket: WebSocket) -> None:
    await websocket.accept()
    errors = 0
    try:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                return
            text = received.get("text")
            if text is None:
                await websocket.close(status.WS_1003_UNSUPPORTED_DATA, "this protocol is JSON text, not binary")
                return
            try:
                message = ClientMessage.validate_json(text)
            except ValidationError as exc:
                errors += 1
                if errors >= MAX_ERRORS:
                    await websocket.close(status.WS_1008_POLICY_VIOLATION, f"{errors} invalid messages in a row")
                    return
                await websocket.send_json({"type": "error", "detail": explain(exc)})
                continue
            errors = 0
            await websocket.send_json(answer(message))
    except WebSocketDisconnect:
        pass  # the client left while we answered


@app.get("/protocol")
async def protocol() -> dict[str, Any]:
    """The JSON Schema of the messages a client may send."""
    return ClientMessage.json_schema()
