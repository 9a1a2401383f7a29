"""Probes see inside the server's loop; plots draw what was measured, with the ideal."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi import FastAPI
from matplotlib.figure import Figure

from course_app import compare, probe, scaling, timeline
from course_app.loadgen import calibrate, ideal_async, ideal_threadpool, load
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio

app = FastAPI()
BLOCK = 0.15  # seconds each handler blocks


@app.get("/async-block")
async def async_block() -> None:
    time.sleep(BLOCK)  # blocks the server's loop: the probe must see it


@app.get("/def-block")
def def_block() -> None:
    time.sleep(BLOCK)  # blocks a worker thread only


@pytest.fixture(scope="module")
def srv():  # type: ignore[no-untyped-def]
    with LiveServer(app) as server:
        yield server


async def test_probe_sees_a_blocked_loop_and_busy_threads(srv: LiveServer) -> None:
    with probe(srv) as blocked:
        await load(srv, "/async-block", n=3)
    # The first burst of def requests starts anyio's worker threads, and Thread.start()
    # waits for each new thread from the loop: on a busy machine that stalls the loop too.
    await load(srv, "/def-block", n=45)
    with probe(srv) as threaded:
        await load(srv, "/def-block", n=45)
    assert blocked.max_lag > BLOCK / 2, "time.sleep in async def stalls the loop the probe runs on"
    # The median sample, not the worst: one sample can catch the loop waiting for the GIL while 40 threads finish
    # together (330 ms once in CI), which is not a handler blocking the loop.
    lags = sorted(sample.lag for sample in threaded.samples)
    assert lags[len(lags) // 2] < blocked.max_lag / 10, "def handlers leave the loop free"
    assert threaded.max_threads_busy == 40  # anyio's default limiter
    assert threaded.max_threads_waiting >= 1  # the 41st and later wait for a thread
    assert blocked.max_threads_busy == 0
    assert "samples" in repr(threaded)


def test_probe_interval_is_validated(srv: LiveServer) -> None:
    with pytest.raises(ValueError, match="interval"):
        probe(srv, interval=5).__enter__()


async def test_timeline_with_probe_has_a_bar_per_request_and_the_ideal(srv: LiveServer) -> None:
    await calibrate(n=20, repeats=1)
    with probe(srv) as p:
        r = await load(srv, "/def-block", n=10)
    fig = timeline(r, probe=p, ideal=ideal_threadpool(10, BLOCK)).figure
    assert isinstance(fig, Figure) and len(fig.axes) == 3  # requests, loop lag, threads busy
    xs = [list(np.asarray(line.get_xdata())) for line in fig.axes[0].get_lines()]
    bars = [x for x in xs if len(x) == 2 and x[0] != x[1]]
    assert len(bars) == 10
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(label.startswith("ideal") for label in labels) and any(label.startswith("measured") for label in labels)
    footnote = " ".join(t.get_text() for t in fig.texts)
    assert "client: asyncio + httptools (raw)" in footnote and "harness overhead" in footnote


async def test_scaling_and_compare(srv: LiveServer) -> None:
    runs = [await load(srv, "/def-block", n=n) for n in (1, 5)]
    fig = scaling({"def": runs}, {"def": lambda n: ideal_threadpool(n, BLOCK)}).figure
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["def (measured)", "def (ideal)"]
    fig2 = compare({"one": runs[0], "five": runs[1]}, {"one": ideal_async(1, BLOCK)}).figure
    assert len(fig2.axes[0].patches) == 2
    with pytest.raises(ValueError, match="metric must be one of"):
        compare({"one": runs[0]}, metric="speed")


class FakePool:
    """Stands for an asyncpg pool: the three public methods the probe reads; /hold keeps a connection in use."""

    def __init__(self, max_size: int) -> None:
        self.max_size, self.in_use = max_size, 0

    def get_size(self) -> int:
        return self.max_size

    def get_idle_size(self) -> int:
        return self.max_size - self.in_use

    def get_max_size(self) -> int:
        return self.max_size


pool_app = FastAPI()
POOL = FakePool(max_size=3)


@pool_app.get("/hold")
async def hold() -> None:
    import asyncio

    POOL.in_use += 1
    try:
        await asyncio.sleep(BLOCK)
    finally:
        POOL.in_use -= 1


async def test_probe_samples_a_pool_beside_loop_and_threads_and_the_timeline_draws_it() -> None:
    with LiveServer(pool_app) as server:
        with probe(server, pool=lambda: POOL) as p:  # a function: a pool made in the lifespan exists only later
            r = await load(server, "/hold", n=3)
        with probe(server) as without:
            await load(server, "/hold", n=1)
    assert p.max_pool_in_use == 3 and p.pool_max_size == 3
    assert without.max_pool_in_use == 0 and "pool" not in repr(without)
    assert "pool connections in use 3 of 3" in repr(p)
    fig = timeline(r, probe=p, ideal=BLOCK).figure
    assert len(fig.axes) == 3  # requests, loop lag, pool (no thread was used)
    labels = [t.get_text() for t in fig.axes[2].get_legend().get_texts()]
    assert labels == ["connections in use (peak 3)", "connections open (peak 3)", "pool max_size: 3"]
    assert len(timeline(r, probe=without).figure.axes) == 2, "no pool probed: no pool panel"


def test_probe_refuses_what_is_not_a_pool(srv: LiveServer) -> None:
    with pytest.raises(TypeError, match="pool must be a connection pool"):
        probe(srv, pool=42).__enter__()  # type: ignore[arg-type]
