"""Every resource the app needs, opened in the lifespan and closed in reverse order, even when a step fails.

An ``AsyncExitStack`` remembers each resource as it is opened; leaving its block, for any reason (a normal
shutdown, or a later step that failed during startup), closes them last-opened first.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, Path, Request

from .common import (
    DB_DOWN,
    DB_ENV,
    Journal,
    background_task,
    cache,
    configured_database,
    database_down,
    database_pool,
    http_client,
    pool_of,
    process_pool,
    square,
)

#: what this app needs from outside, when it is served alone (python3 run.py serve 02 --app ...)
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...); python3 run.py doctor says which server the course uses"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    journal: Journal = app.state.journal  # settings made with the app: app.state fits them
    async with AsyncExitStack() as stack:
        pool = None
        if app.state.database:
            pool = await stack.enter_async_context(database_pool(app.state.database, journal))
        processes = await stack.enter_async_context(process_pool(journal))
        if app.state.cache_port is not None:
            await stack.enter_async_context(cache(app.state.cache_port, journal))
        client = await stack.enter_async_context(http_client(journal))
        beats = await stack.enter_async_context(background_task(journal))
        # the lifespan state: each request reads it back as request.state.pool, request.state.beats, ...
        yield {"pool": pool, "processes": processes, "client": client, "beats": beats}
    # leaving the block closed them all: background task, client, cache, processes, pool


async def database_info(pool: Annotated[asyncpg.Pool, Depends(pool_of)]) -> dict[str, Any]:
    try:
        row = await pool.fetchrow("SELECT pg_backend_pid() AS pid, version() AS version")
    except DB_DOWN as exc:
        raise database_down(exc) from None
    return {"pid": row["pid"], "version": row["version"].split(",")[0]}


async def square_in_a_process(request: Request, n: Annotated[int, Path(ge=0, le=1_000_000)]) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.state.processes, square, n)


async def beats(request: Request) -> dict[str, int]:
    return {"beats": request.state.beats.count}


def create_app(database: str | None = None, journal: Journal | None = None, cache_port: int | None = None) -> FastAPI:
    """The app, on the PostgreSQL at ``database`` (default: ``$COURSE_DATABASE_URL``; none: ``/db`` answers 503).

    ``journal`` records what the lifespan opens and closes; ``cache_port``, when given, adds a step that
    connects to a cache service there (a port where nothing listens makes the startup fail halfway).
    """
    app = FastAPI(title="ch02: every resource in one lifespan", lifespan=lifespan)
    app.state.database = configured_database(database)
    app.state.journal = journal if journal is not None else Journal()
    app.state.cache_port = cache_port
    app.get("/db")(database_info)
    app.get("/square/{n}")(square_in_a_process)
    app.get("/beats")(beats)
    return app


app = create_app()
