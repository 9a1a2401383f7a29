"""`async with pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn: yield conn`, inside `try`/`except TimeoutError`.

Right, with one subtlety: the `except` also sees a TimeoutError raised by the handler's own query (asyncpg's
command_timeout), which would then be answered 503 too; here the queries have no timeout.
"""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import HTTPException, Request

from . import ACQUIRE_TIMEOUT, app_with

EXPECTED = None


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.state.pool
    try:
        async with pool.acquire(timeout=ACQUIRE_TIMEOUT) as conn:
            yield conn
    except TimeoutError:
        raise HTTPException(503, "all the database connections are busy: try again shortly") from None


app = app_with(connection)
