"""Chapter 02: what the notebook does not show cell by cell.

* a failed start of the AsyncExitStack lifespan leaves nothing behind: no worker process, no connection;
* the fixed session under a failing query and under cancellation: the query's own error, a rollback, and the
  connection back in the pool;
* a database that goes down gets a clear 503, and the app recovers when it is back;
* the seed's session as written masks the query's error, whatever the query.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from course_app.chapters import ch02_lifespan as ch02
from course_app.chapters.ch02_lifespan import resources, seed_as_pasted, seed_fixed
from course_app.db import Postgres
from course_app.db_proxy import DatabaseProxy
from course_app.server import LiveServer, ServerStartError

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pool(pg: Postgres) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(pg.url, min_size=1, max_size=2) as p:
        yield p


async def _count(url: str, name: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", name))
    finally:
        await conn.close()


async def test_a_failed_start_with_the_exit_stack_leaves_nothing_behind(pg: Postgres) -> None:
    journal = ch02.Journal()
    app = resources.create_app(pg.url, journal, cache_port=ch02.dead_port())
    with pytest.raises(ServerStartError) as failure:
        LiveServer(app, log_level="critical").start()
    assert isinstance(failure.value.__cause__, ConnectionRefusedError)
    assert journal.opened == ["database pool", "process pool"] and journal.closed == ["process pool", "database pool"]
    assert multiprocessing.active_children() == [], "the worker process was shut down and joined"
    assert await _count(pg.url, ch02.APP_NAME) == 0


async def test_a_normal_stop_closes_everything_and_the_database_counts_nothing(pg: Postgres) -> None:
    journal = ch02.Journal()
    with LiveServer(resources.create_app(pg.url, journal)) as srv:
        assert await _count(pg.url, ch02.APP_NAME) == ch02.POOL_SIZE
        pid = httpx.get(f"{srv.url}/square/3").json()["pid"]
    assert journal.left_open == [] and journal.closed[0] == "background task"
    assert pid not in {p.pid for p in multiprocessing.active_children()}
    assert await _count(pg.url, ch02.APP_NAME) == 0


async def test_the_fixed_session_rolls_back_and_gives_the_connection_back(pool: asyncpg.Pool) -> None:
    table = "ch02_test_session"
    await pool.execute(f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (n int)")
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            async with seed_fixed.AsyncDatabaseSession(pool) as conn:
                await conn.execute(f"INSERT INTO {table} VALUES (1)")
                await conn.fetch("SELECT * FROM no_such_table")
        assert pool.get_idle_size() == pool.get_size(), "the connection went back to the pool"

        async def slow() -> None:
            async with seed_fixed.AsyncDatabaseSession(pool) as conn:
                await conn.execute(f"INSERT INTO {table} VALUES (2)")
                await conn.execute("SELECT pg_sleep(5)")

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with seed_fixed.AsyncDatabaseSession(pool) as conn:
            await conn.execute(f"INSERT INTO {table} VALUES (3)")
        assert [r["n"] for r in await pool.fetch(f"SELECT n FROM {table}")] == [3]
        assert pool.get_idle_size() == pool.get_size()
    finally:
        await pool.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.mark.parametrize("query", ["SELECT * FROM data", "SELECT 1/0"])
async def test_the_seeds_session_hides_the_query_error(pool: asyncpg.Pool, query: str) -> None:
    session = seed_as_pasted.AsyncDatabaseSession()
    session.init(pool)
    with pytest.raises(AttributeError, match="rollback") as raised:
        async with session as conn:
            await conn.fetch(query)
    assert isinstance(raised.value.__context__, asyncpg.PostgresError)
    assert pool.get_idle_size() == pool.get_size(), "the connection itself was given back"
    with pytest.raises(TypeError, match="takes no arguments"):
        seed_as_pasted.AsyncDatabaseSession(pool)  # type: ignore[call-arg]


async def test_a_database_that_goes_down_gets_503_then_the_app_recovers(pg: Postgres) -> None:
    proxy = DatabaseProxy(pg.url)
    await proxy.up()
    try:
        # started and stopped from a thread: this test's loop must keep running, it runs the proxy
        srv = await asyncio.to_thread(LiveServer(resources.create_app(proxy.url), log_level="critical").start)
        try:
            async with httpx.AsyncClient(base_url=srv.url, timeout=15) as client:
                assert (await client.get("/db")).status_code == 200
                await proxy.down()
                down = await client.get("/db")
                assert down.status_code == 503 and "the database did not answer" in down.json()["detail"], down.text
                await proxy.up()  # the same port again
                assert (await client.get("/db")).status_code == 200, "the pool opened new connections"
        finally:
            await asyncio.to_thread(srv.stop)
        assert not srv.errors
    finally:
        with contextlib.suppress(AssertionError):
            await proxy.down()


async def test_without_a_database_the_apps_say_so_with_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ch02.DB_ENV, raising=False)
    monkeypatch.delenv(ch02.REDIS_ENV, raising=False)
    for app, path in ((resources.create_app(), "/db"), (seed_fixed.app, "/data")):
        with LiveServer(app) as srv:
            r = httpx.get(srv.url + path)
        assert r.status_code == 503 and ch02.DB_ENV in r.json()["detail"], r.text
