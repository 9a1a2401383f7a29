"""The pool made once in the lifespan with `async with asyncpg.create_pool(...)`, yielded as the lifespan state;
the dependency returns `request.state.pool`.

Leaving the `async with` block at shutdown closes the pool and every connection in it.
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
    async with asyncpg.create_pool(app.state.database, min_size=2, max_size=5) as pool:
        yield {"pool": pool}


async def get_pool(request: Request) -> asyncpg.Pool:
    return request.state.pool


app = app_with(lifespan, get_pool)
