"""Answers to exercise 4.2: a full pool answered with a 503 after an acquire timeout, instead of a hang.

:func:`app_with` builds what the notebook's cell builds around the learner's dependency: a pool of two
connections in the lifespan (closed with ``ch04.close_pool``, which does not wait for ever for a connection
never given back), and ``/work?seconds=``, which holds its connection for a ``pg_sleep``.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, Query

from course_app.chapters import ch04_pooling as ch04

ACQUIRE_TIMEOUT = 0.3  # seconds a request may wait for a free connection


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    pool = await asyncpg.create_pool(app.state.database, min_size=2, max_size=2)
    try:
        yield {"pool": pool}
    finally:
        await ch04.close_pool(pool)


def app_with(connection: Callable[..., Any]) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/work")
    async def work(
        conn: Annotated[asyncpg.Connection, Depends(connection)], seconds: Annotated[float, Query(ge=0, le=2)] = 0.5
    ) -> dict[str, float]:
        await conn.execute("SELECT pg_sleep($1)", seconds)
        return {"slept": seconds}

    return app
