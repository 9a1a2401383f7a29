"""D4 a pooled asyncpg query against a connection per request: latency (p50, p90) and throughput, at concurrency
10 and 50.

The same query (``SELECT pg_backend_pid() FROM pg_sleep(0)``) served by FastAPI on a LiveServer and driven by the
course's load client (``raw`` engine): through chapter 04's ``shared_pool`` app (one asyncpg pool from the
lifespan, ``max_size=10``, a connection borrowed per request), and through an app that opens a connection with
``asyncpg.connect`` for each request and closes it after. Each figure is the median of ``rounds`` runs of ``n``
requests, the two apps run one after the other in each round.

Everything runs on a throw-away PostgreSQL of its own (``ch04.throwaway_postgres``, 100 connections allowed), never
the learner's server: 50 concurrent connections per request would crowd it. Without a server the course can start,
every row is skipped, saying why.
"""

import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, Request

from course_app.chapters import ch04_pooling as ch04
from course_app.chapters.ch04_pooling import shared_pool
from course_app.loadgen import LoadResult
from course_app.server import LiveServer

from .core import RAW, Figure, Measured, Mode, Plan, Row, measure_rows, own_postgres_unavailable, rounded, run_load

GROUP = "D4"
TITLE = "a pooled asyncpg query against a connection per request"
ORDER = 64

QUERY = "SELECT pg_backend_pid() FROM pg_sleep(0)"
POOL_SIZE = 10
VARIANTS = ("pooled", "per-connection")


@dataclass(frozen=True)
class Settings:
    concurrencies: tuple[int, ...] = (10, 50)
    n: int = 1000  # requests per run
    rounds: int = 3  # runs of each app per concurrency; the median is kept
    max_seconds: float = 30.0  # bound of one run

    def __post_init__(self) -> None:
        if not self.concurrencies or min(*self.concurrencies, self.n, self.rounds) < 1 or not self.max_seconds > 0:
            raise ValueError(f"D4 needs positive concurrencies, n, rounds and max_seconds: {self}")


SETTINGS: dict[Mode, Settings] = {
    "full": Settings(),
    "smoke": Settings(n=100, rounds=1, max_seconds=10.0),
}


def connection_per_request(database: str) -> FastAPI:
    """The app without a pool: ``asyncpg.connect`` for every request, closed when it ends."""
    app = FastAPI(title="D4: a connection per request")

    async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(database, timeout=10)
        try:
            yield conn
        finally:
            await conn.close()

    @app.get("/sleep")
    async def query(conn: Annotated[asyncpg.Connection, Depends(connection)]) -> dict[str, int]:
        return {"backend": await conn.fetchval(QUERY)}

    return app


def rows_for(settings: Settings) -> list[Row]:
    rows = []
    for c in settings.concurrencies:
        for variant in VARIANTS:
            what = "one pool from the lifespan" if variant == "pooled" else "a connection per request"
            rows += [
                Row(f"{GROUP}.{variant}.c{c}.p50", f"{what}, concurrency {c}: median latency", "ms"),
                Row(f"{GROUP}.{variant}.c{c}.p90", f"{what}, concurrency {c}: p90 latency", "ms"),
                Row(f"{GROUP}.{variant}.c{c}.rps", f"{what}, concurrency {c}: throughput", "req/s"),
            ]
    return rows


def measure(plan: Plan) -> list[Figure]:
    settings = SETTINGS[plan.mode]
    rows = rows_for(settings)
    why_not = own_postgres_unavailable()
    if why_not:
        return [row.skipped(why_not) for row in rows]
    return measure_rows(rows, lambda: _measure(settings))


def _measure(settings: Settings) -> list[Measured]:
    figures: list[Measured] = []
    with ch04.throwaway_postgres(max_connections=100) as pg:
        pooled_app = shared_pool.create_app(
            pg.url, shared_pool.PoolSettings(min_size=POOL_SIZE, max_size=POOL_SIZE, acquire_timeout=10)
        )
        with (
            LiveServer(pooled_app, name="D4 pooled") as pooled,
            LiveServer(connection_per_request(pg.url), name="D4 per-connection") as per_connection,
        ):
            servers = {"pooled": (pooled, "/sleep?seconds=0"), "per-connection": (per_connection, "/sleep")}
            for c in settings.concurrencies:
                runs: dict[str, list[LoadResult]] = {v: [] for v in VARIANTS}
                for _ in range(settings.rounds):
                    for variant, (srv, path) in servers.items():
                        result = run_load(srv, path, RAW, n=settings.n, concurrency=c, max_seconds=settings.max_seconds)
                        if result.failed:
                            raise RuntimeError(f"{variant} at concurrency {c}: {dict(result.statuses)}")
                        runs[variant].append(result)
                for variant in VARIANTS:
                    figures += _figures(runs[variant], settings, c)
    return figures


def _figures(results: list[LoadResult], settings: Settings, c: int) -> list[Measured]:
    details: dict[str, Any] = {"engine": RAW.engine, "n": settings.n, "concurrency": c, "pool_size": POOL_SIZE}
    p50 = [r.percentile(50) * 1000 for r in results]
    p90 = [r.percentile(90) * 1000 for r in results]
    rps = [r.throughput for r in results]
    note = f"median of {len(results)} runs of {settings.n} requests"
    return [
        (statistics.median(p50), {**details, "samples": rounded(p50)}, note),
        (statistics.median(p90), {**details, "samples": rounded(p90)}, note),
        (statistics.median(rps), {**details, "samples": rounded(rps, 1)}, note),
    ]
