"""One asyncpg pool for the app's life, opened in the lifespan; a connection per request, borrowed with a bound.

* ``min_size`` connections open at start, at most ``max_size``: a request past ``max_size`` waits for one;
* ``acquire_timeout`` bounds that wait: past it the request gets a clear 503 instead of hanging (None: waits as
  long as it takes, as the seed's ``pool.acquire()`` does);
* a database that refuses a new connection (``max_connections`` reached) or is down: a 503 that says so.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request

from .common import (
    APP_NAME,
    DB_DOWN,
    DB_ENV,
    DB_TIMEOUT,
    configured,
    database_down,
    database_full,
    no_database,
    pool_exhausted,
)

#: what this app needs from outside, when it is served alone (python3 run.py serve 04 --app ...)
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...); python3 run.py doctor says which server the course uses"}


@dataclass(frozen=True)
class PoolSettings:
    min_size: int = 2
    max_size: int = 10
    acquire_timeout: float | None = 2.0  # seconds a request may wait for a free connection; None: for ever
    command_timeout: float = DB_TIMEOUT  # seconds a query may run (the seed's command_timeout=60)
    application_name: str = APP_NAME  # how pg_stat_activity names this pool's connections


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    settings: PoolSettings = app.state.settings
    if not app.state.database:
        yield {"pool": None}  # every request that needs the database answers 503, saying why
        return
    async with asyncpg.create_pool(
        app.state.database,
        min_size=settings.min_size,
        max_size=settings.max_size,
        timeout=DB_TIMEOUT,  # to open a connection
        command_timeout=settings.command_timeout,
        server_settings={"application_name": settings.application_name},
    ) as pool:
        app.state.observed_pool = pool  # for a probe only (course_app.probes): requests use the lifespan state
        try:
            yield {"pool": pool}
        finally:
            app.state.observed_pool = None
    # leaving the block closed the pool: every connection given back to the database


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    """A dependency: a connection borrowed from the pool for this request, given back when it ends."""
    pool: asyncpg.Pool | None = request.state.pool
    if pool is None:
        raise no_database()
    settings: PoolSettings = request.app.state.settings
    try:
        conn = await pool.acquire(timeout=settings.acquire_timeout)
    except TimeoutError:  # before DB_DOWN: TimeoutError is an OSError
        raise pool_exhausted(settings.max_size, settings.acquire_timeout or 0) from None
    except asyncpg.TooManyConnectionsError as exc:
        raise database_full(exc) from None
    except DB_DOWN as exc:
        raise database_down(exc) from None
    try:
        yield conn
    finally:
        await pool.release(conn)


Connection = Annotated[asyncpg.Connection, Depends(connection)]


async def get_user(conn: Connection, user_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> dict[str, Any]:
    try:
        row = await conn.fetchrow("SELECT id, name, email FROM course.users WHERE id = $1", user_id)
    except asyncpg.UndefinedTableError:
        raise HTTPException(503, "the seed data is not loaded: await course_app.seed_data.ensure_seeded(url)") from None
    except DB_DOWN as exc:
        raise database_down(exc) from None
    if row is None:
        raise HTTPException(404, f"no user {user_id}")
    return dict(row)


async def sleep(conn: Connection, seconds: Annotated[float, Query(ge=0, le=5)] = 0.1) -> dict[str, Any]:
    """A query that takes ``seconds`` in the database (``pg_sleep``), holding its connection all along."""
    try:
        pid = await conn.fetchval("SELECT pg_backend_pid() FROM pg_sleep($1)", seconds)
    except TimeoutError:
        raise HTTPException(504, "the query ran past the pool's command_timeout") from None
    except DB_DOWN as exc:
        raise database_down(exc) from None
    return {"slept": seconds, "backend": pid}


def create_app(database: str | None = None, settings: PoolSettings | None = None) -> FastAPI:
    """The app, on the PostgreSQL at ``database`` (default: ``$COURSE_DATABASE_URL``; none: 503 on every query)."""
    app = FastAPI(title="ch04: one pool from the lifespan", lifespan=lifespan)
    app.state.database = configured(database, DB_ENV)
    app.state.settings = settings or PoolSettings()
    app.state.observed_pool = None
    app.get("/users/{user_id}")(get_user)
    app.get("/sleep")(sleep)
    return app


app = create_app()
