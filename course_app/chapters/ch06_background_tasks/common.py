"""What the chapter's apps share: a journal of when each background task ran, where, and how it ended.

The server runs in the notebook's own process (:class:`course_app.LiveServer`), so the tasks and the notebook's
client read one clock, ``time.perf_counter()``: a task's start can be set beside the moment the client got its
response, with no clock skew to argue about.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

#: how long a task of the chapter's apps may pretend to work: enough for every demo, short enough for a test
Seconds = Annotated[float, Query(gt=0, le=5, description="how long the task works, in seconds")]


@dataclass
class Event:
    """One task's run. ``loop`` is the id of the event loop it ran on, ``task`` the id of the asyncio task it ran
    in (both None in a worker thread)."""

    name: str
    start: float
    end: float | None = None
    thread: str = ""
    loop: int | None = None
    failed: str | None = None
    task: int | None = None

    @property
    def finished(self) -> bool:
        return self.end is not None and self.failed is None


class Journal:
    """The events of an app's tasks, in start order; safe to write from the loop and from worker threads."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def run(self, name: str) -> Iterator[Event]:
        """Record the block as one run of ``name``: start, end, thread, loop, and the exception if it raised."""
        try:
            loop: int | None = id(asyncio.get_running_loop())
            task: int | None = id(asyncio.current_task())
        except RuntimeError:  # a worker thread runs no loop
            loop = task = None
        event = Event(name, time.perf_counter(), thread=threading.current_thread().name, loop=loop, task=task)
        with self._lock:
            self.events.append(event)
        try:
            yield event
        except BaseException as exc:
            event.failed = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise
        finally:
            event.end = time.perf_counter()

    def named(self, name: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.name == name]

    def finished(self) -> list[Event]:
        with self._lock:
            return [e for e in self.events if e.finished]

    def clear(self) -> None:
        with self._lock:
            self.events.clear()

    async def wait_for(self, count: int, timeout: float) -> bool:
        """Wait (on the caller's loop) until ``count`` runs have ended, for ``timeout`` seconds at most."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                if sum(e.end is not None for e in self.events) >= count:
                    return True
            await asyncio.sleep(0.01)
        return False


@contextlib.contextmanager
def captured_log(name: str = "uvicorn.error") -> Iterator[list[logging.LogRecord]]:
    """What the logger ``name`` (uvicorn's error log by default) logs inside the block: kept, not printed.

    Start the server first: the course configures uvicorn's loggers when it starts its first server.
    """
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger(name)
    saved, propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [Keep()], False
    try:
        yield records
    finally:
        logger.handlers, logger.propagate = saved, propagate


class TimedOutput(io.StringIO):
    """A stand-in for ``sys.stdout`` that notes when each line was printed (``time.perf_counter()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        if text.strip():
            self.lines.append((time.perf_counter(), text.strip()))
        return super().write(text)

    async def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` lines were printed, for ``timeout`` seconds at most."""
        deadline = time.perf_counter() + timeout
        while len(self.lines) < count and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return len(self.lines) >= count
