"""The seed's "parallel database queries", done correctly: a session, so a connection, per query.

Chapter 03 showed the seed's ``/dashboard`` gathering three queries on **one** ``AsyncSession``: it fails, and
when it does not, the queries still run one at a time. Here, the same three queries (the first ten users, the
first ten orders, the number of users):

* ``/dashboard/in-order``: one session, one query after another;
* ``/dashboard/parallel``: a task group, each task with a session of its own from the sessionmaker.

``?slow=`` makes each query wait that long in the database first (``pg_sleep``), standing for a slow query.
The pool holds ``POOL_SIZE`` connections: a parallel dashboard takes three of them at once.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from ..ch03_databases.common import is_down, sqlalchemy_url
from ..ch03_databases.models import Order, User
from .common import DB_ENV, configured

NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...) with the seed data; python3 run.py doctor says which"}

POOL_SIZE = 6
DB_TIMEOUT = 5.0
Slow = Annotated[float, Query(ge=0, le=1)]
Sessions = async_sessionmaker[AsyncSession]

QUERIES = {
    "users": select(User.name).order_by(User.id).limit(10),
    "orders": select(Order.id).order_by(Order.id).limit(10),
    "total_users": select(func.count(User.id)),
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    if not app.state.database:
        yield {"sessions": None}
        return
    engine = create_async_engine(
        sqlalchemy_url(app.state.database), pool_size=POOL_SIZE, max_overflow=0, pool_timeout=DB_TIMEOUT,
        connect_args={"timeout": DB_TIMEOUT, "command_timeout": DB_TIMEOUT},
    )  # fmt: skip
    try:
        yield {"sessions": async_sessionmaker(engine)}
    finally:
        await engine.dispose()


def sessions(request: Request) -> Sessions:
    if request.state.sessions is None:
        raise HTTPException(503, f"this app uses PostgreSQL and was given none: create_app(url), or set {DB_ENV}")
    made: Sessions = request.state.sessions
    return made


async def run(session: AsyncSession, name: str, slow: float) -> Any:
    if slow:
        await session.execute(text("SELECT pg_sleep(:s)"), {"s": slow})
    if name == "total_users":
        return await session.scalar(QUERIES[name])
    return list((await session.scalars(QUERIES[name])).all())


async def answer(work: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    try:
        return await work()
    except Exception as exc:  # a database down is a 503; anything else is a bug, and stays a 500
        if is_down(exc) or any(is_down(e) for e in getattr(exc, "exceptions", ())):
            raise HTTPException(503, f"the database did not answer: {type(exc).__name__}") from None
        raise


async def in_order(made: Annotated[Sessions, Depends(sessions)], slow: Slow = 0.0) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        async with made() as session:
            return {name: await run(session, name, slow) for name in QUERIES}

    return await answer(work)


async def parallel(made: Annotated[Sessions, Depends(sessions)], slow: Slow = 0.0) -> dict[str, Any]:
    async def one(name: str) -> Any:
        async with made() as session:  # a session of its own: a connection of its own
            return await run(session, name, slow)

    async def work() -> dict[str, Any]:
        async with asyncio.TaskGroup() as tg:
            tasks = {name: tg.create_task(one(name)) for name in QUERIES}
        return {name: task.result() for name, task in tasks.items()}

    return await answer(work)


def create_app(database: str | None = None) -> FastAPI:
    """The app on the PostgreSQL at ``database`` (default: ``$COURSE_DATABASE_URL``), seeded with the seed data."""
    app = FastAPI(title="ch05: parallel queries, a session each", lifespan=lifespan)
    app.state.database = configured(database, DB_ENV)
    app.get("/dashboard/in-order")(in_order)
    app.get("/dashboard/parallel")(parallel)
    return app


app = create_app()
