"""Tortoise ORM the way the installed version (1.1) documents it: ``RegisterTortoise`` inside the app's lifespan.

It opens Tortoise's connections at startup and closes them at shutdown. No ``generate_schemas``: the table is
the seed data's, made by ``course_app.seed_data``; an app that creates its tables at every start is a
development shortcut (Tortoise's docs say "only useful for dev environments").
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from tortoise.contrib.fastapi import RegisterTortoise

from .common import DB_DOWN, DB_ENV, Id, configured_database, database_down, no_database, not_found
from .tortoise_models import UserModel

#: what this app needs from outside, when it is served alone (python3 run.py serve 03 --app ...)
NEEDS = {DB_ENV: "a PostgreSQL URL (postgresql://...) with the seed data; python3 run.py doctor says which"}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if not app.state.database:
        yield
        return
    url = "postgres://" + app.state.database.partition("://")[2]  # Tortoise's name for the asyncpg backend
    async with RegisterTortoise(
        app, db_url=url, modules={"models": ["course_app.chapters.ch03_databases.tortoise_models"]}
    ):
        yield


async def get_tortoise_user(user_id: Id) -> dict[str, Any]:
    from tortoise.exceptions import DBConnectionError, OperationalError

    try:
        user = await UserModel.get_or_none(id=user_id)
    except (*DB_DOWN, DBConnectionError, OperationalError) as exc:
        raise database_down(exc) from None
    if user is None:
        raise not_found("user", user_id)
    return {"id": user.id, "name": user.name, "email": user.email}  # fields named: a Model is not JSON


def create_app(database: str | None = None) -> FastAPI:
    app = FastAPI(title="ch03: Tortoise ORM in the lifespan", lifespan=lifespan)
    app.state.database = configured_database(database)

    @app.get("/tortoise-users/{user_id}")
    async def tortoise_user(user_id: Id) -> dict[str, Any]:
        if not app.state.database:
            raise no_database()
        return await get_tortoise_user(user_id)

    return app


app = create_app()
