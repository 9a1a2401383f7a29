"""asyncpg directly: a pool opened in the lifespan, ``fetchrow`` and ``fetch``, a transaction, and ``COPY``.

No ORM: SQL in, ``Record`` objects out (they behave like read-only dicts). The pool is made once, on the
server's loop, and every request borrows a connection from it for as long as its queries take.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request

from .common import (
    APP_NAME,
    DB_DOWN,
    DB_ENV,
    DB_TIMEOUT,
    Id,
    Signup,
    configured_database,
    database_down,
    no_database,  # fmt: skip
    not_found,
)
from .models import SIGNUPS

#: what this app needs from outside, when it is served alone (python3 run.py serve 03 --app ...)
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...) with the seed data; python3 run.py doctor says which"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    if not app.state.database:
        yield {"pool": None}
        return
    async with asyncpg.create_pool(
        app.state.database, min_size=1, max_size=5, timeout=DB_TIMEOUT, command_timeout=DB_TIMEOUT,
        server_settings={"application_name": APP_NAME},
    ) as pool:  # fmt: skip
        yield {"pool": pool}  # closed when the server stops: every connection given back to PostgreSQL


def pool_of(request: Request) -> asyncpg.Pool:
    if request.state.pool is None:
        raise no_database()
    return request.state.pool


Pool = Annotated[asyncpg.Pool, Depends(pool_of)]


async def get_user(user_id: Id, pool: Pool) -> dict[str, Any]:
    try:
        row = await pool.fetchrow("SELECT id, name, email FROM course.users WHERE id = $1", user_id)
    except DB_DOWN as exc:
        raise database_down(exc) from None
    if row is None:
        raise not_found("user", user_id)
    return dict(row)


async def list_users(pool: Pool, limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[dict[str, Any]]:
    try:
        rows = await pool.fetch("SELECT id, name FROM course.users ORDER BY id LIMIT $1", limit)
    except DB_DOWN as exc:
        raise database_down(exc) from None
    return [dict(r) for r in rows]


async def add_signups(
    batch: Annotated[list[Signup], Body(min_length=1, max_length=1000)], pool: Pool
) -> dict[str, int]:
    """Every row of the batch, or none: one transaction around a COPY (the fastest way into PostgreSQL)."""
    try:
        async with pool.acquire() as conn, conn.transaction():  # commits when the block ends, before we answer
            await conn.copy_records_to_table(SIGNUPS, records=[(s.name, s.email) for s in batch],
                                             columns=["name", "email"])  # fmt: skip
    except asyncpg.UniqueViolationError:  # raised by COMMIT: the unique check is deferred to it
        raise HTTPException(409, "an email of this batch is already signed up; nothing was written") from None
    except asyncpg.UndefinedTableError:
        raise HTTPException(503, f"the table {SIGNUPS} does not exist yet (models.reset_signups makes it)") from None
    except DB_DOWN as exc:
        raise database_down(exc) from None
    return {"added": len(batch)}


def create_app(database: str | None = None) -> FastAPI:
    """The app, on the PostgreSQL at ``database`` (default: ``$COURSE_DATABASE_URL``; none: 503 everywhere)."""
    app = FastAPI(title="ch03: asyncpg directly", lifespan=lifespan)
    app.state.database = configured_database(database)
    app.get("/users/{user_id}")(get_user)
    app.get("/users")(list_users)
    app.post("/signups", status_code=201)(add_signups)
    return app


app = create_app()
