"""Chapter 04: what the notebook does not show cell by cell.

* the shared pool answers 503 when the database goes down, and serves again when it is back;
* the apps without their service answer 503 saying what is missing; a service that is down or slow, 502 or 504;
* the throw-away PostgreSQL allows what it was asked to, and leaves nothing behind: not its folder, nor a stale
  folder of a kernel that died.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import httpx
import pytest

from course_app.chapters import ch04_pooling as ch04
from course_app.chapters.ch01_async_vs_sync import upstream
from course_app.chapters.ch04_pooling import common, http_limits, shared_pool
from course_app.db import start_postgres
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio


async def test_the_shared_pool_answers_503_while_the_database_is_down_and_recovers(tmp_path: Path) -> None:
    pg = start_postgres(tmp_path)
    try:
        if pg.source == "DATABASE_URL":
            pytest.skip("DATABASE_URL is set: the test must stop the server, and never stops yours")
        app = shared_pool.create_app(pg.url, shared_pool.PoolSettings(min_size=1, max_size=2, acquire_timeout=2))
        with LiveServer(app, log_level="critical") as srv:
            assert httpx.get(f"{srv.url}/sleep?seconds=0").status_code == 200
            pg.stop()
            down = httpx.get(f"{srv.url}/sleep?seconds=0", timeout=15)
            assert down.status_code == 503 and "database did not answer" in down.json()["detail"]
            pg = start_postgres(tmp_path)
            back = [httpx.get(f"{srv.url}/sleep?seconds=0", timeout=15).status_code for _ in range(3)]
            assert back[-1] == 200, back
        assert not srv.errors, srv.errors
    finally:
        pg.stop()


def test_apps_without_their_service_say_what_is_missing() -> None:
    with LiveServer(shared_pool.create_app(None)) as srv:
        r = httpx.get(f"{srv.url}/users/1")
        assert r.status_code == 503 and ch04.DB_ENV in r.json()["detail"]
    with LiveServer(http_limits.create_app(None)) as srv:
        r = httpx.get(f"{srv.url}/call")
        assert r.status_code == 503 and ch04.UPSTREAM_ENV in r.json()["detail"]


def test_a_service_that_is_down_or_slow_gets_502_or_504() -> None:
    with LiveServer(http_limits.create_app(f"http://127.0.0.1:{_dead_port()}")) as srv:
        assert httpx.get(f"{srv.url}/call").status_code == 502
    with LiveServer(upstream.app) as up:
        slow = http_limits.ClientSettings(read_timeout=0.2)
        with LiveServer(http_limits.create_app(up.url, slow)) as srv:
            r = httpx.get(f"{srv.url}/call?delay=1")
            assert r.status_code == 504 and "0.2 s" in r.json()["detail"]


def _dead_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_throwaway_server_allows_what_it_was_asked_and_leaves_nothing() -> None:
    stale = Path(common.tempfile.gettempdir()) / f"{common.THROWAWAY_PREFIX}{common._uid()}-{2**22 + 12345}"
    stale.mkdir(exist_ok=True)  # a kernel that died (no such pid) and left its folder
    small = ch04.throwaway_postgres(max_connections=8)
    try:
        assert not stale.exists(), "the dead kernel's folder was removed"
        conns = []
        with pytest.raises(asyncpg.TooManyConnectionsError, match="too many clients"):
            for _ in range(9):
                conns.append(await asyncpg.connect(small.url))
        assert len(conns) == 8
        for conn in conns:
            await conn.close()
    finally:
        small.stop()
    assert not small.folder.exists()
    with pytest.raises(ValueError, match="max_connections"):
        ch04.throwaway_postgres(max_connections=2)


def test_with_settings_keeps_the_url_and_adds_the_settings() -> None:
    url = ch04.with_settings("postgresql://u@/db?host=/tmp/x&application_name=a", application_name="b", search_path="c")
    assert url == "postgresql://u@/db?host=%2Ftmp%2Fx&application_name=b&search_path=c"
