"""What the database chapters' apps share: where a served app finds PostgreSQL, and the 503s it answers when it
was given none or the database does not answer (never a 500 with a traceback)."""

from __future__ import annotations

import os

from fastapi import HTTPException

DB_ENV = "COURSE_DATABASE_URL"  # where a served app finds PostgreSQL, when not told in code


def configured_database(url: str | None) -> str | None:
    """The PostgreSQL URL an app is created with: the one given, else ``$COURSE_DATABASE_URL``, else None."""
    return url or os.environ.get(DB_ENV, "").strip() or None


def no_database() -> HTTPException:
    return HTTPException(
        503,
        "this app uses PostgreSQL and was given none: create it with create_app(database=...), or set "
        f"{DB_ENV} before serving it",
    )


def database_down(exc: BaseException) -> HTTPException:
    return HTTPException(503, f"the database did not answer: {type(exc).__name__}; try again in a moment")
