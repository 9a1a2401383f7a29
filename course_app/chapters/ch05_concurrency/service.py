"""The "external services" of the chapter: one local app that stands for all of them, and keeps the books.

Each *source* (the first segment of the path: ``api``, ``store1``, ``store2``...) answers after the delay, and
fails with the share of failures, that the notebook sets for it (:meth:`Book.behave`). The service counts its own
requests in flight, refuses those beyond its ``limit`` with 429 (a service that allows 20 at a time), and records
every call: when it started and ended, and how it ended: ``ok``, ``failed``, ``refused``, or ``cancelled`` when the
caller went away before the answer. It sees that as a real service does: the TCP connection closes.
"""

from __future__ import annotations

import fnmatch
import random
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.responses import Response

from .common import until_disconnected

SOURCE = r"^[a-z][a-z0-9-]{0,30}$"


@dataclass(frozen=True)
class Behaviour:
    delay: float = 0.05  # seconds before the answer
    fail: float = 0.0  # the share of calls that fail with 503, from 0 to 1


@dataclass(frozen=True)
class Call:
    """One call, as the service saw it; times from ``time.perf_counter()`` (the notebook's clock too)."""

    source: str
    path: str
    start: float
    end: float
    outcome: str  # "ok", "failed", "refused" or "cancelled"


class Book:
    """The service's settings and records. The notebook sets and reads it; the service's loop writes it."""

    def __init__(self) -> None:
        self.behaviours: dict[str, Behaviour] = {}
        self.limit: int | None = None  # requests in flight allowed at once; None: no limit
        self.calls: list[Call] = []
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._random = random.Random(5)  # the same failures on every run

    def behave(self, where: str, *, delay: float = 0.05, fail: float = 0.0) -> None:
        """Set how the calls ``where`` names behave: a source (``"store1"``), or a pattern over source and path
        (``"api/users/*/comments"``), which comes first."""
        if not 0 <= delay <= 30 or not 0 <= fail <= 1:
            raise ValueError("delay is 0 to 30 seconds, fail a share from 0 to 1")
        self.behaviours[where] = Behaviour(delay, fail)

    def behaviour(self, source: str, path: str) -> Behaviour:
        for where, behaviour in list(self.behaviours.items()):
            if "/" in where and fnmatch.fnmatchcase(f"{source}/{path}", where):
                return behaviour
        return self.behaviours.get(source, Behaviour())

    def reset(self, *, limit: int | None = None) -> None:
        """Forget the calls and every behaviour; set the limit of requests in flight."""
        with self._lock:
            self.behaviours.clear()
            self.calls = []
            self.peak = self.in_flight
            self.limit = limit

    def of(self, source: str) -> list[Call]:
        return [c for c in list(self.calls) if c.source == source]

    def outcomes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in list(self.calls):
            counts[call.outcome] = counts.get(call.outcome, 0) + 1
        return counts

    async def settled(self, count: int, timeout: float = 5.0) -> list[Call]:
        """The calls, once ``count`` of them have ended (or after ``timeout`` seconds): what a cell reads to see what
        went on running after a handler answered."""
        deadline = time.perf_counter() + timeout
        while len(self.calls) < count and time.perf_counter() < deadline:  # noqa: ASYNC110
            await anyio.sleep(0.01)
        return list(self.calls)

    def in_flight_series(self) -> list[tuple[float, int]]:
        """(time, requests in flight from then on), from the records: a step function for a plot."""
        events = sorted([(c.start, 1) for c in self.calls if c.outcome != "refused"]
                        + [(c.end, -1) for c in self.calls if c.outcome != "refused"])  # fmt: skip
        series, level = [], 0
        for t, step in events:
            level += step
            series.append((t, level))
        return series

    # -- used by the service itself --

    def admit(self) -> bool:
        with self._lock:
            if self.limit is not None and self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return True

    def refuse(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def leave(self, call: Call) -> None:
        with self._lock:
            self.in_flight -= 1
            self.calls.append(call)

    def fails(self, behaviour: Behaviour) -> bool:
        return behaviour.fail > 0 and self._random.random() < behaviour.fail


def create_app() -> FastAPI:
    """The service, with a book of its own for its settings and records: ``app.state.book``."""
    # redirect_slashes off: "/nothing" must be a 404, not a redirect to "/nothing/" (a source with an empty path)
    app = FastAPI(title="ch05: the external services, one local app", redirect_slashes=False)
    app.state.book = Book()
    app.get("/stats")(stats)
    app.get("/{source}/{path:path}")(answer)
    return app


async def stats(request: Request) -> dict[str, Any]:
    """Requests in flight now, the peak, and how the calls recorded so far ended."""
    book: Book = request.app.state.book
    return {"in_flight": book.in_flight, "peak": book.peak, "limit": book.limit, "outcomes": book.outcomes()}


async def answer(request: Request, source: Annotated[str, Path(pattern=SOURCE)], path: str) -> Any:
    """Answer after the source's delay, or fail; unless the caller goes away first: then record ``cancelled``."""
    book: Book = request.app.state.book
    behaviour = book.behaviour(source, path)
    start = time.perf_counter()
    if not book.admit():
        book.refuse(Call(source, path, start, start, "refused"))
        raise HTTPException(429, f"this service allows {book.limit} requests at a time", headers={"Retry-After": "1"})
    outcome = "cancelled"  # also what a shutdown in the middle of the call records
    try:
        with anyio.move_on_after(behaviour.delay) as waiting:
            await until_disconnected(request)  # returns only if the caller goes away before the delay is over
        if not waiting.cancelled_caught:
            return Response(status_code=499)  # nobody is there to read it (nginx's "client closed request")
        if book.fails(behaviour):
            outcome = "failed"
            raise HTTPException(503, f"{source} is failing, as the notebook asked (fail={behaviour.fail:g})")
        outcome = "ok"
        return {"source": source, "path": path, "price": 100 + len(source) + len(path), "after": behaviour.delay}
    finally:
        book.leave(Call(source, path, start, time.perf_counter(), outcome))


app = create_app()
