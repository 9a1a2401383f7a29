"""`async with pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn: yield conn`, and no `except`.

The wait is bounded, but the `TimeoutError` goes up to FastAPI, which answers any unexpected error with 500.
"""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import Request

from . import ACQUIRE_TIMEOUT, app_with

EXPECTED = "reached FastAPI, which answers an unexpected error with 500"


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.state.pool
    async with pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
        yield conn


app = app_with(connection)
