"""Chapter 01's apps on live servers, one behaviour per test, variants side by side; and its exercise checks.

Timing assertions are ratios to the analytical ideal with generous margins (the machines are shared).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool

from course_app import LiveServer, ideal_async, ideal_serial, ideal_threadpool, load, probe
from course_app.chapters import apps_of
from course_app.chapters import ch01_async_vs_sync as ch01
from course_app.exercises import ExerciseFailed
from course_app.exercises import ch01 as checks

pytestmark = pytest.mark.anyio

T = ch01.T
BOUNDS: dict[str, Any] = dict(timeout=10, max_seconds=20, progress=False)


@pytest.fixture(scope="module")
def upstream() -> Iterator[LiveServer]:
    with LiveServer(ch01.upstream) as srv:
        ch01.app.state.upstream_url = srv.url
        ch01.shared_client.state.upstream_url = srv.url
        yield srv


@pytest.fixture(scope="module")
def servers(upstream: LiveServer) -> Iterator[dict[str, LiveServer]]:
    """One live server per chapter app (except the upstream), started once for the module."""
    started: dict[str, LiveServer] = {}
    try:
        for name in ("app", "loop_blockers", "wide_pool", "process_pool", "shared_client"):
            started[name] = LiveServer(getattr(ch01, name), log_level="critical").start()
        yield started
    finally:
        for srv in started.values():
            srv.stop()


def test_the_chapter_defines_its_apps() -> None:
    assert set(apps_of(ch01)) == {"app", "loop_blockers", "wide_pool", "process_pool", "upstream", "shared_client"}


# -- sleeping handlers against their ideals --------------------------------------------------

SLEEPERS = [
    pytest.param("app", "/sync", 41, lambda n: ideal_threadpool(n, T), id="def+time.sleep, 41 = two waves"),
    pytest.param("app", "/async", 80, lambda n: ideal_async(n, T), id="async+asyncio.sleep, 80 = one wait"),
    pytest.param("loop_blockers", "/async-blocking", 3, lambda n: ideal_serial(n, T), id="async+time.sleep, serial"),
    pytest.param(
        "wide_pool", "/sync", 80, lambda n: ideal_threadpool(n, T, workers=100), id="def, 100 threads = one wave"
    ),
]


@pytest.mark.parametrize(("app", "path", "n", "ideal"), SLEEPERS)
async def test_sleepers_take_their_ideal_time(
    servers: dict[str, LiveServer], app: str, path: str, n: int, ideal: Callable[[int], float]
) -> None:
    srv = servers[app]
    await load(srv, path, n=min(n, 10), **BOUNDS)  # warm-up: worker threads, imports
    if path == "/sync":
        await load(srv, path, n=n, **BOUNDS)
    result = await ch01.best_of(2, lambda: load(srv, path, n=n, **BOUNDS))
    assert result.ok == n
    assert 0.9 * ideal(n) < result.wall < 1.5 * ideal(n), (result, ideal(n))


async def test_the_41st_def_request_waits_for_a_thread(servers: dict[str, LiveServer]) -> None:
    srv = servers["app"]
    await load(srv, "/sync", n=80, **BOUNDS)  # the first wave also starts the threads
    r40 = await ch01.best_of(3, lambda: load(srv, "/sync", n=40, **BOUNDS))
    with probe(srv) as p:
        r41 = await load(srv, "/sync", n=41, **BOUNDS)
    assert r41.wall > 1.5 * r40.wall
    assert p.max_threads_busy == 40 and p.max_threads_waiting == 1
    assert p.max_lag < T  # def handlers leave the loop free (a garbage-collection pause may still show)


async def test_the_thread_limit_lives_per_event_loop(servers: dict[str, LiveServer]) -> None:
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = 100
    try:
        assert await ch01.thread_limit() == 100  # this test's loop
        assert servers["app"].run(ch01.thread_limit()) == 40  # the server's loop never saw it
    finally:
        limiter.total_tokens = 40
    assert servers["wide_pool"].run(ch01.thread_limit()) == 100  # set in the lifespan, on the server's loop


# -- who is kept waiting ---------------------------------------------------------------------

PINGS = [
    pytest.param("app", "/sync", 80, False, id="def+time.sleep"),
    pytest.param("app", "/async", 80, False, id="async+asyncio.sleep"),
    pytest.param("process_pool", "/cpu", 4, False, id="CPU in a process pool"),
    pytest.param("loop_blockers", "/async-blocking", 4, True, id="async+time.sleep"),
    pytest.param("loop_blockers", "/cpu-on-loop", 4, True, id="CPU on the loop"),
]


@pytest.mark.parametrize(("app", "path", "n", "blocks"), PINGS)
async def test_ping_waits_only_for_a_blocked_loop(
    servers: dict[str, LiveServer], app: str, path: str, n: int, blocks: bool
) -> None:
    tries = 1 if blocks else 2  # noise only adds time: the fast cases get a second chance
    busy, pings = await ch01.best_of(
        tries, lambda: ch01.ping_while_busy(servers[app], path, n), key=lambda bp: bp[1].percentile(50)
    )
    assert busy.ok == n and pings.ok == pings.n
    if blocks:
        assert pings.percentile(50) > 0.3 * busy.wall
    else:
        assert pings.percentile(50) < T / 2


# -- CPU work in three places ----------------------------------------------------------------


def test_cpu_work_is_the_sum_of_squares_and_names_its_process() -> None:
    assert ch01.cpu_work(1000) == {"result": sum(i * i for i in range(1000)), "pid": os.getpid()}


@pytest.mark.parametrize(
    ("app", "path", "same_process"),
    [("loop_blockers", "/cpu-on-loop", True), ("app", "/cpu-intensive", True), ("process_pool", "/cpu", False)],
    ids=["on the loop", "thread pool", "process pool"],
)
async def test_cpu_endpoints_agree_and_run_where_they_say(
    servers: dict[str, LiveServer], app: str, path: str, same_process: bool
) -> None:
    async with httpx.AsyncClient(base_url=servers[app].url, timeout=10) as client:
        r = await client.get(path)
    assert r.status_code == 200
    assert r.json()["result"] == sum(i * i for i in range(ch01.CPU_N))
    assert (r.json()["pid"] == os.getpid()) is same_process


async def test_the_process_pool_is_warm_and_runs_jobs_in_parallel(servers: dict[str, LiveServer]) -> None:
    srv = servers["process_pool"]
    result = await ch01.best_of(2, lambda: load(srv, "/cpu", n=2 * ch01.WORKERS, keep_bodies=True, **BOUNDS))
    pids = {json.loads(r.body or b"{}")["pid"] for r in result.records}
    assert len(pids) == ch01.WORKERS and os.getpid() not in pids
    threads = await load(servers["app"], "/cpu-intensive", n=2 * ch01.WORKERS, **BOUNDS)
    assert result.wall < 0.9 * threads.wall  # loose: a shared 2-core machine


async def test_the_lifespan_shuts_the_process_pool_down() -> None:
    app = FastAPI(title="a second process-pool app", lifespan=ch01.process_pool_lifespan)
    app.get("/cpu")(ch01.cpu_in_process)
    with LiveServer(app) as srv:
        pool = app.state.pool
        async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
            assert (await client.get("/cpu")).status_code == 200
    with pytest.raises(RuntimeError, match="shutdown"):
        pool.submit(ch01.worker_pid)


# -- the external service and how to call it -----------------------------------------------


async def test_upstream_counts_requests_and_connections(upstream: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=upstream.url, timeout=10) as client:
        await client.delete("/stats")
        for _ in range(3):
            assert (await client.get("/data", params={"delay": 0})).json()["data"] == [1, 2, 3]
        assert (await client.get("/stats")).json() == {"requests": 3, "connections": 1}


@pytest.mark.parametrize(
    ("app", "path", "most_connections"),
    [("app", "/io-intensive", None), ("shared_client", "/io", 10)],
    ids=["a client per request", "one shared client"],
)
async def test_io_endpoints_and_the_connections_they_open(
    servers: dict[str, LiveServer], upstream: LiveServer, app: str, path: str, most_connections: int | None
) -> None:
    async with httpx.AsyncClient(base_url=upstream.url, timeout=10) as stats:
        await stats.delete("/stats")
        result = await load(servers[app], f"{path}?delay=0.05", n=30, concurrency=10, **BOUNDS)
        connections = (await stats.get("/stats")).json()["connections"]
    assert result.ok == 30
    if most_connections is None:
        assert connections >= 25  # a new connection (nearly) every time
    else:
        assert connections <= most_connections


async def test_a_slow_upstream_is_a_504_for_the_shared_client_and_a_500_for_the_seed(
    servers: dict[str, LiveServer],
) -> None:
    slow = {"delay": 1.5 * ch01.TIMEOUT}
    async with httpx.AsyncClient(timeout=10) as client:
        started = time.perf_counter()
        seed, shared = await asyncio.gather(
            client.get(servers["app"].url + "/io-intensive", params=slow),
            client.get(servers["shared_client"].url + "/io", params=slow),
        )
        elapsed = time.perf_counter() - started
    assert seed.status_code == 500 and isinstance(servers["app"].errors[-1], httpx.TimeoutException)
    assert shared.status_code == 504 and str(ch01.TIMEOUT) in shared.json()["detail"]
    assert not servers["shared_client"].errors
    assert elapsed < 1.4 * ch01.TIMEOUT


async def test_an_upstream_that_is_down_is_a_502() -> None:
    with LiveServer(FastAPI(title="gone")) as gone:
        nobody_listens = gone.url
    app = FastAPI(title="a second shared-client app", lifespan=ch01.shared_client_lifespan)
    app.get("/io")(ch01.io_shared)
    app.state.upstream_url = nobody_listens
    with LiveServer(app) as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
            r = await client.get("/io")
    assert r.status_code == 502 and "ConnectError" in r.json()["detail"]
    assert not srv.errors


async def test_the_seed_as_pasted_fails_with_a_name_error() -> None:
    with LiveServer(ch01.seed_as_pasted(), log_level="critical") as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=10) as client:
            r = await client.get("/io-intensive")
    assert r.status_code == 500
    assert isinstance(srv.errors[-1], NameError) and "httpx" in str(srv.errors[-1])


# -- exercise 1.1 ------------------------------------------------------------------------------


def lookup_app(kind: str) -> FastAPI:
    app = FastAPI(title=f"exercise 1.1, {kind}")
    if kind != "no ping":
        app.include_router(ch01.ping_router)

    if kind in ("def", "no ping"):

        @app.get("/lookup/{key}")
        def lookup_def(key: str) -> dict[str, str]:
            return ch01.legacy_lookup(key)

    elif kind == "threadpool":

        @app.get("/lookup/{key}")
        async def lookup_threadpool(key: str) -> dict[str, str]:
            return await run_in_threadpool(ch01.legacy_lookup, key)

    elif kind == "blocking":

        @app.get("/lookup/{key}")
        async def lookup_blocking(key: str) -> dict[str, str]:
            return ch01.legacy_lookup(key)

    elif kind == "placeholder":

        @app.get("/lookup/{key}")
        async def lookup_placeholder(key: str) -> dict[str, str]:
            raise NotImplementedError()

    elif kind == "wrong value":

        @app.get("/lookup/{key}")
        async def lookup_wrong(key: str) -> dict[str, str]:
            return {"key": key}

    return app


@pytest.mark.parametrize("kind", ["def", "threadpool"])
async def test_check_non_blocking_passes_on_solutions(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    await checks.check_non_blocking(lookup_app(kind))
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("blocking", "the event loop was blocked"),
        ("placeholder", "still the placeholder"),
        ("wrong value", "should return what legacy_lookup"),
        ("no ping", "has no GET /ping"),
    ],
)
async def test_check_non_blocking_explains_wrong_answers(kind: str, words: str) -> None:
    with pytest.raises(ExerciseFailed, match=words):
        await checks.check_non_blocking(lookup_app(kind))


async def test_checks_refuse_something_that_is_not_an_app() -> None:
    with pytest.raises(ExerciseFailed, match="should be a function or an app"):
        await checks.check_non_blocking(42)


# -- exercise 1.2 ------------------------------------------------------------------------------


def work_app(limit: int | None, *, fail: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if fail:
            raise NotImplementedError()
        if limit is not None:
            anyio.to_thread.current_default_thread_limiter().total_tokens = limit
        yield

    app = FastAPI(title=f"exercise 1.2, limit {limit}", lifespan=lifespan)

    @app.get("/work")
    def work() -> dict[str, float]:
        time.sleep(T)
        return {"slept": T}

    return app


async def test_check_thread_limit_passes_on_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    await checks.check_thread_limit(work_app(100))
    assert "one wave" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("app", "words"),
    [
        (work_app(None), "allows 40 worker threads"),
        (work_app(60), "allows 60 worker threads"),
        (work_app(None, fail=True), "did not start: the exercise code is still the placeholder"),
    ],
    ids=["no limit", "too small", "placeholder"],
)
async def test_check_thread_limit_explains_wrong_answers(app: FastAPI, words: str) -> None:
    with pytest.raises(ExerciseFailed, match=words):
        await checks.check_thread_limit(app)


async def test_check_thread_limit_spots_a_limit_set_on_the_wrong_loop() -> None:
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = 100  # what a notebook cell does: the caller's loop, not the server's
    try:
        with pytest.raises(ExerciseFailed, match="set it in the app's lifespan"):
            await checks.check_thread_limit(work_app(None))
    finally:
        limiter.total_tokens = 40


# -- exercise 1.3 ------------------------------------------------------------------------------


def cpu_app(kind: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if kind == "placeholder":
            raise NotImplementedError()
        app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
        yield
        app.state.pool.shutdown()

    app = FastAPI(title=f"exercise 1.3, {kind}", lifespan=lifespan)
    app.include_router(ch01.ping_router)

    if kind in ("pool", "placeholder"):

        @app.get("/cpu")
        async def cpu_pool(request: Request) -> dict[str, int]:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(request.app.state.pool, ch01.cpu_work, ch01.CPU_N)

    elif kind == "thread":

        @app.get("/cpu")
        def cpu_thread() -> dict[str, int]:
            return ch01.cpu_work(ch01.CPU_N)

    elif kind == "loop":

        @app.get("/cpu")
        async def cpu_loop() -> dict[str, int]:
            return ch01.cpu_work(ch01.CPU_N)

    elif kind == "wrong size":

        @app.get("/cpu")
        async def cpu_small(request: Request) -> dict[str, int]:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(request.app.state.pool, ch01.cpu_work, 10)

    return app


async def test_check_process_pool_passes_on_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    await checks.check_process_pool(cpu_app("pool"))
    assert "ran in worker processes" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("thread", "ran in the server's own process"),
        ("loop", "ran in the server's own process"),
        ("wrong size", "should return what ch01.cpu_work"),
        ("placeholder", "did not start: the exercise code is still the placeholder"),
    ],
)
async def test_check_process_pool_explains_wrong_answers(kind: str, words: str) -> None:
    with pytest.raises(ExerciseFailed, match=words):
        await checks.check_process_pool(cpu_app(kind))
