"""`pool = asyncpg.create_pool(...)` in the lifespan, without `await`.

`create_pool` returns the pool at once, but it opens its connections only when awaited: every `acquire()` on it
fails with "pool is not initialized".
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

from . import app_with

EXPECTED = "the pool was never awaited"
MISTAKE = "await"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    pool = asyncpg.create_pool(app.state.database, min_size=2, max_size=5)
    yield {"pool": pool}


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.state.pool


app = app_with(lifespan, get_pool)
