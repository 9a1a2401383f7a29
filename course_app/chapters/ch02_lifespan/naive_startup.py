"""The resources of :mod:`.resources`, opened the seed's way: one after another, kept on ``app.state``, closed
after ``yield``. If a step fails, the code after ``yield`` never runs, and nothing closes what was opened.
"""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

import asyncpg
import httpx
from fastapi import FastAPI, Request

from .common import APP_NAME, DB_ENV, Beats, Journal, beat, configured_database, connect_cache, square

#: what this app needs from outside, when it is served alone (python3 run.py serve 02 --app ...)
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...); python3 run.py doctor says which server the course uses"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    journal: Journal = app.state.journal
    if app.state.database:
        app.state.pool = await asyncpg.create_pool(
            app.state.database, min_size=2, max_size=4, server_settings={"application_name": APP_NAME}
        )
        journal.note("database pool", "open")
    app.state.processes = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    await asyncio.get_running_loop().run_in_executor(app.state.processes, square, 0)  # starts the worker
    journal.note("process pool", "open")
    if app.state.cache_port is not None:
        _, app.state.cache = await connect_cache(app.state.cache_port, journal)  # refused: the startup fails here
    app.state.client = httpx.AsyncClient()
    journal.note("HTTP client", "open")
    app.state.beats = Beats()
    app.state.task = asyncio.create_task(beat(app.state.beats, journal))
    journal.note("background task", "open")
    yield
    if app.state.database:
        await app.state.pool.close()
        journal.note("database pool", "close")
    app.state.processes.shutdown()
    journal.note("process pool", "close")
    if app.state.cache_port is not None:
        app.state.cache.close()
    await app.state.client.aclose()
    journal.note("HTTP client", "close")
    app.state.task.cancel()


def create_app(database: str | None = None, journal: Journal | None = None, cache_port: int | None = None) -> FastAPI:
    """As :func:`.resources.create_app`, opened and closed the seed's way."""
    app = FastAPI(title="ch02: resources opened the seed's way", lifespan=lifespan)
    app.state.database = configured_database(database)
    app.state.journal = journal if journal is not None else Journal()
    app.state.cache_port = cache_port

    @app.get("/beats")
    async def beats(request: Request) -> dict[str, int]:
        return {"beats": request.app.state.beats.count}

    return app


app = create_app()
