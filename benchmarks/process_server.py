"""An app served in a process of its own, so that its memory is its own: ``with ProcessServer(factory, ...)``.

A ``LiveServer`` shares the measuring process, and with it the client's memory and interpreter. The figures
that are about the *server* (how much memory a 1 GiB download costs it) need the server apart: here a
``spawn`` child imports the app's factory by its dotted name, calls it with the given keyword arguments, serves
the app with a ``LiveServer`` (127.0.0.1, a free port) and sends the port back. The parent reads the child's
resident memory with psutil while it drives the server, and stops it by its own handle: an event the child
waits on, then ``join`` with a deadline, then ``terminate`` and ``kill`` of that one process.

The child watches its parent (:func:`course_app.lifeline.watch_parent`): a benchmark killed halfway leaves no
server behind.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event
from typing import Any

import psutil

__all__ = ["MemoryWatch", "ProcessServer"]

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def _serve(factory: str, kwargs: dict[str, Any], conn: multiprocessing.connection.Connection, stop: Event) -> None:
    from course_app.lifeline import watch_parent
    from course_app.server import LiveServer

    watch_parent()
    try:
        module, _, name = factory.partition(":")
        app = getattr(importlib.import_module(module), name)(**kwargs)
        srv = LiveServer(app, name=f"process:{name}", log_level="warning").start()
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    conn.send(("port", srv.port))
    try:
        stop.wait()
    finally:
        srv.stop()


class ProcessServer:
    """``factory`` is ``"package.module:function"``; ``kwargs`` must pickle (strings, numbers, paths)."""

    def __init__(self, factory: str, **kwargs: Any) -> None:
        if ":" not in factory:
            raise ValueError(f"factory must be 'package.module:function', not {factory!r}")
        self.factory = factory
        self.kwargs = kwargs
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._parent, child = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_serve, args=(factory, kwargs, child, self._stop), daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._process.pid is None:
            raise RuntimeError("the server process has not started")
        return self._process.pid

    def rss(self) -> int:
        """The server process's resident memory now, in bytes."""
        return int(psutil.Process(self.pid).memory_info().rss)

    def start(self) -> ProcessServer:
        self._process.start()
        if not self._parent.poll(START_TIMEOUT_S):
            self.stop()
            raise RuntimeError(f"{self.factory} did not start within {START_TIMEOUT_S:.0f} s")
        try:
            kind, value = self._parent.recv()
        except EOFError:  # the child ended before it said anything: its traceback is on stderr
            self.stop()
            raise RuntimeError(f"the server process for {self.factory} died at start") from None
        if kind != "port":
            self.stop()
            raise RuntimeError(f"{self.factory} failed to start: {value}")
        self.port = int(value)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._process.pid is None:
            return
        self._process.join(STOP_TIMEOUT_S)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(STOP_TIMEOUT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(STOP_TIMEOUT_S)

    def __enter__(self) -> ProcessServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class MemoryWatch:
    """Samples a process's resident memory every ``interval`` seconds while the block runs: ``peak - before``.

    ``before`` is read as the block starts, after whatever warm-up the caller did; the growth is what the work in
    the block added at its worst moment, which is what a server that streams must keep small.
    """

    read: Callable[[], int]
    interval: float = 0.01
    before: int = 0
    peak: int = 0
    samples: int = 0
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def growth(self) -> int:
        return max(0, self.peak - self.before)

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            self.peak = max(self.peak, self.read())
            self.samples += 1

    def __enter__(self) -> MemoryWatch:
        self.before = self.peak = self.read()
        self._thread = threading.Thread(target=self._sample, name="MemoryWatch", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(5)
        self.peak = max(self.peak, self.read())
        self.samples += 1
