"""The seed's way kept: the dependency creates a pool, yields it, and closes it, on every request.

Every request opens connections (min_size of them), uses one, and closes them all: 30 requests, 30 pools.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

from . import app_with

EXPECTED = "a pool per request"
MISTAKE = "per request"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    yield {}


async def get_pool(request: Request) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(request.app.state.database, min_size=2, max_size=5)
    try:
        yield pool
    finally:
        await pool.close()


app = app_with(lifespan, get_pool)
