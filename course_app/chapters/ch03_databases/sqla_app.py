"""SQLAlchemy 2 async: an engine and an ``async_sessionmaker`` made once, in the lifespan; a session per request.

The session comes from a dependency with ``yield``, declared with ``scope="function"``: FastAPI then runs the
code after ``yield`` (the commit) when the handler returns, **before** the response is sent. A commit that
fails is still the request's business: a 409 (a duplicate) or a 503 (the database is down), never a 200 for
rows that were not written.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

from .common import (
    APP_NAME,
    DB_ENV,
    DB_TIMEOUT,
    Id,
    Signup,
    configured_database,
    is_down,
    no_database,
    not_found,  # fmt: skip
    sqlalchemy_url,
)
from .models import Order, User
from .models import Signup as SignupRow

#: what this app needs from outside, when it is served alone (python3 run.py serve 03 --app ...)
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...) with the seed data; python3 run.py doctor says which"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    if not app.state.database:
        yield {"sessions": None}
        return
    engine = create_async_engine(
        app.state.sqlalchemy_url, pool_size=5, max_overflow=0, pool_timeout=DB_TIMEOUT, pool_pre_ping=True,
        connect_args={"timeout": DB_TIMEOUT, "command_timeout": DB_TIMEOUT,
                      "server_settings": {"application_name": APP_NAME}},
    )  # fmt: skip
    try:
        yield {"sessions": async_sessionmaker(engine, expire_on_commit=False)}
    finally:
        await engine.dispose()  # every pooled connection closed


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler returns, rolled back if it raised."""
    if request.state.sessions is None:
        raise no_database()
    async with request.state.sessions() as session:  # closes it, whatever happens
        try:
            yield session
            await session.commit()  # with scope="function": before the response is sent
        except BaseException:
            await session.rollback()
            raise


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_user(user_id: Id, session: Session) -> dict[str, Any]:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user", user_id)
    return {"id": user.id, "name": user.name, "email": user.email}  # what the client gets: no ORM object


async def dashboard(session: Session) -> dict[str, Any]:
    """The seed's three queries, one after another: a session is one connection, which runs one query at a time."""
    users = (await session.scalars(select(User).order_by(User.id).limit(10))).all()
    orders = (await session.scalars(select(Order).order_by(Order.id).limit(10))).all()
    total = await session.scalar(select(func.count(User.id)))
    return {"users": [u.name for u in users], "orders": [o.id for o in orders], "total_users": total}


async def get_order(order_id: Id, session: Session) -> dict[str, Any]:
    order = await session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.items)))
    if order is None:
        raise not_found("order", order_id)
    return {"id": order.id, "status": order.status,
            "items": [{"product_id": i.product_id, "quantity": i.quantity, "unit_price": str(i.unit_price)}
                      for i in order.items]}  # fmt: skip


async def add_signups(
    batch: Annotated[list[Signup], Body(min_length=1, max_length=1000)], session: Session
) -> dict[str, int]:
    session.add_all(SignupRow(name=s.name, email=s.email) for s in batch)
    return {"added": len(batch)}  # the commit runs after this, and before the client hears of it


async def integrity_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "an email of this batch is already signed up; nothing was written"}, 409)


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    if is_down(exc):
        return JSONResponse({"detail": f"the database did not answer: {type(exc).__name__}; try again"}, 503)
    if isinstance(exc, sa_exc.ProgrammingError) and "does not exist" in str(exc):
        return JSONResponse({"detail": "a table this app needs does not exist (models.reset_signups makes it)"}, 503)
    raise HTTPException(500, "database error") from exc  # a bug of ours: the server's log has it


def create_app(database: str | None = None) -> FastAPI:
    """The app, on the PostgreSQL at ``database`` (default: ``$COURSE_DATABASE_URL``; none: 503 everywhere)."""
    app = FastAPI(title="ch03: SQLAlchemy 2 async, a session per request", lifespan=lifespan)
    app.state.database = configured_database(database)
    if app.state.database:
        app.state.sqlalchemy_url = sqlalchemy_url(app.state.database)
    app.exception_handler(sa_exc.IntegrityError)(integrity_error)
    app.exception_handler(sa_exc.DBAPIError)(database_error)
    app.exception_handler(sa_exc.TimeoutError)(database_error)
    app.exception_handler(OSError)(database_error)
    app.get("/users/{user_id}")(get_user)
    app.get("/orders/{order_id}")(get_order)
    app.get("/dashboard")(dashboard)
    app.post("/signups", status_code=201)(add_signups)
    return app


app = create_app()
