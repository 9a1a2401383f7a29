"""P6 broadcast: one WebSocket room and one SSE stream, each with 1,000 clients (chapters 08 and 09's apps).

The server runs in a process of its own (:class:`.process_server.ProcessServer`); the 1,000 clients run in this
process, on one event loop (uvloop where it is installed), so that they never share the server's interpreter.

* **ws**: chapter 08's room (``room.build(presence=False)``: no join and leave messages, which 1,000 members
  joining one by one would multiply into half a million). 1,000 members join ``/ws/p6`` with aiohttp's WebSocket
  client (its frame parser is in C: the clients' own cost stays small); one more member publishes ``messages``
  texts, one every ``interval`` seconds (10 a second: at 20 the server's one core is saturated and the latency
  is queueing), each carrying the
  publisher's ``time.perf_counter()`` and padding up to ``payload`` bytes. Every member notes when each message
  reaches it: the latency is receipt minus publish, on the same clock (one process).
* **ws-slow**: the same, with one more member that never reads (chapter 08's ``StalledClient``, a raw socket
  with a 4 KiB receive buffer) among them: the others' latencies, and whether the room let it go (``too_slow``).
* **sse**: chapter 09's live feed (``live.build()``), 1,000 subscribers to ``GET /events`` (sse-starlette) with
  aiohttp, the events published with ``POST /publish``.

Figures: p50, p99 and the maximum of every (message, receiver) latency; the server's memory per connection
(resident memory with every client connected, minus before any, divided by their number). The clients' own
work is in the latencies: a frame that reaches the client process waits its turn on the clients' loop, so the
figures are an upper bound of what the server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx

from .core import Figure, Measured, Mode, Plan, Row, Target, measure_rows, rounded
from .process_server import ProcessServer

GROUP = "P6"
TITLE = "broadcast: one WebSocket room and one SSE stream with 1,000 clients each"
ORDER = 46

ROOM = "course_app.chapters.ch08_websockets.room:build"
FEED = "course_app.chapters.ch09_sse.live:build"
LATENCY_TARGET = Target("<=", 250.0)  # ms, p99
STAMP = re.compile(r'\\"t\\": ([0-9.e+-]+)')  # the publisher's timestamp, inside the room's JSON string
JOIN_CONCURRENCY = 100  # handshakes in flight at once while the clients join
PHASE_TIMEOUT_S = 120.0  # a bound on each phase, whatever happens


@dataclass(frozen=True)
class Settings:
    clients: int = 1000
    messages: int = 50
    interval: float = 0.1  # seconds between two publishes: 10 a second (20 a second saturates the server's core)
    payload: int = 512  # bytes of each message

    def __post_init__(self) -> None:
        if min(self.clients, self.messages, self.payload) < 1 or not self.interval > 0:
            raise ValueError(f"P6 needs positive clients, messages, payload and interval: {self}")


SETTINGS: dict[Mode, Settings] = {
    "full": Settings(),
    "smoke": Settings(clients=50, messages=10),
}

VARIANTS = ("ws", "ws-slow", "sse")
WHAT = {
    "ws": "WebSocket room",
    "ws-slow": "WebSocket room with one member that never reads",
    "sse": "SSE stream (sse-starlette)",
}


def rows_for(s: Settings) -> list[Row]:
    rows = []
    for v in VARIANTS:
        what = f"{WHAT[v]}, {s.clients:,} clients, publish to receipt"
        rows += [
            Row(f"P6.{v}.p50", f"{what}: p50", "ms"),
            Row(f"P6.{v}.p99", f"{what}: p99", "ms", LATENCY_TARGET),
            Row(f"P6.{v}.max", f"{what}: maximum", "ms"),
        ]
        if v != "ws-slow":
            rows.append(Row(f"P6.{v}.memory", f"{WHAT[v]}: server memory per connection", "KiB", zero_ok=True))
    return rows


def measure(plan: Plan) -> list[Figure]:
    s = SETTINGS[plan.mode]
    figures: list[Figure] = []
    for v in VARIANTS:
        rows = [r for r in rows_for(s) if r.id.startswith(f"P6.{v}.")]
        figures += measure_rows(rows, lambda v=v: _measure(v, s))  # type: ignore[misc]
    return figures


@dataclass
class Run:
    latencies: list[float]  # seconds, one per (message, receiver)
    per_connection: float  # bytes of server memory
    expected: int  # deliveries there should have been
    extra: dict[str, Any]


def _measure(variant: str, s: Settings) -> list[Measured]:
    factory, kwargs = (FEED, {}) if variant == "sse" else (ROOM, {"presence": False})
    with ProcessServer(factory, **kwargs) as srv:
        run = _run(_sse(srv, s) if variant == "sse" else _room(srv, s, stalled=variant == "ws-slow"))
    if len(run.latencies) != run.expected:
        raise RuntimeError(f"{variant}: {len(run.latencies)} of {run.expected} deliveries arrived ({run.extra})")
    ms = sorted(x * 1000 for x in run.latencies)
    details: dict[str, Any] = {
        "clients": s.clients,
        "messages": s.messages,
        "interval_s": s.interval,
        "payload": s.payload,
        "deliveries": len(ms),
        **run.extra,
    }
    summary = {"samples": rounded([ms[0], statistics.median(ms), _percentile(ms, 99), ms[-1]])}
    note = f"{len(ms):,} deliveries; samples: min, p50, p99, max"
    out: list[Measured] = [
        (statistics.median(ms), {**details, **summary}, note),
        (_percentile(ms, 99), {**details, **summary}, note),
        (ms[-1], {**details, **summary}, note),
    ]
    if variant != "ws-slow":
        kib = run.per_connection / 1024
        out.append((max(kib, 0.0), {**details, "samples": rounded([kib])}, "RSS with all connected - before, ÷ N"))
    return out


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _run(work: Awaitable[Run]) -> Run:
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(asyncio.wait_for(work, PHASE_TIMEOUT_S))


# -- the WebSocket room ----------------------------------------------------------------------------------------


async def _room(srv: ProcessServer, s: Settings, *, stalled: bool) -> Run:
    from course_app.chapters.ch08_websockets.common import StalledClient

    url = srv.url.replace("http://", "ws://") + "/ws/p6"
    latencies: list[float] = []
    joined = asyncio.Semaphore(JOIN_CONCURRENCY)
    all_in = asyncio.Event()
    connected = 0
    before = srv.rss()

    async def member(i: int, session: aiohttp.ClientSession) -> None:
        nonlocal connected
        async with joined:
            ws = await session.ws_connect(f"{url}?name=m{i}", autoping=False, max_msg_size=0)
        async with ws:
            connected += 1
            if connected == s.clients:
                all_in.set()
            seen = 0
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"member {i}: {frame.type.name} {frame.data!r} {frame.extra!r}")
                stamp = STAMP.search(frame.data)  # the room's JSON holds the publisher's as a string: no parsing twice
                if stamp is None:
                    continue  # not a message of the publisher's
                latencies.append(time.perf_counter() - float(stamp.group(1)))
                seen += 1
                if seen == s.messages:
                    return

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    members = [asyncio.create_task(member(i, session)) for i in range(s.clients)]
    slow = StalledClient(f"{url}?name=slow") if stalled else None
    try:
        await all_in.wait()
        if slow is not None:
            await slow.__aenter__()
        per_connection = (srv.rss() - before) / s.clients
        async with session.ws_connect(f"{url}?name=publisher", autoping=False) as publisher:
            drain = asyncio.create_task(_drain(publisher))  # the publisher is a member too: it must keep reading
            for k in range(s.messages):
                await publisher.send_str(_message(k, s.payload))
                await asyncio.sleep(s.interval)
            await asyncio.gather(*members)
            drain.cancel()
        async with httpx.AsyncClient(timeout=10) as client:
            too_slow = (await client.get(f"{srv.url}/rooms")).json()["too_slow"]
    finally:
        for task in members:
            task.cancel()
        await asyncio.gather(*members, return_exceptions=True)
        if slow is not None:
            await slow.__aexit__(None, None, None)
        await session.close()
    return Run(latencies, per_connection, s.clients * s.messages, {"too_slow": too_slow, "stalled_member": stalled})


async def _drain(ws: Any) -> None:
    with contextlib.suppress(Exception):
        async for _ in ws:
            pass


def _message(k: int, payload: int) -> str:
    text = json.dumps({"k": k, "t": time.perf_counter(), "pad": ""})
    return text.replace('"pad": ""', '"pad": "' + "x" * max(0, payload - len(text)) + '"')


# -- the SSE stream --------------------------------------------------------------------------------------------


async def _sse(srv: ProcessServer, s: Settings) -> Run:
    latencies: list[float] = []
    before = srv.rss()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def subscriber() -> None:
            async with session.get(f"{srv.url}/events", headers={"Accept": "text/event-stream"}) as r:
                r.raise_for_status()
                seen = 0
                async for line in r.content:
                    if not line.startswith(b"data:"):
                        continue
                    latencies.append(time.perf_counter() - json.loads(line[5:])["t"])
                    seen += 1
                    if seen == s.messages:
                        return

        subscribers = [asyncio.create_task(subscriber()) for _ in range(s.clients)]
        try:
            # the server's own count: a stream has started before its subscription exists
            while (await _stats(session, srv))["subscribers"] < s.clients:  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # a poll interval; the phase's timeout bounds the wait
            per_connection = (srv.rss() - before) / s.clients
            for k in range(s.messages):
                body = json.loads(_message(k, s.payload))
                body["t"] = time.perf_counter()
                async with session.post(f"{srv.url}/publish", json=body) as r:
                    r.raise_for_status()
                await asyncio.sleep(s.interval)
            await asyncio.gather(*subscribers)
            dropped = (await _stats(session, srv))["dropped"]
        finally:
            for task in subscribers:
                task.cancel()
            await asyncio.gather(*subscribers, return_exceptions=True)
    return Run(latencies, per_connection, s.clients * s.messages, {"dropped": dropped})


async def _stats(session: aiohttp.ClientSession, srv: ProcessServer) -> dict[str, Any]:
    async with session.get(f"{srv.url}/stats") as r:
        r.raise_for_status()
        stats: dict[str, Any] = await r.json()
        return stats
