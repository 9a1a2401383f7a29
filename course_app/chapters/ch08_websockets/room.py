"""A broadcast room that survives real clients: one that never reads, one that dies, many that come and go.

The interface (the notebook, the tests and benchmark P6 use it):

* ``build(**settings) -> FastAPI`` makes the app (settings: the fields of :class:`RoomSettings`); ``app = build()``.
* ``WS /ws/{room}?name=<name>`` joins ``room`` (letters, digits, ``-`` and ``_``, 1 to 32 of them; rooms exist while
  they have members). Every **text** message a member sends (at most ``max_message`` characters) is broadcast to
  every member of the room, the sender included, as the JSON text
  ``{"type": "message", "room": <room>, "member": <name>, "text": <the text as sent>}``. Joins and leaves are
  broadcast as ``{"type": "joined" | "left", "room": ..., "member": ..., "members": <count after it>}`` (unless
  ``presence=False``: 1,000 members joining one by one make about 500,000 of those).
  A publisher that wants a latency puts its timestamp in the text (``json.dumps({"t": time.time()})``) and each
  receiver reads ``json.loads(json.loads(frame)["text"])["t"]``.
* ``GET /rooms``: ``{"rooms": {<room>: <members>}, "too_slow": <members disconnected for being too slow>}``.
* ``GET /chat``: a chat page to open in two browser tabs (:mod:`.page`).

How slow and dead clients are handled:

* each member has a queue of at most ``queue_size`` messages (default 100) and a writer task of its own that sends
  them. A broadcast only puts the message in each member's queue, without waiting (``send_nowait``), so a member
  that reads slowly, or not at all, cannot slow the sender or the other members;
* a member whose queue is full is **disconnected**: removed from the room at once, counted in ``too_slow``, and sent
  the close code 1008 with the reason ``too slow: ...`` (it sees it if it ever reads again); it may reconnect. That
  holds for any member that falls behind by more than its queue and its TCP buffers, healthy or not: a publisher
  that bursts faster than a client reads gets that client disconnected (a benchmark's clients must keep reading).
  A member's writer takes what is queued in one go, so at most ``2 × queue_size`` messages wait for one member;
* a send that fails (the client died) ends that member's writer, and so its session: nothing raises in another
  member's handler. A broadcast iterates over a copy of the room and never awaits, so joins and leaves during a
  broadcast cannot disturb it;
* a binary message gets close code 1003 (unsupported data), a text longer than ``max_message`` close code 1009
  (message too big), a bad room or name 1008: each with a reason, after ``accept()``, so that the client can read it
  (a close before ``accept()`` is an HTTP 403 and carries no reason).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from starlette import status

from .page import CHAT_PAGE

NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")  # a room's name
CLOSE_TIMEOUT = 1.0  # seconds a close frame may wait behind a full send buffer before the session just ends


@dataclass(frozen=True)
class RoomSettings:
    queue_size: int = 100  # messages waiting for one member before it is disconnected as too slow
    max_message: int = 4096  # characters in one message a member sends; longer: closed with 1009
    max_name: int = 32  # characters in a member's name
    presence: bool = True  # broadcast joins and leaves (N members joining make N²/2 of those: off for a benchmark)


@dataclass(eq=False)
class Member:
    """One connection in a room: its queue of messages to send, and why it was told to go (if it was)."""

    websocket: WebSocket
    name: str
    inbox: MemoryObjectSendStream[str]
    outbox: MemoryObjectReceiveStream[str]
    batch: int = 100  # messages its writer takes from the queue at once (the queue's size)
    kicked: str | None = None
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)


class Rooms:
    """The rooms of one server: members by room. Lives in the lifespan, so each server has its own."""

    def __init__(self, settings: RoomSettings) -> None:
        self.settings = settings
        self.members: dict[str, set[Member]] = {}
        self.too_slow = 0

    def join(self, room: str, member: Member) -> None:
        self.members.setdefault(room, set()).add(member)
        if self.settings.presence:
            self.broadcast(room, {"type": "joined", "member": member.name})

    def leave(self, room: str, member: Member) -> None:
        if self._remove(room, member) and self.settings.presence:
            self.broadcast(room, {"type": "left", "member": member.name})

    def _remove(self, room: str, member: Member) -> bool:
        present = self.members.get(room, set())
        found = member in present
        present.discard(member)
        if not present:
            self.members.pop(room, None)
        return found

    def broadcast(self, room: str, event: dict[str, Any]) -> None:
        """Queue ``event`` for every member of ``room``. Never awaits, never raises for a member's sake."""
        present = self.members.get(room, set())
        text = json.dumps({**event, "room": room, "members": len(present)} if event["type"] != "message" else event)
        for member in list(present):  # a copy: kicking a member below changes the set
            try:
                member.inbox.send_nowait(text)
            except anyio.WouldBlock:  # its queue is full: it does not keep up
                self.kick(room, member, f"too slow: {self.settings.queue_size} messages were waiting")
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):  # its session is ending
                self._remove(room, member)

    def kick(self, room: str, member: Member, reason: str) -> None:
        if member.kicked is None:
            member.kicked = reason
            self.too_slow += 1
            member.scope.cancel()  # ends its session (reader and writer); its handler closes with 1008
        self._remove(room, member)

    def counts(self) -> dict[str, int]:
        return {room: len(present) for room, present in sorted(self.members.items())}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    yield {"rooms": Rooms(app.state.settings)}


async def _writer(member: Member) -> None:
    """Send what is queued for ``member``; a failed send ends the session.

    It takes everything queued at once: a reader handles a burst of messages without yielding, and a writer that
    yields after each send would fall behind it by the size of every burst.
    """
    async with member.outbox:
        async for text in member.outbox:
            batch = [text]
            with contextlib.suppress(anyio.WouldBlock):
                while len(batch) < member.batch:
                    batch.append(member.outbox.receive_nowait())
            try:
                for queued in batch:
                    await member.websocket.send_text(queued)
            except WebSocketDisconnect:  # the client is gone (Starlette turns a lost connection into this)
                member.scope.cancel()
                return


async def _reader(rooms: Rooms, room: str, member: Member) -> tuple[int, str] | None:
    """Broadcast what ``member`` says until it leaves; a close code and reason when it must be closed."""
    limit = rooms.settings.max_message
    while True:
        message = await member.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        text = message.get("text")
        if text is None:
            return status.WS_1003_UNSUPPORTED_DATA, "this room takes text messages only"
        if len(text) > limit:
            return status.WS_1009_MESSAGE_TOO_BIG, f"a message may have {limit} characters at most"
        rooms.broadcast(room, {"type": "message", "room": room, "member": member.name, "text": text})


async def member_session(websocket: WebSocket, room: str, name: str = "") -> None:
    """``WS /ws/{room}?name=...``: a member of ``room``, until it leaves, dies, or is too slow."""
    with contextlib.suppress(WebSocketDisconnect):  # it went away while we accepted or closed: nothing to tell it
        await _session(websocket, room, name)


async def _session(websocket: WebSocket, room: str, name: str) -> None:
    rooms: Rooms = websocket.state.rooms
    settings = rooms.settings
    await websocket.accept()  # first, so that a refusal below reaches the client with its reason
    name = name.strip()
    if not NAME.fullmatch(room) or not name or len(name) > settings.max_name or not name.isprintable():
        await websocket.close(
            status.WS_1008_POLICY_VIOLATION,
            f"a room is 1 to 32 letters, digits, - or _; a name 1 to {settings.max_name} printable characters",
        )
        return
    inbox, outbox = anyio.create_memory_object_stream[str](settings.queue_size)
    member = Member(websocket, name, inbox, outbox, batch=settings.queue_size)
    closing: tuple[int, str] | None = None
    rooms.join(room, member)
    try:
        with member.scope:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_writer, member)
                closing = await _reader(rooms, room, member)
                tasks.cancel_scope.cancel()  # it left, or must go: stop sending to it
    finally:
        inbox.close()
        rooms.leave(room, member)
    if member.kicked is not None:
        closing = status.WS_1008_POLICY_VIOLATION, member.kicked
    if closing is not None:
        with anyio.move_on_after(CLOSE_TIMEOUT):  # behind a full buffer the close frame may never leave
            await websocket.close(*closing)


async def room_counts(request: Request) -> dict[str, Any]:
    """``GET /rooms``: members per room, and how many were disconnected for being too slow."""
    rooms: Rooms = request.state.rooms
    return {"rooms": rooms.counts(), "too_slow": rooms.too_slow}


async def chat_page() -> HTMLResponse:
    """``GET /chat``: the chat page (every URL in it relative to its own address)."""
    return HTMLResponse(CHAT_PAGE)


def build(**settings: Any) -> FastAPI:
    """The room app, with :class:`RoomSettings` fields as keyword arguments (``build(queue_size=10)``)."""
    known = {f.name for f in fields(RoomSettings)}
    unknown = set(settings) - known
    if unknown:
        raise TypeError(f"unknown room settings {sorted(unknown)}; the settings are {sorted(known)}")
    app = FastAPI(title="ch08: a broadcast room that survives real clients", lifespan=lifespan)
    app.state.settings = RoomSettings(**settings)
    app.websocket("/ws/{room}")(member_session)
    app.get("/rooms")(room_counts)
    app.get("/chat", response_class=HTMLResponse)(chat_page)
    return app


app = build()
