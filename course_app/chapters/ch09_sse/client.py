"""The notebook's side of a stream: read events for a bounded time, close at a known moment, and FastAPI's
keep-alive interval made shorter for a measurement.

Every read here is bounded (a count and a deadline): a stream that never ends must not hang a cell.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import httpx

from .common import EVENT_STREAM, WireEvent, read_events

__all__ = ["SSE_HEADERS", "Process", "Stream", "collect", "fastapi_ping_interval", "uvicorn_process", "wait_for"]

SSE_HEADERS = {"Accept": EVENT_STREAM}


@dataclass
class Stream:
    """What one bounded read of a stream got: its events (comments included), raw lines, how it ended."""

    status: int = 0
    started: float = 0.0  # time.perf_counter() when the request was sent
    events: list[WireEvent] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    ended: str = "open"  # "complete", "cut off: <error>", "deadline", "enough"
    closed_at: float = 0.0  # when the client began to close its side (the server may see it before close returns)

    @property
    def messages(self) -> list[WireEvent]:
        """The events that carry data (not keep-alive comments)."""
        return [e for e in self.events if e.data]

    @property
    def pings(self) -> list[WireEvent]:
        return [e for e in self.events if e.is_comment and e.comments and "connected" not in e.comments]

    def times(self) -> list[float]:
        """Seconds from the request to each message."""
        return [e.at - self.started for e in self.messages]


async def collect(
    client: httpx.AsyncClient,
    path: str,
    *,
    messages: int | None = None,
    seconds: float = 5.0,
    headers: dict[str, str] | None = None,
) -> Stream:
    """Read ``path`` until ``messages`` data events arrived, the stream ended, or ``seconds`` passed; then close."""
    out = Stream(started=time.perf_counter())
    try:
        async with asyncio.timeout(seconds):
            async with client.stream("GET", path, headers={**SSE_HEADERS, **(headers or {})}) as response:
                out.status = response.status_code
                if response.status_code != 200:
                    await response.aread()
                    out.ended = f"status {response.status_code}"
                    return out
                async for event in read_events(response, out.raw):
                    out.events.append(event)
                    if messages is not None and len(out.messages) >= messages:
                        out.ended = "enough"
                        break
                else:
                    out.ended = "complete"
                out.closed_at = time.perf_counter()  # the client starts closing: leaving the block closes it
    except TimeoutError:
        out.ended, out.closed_at = "deadline", time.perf_counter()
    except httpx.HTTPError as exc:
        out.ended, out.closed_at = f"cut off: {type(exc).__name__}: {exc}", time.perf_counter()
    return out


async def wait_for(condition: Callable[[], bool], seconds: float = 3.0) -> bool:
    """Poll ``condition`` every 2 ms until it holds or ``seconds`` pass; whether it held."""
    deadline = time.perf_counter() + seconds
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.002)
    return True


@contextlib.contextmanager
def fastapi_ping_interval(seconds: float) -> Iterator[float]:
    """FastAPI's keep-alive interval set to ``seconds`` inside the block; yields the default it replaced.

    FastAPI has no setting for it: ``fastapi.sse._PING_INTERVAL`` (15.0) is private, and ``fastapi.routing``
    imports its own name for it, which is the one its SSE streams read. Process-wide: only for a measurement.
    """
    routing: Any = fastapi.routing
    saved: float = routing._PING_INTERVAL
    routing._PING_INTERVAL = seconds
    try:
        yield saved
    finally:
        routing._PING_INTERVAL = saved


# `python -m uvicorn ...`, which ends with the process that started it, however that one dies (a kernel killed with
# `kill -9` included): on Linux the kernel sends it SIGKILL when its parent goes (prctl PR_SET_PDEATHSIG); the
# parent's pid, checked after that, covers a parent that was gone before. Elsewhere the block's `finally` stops it.
_WITH_ITS_PARENT = """
import os, signal, sys
parent = int(sys.argv.pop(1))
if sys.platform.startswith("linux"):
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() != parent:
    sys.exit(1)
from uvicorn.main import main
sys.argv[0] = "uvicorn"
main()
"""


@contextlib.asynccontextmanager
async def uvicorn_process(app: str, *options: str, start_timeout: float = 20.0) -> AsyncIterator[Process]:
    """``python -m uvicorn <app>`` in a process of its own, as in production: uvicorn in its main thread, with its
    signal handlers. It listens on a socket bound here (127.0.0.1, a free port) and handed over with ``--fd``
    (POSIX), and is stopped by its own handle when the block ends. ``app`` needs a ``GET /ping``."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    uvicorn_args = [app, "--fd", str(sock.fileno()), "--log-level", "critical", *options]
    command = [sys.executable, "-c", _WITH_ITS_PARENT, str(os.getpid()), *uvicorn_args]
    proc = subprocess.Popen(command, pass_fds=(sock.fileno(),), stdin=subprocess.DEVNULL)
    sock.close()  # the process has its own copy
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.perf_counter() + start_timeout
        async with httpx.AsyncClient(base_url=url, timeout=2) as client:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"uvicorn exited with {proc.returncode} before it answered")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/ping")).status_code == 200:
                        break
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"uvicorn did not answer within {start_timeout:g} s")
                await asyncio.sleep(0.05)
        yield Process(proc, url)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


@dataclass
class Process:
    """A uvicorn process: its handle, and the base URL it serves."""

    popen: subprocess.Popen[bytes]
    url: str

    def terminate(self) -> float:
        """Send SIGTERM, as a container platform does to stop it; the moment it was sent (perf_counter)."""
        self.popen.send_signal(signal.SIGTERM)
        return time.perf_counter()

    async def exited(self, timeout: float = 10.0) -> float:
        """Wait for the process to end; the moment it was seen gone."""
        await asyncio.to_thread(self.popen.wait, timeout)
        return time.perf_counter()
