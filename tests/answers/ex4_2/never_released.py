"""`return await pool.acquire(timeout=ACQUIRE_TIMEOUT)`, with the 503, in a plain (not a `yield`) dependency.

Each request takes a connection and nobody gives it back: after two requests the pool is empty for good, and
every later request gets 503.
"""

import asyncpg
from fastapi import HTTPException, Request

from . import ACQUIRE_TIMEOUT, app_with

EXPECTED = "the connections taken were never given back"


async def connection(request: Request) -> asyncpg.Connection:
    pool: asyncpg.Pool = request.state.pool
    try:
        return await pool.acquire(timeout=ACQUIRE_TIMEOUT)
    except TimeoutError:
        raise HTTPException(503, "all the database connections are busy: try again shortly") from None


app = app_with(connection)
