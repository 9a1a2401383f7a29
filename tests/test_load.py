"""The load client: one record per request, caps, timeouts, failures recorded, never raised."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

from course_app.loadgen import LoadResult, Outcome, RequestRecord, ideal_async, ideal_serial, ideal_threadpool, load
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.in_flight = 0
    app.state.peak = 0

    @app.get("/sleep")
    async def sleep(t: float = 0.1) -> dict[str, float]:
        app.state.in_flight += 1
        app.state.peak = max(app.state.peak, app.state.in_flight)
        try:
            await asyncio.sleep(t)
        finally:
            app.state.in_flight -= 1
        return {"slept": t}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    @app.get("/close")
    async def close() -> PlainTextResponse:
        return PlainTextResponse("bye", headers={"connection": "close"})

    @app.get("/chunked")
    async def chunked() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for i in range(5):
                yield f"part{i};".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    @app.get("/status/{code}")
    async def status(code: int) -> PlainTextResponse:
        return PlainTextResponse(str(code), status_code=code)

    return app


@pytest.fixture(scope="module")
def srv():  # type: ignore[no-untyped-def]
    app = make_app()
    with LiveServer(app) as server:
        yield server


@pytest.mark.parametrize("engine", ["raw", "httpx", "aiohttp"])
async def test_one_record_per_request_and_the_engine_is_named(srv: LiveServer, engine: str) -> None:
    r = await load(srv, "/sleep?t=0.05", n=30, engine=engine, keep_bodies=True, label="x")  # type: ignore[arg-type]
    assert isinstance(r, LoadResult) and r.engine == engine and r.label == "x"
    assert sorted(rec.index for rec in r.records) == list(range(30))
    assert all(rec.status == 200 and rec.error is None for rec in r.records)
    assert all(0 <= rec.start <= rec.end for rec in r.records)
    assert max(rec.end for rec in r.records) - min(rec.start for rec in r.records) == pytest.approx(r.wall)
    assert all(json.loads(rec.body or b"") == {"slept": 0.05} for rec in r.records)
    assert r.ok == 30 and r.failed == 0 and dict(r.statuses) == {200: 30}
    assert r.wall >= 0.05 and r.throughput > 0
    assert "client=" in repr(r)


async def test_concurrency_cap_is_respected(srv: LiveServer) -> None:
    srv.app.state.peak = 0  # type: ignore[union-attr]
    r = await load(srv, "/sleep?t=0.05", n=12, concurrency=3)
    assert r.ok == 12 and r.concurrency == 3
    assert srv.app.state.peak == 3  # type: ignore[union-attr]
    assert r.wall >= 3 * 0.05  # 12 requests, 3 at a time: at least 4 waves of 0.05 s (3 full ones measured)


async def test_timeouts_are_recorded_not_raised(srv: LiveServer) -> None:
    handler = 3.0  # seconds each request would take
    r = await load(srv, f"/sleep?t={handler:g}", n=5, timeout=0.2)
    assert r.ok == 0 and {rec.outcome for rec in r.records} == {Outcome.TIMEOUT}
    assert dict(r.statuses) == {"timeout": 5}
    assert all(rec.status is None for rec in r.records)
    assert r.wall < handler / 2, "the run ends on its timeouts, not when the handlers finish"


async def test_max_seconds_bounds_the_run_and_records_what_was_skipped(srv: LiveServer) -> None:
    r = await load(srv, "/sleep?t=0.1", n=20, concurrency=1, max_seconds=0.35)
    assert len(r.records) == 20
    skipped = [rec for rec in r.records if rec.outcome is Outcome.SKIPPED]
    assert 10 <= len(skipped) <= 18
    cut_off = [rec for rec in r.records if rec.outcome is Outcome.CUT_OFF]
    assert r.ok + len(skipped) + len(cut_off) == 20
    assert sum(rec.unfinished for rec in r.records) == len(skipped) + len(cut_off)


async def test_connection_refused_is_recorded(srv: LiveServer) -> None:
    with LiveServer(make_app()) as gone:
        url = gone.url
    r = await load(url, "/sleep", n=3, timeout=2)
    assert r.ok == 0 and all(rec.outcome is Outcome.ERROR and "Error" in (rec.error or "") for rec in r.records)


async def test_status_codes_are_recorded(srv: LiveServer) -> None:
    r = await load(srv, "/status/503", n=4)
    assert dict(r.statuses) == {503: 4} and r.failed == 4


async def test_post_with_a_body(srv: LiveServer) -> None:
    r = await load(srv, "/echo", n=3, method="POST", body="x" * 1000, keep_bodies=True)
    assert all(json.loads(rec.body or b"") == {"received": 1000} for rec in r.records)


async def test_raw_engine_reconnects_when_the_server_closes(srv: LiveServer) -> None:
    r = await load(srv, "/close", n=10, concurrency=2, keep_bodies=True)
    assert r.ok == 10 and {rec.body for rec in r.records} == {b"bye"}


async def test_raw_engine_reads_chunked_bodies(srv: LiveServer) -> None:
    r = await load(srv, "/chunked", n=3, keep_bodies=True)
    assert {rec.body for rec in r.records} == {b"part0;part1;part2;part3;part4;"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n must be a positive"),
        ({"n": 2.5}, "n must be a positive"),
        ({"concurrency": 0}, "concurrency must be"),
        ({"engine": "curl"}, "engine must be one of"),
        ({"timeout": 0}, "positive numbers of seconds"),
        ({"max_seconds": -1}, "positive numbers of seconds"),
    ],
)
async def test_bad_arguments_get_clear_errors(srv: LiveServer, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await load(srv, "/sleep", **kwargs)  # type: ignore[arg-type]


async def test_a_bad_url_gets_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs an http:// URL"):
        await load("ftp://127.0.0.1:1", "/")


def test_percentiles_are_nearest_rank() -> None:
    records = [RequestRecord(i, 0.0, (i + 1) / 10, 200) for i in range(10)]
    r = LoadResult("raw", "GET", "http://x/", 10, 10, records, wall=1.0, t0=0.0)
    assert r.percentile(50) == pytest.approx(0.5)
    assert r.percentile(90) == pytest.approx(0.9)
    assert r.percentile(100) == pytest.approx(1.0)
    assert r.percentile(0) == pytest.approx(0.1)
    assert r.ratio(0.5) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        r.percentile(101)


def test_records_are_compact() -> None:
    """One per request, and a run may send 100 000: slots, no per-record dict."""
    assert not hasattr(RequestRecord(0, 0.0, 1.0, 200), "__dict__")


def test_ideals() -> None:
    assert ideal_async(100, 0.2) == 0.2
    assert ideal_threadpool(40, 0.2) == pytest.approx(0.2)
    assert ideal_threadpool(41, 0.2) == pytest.approx(0.4)
    assert ideal_threadpool(100, 0.2, workers=100) == pytest.approx(0.2)
    assert ideal_serial(10, 0.2) == pytest.approx(2.0)


async def test_the_collector_is_paused_only_while_the_clock_runs(srv: LiveServer) -> None:
    import gc

    states: list[bool] = []

    async def watch() -> None:
        for _ in range(20):
            states.append(gc.isenabled())
            await asyncio.sleep(0.01)

    assert gc.isenabled()
    await asyncio.gather(load(srv, "/sleep?t=0.1", n=5), watch())
    assert False in states and gc.isenabled()
    await asyncio.gather(load(srv, "/sleep?t=0.1", n=5, pause_gc=False), watch())
    assert all(states[20:])
