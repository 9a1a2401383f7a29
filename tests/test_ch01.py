"""Chapter 01's apps: what no notebook cell shows. The notebook asserts every claim it makes; this file does not
repeat them (notebooks/conftest.py runs the notebook)."""

from __future__ import annotations

import httpx
import pytest

from course_app.chapters import ch01_async_vs_sync as ch01
from course_app.chapters.ch01_async_vs_sync import process_pool, seed_fixed, shared_client, upstream
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio


def test_cpu_work_is_the_sum_of_squares() -> None:
    assert ch01.cpu_work(1000)["result"] == sum(i * i for i in range(1000))


async def test_the_lifespan_shuts_the_process_pool_down() -> None:
    with LiveServer(process_pool.app) as srv:
        pool = process_pool.app.state.pool
        async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
            assert (await client.get("/cpu")).status_code == 200
    with pytest.raises(RuntimeError, match="shutdown"):
        pool.submit(ch01.worker_pid)


@pytest.mark.parametrize(("module", "path"), [(seed_fixed, "/io-intensive"), (shared_client, "/io")])
async def test_an_app_without_an_upstream_says_what_it_needs(
    module: object, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ch01.UPSTREAM_ENV, raising=False)
    with LiveServer(module.create_app()) as srv:  # type: ignore[attr-defined]
        r = httpx.get(srv.url + path, timeout=10)
    assert r.status_code == 503 and ch01.UPSTREAM_ENV in r.json()["detail"]


async def test_the_upstream_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with LiveServer(upstream.app) as up:
        monkeypatch.setenv(ch01.UPSTREAM_ENV, up.url + "/")
        app = shared_client.create_app()
        with LiveServer(app) as srv:
            r = httpx.get(srv.url + "/io", params={"delay": 0}, timeout=10)
    assert r.status_code == 200 and r.json()["data"] == [1, 2, 3]


async def test_apps_made_by_create_app_share_nothing() -> None:
    first, second = seed_fixed.create_app("http://127.0.0.1:1"), seed_fixed.create_app("http://127.0.0.1:2")
    assert first.state.upstream_url != second.state.upstream_url
    assert seed_fixed.app.state.upstream_url != first.state.upstream_url
