# ruff: noqa  (the seed as written: its style is part of what the chapter shows)
"""The seed's HTTP client pool and its ``get_asyncpg_pool`` dependency, as written: both answer 500.

Only the line breaks are restored (the published text lost them), and its made-up addresses are replaced by
the course's (:mod:`.stand_ins`): ``'postgresql://user:pass@localhost/db'`` by ``database_url()``, and
``'https://api.example.com/data'`` by ``external_api()``. Everything else is the seed's.
"""

from typing import AsyncGenerator

import asyncpg
import httpx
from fastapi import Depends, FastAPI, HTTPException

from .stand_ins import database_url, external_api

app = FastAPI()


# HTTP client pool
class HTTPClientPool:
    def init(self):
        self.client = None

    async def get_client(self) -> AsyncGenerator[httpx.AsyncClient, None]:
        if self.client is None:
            self.client = httpx.AsyncClient(
                limits=httpx.Limits(max_keepalive_connections=20, max_connections=100),
                timeout=httpx.Timeout(10.0),
            )
        yield self.client

    async def close(self):
        if self.client:
            await self.client.aclose()


http_pool = HTTPClientPool()


@app.get("/external-api")
async def call_external_api(client: httpx.AsyncClient = Depends(http_pool.get_client)):
    response = await client.get(external_api())
    return response.json()


# Direct asyncpg (lower level, faster), from the seed's section on async databases
async def get_asyncpg_pool():
    pool = await asyncpg.create_pool(database_url(), min_size=10, max_size=20)
    try:
        yield pool
    finally:
        await pool.close()


@app.get("/users-fast/{user_id}")
async def get_user_fast(user_id: int, pool=Depends(get_asyncpg_pool)):
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        if not row:
            raise HTTPException(status_code=404, detail="User not found")
        return dict(row)
