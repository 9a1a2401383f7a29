"""`await pool.acquire(timeout=ACQUIRE_TIMEOUT)`; `TimeoutError` becomes `HTTPException(503)`; the connection is
yielded inside `try`, and released in `finally`.
"""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import HTTPException, Request

from . import ACQUIRE_TIMEOUT, app_with

EXPECTED = None


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.state.pool
    try:
        conn = await pool.acquire(timeout=ACQUIRE_TIMEOUT)
    except TimeoutError:
        raise HTTPException(503, "all the database connections are busy: try again shortly") from None
    try:
        yield conn
    finally:
        await pool.release(conn)


app = app_with(connection)
