"""What chapter 03's apps share: where the database is, what "the database is down" looks like, and the answers.

Every app of the chapter takes its PostgreSQL URL in ``create_app(database=...)``, else from
``$COURSE_DATABASE_URL``; without one, its routes answer 503 naming the variable. A database that is down, or
that drops a connection, is a 503 that says so; an unknown id a 404; malformed input a 422 (FastAPI's own).
"""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import asyncpg
from fastapi import HTTPException, Path
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc

from .._postgres import DB_ENV as DB_ENV
from .._postgres import configured_database as configured_database
from .._postgres import database_down as database_down
from .._postgres import no_database as no_database

APP_NAME = f"course-ch03-{os.getpid()}"  # application_name of this process's connections (pg_stat_activity)
DB_TIMEOUT = 5.0  # seconds a connection attempt or a query may take before the app answers 503
SCHEMA = "course"  # where the seed data lives (course_app.seed_data)

#: a key of the seed data's tables: a positive 32-bit integer (PostgreSQL's integer); anything else is a 422
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

#: what asyncpg raises when the database is down, restarting, or dropped the connection
DB_DOWN = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
           asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError)  # fmt: skip


def sqlalchemy_url(url: str) -> str:
    """The same database for SQLAlchemy's asyncpg dialect: ``postgresql+asyncpg://...``."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
        raise ValueError(f"not a PostgreSQL URL: {scheme}://...")
    return f"postgresql+asyncpg://{rest}"


def is_down(exc: BaseException) -> bool:
    """Whether ``exc`` (asyncpg's own, or SQLAlchemy's wrapping of it) says the database is unreachable."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa_exc.InterfaceError, sa_exc.OperationalError, sa_exc.TimeoutError)):
        return True
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DB_DOWN):
            return True
        seen = seen.__cause__ or getattr(seen, "orig", None)
        if seen is exc:
            break
    return False


def not_found(what: str, key: int) -> HTTPException:
    return HTTPException(404, f"no {what} with id {key}")


class Signup(BaseModel):
    """One row for the chapter's ``signups`` table (see :mod:`.models`)."""

    name: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", max_length=200)
