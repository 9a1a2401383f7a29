"""Chapter 03: what the notebook does not show cell by cell.

* without a database, every app of the chapter answers 503 naming what to set; the MongoDB app too;
* a malformed ObjectId is a 422, and a stored document comes back as plain JSON;
* the three ways of counting order items (N+1, selectinload, one query) agree;
* a write refused at COMMIT leaves nothing and no connection checked out, and a database that goes down in the
  middle of writes gets 503, then the app recovers (asyncpg and SQLAlchemy apps, through the chapter's proxy).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from bson import ObjectId
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from course_app.chapters import ch03_databases as ch03
from course_app.chapters.ch03_databases import asyncpg_app, mongo_app, reports, sqla_app, tortoise_app
from course_app.db import Postgres
from course_app.db_proxy import DatabaseProxy
from course_app.seed_data import ensure_seeded
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio


@pytest.fixture
async def signups(pg: Postgres) -> AsyncIterator[str]:
    await ensure_seeded(pg.url)
    await ch03.reset_signups(pg.url)
    yield pg.url
    await ch03.drop_signups(pg.url)


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (asyncpg_app.create_app, "/users/1"),
        (sqla_app.create_app, "/users/1"),
        (tortoise_app.create_app, "/tortoise-users/1"),
        (mongo_app.create_app, f"/documents/{ObjectId()}"),
    ],
)
def test_without_a_database_every_app_says_so_with_503(
    make: object, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ch03.DB_ENV, raising=False)
    monkeypatch.delenv(mongo_app.MONGO_ENV, raising=False)
    with LiveServer(make(), log_level="critical") as srv:  # type: ignore[operator]
        r = httpx.get(srv.url + path)
    assert r.status_code == 503 and "COURSE_" in r.json()["detail"], r.text
    assert not srv.errors


def test_a_malformed_object_id_is_the_clients_mistake() -> None:
    with LiveServer(mongo_app.create_app("mongodb://127.0.0.1:9"), log_level="critical") as srv:
        bad = httpx.get(f"{srv.url}/documents/zzzzzzzzzzzzzzzzzzzzzzzz")
        short = httpx.get(f"{srv.url}/documents/abc")
    assert bad.status_code == 422 and "24 hexadecimal digits" in bad.json()["detail"]
    assert short.status_code == 422
    oid = ObjectId()
    assert mongo_app.as_json({"_id": oid, "n": 1}) == {"id": str(oid), "n": 1}


async def test_the_three_ways_of_counting_items_agree(pg: Postgres) -> None:
    await ensure_seeded(pg.url)
    engine = create_async_engine(ch03.sqlalchemy_url(pg.url))
    try:
        found = []
        for way in (reports.n_plus_one, reports.selectin, reports.one_query):
            async with async_sessionmaker(engine)() as session:
                found.append(await way(session, 60))
        assert found[0] == found[1] == found[2] and len(found[0]) == 60
        assert all(1 <= n <= 4 for n in found[0].values())
    finally:
        await engine.dispose()


async def test_a_refused_commit_writes_nothing_and_holds_no_connection(signups: str) -> None:
    app = sqla_app.create_app(signups)
    srv = await asyncio.to_thread(LiveServer(app, log_level="critical").start)
    try:
        async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
            assert (await client.post("/signups", json=[{"name": "A", "email": "a@x"}])).status_code == 201
            for _ in range(8):  # more refusals than the pool has connections: none may stay checked out
                r = await client.post("/signups", json=[{"name": "B", "email": "b@x"}, {"name": "A", "email": "a@x"}])
                assert r.status_code == 409, r.text
            assert (await client.post("/signups", json=[{"name": "C", "email": "c@x"}])).status_code == 201
            assert (await client.post("/signups", json=[{"email": "no name"}])).status_code == 422
    finally:
        await asyncio.to_thread(srv.stop)
    assert await ch03.signup_emails(signups) == ["a@x", "c@x"]
    assert not srv.errors


@pytest.mark.parametrize("make", [asyncpg_app.create_app, sqla_app.create_app])
async def test_writes_while_the_database_goes_down_get_503_then_recover(signups: str, make: object) -> None:
    proxy = DatabaseProxy(signups)
    await proxy.up()
    try:
        srv = await asyncio.to_thread(LiveServer(make(proxy.url), log_level="critical").start)  # type: ignore[operator]
        try:
            async with httpx.AsyncClient(base_url=srv.url, timeout=20) as client:
                assert (await client.post("/signups", json=[{"name": "A", "email": "a@x"}])).status_code == 201
                await proxy.down()
                down = await client.post("/signups", json=[{"name": "B", "email": "b@x"}])
                assert down.status_code == 503 and "did not answer" in down.json()["detail"], down.text
                await proxy.up()
                back = await client.post("/signups", json=[{"name": "C", "email": "c@x"}])
                assert back.status_code == 201, back.text
        finally:
            await asyncio.to_thread(srv.stop)
        assert not srv.errors
    finally:
        await proxy.down()
    assert await ch03.signup_emails(signups) == ["a@x", "c@x"]
