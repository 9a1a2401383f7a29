"""What chapter 09's apps share: an in-process publisher, the ``Last-Event-ID`` rules, a guard for event-stream
routes, and the notebook's SSE client (httpx streaming, parsing the wire format itself).

The publisher gives each subscriber its **own bounded queue**: one event reaches every subscriber, and a subscriber
that stops reading fills only its own queue. When that queue is full the subscriber is dropped (its stream ends);
its client reconnects with ``Last-Event-ID`` and gets what it missed from the publisher's history, as long as the
history still holds it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Header, HTTPException, Query

__all__ = [
    "EVENT_STREAM",
    "Event",
    "Feed",
    "Publisher",
    "Subscriber",
    "WireEvent",
    "last_event_id",
    "parse_event_id",
    "read_events",
    "wants_event_stream",
]

EVENT_STREAM = "text/event-stream"


@dataclass(frozen=True)
class Event:
    """One published event. ``id`` is ``"<boot>-<n>"``: ``n`` grows by one per event, ``boot`` names the publisher,
    so an id from before a restart is recognised as such instead of being compared with new numbers."""

    boot: str
    n: int
    data: str  # JSON text, sent as the event's data line
    event: str = "message"

    @property
    def id(self) -> str:
        return f"{self.boot}-{self.n}"


@dataclass(eq=False)
class Subscriber:
    """One stream's queue. ``None`` in the queue means: you were dropped, end the stream."""

    queue: asyncio.Queue[Event | None]
    backlog: list[Event]  # what it missed since its Last-Event-ID, sent before the queue
    reset: bool = False  # its Last-Event-ID came from another boot (a restarted server): history is gone
    dropped: bool = False


@dataclass(eq=False)
class Publisher:
    """Publish to every subscriber's own bounded queue; keep the last ``history`` events for resuming."""

    queue_size: int = 100
    history: int = 1000
    boot: str = field(default_factory=lambda: secrets.token_hex(3))
    last_n: int = 0
    published: int = 0
    dropped: int = 0
    cleanups: int = 0
    subscribers: set[Subscriber] = field(default_factory=set)
    _history: deque[Event] = field(init=False)

    def __post_init__(self) -> None:
        if self.queue_size < 1 or self.history < 0:
            raise ValueError("queue_size must be at least 1 and history at least 0")
        self._history = deque(maxlen=self.history)

    def publish(self, data: Any, event: str = "message") -> Event:
        """Send ``data`` (JSON-encodable) to every subscriber; never waits. A full queue drops its subscriber."""
        self.last_n += 1
        self.published += 1
        item = Event(self.boot, self.last_n, json.dumps(data, separators=(",", ":")), event)
        self._history.append(item)
        for sub in list(self.subscribers):
            try:
                sub.queue.put_nowait(item)
            except asyncio.QueueFull:
                self._drop(sub)
        return item

    def _drop(self, sub: Subscriber) -> None:
        sub.dropped = True
        self.dropped += 1
        self.subscribers.discard(sub)
        while not sub.queue.empty():  # make room for the one message that matters now
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    @contextmanager
    def subscribe(self, last_id: tuple[str, int] | None = None) -> Iterator[Subscriber]:
        """Register a queue (and what was missed since ``last_id``), atomically: no await between the two, so no
        event falls between the backlog and the queue. Unregistered on exit, whatever ends the stream."""
        backlog: list[Event] = []
        reset = False
        if last_id is not None:
            boot, n = last_id
            if boot == self.boot and n <= self.last_n:
                backlog = [e for e in self._history if e.n > n]
            else:
                reset = True  # another server's ids (or ours from the future): start from now, and say so
        sub = Subscriber(asyncio.Queue(self.queue_size), backlog, reset)
        self.subscribers.add(sub)
        try:
            yield sub
        finally:
            self.subscribers.discard(sub)
            self.cleanups += 1

    async def events(self, last_id: tuple[str, int] | None = None) -> AsyncIterator[Event]:
        """The events of one subscription: the backlog, then live ones, until the subscriber is dropped."""
        with self.subscribe(last_id) as sub:
            if sub.reset:
                yield Event(self.boot, self.last_n, json.dumps({"boot": self.boot}), "reset")
            for item in sub.backlog:
                yield item
            while True:
                got = await sub.queue.get()
                if got is None:
                    return
                yield got

    def stats(self) -> dict[str, Any]:
        return {
            "boot": self.boot,
            "last_id": f"{self.boot}-{self.last_n}",
            "subscribers": len(self.subscribers),
            "published": self.published,
            "dropped": self.dropped,
            "cleanups": self.cleanups,
            "queue_size": self.queue_size,
            "history": self.history,
        }


def parse_event_id(value: str) -> tuple[str, int]:
    """``"a1b2c3-17"`` -> ``("a1b2c3", 17)``; ValueError for anything else."""
    boot, sep, n = value.strip().rpartition("-")
    if not sep or not boot or len(boot) > 32 or not boot.isalnum() or not n.isdigit() or len(n) > 18:
        raise ValueError(value)
    return boot, int(n)


def last_event_id(
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
    last_id: Annotated[str | None, Query(max_length=64, description="fallback when a header cannot be set")] = None,
) -> tuple[str, int] | None:
    """Where to resume: the ``Last-Event-ID`` header (EventSource sends it when it reconnects), else ``?last_id=``
    (a page that makes a new EventSource after a proxy error has no other way). A malformed one is a 400."""
    given = last_event_id if last_event_id else last_id
    if not given:
        return None
    try:
        return parse_event_id(given)
    except ValueError:
        raise HTTPException(
            400, f"Last-Event-ID should be an id this server sent, like 'a1b2c3-17', not {given!r}"
        ) from None


def wants_event_stream(accept: Annotated[str, Header()] = "") -> None:
    """A 406 unless the client asks for ``text/event-stream``, as EventSource always does.

    Behind jupyter-server-proxy (the course's hub) a request without ``Accept: text/event-stream`` is buffered
    whole before it is passed on: an endless stream would never arrive. A client that reads a whole body (curl
    without ``-H``, a test that GETs every route) would hang for ever. A clear 406 says what to send instead.
    """
    if EVENT_STREAM not in accept.lower():
        raise HTTPException(406, f"this route is an event stream: send the header 'Accept: {EVENT_STREAM}'")


@dataclass
class WireEvent:
    """One event as a client parsed it off the wire, with when (``time.perf_counter()``) its blank line arrived."""

    at: float
    data: str = ""
    event: str = "message"
    id: str | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def is_comment(self) -> bool:
        return not self.data and self.event == "message" and self.id is None and self.retry is None

    def json(self) -> Any:
        return json.loads(self.data)


async def read_events(response: httpx.Response, raw: list[str] | None = None) -> AsyncIterator[WireEvent]:
    """Parse an event stream from an httpx streaming response, per the HTML standard's rules: a line ``field:
    value`` (one space after the colon dropped), ``:`` starts a comment, a blank line ends an event. Comment-only
    blocks (keep-alive pings) come out too, as events whose ``is_comment`` is true. ``raw`` collects the lines."""
    current = WireEvent(0.0)
    data: list[str] = []
    async for line in response.aiter_lines():
        if raw is not None:
            raw.append(line)
        if line == "":
            if data or current.comments or current.id is not None or current.retry is not None:
                current.data = "\n".join(data)
                current.at = time.perf_counter()
                yield current
            current, data = WireEvent(0.0), []
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "":
            current.comments.append(value)
        elif name == "data":
            data.append(value)
        elif name == "event":
            current.event = value
        elif name == "id":
            current.id = value
        elif name == "retry" and value.isdigit():
            current.retry = int(value)


class Feed:
    """Exercise 9.2's stand-in for a publisher: a list of messages (message ``i`` has id ``i``, from 1), and a way
    to wait for more. It polls, every 20 ms, so that the notebook's loop may add messages that a server's loop
    waits for (an asyncio.Condition belongs to one loop)."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def say(self, text: str) -> int:
        """Add a message; its id."""
        self.messages.append(text)
        return len(self.messages)

    async def wait_past(self, n: int, poll: float = 0.02) -> None:
        """Return once there are more than ``n`` messages."""
        while len(self.messages) <= n:  # noqa: ASYNC110  (polling on purpose: see the class docstring)
            await asyncio.sleep(poll)
