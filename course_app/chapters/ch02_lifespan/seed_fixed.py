"""The seed's lifespan and ``AsyncDatabaseSession``, fixed. The comments say what was wrong."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request

from .common import DB_DOWN, DB_ENV, database_down
from .stand_ins import REDIS_ENV, create_db_pool, create_redis_client

#: what this app needs from outside, when it is served alone (python3 run.py serve 02 --app ...)
NEEDS = {
    DB_ENV: "a PostgreSQL URL (postgresql://...); python3 run.py doctor says which server the course uses",
    REDIS_ENV: "the seed's Redis (any TCP service: the course has no Redis), e.g. redis://127.0.0.1:6379",
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    db_pool = await create_db_pool()
    try:  # from here on, the pool is closed whatever happens: a failed start included
        redis_client = await create_redis_client()
        try:
            yield {"db_pool": db_pool, "redis": redis_client}  # the lifespan state: request.state.db_pool
        finally:
            await redis_client.close()  # closed first: opened last
    finally:
        await db_pool.close()


class AsyncDatabaseSession:
    """A connection from the pool, the block in a transaction, and the connection back: always, in that order."""

    def __init__(self, pool: Any) -> None:  # __init__, not init: Python never calls `init`
        self.pool = pool
        self.conn: Any = None
        self.transaction: Any = None

    async def __aenter__(self) -> Any:
        self.conn = await self.pool.acquire()
        try:
            self.transaction = self.conn.transaction()  # asyncpg has no conn.rollback(): a Transaction has
            await self.transaction.start()
        except BaseException:
            await self.pool.release(self.conn)
            raise
        return self.conn

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        try:
            if exc_type is None:
                await self.transaction.commit()
            else:
                await self.transaction.rollback()  # on the connection while we still hold it
        finally:
            await self.pool.release(self.conn)  # last: after release the connection is no longer ours
        return False  # the query's own error goes on to the caller


app = FastAPI(title="ch02: the seed's lifespan and session, fixed", lifespan=lifespan)


@app.get("/data")
async def get_data(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 5) -> list[dict[str, int]]:
    try:
        async with AsyncDatabaseSession(request.state.db_pool) as conn:
            rows = await conn.fetch("SELECT n, n * n AS square FROM generate_series(1, $1::int) AS n", limit)
    except DB_DOWN as exc:
        raise database_down(exc) from None
    return [dict(row) for row in rows]  # plain dicts: the response model says what the client gets
