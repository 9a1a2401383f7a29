"""What chapter 08's measurements share: clients that misbehave on purpose, and the server's log, captured.

A well-behaved client (``websockets.asyncio.client.connect``) reads in the background and answers pings by
itself, so it cannot stand for a client that stopped reading or stopped answering. These can:

* :class:`StalledClient` does the opening handshake over a plain socket with a small receive buffer, and then
  never reads again: what a browser tab in the background, a phone in a tunnel or a stuck consumer look like to a
  server, once their buffers are full;
* :class:`DeafClient` reads and parses every frame but never writes a byte after the handshake: it never answers
  a ping with a pong, as a client whose machine went to sleep, or a half-open connection, does.

Both speak WebSocket through websockets' own sans-I/O ``ClientProtocol``, so the bytes are right; only the
behaviour is wrong. :func:`captured_log` collects what one LiveServer logs, to show what a server operator sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from ...loadgen import LoadResult, Outcome, RequestRecord
from ...server import LiveServer

__all__ = [
    "CLIENT",
    "DeafClient",
    "LogLine",
    "StalledClient",
    "captured_log",
    "deliveries",
    "fresh_manager",
    "send_buffer_max",
]

#: how the plots name the client that measured a delivery
CLIENT = "websockets.asyncio.client (one member publishing, one reading)"

HANDSHAKE_TIMEOUT = 5.0


class _RawClient:
    """A WebSocket client over a non-blocking socket, driven by hand (connect, then the subclass decides)."""

    def __init__(self, url: str, rcvbuf: int | None = None) -> None:
        self.url = url
        self.rcvbuf = rcvbuf
        self.sock: socket.socket | None = None
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)

    async def connect(self) -> Response:
        loop = asyncio.get_running_loop()
        parts = urlsplit(self.url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.rcvbuf:  # before connect(), so that the TCP window is small from the start
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.setblocking(False)
        self.sock = sock
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                await loop.sock_connect(sock, (parts.hostname, parts.port))
                request = self.protocol.connect()
                self.protocol.send_request(request)
                await self._flush()
                while True:
                    data = await loop.sock_recv(sock, 65536)
                    if not data:
                        raise ConnectionError("the server closed the connection during the handshake")
                    self.protocol.receive_data(data)
                    for event in self.protocol.events_received():
                        if isinstance(event, Response):
                            if event.status_code != 101:
                                raise ConnectionError(f"the server refused the WebSocket: HTTP {event.status_code}")
                            self.response = event
                            return event
        except BaseException:
            self.abort()
            raise

    async def _flush(self) -> None:
        assert self.sock is not None
        loop = asyncio.get_running_loop()
        for chunk in self.protocol.data_to_send():
            if chunk:
                await loop.sock_sendall(self.sock, chunk)

    def abort(self) -> None:
        """Drop the connection at once, with a TCP reset: what a crashed client does."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.sock.close()
            self.sock = None

    async def __aenter__(self) -> Any:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.abort()


class StalledClient(_RawClient):
    """Joins, may send text messages, and never reads: the server's sends to it pile up in the buffers."""

    def __init__(self, url: str, rcvbuf: int = 4096) -> None:
        super().__init__(url, rcvbuf=rcvbuf)

    async def send(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        await self._flush()

    async def send_binary(self, data: bytes) -> None:
        self.protocol.send_binary(data)
        await self._flush()


@dataclass
class Heard:
    """What a :class:`DeafClient` received: pings (seconds after the handshake) and the close, if any."""

    pings: list[float] = field(default_factory=list)
    messages: int = 0
    close: Close | None = None
    closed_after: float | None = None  # seconds from the handshake to the end of the connection


class DeafClient(_RawClient):
    """Reads every frame, answers nothing: pings go unanswered (a pong is queued by the protocol, never sent)."""

    async def listen(self, seconds: float) -> Heard:
        """Read for at most ``seconds``; return what came, and when the server closed the connection."""
        assert self.sock is not None
        loop = asyncio.get_running_loop()
        heard = Heard()
        start = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    try:
                        data = await loop.sock_recv(self.sock, 65536)
                    except ConnectionError:
                        data = b""
                    now = time.perf_counter() - start
                    if not data:
                        heard.closed_after = now
                        break
                    self.protocol.receive_data(data)
                    self.protocol.data_to_send()  # the pongs the protocol wrote: dropped, never sent
                    for event in self.protocol.events_received():
                        if isinstance(event, Frame) and event.opcode is Opcode.PING:
                            heard.pings.append(now)
                        elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                            heard.close = Close.parse(event.data)
                        elif isinstance(event, Frame):
                            heard.messages += 1
        return heard


@dataclass(frozen=True)
class LogLine:
    logger: str
    level: str
    message: str
    traceback: bool  # the record carries an exception: the log shows a traceback

    def __str__(self) -> str:
        return f"{self.level}: {self.message}" + ("  [+ traceback]" if self.traceback else "")


class _Collector(logging.Handler):
    def __init__(self, thread_suffix: str) -> None:
        super().__init__(logging.DEBUG)
        self.suffix = thread_suffix
        self.lines: list[LogLine] = []

    def emit(self, record: logging.LogRecord) -> None:
        if (record.threadName or "").endswith(self.suffix):
            first = record.getMessage().strip().splitlines()[0] if record.getMessage().strip() else ""
            self.lines.append(LogLine(record.name, record.levelname, first, record.exc_info is not None))


@contextlib.contextmanager
def captured_log(srv: LiveServer) -> Iterator[list[LogLine]]:
    """The lines ``srv`` logs while the block runs (uvicorn's loggers, at the server's ``log_level``)."""
    collector = _Collector(f":{srv.port}]")
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "uvicorn.access")]
    for logger in loggers:
        logger.addHandler(collector)
    try:
        yield collector.lines
    finally:
        for logger in loggers:
            logger.removeHandler(collector)


def fresh_manager(module: ModuleType) -> Any:
    """Give a seed module a new, empty ``manager``: the seed keeps its connections in a module-level object, which
    a server that stopped would otherwise leave full of dead connections for the next one."""
    setattr(module, "manager", module.ConnectionManager())  # noqa: B010  (a module attribute, by name)
    return module.manager


def send_buffer_max() -> int:
    """The most a TCP socket's send buffer grows to here (Linux's ``tcp_wmem``; else 4 MiB): a client that never
    reads stalls its sender only once this much (and its own receive buffer) is queued."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            return int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 * 1024 * 1024


_MARK = re.compile(r"msg-(\d+)-")


async def deliveries(
    publisher: str, reader: str, *, n: int, size: int, within: float, pause: float = 0.0, label: str = ""
) -> LoadResult:
    """One member (``publisher``, a ws:// URL) sends ``n`` messages of about ``size`` characters, ``pause`` seconds
    apart; another (``reader``) reads. Each message is a record: sent (``start``) to received by the reader (``end``); one the
    reader did not get within ``within`` seconds of the first send is a timeout. A :class:`LoadResult`, so that the
    course's plots draw it.
    """
    filler = "x" * max(0, size - 16)
    sent: dict[int, float] = {}
    received: dict[int, float] = {}
    async with (
        connect(publisher, max_size=None, close_timeout=1) as pub,
        connect(reader, max_size=None, close_timeout=1) as sub,
    ):
        done = asyncio.Event()

        async def read() -> None:
            async for frame in sub:
                found = _MARK.search(frame[:200] if isinstance(frame, str) else "")
                if found:
                    received.setdefault(int(found.group(1)), time.perf_counter())
                    if len(received) == n:
                        done.set()
                        return

        async def drain() -> None:  # the publisher reads what comes back too: it is a member, not a slow one
            async for _ in pub:
                pass

        reading, draining = asyncio.create_task(read()), asyncio.create_task(drain())
        await asyncio.sleep(0.05)  # the join messages go by
        t0 = time.perf_counter()
        # a server that stopped reading stops the publisher's sends too; one that dropped it ends them
        with contextlib.suppress(TimeoutError, ConnectionClosed):
            async with asyncio.timeout(within):
                for i in range(n):
                    await pub.send(f"msg-{i}-{filler}")
                    sent[i] = time.perf_counter()
                    await asyncio.sleep(pause)  # and the reader shares this loop: let it read as we go
                await done.wait()
        wall = time.perf_counter() - t0
        for task in (reading, draining):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for ws in (pub, sub):  # a server stuck on another member may never answer a close: do not wait for it
            ws.transport.abort()
    records = []
    for i in range(n):
        if i in received:
            records.append(RequestRecord(i, sent[i] - t0, received[i] - t0, 200))
        elif i in sent:
            records.append(RequestRecord(i, sent[i] - t0, wall, None, "not received", outcome=Outcome.TIMEOUT))
        else:
            records.append(RequestRecord(i, wall, wall, None, "never sent", outcome=Outcome.SKIPPED))
    return LoadResult(CLIENT, "WS", reader, n, 1, records, wall, t0, label=label)
