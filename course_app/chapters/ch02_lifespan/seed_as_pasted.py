# The seed's "Async Context Managers" section exactly as it is written, reflowed (the published text lost its
# line breaks). The only line added is the import of the two helpers it calls and never shows (stand_ins).
# It imports cleanly. Its /data answers 500 on every request: `def init` is not `__init__`, so
# AsyncDatabaseSession(pool) raises TypeError. And there is no table `data` anyway.
# ruff: noqa
from contextlib import asynccontextmanager
from fastapi import FastAPI
import asyncio

from .stand_ins import create_db_pool, create_redis_client  # supplied by the course


# Async context manager for lifespan events
@asynccontextmanager
async def lifespan(app: FastAPI):
    # Startup
    print("Starting up...")
    db_pool = await create_db_pool()
    redis_client = await create_redis_client()

    # Store in app state
    app.state.db_pool = db_pool
    app.state.redis = redis_client

    yield

    # Shutdown
    print("Shutting down...")
    await db_pool.close()
    await redis_client.close()


app = FastAPI(lifespan=lifespan)


# Custom async context manager
class AsyncDatabaseSession:
    def init(self, pool):
        self.pool = pool
        self.conn = None

    async def __aenter__(self):
        self.conn = await self.pool.acquire()
        return self.conn

    async def __aexit__(self, exc_type, exc_val, exc_tb):
        await self.pool.release(self.conn)
        if exc_type is not None:
            # Handle exception
            await self.conn.rollback()
        return False


@app.get("/data")
async def get_data():
    async with AsyncDatabaseSession(app.state.db_pool) as conn:
        result = await conn.fetch("SELECT * FROM data")
        return result
