"""The `TimeoutError` caught, and answered with `HTTPException(500, "database busy")`.

No hang and no traceback, but 500 says "the server is broken": clients and load balancers treat it so, and
do not retry. A full pool means busy: 503, with Retry-After.
"""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import HTTPException, Request

from . import ACQUIRE_TIMEOUT, app_with

EXPECTED = "which says the server is broken"


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.state.pool
    try:
        conn = await pool.acquire(timeout=ACQUIRE_TIMEOUT)
    except TimeoutError:
        raise HTTPException(500, "database busy") from None
    try:
        yield conn
    finally:
        await pool.release(conn)


app = app_with(connection)
