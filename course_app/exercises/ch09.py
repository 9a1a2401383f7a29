"""Checks for chapter 09's exercises: each serves the learner's app and reads its streams live, with httpx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from ..chapters.ch09_sse.client import Stream, collect, wait_for
from . import ExerciseFailed, announce, answer_keys, describe_error, ensure_callable, hints, passed, require, show_me

__all__ = ["check_cleanup", "check_resume", "show_me"]

STREAMS = 3  # exercise 9.1: streams opened, then closed by the client
GOODBYE = 0.3  # exercise 9.1: seconds the (given) async goodbye takes

hints(
    "9.1",
    (
        "the generator, after the line that counts the stream as open",
        """
        try:
            while True:
                await asyncio.sleep(0.05)
                yield ServerSentEvent(data="tick")
        finally:
            with anyio.move_on_after(1, shield=True):
                await ex91_goodbye(state)
        """,
    ),
)
hints(
    "9.2",
    (
        "the path operation's body",
        """
        sent = last_event_id or 0
        while True:
            await ex92_feed.wait_past(sent)
            for i in range(sent, len(ex92_feed.messages)):
                yield ServerSentEvent(data=ex92_feed.messages[i], id=str(i + 1))
            sent = len(ex92_feed.messages)
        """,
    ),
)


def _fastapi_app(app: Any) -> None:
    ensure_callable(app, "your app")
    require(
        hasattr(app, "router") and hasattr(app, "state"), "your app should be a FastAPI app, made with FastAPI(...)"
    )


def _start(app: Any, name: str) -> Any:
    from . import start_app

    return start_app(app, name)


def _server_error(srv: Any, what: str) -> None:
    """The learner's error, out of the task groups the SSE libraries wrap it in. A stream torn down as its client
    leaves (anyio's BrokenResourceError or ClosedResourceError, inside FastAPI's SSE) is not the learner's doing."""
    for error in reversed(srv.errors):
        inner = getattr(error, "exceptions", None)  # an ExceptionGroup of one
        while isinstance(inner, tuple) and len(inner) == 1:
            error, inner = inner[0], getattr(inner[0], "exceptions", None)
        if not isinstance(error, anyio.BrokenResourceError | anyio.ClosedResourceError):
            raise ExerciseFailed(f"{what} failed: {describe_error(error)}")


def _text(data: str) -> str:
    """An event's data as text: FastAPI's own SSE sends a string JSON-encoded (``data: "hello"``)."""
    with contextlib.suppress(ValueError):
        value = json.loads(data)
        if isinstance(value, str):
            return value
    return data


def _said(stream: Stream, what: str) -> None:
    if stream.status != 200:
        raise ExerciseFailed(f"{what} answered {stream.status} instead of a 200 event stream: {stream.raw[:1]}")


async def _last_goodbye(state: Any, since: float) -> float:
    """Seconds from ``since`` until every stream's goodbye was done (or until the bound, 3 s)."""
    await wait_for(lambda: state.goodbyes >= STREAMS, 3)
    return time.perf_counter() - since


@dataclass(frozen=True)
class _Closing:
    """What one round of exercise 9.1's check saw: streams opened and closed, a ping meanwhile, the goodbyes."""

    srv: Any
    streams: list[Stream]
    ping: httpx.Response  # the last ping sent while the streams closed
    ping_took: float  # the slowest of those pings, in seconds
    all_done: float  # seconds from the close until every goodbye was done
    counted_down: bool  # every stream's cleanup ran (the open count fell to 0)
    goodbyes: int
    still_open: int

    @property
    def blocked(self) -> bool:
        """A blocking cleanup shows twice: a request meanwhile waits a whole goodbye, and the goodbyes run one
        after the other instead of together. Both are asked, so that a busy machine alone does not fail a right
        answer."""
        return self.ping.status_code == 200 and self.ping_took > 0.8 * GOODBYE and self.all_done > 1.6 * GOODBYE


async def _close_streams(app: Any) -> _Closing:
    """Open the streams, close them, and time a ping meanwhile and the goodbyes; the server is stopped after."""
    state = app.state
    state.open, state.goodbyes = 0, 0
    srv = _start(app, "exercise 9.1")
    try:
        async with httpx.AsyncClient(base_url=srv.url, timeout=5) as client:
            streams = await asyncio.gather(*(collect(client, "/ticks", messages=2, seconds=5) for _ in range(STREAMS)))
            closed = time.perf_counter()
            watch = asyncio.create_task(_last_goodbye(state, closed))
            pings = []  # requests during the cleanups: a blocked loop shows as a slow one
            until = time.perf_counter() + 2 * GOODBYE
            while time.perf_counter() < until:
                sent = time.perf_counter()
                ping = await client.get("/ping")
                pings.append(time.perf_counter() - sent)
            counted_down = await wait_for(lambda: state.open == 0, 2 + GOODBYE)
            all_done = await watch
    finally:
        srv.stop()
    return _Closing(srv, streams, ping, max(pings), all_done, counted_down, state.goodbyes, state.open)


@answer_keys("9.1", r"finally:", r"shield=True")
async def check_cleanup(app: Any) -> None:
    """Exercise 9.1: every stream's cleanup runs, completes its awaited goodbye, and never blocks the loop."""
    __tracebackhide__ = True
    _fastapi_app(app)
    announce(f"{STREAMS} streams of GET /ticks, each closed by the client after 2 ticks, and a ping meanwhile", 10)
    for attempt in (1, 2):  # a second look before calling it blocked: a pause of this process (its garbage
        # collector, a busy machine) stretches the ping and the goodbyes of a right answer too, but not twice running
        seen = await _close_streams(app)
        if not seen.blocked or seen.srv.errors or attempt == 2:
            break
    _server_error(seen.srv, "GET /ticks")
    for s in seen.streams:
        _said(s, "GET /ticks")
        require(
            len(s.messages) >= 2,
            f"a stream of GET /ticks sent {len(s.messages)} events and ended ({s.ended}): it should tick until the "
            "client goes away",
        )
    require(
        seen.ping.status_code == 200 and not seen.blocked,
        f"a GET /ping, sent while the streams closed, took {seen.ping_took:.2f} s, and the {STREAMS} goodbyes took "
        f"{seen.all_done:.2f} s, one after the other: a cleanup blocked the whole event loop meanwhile. time.sleep() in "
        "a cleanup stops every request and stream of the server: await instead",
    )
    require(
        seen.counted_down,
        f"{seen.still_open} of your {STREAMS} streams still count as open after their clients left: their cleanup never "
        "ran. Code after the `while True` loop is never reached when a client disconnects (the generator is "
        "cancelled inside the loop): put the cleanup in `finally:`",
    )
    require(
        seen.goodbyes == STREAMS,
        f"the cleanup started, but {STREAMS - seen.goodbyes} of the {STREAMS} goodbyes never finished: an `await` in a "
        "cancelled stream's cleanup is cancelled at once. Shield it, with a bound: "
        "`with anyio.move_on_after(1, shield=True): await ex91_goodbye(state)`",
    )
    passed(
        f"{STREAMS} clients left, and each stream's cleanup ran and finished its goodbye; a request meanwhile took "
        f"{seen.ping_took * 1000:.0f} ms, so the loop was never blocked."
    )


@answer_keys("9.2", r"last_event_id\s+or\s+0|last_event_id\s+is\s+None|if\s+last_event_id", r"id=str\(")
async def check_resume(app: Any) -> None:
    """Exercise 9.2: a reconnection with Last-Event-ID gets exactly what it missed, then live messages."""
    __tracebackhide__ = True
    _fastapi_app(app)
    feed: Any = getattr(app.state, "feed", None)
    require(hasattr(feed, "say"), "your app should keep the cell's ex92_feed in app.state.feed")
    announce("5 messages, a stream that reads 3 and leaves, 2 more messages, a reconnection with Last-Event-ID", 10)
    feed.messages.clear()
    srv = _start(app, "exercise 9.2")
    failed: ExerciseFailed | None = None
    try:
        async with httpx.AsyncClient(base_url=srv.url, timeout=5) as client:
            for i in range(1, 6):
                feed.say(f"message {i}")
            first = await collect(client, "/feed", messages=3, seconds=3)
            _said(first, "GET /feed")
            require(
                len(first.messages) == 3,
                f"a new stream of GET /feed, with 5 messages in the feed, sent {len(first.messages)} events within "
                f"3 s ({first.ended}): it should send the feed's messages at once",
            )
            ids = [e.id for e in first.messages]
            require(
                all(ids),
                f"your events have no id (the first ones came with ids {ids}): without `id`, a browser has no "
                "Last-Event-ID to send, and cannot resume. Give each ServerSentEvent an id=...",
            )
            numbers = [int(i) for i in ids if i and i.isdigit()]
            require(
                numbers == sorted(set(numbers)) and len(numbers) == len(ids),
                f"the ids should be the messages' numbers, growing with each message (a browser sends the last one "
                f"back, and your code compares it): they were {ids}",
            )
            for i in range(6, 8):
                feed.say(f"message {i}")
            last = ids[-1] or ""
            again = collect(client, "/feed", messages=4, seconds=1.5, headers={"Last-Event-ID": last})
            second = await again
            _said(second, "GET /feed with Last-Event-ID")
            late = asyncio.create_task(collect(client, "/feed", messages=1, seconds=2, headers={"Last-Event-ID": "7"}))
            await asyncio.sleep(0.2)
            feed.say("message 8")
            live = await late
    except ExerciseFailed as exc:
        failed = exc
    finally:
        srv.stop()
    _server_error(srv, "GET /feed")  # the learner's own error first: it says more
    if failed is not None:
        raise failed
    got_first = [_text(e.data) for e in first.messages]
    require(
        got_first == ["message 1", "message 2", "message 3"],
        f"a new stream should start with the oldest messages: it sent {got_first}",
    )
    got = [_text(e.data) for e in second.messages]
    expected = ["message 4", "message 5", "message 6", "message 7"]
    if got[:1] == ["message 1"]:
        raise ExerciseFailed(
            f"after Last-Event-ID: {last}, your stream started again from the first message ({got[:4]}): it "
            "ignores the header. A browser would show everything twice. Start after the id it sends"
        )
    if got[:1] == ["message 3"]:
        raise ExerciseFailed(
            f"after Last-Event-ID: {last}, your stream sent 'message 3' again ({got[:4]}): Last-Event-ID is the "
            "id of the last event the client HAS, so start with the one after it (off by one)"
        )
    require(
        got == expected,
        f"after Last-Event-ID: {last}, the stream should send exactly {expected}; it sent {got} ({second.ended})",
    )
    require(
        [_text(e.data) for e in live.messages] == ["message 8"],
        f"a stream that had caught up should send a new message as it comes; it sent "
        f"{[_text(e.data) for e in live.messages]} ({live.ended})",
    )
    passed(
        f"the reconnection with Last-Event-ID: {last} got exactly the 4 messages it missed, in order, and then a "
        "new one live."
    )
