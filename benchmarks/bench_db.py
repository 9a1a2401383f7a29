"""D1 the embedded PostgreSQL and the seed data: server start, cold and warm; generating, loading and checking.

* ``D1.pg.cold-start``: ``start_postgres(folder)`` on a new, empty course folder (initdb, then the server) until
  it answers; ``D1.pg.warm-start``: the same folder again, its server stopped (no initdb). The caller's view, in s.
* ``D1.seed.generate``: every seed row generated in Python, no database (:func:`course_app.seed_data.rows`).
* ``D1.seed.load``: ``ensure_seeded(url)`` into an empty schema: connect, schema, COPY of every row, constraints,
  indexes, ANALYZE, commit. What the first database chapter a learner opens pays once.
* ``D1.seed.check``: ``ensure_seeded(url)`` again, the rows there already: what every later chapter pays, connecting
  included; ``D1.seed.check-open``: the same on an open connection (the marker query alone).
* ``D1.seed.verify``: :func:`course_app.seed_data.verify`: every row's digest computed in SQL and compared.

Everything runs on a server of its own, in a temporary course folder that is deleted afterwards: never the
learner's. With ``DATABASE_URL`` set, the start rows are skipped (the course starts no server then) and the seed
rows are measured there, in schemas of their own that are dropped afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_app import seed_data
from course_app.db import describe_postgres_options, start_postgres

from .core import Figure, Measured, Mode, Plan, Row, Target, measure_rows, rounded, spread, take_samples

GROUP = "D1"
TITLE = "embedded PostgreSQL start, seed data generate / load / check"
ORDER = 50

LOAD_TARGET = Target("<=", 5.0)  # s: a few seconds, a twelfth of a notebook's 60 s budget
CHECK_TARGET = Target("<=", 50.0)  # ms: a second call is a cheap check


@dataclass(frozen=True)
class Settings:
    size: str = seed_data.FULL.text()  # what is generated and loaded (SeedSize.text())
    starts: int = 3  # cold starts (each on a new folder), and as many warm ones
    loads: int = 3  # generations, loads (each into an empty schema) and verifications
    checks: int = 20

    def __post_init__(self) -> None:
        seed_data.SeedSize.parse(self.size)
        if min(self.starts, self.loads, self.checks) < 1:
            raise ValueError(f"D1 needs at least one of each measurement: {self}")


SETTINGS: dict[Mode, Settings] = {
    "full": Settings(),
    "smoke": Settings(size=seed_data.TINY.text(), starts=1, loads=1, checks=3),
}


def measure(plan: Plan) -> list[Figure]:
    settings = SETTINGS[plan.mode]
    size = seed_data.SeedSize.parse(settings.size)
    starts = [
        Row("D1.pg.cold-start", "embedded PostgreSQL, cold start (new data folder)", "s"),
        Row("D1.pg.warm-start", "embedded PostgreSQL, warm start (existing data folder)", "s"),
    ]
    seeds = [
        Row("D1.seed.generate", f"seed rows generated, no database ({_total(size)})", "s"),
        Row("D1.seed.load", "seed data loaded into an empty schema (schema, COPY, indexes, commit)", "s", LOAD_TARGET),
        Row("D1.seed.check", "seed data already there: ensure_seeded(url), connecting included", "ms", CHECK_TARGET),
        Row("D1.seed.check-open", "seed data already there: ensure_seeded(conn) on an open connection", "ms"),
        Row("D1.seed.verify", "every row's digest computed in SQL and compared", "s"),
    ]
    available = describe_postgres_options()
    if not available["ok"]:  # no server to be had: say why (the message names DATABASE_URL among the ways out)
        return [row.skipped(f"no PostgreSQL: {available['error']}") for row in starts + seeds]
    with tempfile.TemporaryDirectory(prefix="course-bench-db-") as folder:
        if available["source"] == "DATABASE_URL":
            figures = [row.skipped("DATABASE_URL is set: the course starts no server of its own") for row in starts]
        else:
            figures = measure_rows(starts, lambda: _starts(plan, settings, Path(folder)))
        figures += measure_rows(seeds, lambda: _seed_figures(plan, settings, size, Path(folder) / "course"))
    return figures


def _total(size: seed_data.SeedSize) -> str:
    return f"{size.orders:,} orders, {size.comments:,} comments, ..."


def _starts(plan: Plan, settings: Settings, folder: Path) -> list[Measured]:
    fresh = (folder / f"cold-{n}" for n in itertools.count())

    def cold() -> float:
        return _start_stop(next(fresh))

    warm_folder = folder / "warm"
    _start_stop(warm_folder)  # made once; each warm start reopens it
    budget = plan.row_budget_s
    colds = take_samples(cold, warmups=0, count=settings.starts, budget_s=budget)  # a warm-up would not be cold
    warms = take_samples(lambda: _start_stop(warm_folder), warmups=plan.warmups, count=settings.starts, budget_s=budget)
    return [_seconds(colds, "new folder each time"), _seconds(warms, "the same folder, its server stopped")]


def _start_stop(folder: Path) -> float:
    """Seconds from asking for a server on ``folder`` to having it; then it is stopped (not timed)."""
    started = time.perf_counter()
    pg = start_postgres(folder)
    seconds = time.perf_counter() - started
    pg.stop()
    return seconds


def _seconds(samples: list[float], what: str) -> Measured:
    note = f"{len(samples)} samples: {spread(samples, 3)} s ({what})"
    return statistics.median(samples), {"samples": rounded(samples), "statistic": "median"}, note


def _seed_figures(plan: Plan, settings: Settings, size: seed_data.SeedSize, home: Path) -> list[Measured]:
    def generate() -> float:
        started = time.perf_counter()
        for table in seed_data.TABLES:
            for _ in seed_data.rows(table, size):
                pass
        return time.perf_counter() - started

    generated = take_samples(generate, warmups=0, count=settings.loads, budget_s=plan.row_budget_s)
    with _server(home) as url:
        return [_seconds(generated, "Python only"), *asyncio.run(_database_figures(plan, settings, size, url))]


@contextmanager
def _server(home: Path) -> Iterator[str]:
    pg = start_postgres(home)
    try:
        yield pg.url
    finally:
        pg.stop()


async def _database_figures(plan: Plan, settings: Settings, size: seed_data.SeedSize, url: str) -> list[Measured]:
    import asyncpg

    schemas = [f"bench_seed_{os.getpid()}_{n}" for n in range(settings.loads)]
    loads: list[float] = []
    deadline = time.monotonic() + plan.row_budget_s
    try:
        for schema in schemas:  # each into an empty schema, as a learner's first call; so no warm-up
            if loads and time.monotonic() > deadline:
                break
            await seed_data.drop(url, schema=schema)
            report = await seed_data.ensure_seeded(url, schema=schema, size=size)
            if not report.loaded:
                raise RuntimeError(f"schema {schema} was not empty: nothing was loaded")
            loads.append(report.seconds)
        kept = schemas[0]

        def check(target: Any) -> Callable[[], Awaitable[object]]:
            return lambda: seed_data.ensure_seeded(target, schema=kept, size=size)

        checks = [await _timed_ms(check(url)) for _ in range(settings.checks)]
        conn = await asyncpg.connect(url, timeout=10)
        try:
            await check(conn)()  # a warm-up: the connection's first statements are prepared
            open_checks = [await _timed_ms(check(conn)) for _ in range(settings.checks)]
        finally:
            await conn.close()
        verifies = []
        for _ in loads:
            started = time.perf_counter()
            verified = await seed_data.verify(url, schema=kept)
            verifies.append(time.perf_counter() - started)
            if not verified.ok:
                raise RuntimeError(str(verified))
    finally:
        for schema in schemas:
            await seed_data.drop(url, schema=schema)
    details: dict[str, Any] = {"size": size.text(), "rows": sum(report.counts.values())}
    load_note = f"{len(loads)} loads of {details['rows']:,} rows: {spread(loads, 2)} s"
    return [
        (statistics.median(loads), {**details, "samples": rounded(loads)}, load_note),
        (statistics.median(checks), {**details, "samples": rounded(checks)}, f"median of {len(checks)}"),
        (statistics.median(open_checks), {**details, "samples": rounded(open_checks)}, f"median of {len(open_checks)}"),
        (statistics.median(verifies), {**details, "samples": rounded(verifies)}, f"{len(verifies)} runs: ok"),
    ]


async def _timed_ms(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000
