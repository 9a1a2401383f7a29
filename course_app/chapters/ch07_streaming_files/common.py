"""What chapter 07's apps share: where PostgreSQL is, the 503s for a database that is missing, down or busy, and
a private copy of the seed rows that the notebook measures (:func:`private_copy`)."""

from __future__ import annotations

import asyncio
import os

import asyncpg
from fastapi import HTTPException

from .._postgres import DB_ENV as DB_ENV
from .._postgres import configured_database as configured_database
from .._postgres import database_down as database_down
from .._postgres import no_database as no_database

#: what asyncpg raises when the database is down, restarting, or dropped the connection
DB_DOWN = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
           asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError)  # fmt: skip


def pool_busy(timeout: float) -> HTTPException:
    return HTTPException(
        503, f"every database connection stayed busy for {timeout:g} s: try again shortly", headers={"Retry-After": "1"}
    )


def query_failed(exc: BaseException) -> HTTPException:
    return HTTPException(503, f"the export's query failed before the first byte: {type(exc).__name__}: {exc}")


# -- a private copy of the seed rows ------------------------------------------------------------------------------

PRIVATE_PREFIX = "course_ch07_"  # + the process id: one schema per kernel


async def private_copy(url: str, tables: tuple[str, ...] = ("users", "orders")) -> str:
    """A schema of this process's own with copies of the seed's ``tables`` at full size; returns its name.

    The seed data's schema (``course``) is shared by every kernel of the checkout, and a kernel that asks for
    the seed data at another size reloads it in place. A chapter that measures exports of 50,000 rows copies
    them once (a tenth of a second) and measures its own copy. :func:`drop_private` removes it; copies left by
    kernels that died are removed by the next call.
    """
    from course_app.seed_data import FULL, ensure_seeded

    expected = {"users": FULL.users, "orders": FULL.orders}
    schema = f"{PRIVATE_PREFIX}{os.getpid()}"
    for _ in range(3):  # another kernel may be reloading the shared rows right now: try again
        await ensure_seeded(url)
        conn = await asyncpg.connect(url, timeout=10)
        try:
            await _drop_stale(conn)
            async with conn.transaction():
                await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
                for table in tables:
                    await conn.execute(f"CREATE TABLE {schema}.{table} AS TABLE course.{table}")
                    await conn.execute(f"ALTER TABLE {schema}.{table} ADD PRIMARY KEY (id)")
                counts = {t: await conn.fetchval(f"SELECT count(*) FROM {schema}.{t}") for t in tables}
                if all(counts[t] == expected.get(t, counts[t]) for t in tables):
                    return schema
                raise _Smaller  # rolls the copy back
        except (_Smaller, asyncpg.PostgresError):
            await asyncio.sleep(0.5)
        finally:
            await conn.close()
    raise RuntimeError("the seed data kept changing size while it was copied: another kernel reloads it; run again")


async def drop_private(url: str, schema: str) -> None:
    if not schema.startswith(PRIVATE_PREFIX) or not schema[len(PRIVATE_PREFIX) :].isdigit():
        raise ValueError(f"not a private copy of this chapter: {schema!r}")
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


class _Smaller(Exception):
    """The shared rows were not at full size when copied."""


async def _drop_stale(conn: asyncpg.Connection) -> None:
    from course_app.embedded import pid_alive

    names = await conn.fetch("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", PRIVATE_PREFIX + "%")
    for (name,) in names:
        pid = name[len(PRIVATE_PREFIX) :]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
