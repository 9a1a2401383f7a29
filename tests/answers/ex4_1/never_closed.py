"""`pool = await asyncpg.create_pool(...)` and `yield {"pool": pool}`, with nothing after `yield`.

The app serves, but at shutdown nobody closes the pool: its connections are dropped when the server's loop goes,
never closed politely, and in a test suite or a notebook that starts the app again and again, pools pile up.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

from . import app_with

EXPECTED = "your pool was never closed"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    pool = await asyncpg.create_pool(app.state.database, min_size=2, max_size=5)
    yield {"pool": pool}


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.state.pool


app = app_with(lifespan, get_pool)
