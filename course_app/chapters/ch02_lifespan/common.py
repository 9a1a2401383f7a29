"""What chapter 02's apps share: the database URL, a journal of what was opened and closed, and the resources.

Every resource here is an async context manager that writes to a :class:`Journal` when it opens and when it
closes, so that a notebook (or a check) can read back which resources a lifespan opened, which it closed, and
in what order, on one clock.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
import httpx
from fastapi import Request

from ... import lifeline
from .._postgres import DB_ENV as DB_ENV
from .._postgres import configured_database as configured_database
from .._postgres import database_down as database_down
from .._postgres import no_database as no_database

lifeline.watch_parent()  # in a pool's worker (it imports this module): exit when the pool's process dies

APP_NAME = f"course-ch02-{os.getpid()}"  # application_name of this process's connections, in pg_stat_activity
POOL_SIZE = 2  # connections each of the chapter's pools opens at start (min_size) and at most (max_size: 4)
HEARTBEAT = 0.02  # seconds between two beats of the background task
DB_TIMEOUT = 5.0  # seconds a query or a connection attempt may take before the app answers 503


@dataclass(frozen=True)
class Event:
    at: float  # time.perf_counter()
    resource: str
    what: str  # "open", "close", "fail"; "mark": a moment worth a line on the plot (resource: what happened)


@dataclass
class Journal:
    """What the resources of one lifespan did, in order: open, close, fail."""

    events: list[Event] = field(default_factory=list)

    def note(self, resource: str, what: str) -> None:
        self.events.append(Event(time.perf_counter(), resource, what))

    def of(self, what: str) -> list[str]:
        return [e.resource for e in self.events if e.what == what]

    @property
    def opened(self) -> list[str]:
        return self.of("open")

    @property
    def closed(self) -> list[str]:
        return self.of("close")

    @property
    def left_open(self) -> list[str]:
        return [r for r in self.opened if r not in self.closed]


#: what asyncpg raises when the database is down, restarting, or dropped the connection
DB_DOWN = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
           asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError)  # fmt: skip


def pool_of(request: Request) -> asyncpg.Pool:
    """A dependency: the pool in the lifespan state (``request.state``), or a clear 503 when there is none."""
    pool: asyncpg.Pool | None = getattr(request.state, "pool", None)
    if pool is None:
        raise no_database()
    return pool


def dead_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (just bound and released): connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the resources: each writes to the journal when it opens and when it closes ----------------------------------


@asynccontextmanager
async def database_pool(url: str, journal: Journal) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(
        url, min_size=POOL_SIZE, max_size=2 * POOL_SIZE, timeout=DB_TIMEOUT, command_timeout=DB_TIMEOUT,
        server_settings={"application_name": APP_NAME},
    )  # fmt: skip
    journal.note("database pool", "open")
    try:
        yield pool
    finally:
        await pool.close()
        journal.note("database pool", "close")


@asynccontextmanager
async def http_client(journal: Journal) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        journal.note("HTTP client", "open")
        try:
            yield client
        finally:
            journal.note("HTTP client", "close")  # on leaving the block, a moment later, aclose() has run


def square(n: int) -> dict[str, int]:
    """A job for the process pool (module level, so that it pickles): n², and the process that computed it."""
    return {"n": n, "square": n * n, "pid": os.getpid()}


@asynccontextmanager
async def process_pool(journal: Journal) -> AsyncIterator[ProcessPoolExecutor]:
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        await asyncio.get_running_loop().run_in_executor(pool, square, 0)  # start the worker now, not later
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    journal.note("process pool", "open")
    try:
        yield pool
    finally:
        await asyncio.to_thread(pool.shutdown)  # joins the worker: in a thread, the loop keeps serving
        journal.note("process pool", "close")


@dataclass
class Beats:
    """What the background task has done: how many beats, and whether it ended by cancellation."""

    count: int = 0
    cancelled: bool = False


async def beat(beats: Beats, journal: Journal | None = None) -> None:
    """The background task: one beat every HEARTBEAT seconds, until it is cancelled."""
    try:
        while True:
            await asyncio.sleep(HEARTBEAT)
            beats.count += 1
    except asyncio.CancelledError:
        beats.cancelled = True
        if journal is not None:
            journal.note("background task", "close")
        raise


@asynccontextmanager
async def background_task(journal: Journal) -> AsyncIterator[Beats]:
    beats = Beats()
    task = asyncio.create_task(beat(beats, journal), name="ch02 heartbeat")
    journal.note("background task", "open")
    try:
        yield beats
    finally:
        task.cancel()
        try:
            await task  # wait until it has really stopped: its own cleanup runs now, not after the loop is gone
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being cancelled ourselves: let that through


async def connect_cache(port: int, journal: Journal) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to a cache service on 127.0.0.1:``port`` (the seed's Redis). Refused when nothing listens there."""
    try:
        connection = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), DB_TIMEOUT)
    except OSError:
        journal.note("cache", "fail")
        raise
    journal.note("cache", "open")
    return connection


@asynccontextmanager
async def cache(port: int, journal: Journal) -> AsyncIterator[asyncio.StreamWriter]:
    _, writer = await connect_cache(port, journal)
    try:
        yield writer
    finally:
        writer.close()
        await writer.wait_closed()
        journal.note("cache", "close")
