"""D3 the same primary-key lookup through SQLAlchemy's ORM, SQLAlchemy Core and raw asyncpg: the overhead per query.

* ``D3.asyncpg.fetchrow``: ``await conn.fetchrow("SELECT ... FROM course.users WHERE id = $1", id)`` on a
  connection held from an asyncpg pool (prepared statements cached by asyncpg);
* ``D3.core.select``: ``await conn.execute(select(users_table).where(id == ...))`` on one SQLAlchemy
  ``AsyncConnection`` (Core: no ORM objects; SQLAlchemy's compiled cache and asyncpg underneath);
* ``D3.orm.get``: ``await session.get(User, id)`` on one ``AsyncSession``, its identity map cleared before each
  call (``session.expunge_all()``), so every call queries and builds a ``User``;
* ``D3.core.overhead`` and ``D3.orm.overhead``: each median divided by asyncpg's, in the same round (x asyncpg).

Each sample is the median time per query (µs) over a batch of lookups of ids cycling through the users; the three
ways run interleaved, batch by batch, so that a busy moment of the machine falls on all three. One event loop,
one connection each, nothing else running: the figure is the client library's cost per query, plus one round
trip to the server (a Unix socket here). The server is started in a temporary course folder (never the
learner's), seeded, and stopped; with ``DATABASE_URL`` set it is that server, in a schema of its own.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_app import seed_data
from course_app.db import describe_postgres_options, start_postgres

from .core import Figure, Measured, Mode, Plan, Row, measure_rows, rounded, spread

GROUP = "D3"
TITLE = "one primary-key lookup: SQLAlchemy ORM, SQLAlchemy Core, raw asyncpg"
ORDER = 60


@dataclass(frozen=True)
class Settings:
    size: str = seed_data.FULL.text()
    batch: int = 200  # lookups per sample, per way
    rounds: int = 15  # samples per way

    def __post_init__(self) -> None:
        seed_data.SeedSize.parse(self.size)
        if self.batch < 1 or self.rounds < 1:
            raise ValueError(f"D3 needs a batch and a round at least: {self}")


SETTINGS: dict[Mode, Settings] = {
    "full": Settings(),
    "smoke": Settings(size=seed_data.TINY.text(), batch=20, rounds=3),
}

ROWS = [
    Row("D3.asyncpg.fetchrow", "asyncpg: conn.fetchrow, a pooled connection", "us"),
    Row("D3.core.select", "SQLAlchemy Core: conn.execute(select(...))", "us"),
    Row("D3.orm.get", "SQLAlchemy ORM: session.get(User, id)", "us"),
    Row("D3.core.overhead", "SQLAlchemy Core per query, relative to asyncpg", "x asyncpg"),
    Row("D3.orm.overhead", "SQLAlchemy ORM per query, relative to asyncpg", "x asyncpg"),
]


def measure(plan: Plan) -> list[Figure]:
    settings = SETTINGS[plan.mode]
    available = describe_postgres_options()
    if not available["ok"]:
        return [row.skipped(f"no PostgreSQL: {available['error']}") for row in ROWS]
    with tempfile.TemporaryDirectory(prefix="course-bench-orm-") as folder:
        return measure_rows(ROWS, lambda: _figures(plan, settings, Path(folder) / "course"))


def _figures(plan: Plan, settings: Settings, home: Path) -> list[Measured]:
    pg = start_postgres(home)
    try:
        return asyncio.run(_measure(plan, settings, pg.url))
    finally:
        pg.stop()


async def _measure(plan: Plan, settings: Settings, url: str) -> list[Measured]:
    import asyncpg
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from course_app.chapters.ch03_databases import User, sqlalchemy_url

    size = seed_data.SeedSize.parse(settings.size)
    schema = "course" if "DATABASE_URL" not in os.environ else f"bench_orm_{os.getpid()}"
    await seed_data.ensure_seeded(url, schema=schema, size=size)
    ids = list(range(1, size.users + 1))
    table = User.__table__
    engine = create_async_engine(sqlalchemy_url(url), pool_size=2, max_overflow=0,  # Core and ORM: one each
                                 execution_options={"schema_translate_map": {"course": schema}})  # fmt: skip
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
    sql = f"SELECT id, email, name, created_at FROM {schema}.users WHERE id = $1"
    try:
        async with pool.acquire() as raw, engine.connect() as core, async_sessionmaker(engine)() as session:
            lookups: dict[str, Callable[[int], Awaitable[Any]]] = {}

            async def by_asyncpg(key: int) -> Any:
                return await raw.fetchrow(sql, key)

            async def by_core(key: int) -> Any:
                return (await core.execute(select(table).where(table.c.id == key))).one()

            async def by_orm(key: int) -> Any:
                session.expunge_all()  # no identity-map hit: every get queries
                return await session.get(User, key)

            lookups = {"asyncpg": by_asyncpg, "core": by_core, "orm": by_orm}
            for way in lookups.values():  # warm-up: statements prepared, caches filled
                for key in ids[: min(len(ids), 20)]:
                    if await way(key) is None:
                        raise RuntimeError(f"user {key} not found: the seed data is not there")
            samples: dict[str, list[float]] = {name: [] for name in lookups}
            deadline = time.monotonic() + plan.row_budget_s * 3
            for n in range(settings.rounds):
                if n and time.monotonic() > deadline:
                    break
                for name, way in lookups.items():
                    per_query = []
                    for i in range(settings.batch):
                        key = ids[(n * settings.batch + i) % len(ids)]
                        started = time.perf_counter()
                        await way(key)
                        per_query.append((time.perf_counter() - started) * 1e6)
                    samples[name].append(statistics.median(per_query))
    finally:
        await pool.close()
        await engine.dispose()
        if schema != "course":
            await seed_data.drop(url, schema=schema)
    details = {"size": size.text(), "batch": settings.batch}
    medians = {name: statistics.median(values) for name, values in samples.items()}

    def us(name: str) -> Measured:
        values = samples[name]
        return medians[name], {**details, "samples": rounded(values)}, f"{len(values)} rounds: {spread(values, 1)} µs"

    def ratio(name: str) -> Measured:
        values = [a / b for a, b in zip(samples[name], samples["asyncpg"], strict=True)]
        return medians[name] / medians["asyncpg"], {**details, "samples": rounded(values)}, \
            f"round by round: {spread(values, 2)}"  # fmt: skip

    return [us("asyncpg"), us("core"), us("orm"), ratio("core"), ratio("orm")]
