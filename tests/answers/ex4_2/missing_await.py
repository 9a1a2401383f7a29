"""`conn = pool.acquire(timeout=ACQUIRE_TIMEOUT)` without `await`, then `yield conn`.

`acquire()` returns an acquire context (for `await` or `async with`), not a connection: the query on it fails.
"""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import HTTPException, Request

from . import ACQUIRE_TIMEOUT, app_with

EXPECTED = "you got the acquire context, not a connection"
MISTAKE = "await"


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.state.pool
    try:
        conn = pool.acquire(timeout=ACQUIRE_TIMEOUT)
    except TimeoutError:
        raise HTTPException(503, "all the database connections are busy: try again shortly") from None
    yield conn


app = app_with(connection)
