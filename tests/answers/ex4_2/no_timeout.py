"""`async with pool.acquire() as conn: yield conn`: the seed's `get_connection`, with no timeout.

Correct while the pool has a free connection; when it is full, requests wait in line for as long as it takes,
and the client sees a slow answer, or its own timeout, never a clear "busy".
"""

from collections.abc import AsyncIterator

import asyncpg
from fastapi import Request

from . import app_with

EXPECTED = "no request got 503"


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.state.pool
    async with pool.acquire() as conn:
        yield conn


app = app_with(connection)
