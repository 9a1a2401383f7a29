"""The load client: N concurrent requests, one record per request, honest figures.

``await load(srv, "/async", n=100)`` fires 100 concurrent requests from the
notebook's own event loop and returns a :class:`LoadResult`: wall time,
percentiles and one :class:`RequestRecord` (start, end, status) per request.

Three engines send the requests; every result names the one that produced it:

``"raw"`` (the default)
    asyncio protocols with uvicorn's own C parser (httptools), one keep-alive
    connection per concurrent slot, opened before the clock starts. Its cost per
    request is a few microseconds, so the timings are the server's, not the client's.
``"httpx"``
    ``httpx.AsyncClient``: what learners write client code with. It is a poor load
    generator; chapter 00 measures how poor, against the other two.
``"aiohttp"``
    ``aiohttp.ClientSession``, for comparison.

:func:`calibrate` measures an engine's own overhead against the analytical ideal
(N concurrent ``await asyncio.sleep(t)`` requests take ``t``), so that a notebook
can state it next to every figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

import httptools

if TYPE_CHECKING:
    from .server import LiveServer

__all__ = [
    "ENGINES",
    "Calibration",
    "LoadResult",
    "Outcome",
    "RequestRecord",
    "calibrate",
    "calibration",
    "ideal_async",
    "ideal_serial",
    "ideal_threadpool",
    "load",
]

Engine = Literal["raw", "httpx", "aiohttp"]
ENGINES: dict[str, str] = {
    "raw": "asyncio + httptools (raw)",
    "httpx": "httpx.AsyncClient",
    "aiohttp": "aiohttp.ClientSession",
}


# -- the analytical ideals -----------------------------------------------------------


def ideal_async(n: int, t: float) -> float:
    """N concurrent ``await asyncio.sleep(t)``: they overlap, so the batch takes t."""
    return t if n > 0 else 0.0


def ideal_threadpool(n: int, t: float, workers: int = 40) -> float:
    """N ``def`` handlers that each block a worker thread for t: waves of ``workers``."""
    return math.ceil(n / workers) * t


def ideal_serial(n: int, t: float) -> float:
    """N handlers that block the event loop for t each run one after another: N·t."""
    return n * t


def nearest_rank(ordered: list[float], p: float) -> float:
    """The nearest-rank percentile ``p`` (0–100) of values sorted in ascending order; NaN if empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be between 0 and 100, not {p}")
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# -- results -------------------------------------------------------------------------


class Outcome(str, Enum):
    """How one request ended. A value, so that plots and benchmarks never parse messages."""

    RESPONSE = "response"  # the server answered (any status)
    TIMEOUT = "timeout"  # no answer within the request's ``timeout``
    CUT_OFF = "cut off"  # sent, but the run's ``max_seconds`` ran out before the answer
    SKIPPED = "skipped"  # never sent: the run's ``max_seconds`` ran out first
    ERROR = "error"  # the connection failed (refused, reset, ...): see ``error``

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)  # slots: one per request, and a run may send 100 000
class RequestRecord:
    """One request: times in seconds from the start of the run."""

    index: int
    start: float
    end: float
    status: int | None  # None: no response (see ``outcome`` and ``error``)
    error: str | None = None  # what went wrong, in words, when there was no response
    body: bytes | None = None  # kept only when the run asked for bodies
    outcome: Outcome = Outcome.RESPONSE

    @property
    def unfinished(self) -> bool:
        """Stopped by the run's own ``max_seconds`` (cut off or never sent), not by the server."""
        return self.outcome in (Outcome.CUT_OFF, Outcome.SKIPPED)

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


@dataclass
class LoadResult:
    """What one run measured. ``records`` holds one entry per request."""

    engine: str
    method: str
    url: str
    n: int
    concurrency: int
    records: list[RequestRecord]
    wall: float
    t0: float  # time.perf_counter() at the start of the run, to align probe samples
    setup: float = 0.0  # seconds spent opening connections before the clock started
    label: str = ""

    @property
    def client(self) -> str:
        """A human name of the engine that produced these figures."""
        return ENGINES.get(self.engine, self.engine)

    @property
    def statuses(self) -> Counter[int | str]:
        return Counter(r.status if r.status is not None else r.outcome.value for r in self.records)

    @property
    def ok(self) -> int:
        return sum(r.ok for r in self.records)

    @property
    def failed(self) -> int:
        return len(self.records) - self.ok

    @property
    def latencies(self) -> list[float]:
        return sorted(r.latency for r in self.records)

    def percentile(self, p: float) -> float:
        """Latency at percentile ``p`` (0–100), nearest-rank."""
        return nearest_rank(self.latencies, p)

    @property
    def throughput(self) -> float:
        """Completed requests per second of wall time."""
        return self.ok / self.wall if self.wall > 0 else math.nan

    def ratio(self, ideal: float) -> float:
        """Measured wall time divided by the analytical ideal."""
        return self.wall / ideal

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "client": self.client,
            "n": self.n,
            "concurrency": self.concurrency,
            "wall_s": round(self.wall, 4),
            "p50_s": round(self.percentile(50), 4),
            "p90_s": round(self.percentile(90), 4),
            "p99_s": round(self.percentile(99), 4),
            "max_s": round(self.percentile(100), 4),
            "rps": round(self.throughput, 1),
            "ok": self.ok,
            "failed": self.failed,
        }

    def __repr__(self) -> str:
        s = self.summary()
        failed = f", {s['failed']} failed {dict(self.statuses)}" if s["failed"] else ""
        return (
            f"<LoadResult {self.label or self.method + ' ' + self.url}: n={self.n} c={self.concurrency} "
            f"wall={s['wall_s']:.3f}s p50={s['p50_s']:.3f}s p99={s['p99_s']:.3f}s "
            f"ok={s['ok']}{failed} client={self.client}>"
        )


# -- the engines ---------------------------------------------------------------------


class _Target:
    def __init__(self, url: str, method: str, headers: dict[str, str] | None, body: bytes | None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"load() needs an http:// URL such as 'http://127.0.0.1:8000/path', not {url!r}")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.method = method.upper()
        self.headers = dict(headers or {})
        self.body = body
        lines = [f"{self.method} {self.path} HTTP/1.1", f"host: {parts.netloc}", "user-agent: course-load"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if body is not None:
            lines.append(f"content-length: {len(body)}")
        self.raw_request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class _Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection parsed by httptools."""

    def __init__(self, keep_body: bool) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes | None]] | None = None
        self.keep_body = keep_body
        self.chunks: list[bytes] = []
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"malformed HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError("server closed the connection before responding"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        if self.keep_body:
            self.chunks.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        body = b"".join(self.chunks) if self.keep_body else None
        self.chunks = []
        if not self.parser.should_keep_alive() and self.transport is not None:
            self.transport.close()
            self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def request(self, raw: bytes, timeout: float) -> tuple[int, bytes | None]:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[tuple[int, bytes | None]] = loop.create_future()
        self.waiter = waiter
        # A timer on the future, not asyncio.wait_for: wait_for costs a Task per request.
        timer = loop.call_later(timeout, self._fail, TimeoutError())
        self.transport.write(raw)
        try:
            return await waiter
        finally:
            timer.cancel()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.closed = True


class _Engine(Protocol):
    def __init__(self, target: _Target, keep_body: bool) -> None: ...
    async def open(self, slots: int, warm: bool) -> None: ...
    async def send(self, slot: int, timeout: float) -> tuple[int, bytes | None]: ...
    async def close(self) -> None: ...


class _RawEngine:
    name = "raw"

    def __init__(self, target: _Target, keep_body: bool) -> None:
        self.target = target
        self.keep_body = keep_body
        self.conns: list[_Conn | None] = []

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(lambda: _Conn(self.keep_body), self.target.host, self.target.port)
        return conn

    async def open(self, slots: int, warm: bool) -> None:
        self.conns = [None] * slots
        if warm:
            opened = await asyncio.gather(*(self._connect() for _ in range(slots)), return_exceptions=True)
            self.conns = [c if isinstance(c, _Conn) else None for c in opened]

    async def send(self, slot: int, timeout: float) -> tuple[int, bytes | None]:
        conn = self.conns[slot]
        if conn is None or conn.closed:
            conn = self.conns[slot] = await asyncio.wait_for(self._connect(), timeout)
        assert conn is not None
        try:
            return await conn.request(self.target.raw_request, timeout)
        except BaseException:
            conn.close()  # a late response must not be read as the next one's
            self.conns[slot] = None
            raise

    async def close(self) -> None:
        for conn in self.conns:
            if conn is not None:
                conn.close()


class _HttpxEngine:
    name = "httpx"

    def __init__(self, target: _Target, keep_body: bool) -> None:
        self.target = target
        self.keep_body = keep_body
        self.client: Any = None

    async def open(self, slots: int, warm: bool) -> None:
        import httpx

        limits = httpx.Limits(max_connections=slots, max_keepalive_connections=slots)
        self.client = httpx.AsyncClient(limits=limits, timeout=None)

    async def send(self, slot: int, timeout: float) -> tuple[int, bytes | None]:
        t = self.target
        r = await asyncio.wait_for(self.client.request(t.method, t.url, headers=t.headers, content=t.body), timeout)
        return r.status_code, (r.content if self.keep_body else None)

    async def close(self) -> None:
        await self.client.aclose()


class _AiohttpEngine:
    name = "aiohttp"

    def __init__(self, target: _Target, keep_body: bool) -> None:
        self.target = target
        self.keep_body = keep_body
        self.session: Any = None

    async def open(self, slots: int, warm: bool) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=slots))

    async def send(self, slot: int, timeout: float) -> tuple[int, bytes | None]:
        return await asyncio.wait_for(self._send(), timeout)

    async def _send(self) -> tuple[int, bytes | None]:
        t = self.target
        async with self.session.request(t.method, t.url, headers=t.headers, data=t.body) as r:
            body = await r.read()
            return r.status, (body if self.keep_body else None)

    async def close(self) -> None:
        await self.session.close()


_ENGINE_CLASSES: dict[str, type[_Engine]] = {"raw": _RawEngine, "httpx": _HttpxEngine, "aiohttp": _AiohttpEngine}


# -- the run -------------------------------------------------------------------------


async def load(
    target: LiveServer | str,
    path: str = "/",
    *,
    n: int = 100,
    concurrency: int | None = None,
    method: str = "GET",
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    engine: Engine = "raw",
    timeout: float = 30.0,
    max_seconds: float = 60.0,
    warm: bool = True,
    keep_bodies: bool = False,
    progress: bool | None = None,
    pause_gc: bool = True,
    label: str = "",
) -> LoadResult:
    """Send ``n`` requests, at most ``concurrency`` at a time (default: all at once).

    ``target`` is a running :class:`~course_app.server.LiveServer` or a base URL.
    Each request gets ``timeout`` seconds; the whole run at most ``max_seconds``,
    after which requests not yet sent are recorded as skipped. Failures never raise:
    they are recorded (``status=None`` and an ``error``) so a plot can show them.

    ``warm=True`` opens the connections before the clock starts (raw engine) or
    sends one warm-up round (httpx, aiohttp), so the figures time the handlers,
    not TCP handshakes. A progress bar appears when a run lasts over two seconds
    (``progress=True`` forces it, ``False`` hides it).

    ``pause_gc=True`` turns Python's cyclic garbage collector off while the clock
    runs, as ``timeit`` does. The servers share this process, and in a notebook
    kernel (a large heap: IPython, matplotlib, past results) one full collection
    pauses every thread for 50-100 ms: a pause of the kernel, not of the server
    being measured. A deployed server's process has a small heap and no kernel.
    """
    base = target if isinstance(target, str) else target.url
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number of requests, not {n!r}")
    if concurrency is None:
        concurrency = n
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive whole number, not {concurrency!r}")
    if not timeout > 0 or not max_seconds > 0:
        raise ValueError("timeout and max_seconds must be positive numbers of seconds")
    if engine not in _ENGINE_CLASSES:
        raise ValueError(f"engine must be one of {sorted(_ENGINE_CLASSES)}, not {engine!r}")
    if not path.startswith("/"):
        path = "/" + path
    data = body.encode() if isinstance(body, str) else body
    tgt = _Target(base.rstrip("/") + path, method, headers, data)
    slots = min(n, concurrency)
    eng = _ENGINE_CLASSES[engine](tgt, keep_bodies)

    t_setup = time.perf_counter()
    await eng.open(slots, warm)
    if warm and engine != "raw":
        await _drive(eng, min(n, slots), slots, timeout, max_seconds, False)
    setup = time.perf_counter() - t_setup
    collecting = gc.isenabled()
    if pause_gc:
        gc.disable()
    try:
        records, t0, wall = await _drive(eng, n, slots, timeout, max_seconds, progress)
    finally:
        if collecting:
            gc.enable()
        await eng.close()
    return LoadResult(
        engine=engine,
        method=tgt.method,
        url=tgt.url,
        n=n,
        concurrency=slots,
        records=records,
        wall=wall,
        t0=t0,
        setup=setup,
        label=label,
    )


async def _drive(
    eng: _Engine, n: int, slots: int, timeout: float, max_seconds: float, progress: bool | None
) -> tuple[list[RequestRecord], float, float]:
    records: list[RequestRecord | None] = [None] * n
    next_index = 0
    completed = 0
    clock = time.perf_counter
    t0 = clock()
    deadline = t0 + max_seconds

    async def worker(slot: int) -> None:
        nonlocal next_index, completed
        while next_index < n and clock() < deadline:
            i = next_index
            next_index += 1
            start = clock()
            remaining = deadline - start
            status: int | None = None
            error: str | None = None
            content: bytes | None = None
            outcome = Outcome.RESPONSE
            try:
                status, content = await eng.send(slot, min(timeout, remaining))
            except TimeoutError:
                # past the run's deadline it was max_seconds that ran out, not the server
                if timeout <= remaining:
                    outcome, error = Outcome.TIMEOUT, f"no answer within timeout={timeout:g} s"
                else:
                    outcome, error = Outcome.CUT_OFF, f"the run exceeded max_seconds={max_seconds:g}"
            except Exception as exc:  # OSError, or an engine's own error types (httpx, aiohttp)
                outcome, error = Outcome.ERROR, f"{type(exc).__name__}: {exc}"
            records[i] = RequestRecord(i, start - t0, clock() - t0, status, error, content, outcome)
            completed += 1

    reporter = asyncio.ensure_future(_report_progress(n, lambda: completed, progress))
    try:
        await asyncio.gather(*(worker(s) for s in range(slots)))
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
    end = clock()
    done = [r for r in records if r is not None]
    skipped = [
        RequestRecord(
            i,
            end - t0,
            end - t0,
            None,
            f"never sent: the run exceeded max_seconds={max_seconds:g}",
            None,
            Outcome.SKIPPED,
        )
        for i, r in enumerate(records)
        if r is None
    ]
    wall = (max(r.end for r in done) - min(r.start for r in done)) if done else 0.0
    return done + skipped, t0, wall


async def _report_progress(n: int, completed: Callable[[], int], progress: bool | None) -> None:
    """A progress bar for runs that last over two seconds (or always, with ``progress=True``).

    It lives in its own task and polls the count, so a short run creates no bar at
    all and a long one pays nothing per request.
    """
    if progress is False:
        return
    await asyncio.sleep(0 if progress else 2.0)
    from tqdm.auto import tqdm

    bar = tqdm(total=n, initial=completed(), unit="req", leave=False)
    try:
        while True:
            await asyncio.sleep(0.25)
            bar.update(completed() - bar.n)
    finally:
        bar.update(completed() - bar.n)
        bar.close()


# -- calibration ---------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """How far an engine's timing of N concurrent ``sleep(t)`` requests is from t."""

    engine: str
    n: int
    t: float
    wall: float
    repeats: int = 1
    walls: tuple[float, ...] = field(default=())
    server: str = "asgi"

    @property
    def ratio(self) -> float:
        return self.wall / self.t

    @property
    def overhead(self) -> float:
        """Fraction above the ideal, e.g. 0.03 for +3 %."""
        return self.ratio - 1

    @property
    def client(self) -> str:
        return ENGINES.get(self.engine, self.engine)

    def __str__(self) -> str:
        return (
            f"{self.client}: {self.n} concurrent sleep({self.t:g}) took {self.wall:.3f} s "
            f"= {self.ratio:.3f}x the ideal (harness overhead {self.overhead:+.1%}, "
            f"median of {self.repeats}, {self.server} server)"
        )


_calibrations: dict[str, Calibration] = {}


def calibration(engine: str = "raw") -> Calibration | None:
    """The last calibration measured in this process for ``engine``, if any."""
    return _calibrations.get(engine)


async def calibrate(
    engine: Engine = "raw",
    n: int = 100,
    t: float = 0.2,
    repeats: int = 3,
    warm: bool = True,
    server: Literal["asgi", "fastapi"] = "asgi",
) -> Calibration:
    """Measure ``engine`` against the ideal: n concurrent ``await asyncio.sleep(t)`` take t.

    ``server="asgi"`` (the default) serves the sleep from a plain ASGI app, so the
    figure is the harness's own overhead (this client plus uvicorn).
    ``server="fastapi"`` adds FastAPI's real cost of dispatching each request.
    One warm-up run, then the median of ``repeats``; the result is remembered for
    :func:`calibration` and the plots' footnotes.
    """
    from . import calibration_app
    from .server import LiveServer

    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive whole number, not {repeats!r}")
    if server not in ("asgi", "fastapi"):
        raise ValueError(f"server must be 'asgi' or 'fastapi', not {server!r}")
    app = calibration_app.asgi_app if server == "asgi" else calibration_app.app
    walls: list[float] = []
    with LiveServer(app, name=f"course-calibration-{server}") as srv:
        for i in range(repeats + 1):
            r = await load(srv, f"/sleep?t={t}", n=n, engine=engine, warm=warm, progress=False)
            if r.failed:
                raise RuntimeError(f"calibration requests failed: {dict(r.statuses)}")
            if i:  # the first run warms up both sides
                walls.append(r.wall)
    cal = Calibration(engine, n, t, statistics.median(walls), repeats, tuple(walls), server)
    if server == "asgi":
        _calibrations[engine] = cal
    return cal
