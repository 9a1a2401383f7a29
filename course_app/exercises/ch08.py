"""Checks for chapter 08's exercises: each serves the learner's app and talks to it over real WebSockets."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import HTTPException, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ..chapters.ch08_websockets.common import StalledClient, deliveries, send_buffer_max
from ..server import LiveServer
from . import (
    ExerciseFailed,
    announce,
    answer_keys,
    describe_error,
    ensure_callable,
    hints,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["check_slow_member", "check_token_refused", "show_me"]

GOOD, NAME = "alice-secret-token", "alice"  # a token the stand-in accepts, and its user
WAIT = 1.5  # seconds the check waits for the server to close a refused connection
SIZE = 256 * 1024  # exercise 8.2: characters in each message
TASKS_BOUND = 25  # exercise 8.2: more tasks than this on the server means tasks pile up without a bound
PAUSE = 0.002  # exercise 8.2: seconds between two messages: a pace a healthy reader keeps up with

hints(
    "8.1",
    (
        "after the token is read",
        """
        if not verify_token(token):
            await websocket.close(status.WS_1008_POLICY_VIOLATION, "a valid token is required")
            return
        """,
    ),
)
hints(
    "8.2",
    (
        "the body of broadcast",
        """
        for websocket, queue in list(self.members.items()):
            try:
                queue.put_nowait(text)
            except asyncio.QueueFull:  # too slow: it leaves the room
                self.members.pop(websocket, None)
        """,
    ),
)


def _server_failed(srv: LiveServer, what: str) -> None:
    """Say in words what the learner's handler raised, if it raised."""
    errors = [e for e in srv.errors if not isinstance(e, WebSocketDisconnect)]  # the check's own client left
    if not errors:
        return
    exc = errors[-1]
    if isinstance(exc, HTTPException) or isinstance(exc.__context__, HTTPException):
        raise ExerciseFailed(
            f"{what}: your handler raised HTTPException, and the client was dropped without a close frame, with a "
            "traceback in the server's log. An HTTPException is an HTTP answer; a WebSocket that is already accepted "
            "can only be closed: `await websocket.close(status.WS_1008_POLICY_VIOLATION, reason)`, then return."
        )
    raise ExerciseFailed(f"{what}: {describe_error(exc)}")


async def _outcome(ws: ClientConnection, wait: float) -> tuple[str, Any]:
    """How the server treated a connection within ``wait`` s: ("closed", Close or None), or ("open", messages)."""
    messages = []
    try:
        async with asyncio.timeout(wait):
            while True:
                messages.append(await ws.recv())
    except ConnectionClosed as exc:
        return "closed", exc.rcvd
    except TimeoutError:
        return "open", messages


async def _refused(srv: LiveServer, token: str, label: str) -> None:
    try:
        async with connect(srv.ws_url + "/ws", open_timeout=5, close_timeout=1) as ws:
            await ws.send(token)
            kind, detail = await _outcome(ws, WAIT)
    except InvalidStatus as exc:
        raise ExerciseFailed(
            f"with {label}, the handshake was refused (HTTP {exc.response.status_code}): closing before accept() "
            "turns into an HTTP 403, which carries no close code. Accept first, then close with 1008"
        ) from None
    _server_failed(srv, f"with {label}")
    if kind == "open":
        said = f" (it sent {detail[0]!r})" if detail else ""
        raise ExerciseFailed(
            f"with {label}, the connection stayed open{said}: a refused token must end the connection, "
            "`await websocket.close(status.WS_1008_POLICY_VIOLATION, reason)`, then return"
        )
    if detail is None:
        raise ExerciseFailed(
            f"with {label}, your handler ended without closing the WebSocket: the client saw no close frame (1006), "
            "so it cannot tell a refusal from a crash. Close it, `await websocket.close(status.WS_1008_POLICY_VIOLATION, "
            "reason)`, with `await`: without it the close never runs"
        )
    require(
        detail.code == 1008,
        f"with {label}, the server closed with {detail.code} ({detail.reason or 'no reason'}); a refused token is a "
        "policy violation: close code 1008 (status.WS_1008_POLICY_VIOLATION)",
    )


@answer_keys("8.1", r"verify_token\(token\)", r"1008|WS_1008_POLICY_VIOLATION")
async def check_token_refused(app: Any) -> None:
    """Exercise 8.1: a bad or empty token gets close code 1008; a good one is welcomed; no traceback."""
    __tracebackhide__ = True
    ensure_callable(app, "your app")
    announce("a good token, a bad one and an empty one, each on its own WebSocket to /ws", 10)
    srv = start_app(app, "exercise 8.1")
    try:
        try:
            async with connect(srv.ws_url + "/ws", open_timeout=5, close_timeout=1) as ws:
                await ws.send(GOOD)
                kind, detail = await _outcome(ws, 0.5)
                _server_failed(srv, "with a good token")
                require(
                    kind == "open" and detail[:1] == [f"Welcome {NAME}"],
                    f"with a good token the server should send 'Welcome {NAME}' and stay open; it "
                    + (
                        f"closed with {detail.code if detail else 'no close frame'}"
                        if kind == "closed"
                        else f"sent {detail}"
                    ),
                )
                await ws.send("hi")
                echo = await asyncio.wait_for(ws.recv(), 2)
                require(
                    echo == f"{NAME}: hi", f"after the welcome, 'hi' should come back as '{NAME}: hi', not {echo!r}"
                )
        except InvalidStatus as exc:
            raise ExerciseFailed(
                f"a good token was refused at the handshake (HTTP {exc.response.status_code})"
            ) from None
        await _refused(srv, "a bad token", "a bad token")
        await _refused(srv, "", "an empty token")
        await asyncio.sleep(0.05)
        _server_failed(srv, "your handler")
    finally:
        srv.stop()
    passed("a bad or empty token is closed with 1008, a good one welcomed, and the server logged no traceback")


@answer_keys("8.2", r"put_nowait\(", r"QueueFull")
async def check_slow_member(app: Any) -> None:
    """Exercise 8.2: a member that never reads does not stall the others, and nothing grows without bound."""
    __tracebackhide__ = True
    ensure_callable(app, "your app")
    n = (send_buffer_max() + 2 * 1024 * 1024) // SIZE + 30  # more than the buffers towards the stalled member hold
    announce(f"a member that never reads, then {n} messages of {SIZE // 1024} KiB from one member to another", 10)
    srv = start_app(app, "exercise 8.2")
    try:
        async with StalledClient(srv.ws_url + "/ws"):
            await asyncio.sleep(0.05)
            result = await deliveries(srv.ws_url + "/ws", srv.ws_url + "/ws", n=n, size=SIZE, within=3, pause=PAUSE)
            tasks = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_count_tasks(), srv.loop))
        with contextlib.suppress(Exception):
            await asyncio.sleep(0.05)
    finally:
        srv.stop()
    if any(isinstance(e, asyncio.QueueFull) for e in srv.errors):
        raise ExerciseFailed(
            "asyncio.QueueFull escaped into the sender's handler and ended its session: put_nowait raises it when a "
            "member's queue is full. Catch it, and drop that member (or the message for it)"
        )
    if srv.errors:
        raise ExerciseFailed(f"the room failed: {describe_error(srv.errors[-1])}")
    require(
        result.ok == n,
        f"the reader received {result.ok} of {n} messages within 3 s: the broadcast waited for the member that never "
        "reads (an await on its send, on a gather of sends, or on a full queue with `await queue.put`), so the sender "
        "stalled. Put each message in each queue without waiting: `queue.put_nowait(text)`",
    )
    require(
        tasks <= TASKS_BOUND,
        f"{tasks} tasks were running on the server after the burst: a task per send never waits, but nothing bounds "
        "them, and each holds its message for a member that never reads. Use the member's bounded queue",
    )
    passed(f"all {n} messages reached the reader despite a member that never reads; {tasks} tasks on the server")


async def _count_tasks() -> int:
    return len(asyncio.all_tasks())
