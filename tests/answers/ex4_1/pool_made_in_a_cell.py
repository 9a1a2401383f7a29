"""`pool = await asyncpg.create_pool(...)` in a notebook cell, and the lifespan yields that pool.

The pool belongs to the notebook's event loop; the server's requests run on the server's own loop, where its
connections cannot be used: every request fails.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

from course_app.db import start_postgres

from . import app_with

EXPECTED = "the pool was made before (in a cell"
MISTAKE = "lifespan"

POOL: dict[str, asyncpg.Pool] = {}


@asynccontextmanager
async def in_a_cell() -> AsyncIterator[None]:
    """What the learner ran in a cell: the pool, on the notebook's loop."""
    pg = start_postgres()
    POOL["pool"] = await asyncpg.create_pool(pg.url, min_size=1, max_size=5)
    try:
        yield
    finally:
        POOL.pop("pool").terminate()
        pg.stop()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    yield {"pool": POOL["pool"]}


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.state.pool


app = app_with(lifespan, get_pool)
