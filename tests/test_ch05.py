"""Chapter 05: what the notebook does not show cell by cell.

* the apps without their service (or database) answer 503 naming what is missing; a service that is down
  is a 502, one too slow a 504, never a 500;
* the watched route answers as the plain one when its client stays, and leaves no task behind;
* the service refuses what is past its limit with 429, says why, and refuses bad settings;
* the parallel dashboard answers what the in-order one does, and a database that is down is a 503.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest

from course_app.chapters import ch05_concurrency as ch05
from course_app.chapters.ch05_concurrency import (
    aggregate,
    bounded,
    budgets,
    disconnect,
    first_wins,
    parallel_queries,
    service,
)
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio

ROUTES = {
    aggregate: ["/gather/user/1", "/taskgroup/user/1", "/anyio/user/1"],
    first_wins: ["/fastest-price/1"],
    budgets: ["/per-call/user/1", "/budget/user/1"],
    bounded: ["/unbounded?n=5", "/bounded?n=5"],
    disconnect: ["/plain/user/1", "/watched/user/1"],
}


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_apps_without_their_service_say_what_is_missing() -> None:
    for module, paths in ROUTES.items():
        with LiveServer(module.create_app(None)) as srv:
            for path in paths:
                r = httpx.get(srv.url + path)
                assert r.status_code == 503 and ch05.SERVICE_ENV in r.json()["detail"], (path, r.text)
    with LiveServer(parallel_queries.create_app(None)) as srv:
        r = httpx.get(f"{srv.url}/dashboard/parallel")
        assert r.status_code == 503 and ch05.DB_ENV in r.json()["detail"]


def test_a_service_that_is_down_is_a_502_and_never_a_500() -> None:
    down = f"http://127.0.0.1:{_dead_port()}"
    for module, paths in ROUTES.items():
        with LiveServer(module.create_app(down), log_level="critical") as srv:
            for path in paths:
                r = httpx.get(srv.url + path, timeout=10)
                assert r.status_code == 502 and r.json()["detail"], (path, r.text)
        assert not srv.errors, srv.errors


def test_a_service_too_slow_is_a_504() -> None:
    app = service.create_app()
    app.state.book.behave("api", delay=1.0)
    with LiveServer(app) as svc, LiveServer(budgets.create_app(svc.url)) as srv:
        r = httpx.get(f"{srv.url}/per-call/user/1?call_timeout=0.1")
        assert r.status_code == 504 and "ReadTimeout" in r.json()["detail"]
        r = httpx.get(f"{srv.url}/budget/user/1?call_timeout=2&budget=0.2")
        assert r.status_code == 504 and "budget of 0.2 s" in r.json()["detail"]


async def test_the_watched_route_answers_like_the_plain_one_and_leaves_no_task() -> None:
    app = service.create_app()
    book: ch05.Book = app.state.book
    book.behave("api", delay=0.05)
    with LiveServer(app) as svc, LiveServer(disconnect.create_app(svc.url)) as srv:
        async with httpx.AsyncClient(base_url=srv.url) as client:
            plain = (await client.get("/plain/user/3")).json()
            watched = await client.get("/watched/user/3")
        assert watched.status_code == 200 and watched.json() == plain
        leftover = srv.run(_other_tasks())  # on the server's own loop, after the answers
    assert leftover == 0, "the watcher ended with its handler"
    assert book.outcomes() == {"ok": 6}


async def _other_tasks() -> int:
    await asyncio.sleep(0.1)
    me = asyncio.current_task()
    return sum(1 for t in asyncio.all_tasks() if t is not me and "watch" in repr(t.get_coro()))


def test_the_service_refuses_past_its_limit_and_bad_settings() -> None:
    app = service.create_app()
    book: ch05.Book = app.state.book
    book.reset(limit=1)
    book.behave("slow", delay=0.5)
    with LiveServer(app) as svc, httpx.Client(base_url=svc.url, timeout=5) as client:
        first = threading.Thread(target=client.get, args=("/slow/x",))
        first.start()
        deadline = time.monotonic() + 5
        while book.in_flight < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = httpx.get(f"{svc.url}/slow/y")
        first.join()
        assert refused.status_code == 429 and "allows 1" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "1"
        assert client.get("/stats").json()["outcomes"] == {"refused": 1, "ok": 1}
    with pytest.raises(ValueError, match="delay is 0 to 30 seconds"):
        book.behave("x", delay=-1)
    with pytest.raises(ValueError, match="fail a share"):
        book.behave("x", fail=2)


async def test_the_parallel_dashboard_answers_what_the_in_order_one_does_and_503_when_the_database_is_down(
    seeded_url: str,
) -> None:
    with LiveServer(parallel_queries.create_app(seeded_url)) as srv:
        in_order = httpx.get(f"{srv.url}/dashboard/in-order").json()
        parallel = httpx.get(f"{srv.url}/dashboard/parallel").json()
    assert parallel == in_order and parallel["total_users"] == 1000 and len(parallel["users"]) == 10
    down = f"postgresql://nobody:x@127.0.0.1:{_dead_port()}/nothing"
    with LiveServer(parallel_queries.create_app(down), log_level="critical") as srv:
        for route in ("in-order", "parallel"):
            r = httpx.get(f"{srv.url}/dashboard/{route}", timeout=15)
            assert r.status_code == 503 and "did not answer" in r.json()["detail"], r.text
    assert not srv.errors
