"""Answers to exercise 4.1: one asyncpg pool, opened in the lifespan, instead of one per request.

:func:`app_with` builds what the notebook's cell builds around the learner's two pieces: the app, and the route
``/backend`` that borrows a connection from the dependency's pool and returns its ``pg_backend_pid()``.
"""

from collections.abc import Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI


def app_with(lifespan: Any, get_pool: Callable[..., Any]) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/backend")
    async def backend(pool: Annotated[asyncpg.Pool, Depends(get_pool)]) -> dict[str, int]:
        async with pool.acquire() as conn:
            return {"pid": await conn.fetchval("SELECT pg_backend_pid()")}

    return app
