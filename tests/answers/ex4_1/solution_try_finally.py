"""`pool = await asyncpg.create_pool(...)` before `yield`, and `await pool.close()` after it, in `finally`.

The same as `async with`, spelled out: the pool is closed at shutdown whatever happened while the app served.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

from . import app_with

EXPECTED = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    pool = await asyncpg.create_pool(app.state.database, min_size=2, max_size=5)
    try:
        yield {"pool": pool}
    finally:
        await pool.close()


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.state.pool


app = app_with(lifespan, get_pool)
