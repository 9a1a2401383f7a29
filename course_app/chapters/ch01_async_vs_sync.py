"""Chapter 01: ``async def`` vs ``def`` vs blocking.

Small apps, one pattern each, variants side by side:

* ``app``: the seed's four endpoints, fixed so that they run (``/sync``, ``/async``,
  ``/cpu-intensive``, ``/io-intensive``);
* ``loop_blockers``: what really blocks the server: ``time.sleep`` and CPU work inside ``async def``;
* ``wide_pool``: the thread limit raised the right way, in the lifespan (the server's own loop);
* ``process_pool``: CPU work in a pool of processes created, warmed and shut down by the lifespan;
* ``upstream``: a slow "external" service (there is no internet here, so the chapter runs its own);
* ``shared_client``: one ``httpx.AsyncClient`` for the app's life, explicit timeouts, clear 504/502 errors.

Every app also serves ``GET /ping``, the cheap request used to see who is blocked.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request

from ..loadgen import LoadResult, load
from ..server import LiveServer

T = 0.2  # seconds each slow handler sleeps (the seed used 1 s; 0.2 s keeps the chapter quick)
CPU_N = 4_000_000  # sum(i * i for i in range(CPU_N)): about 0.2 s of pure Python on a laptop core
WORKERS = 2  # processes in the pool: one per core of a small machine
TIMEOUT = 1.0  # seconds we give the upstream service before answering 504

ping_router = APIRouter()


@ping_router.get("/ping")
async def ping() -> dict[str, bool]:
    """The cheapest request there is: its latency shows whether the event loop is free."""
    return {"pong": True}


def cpu_work(n: int = CPU_N) -> dict[str, int]:
    """Pure-Python CPU work. A module-level function, so a process pool can pickle it."""
    return {"result": sum(i * i for i in range(n)), "pid": os.getpid()}


def legacy_lookup(key: str) -> dict[str, str]:
    """A blocking call you cannot change (think: the ``requests`` library, a sync database driver)."""
    time.sleep(T)
    return {"key": key, "value": key.upper()}


async def thread_limit() -> float:
    """The size of anyio's default thread limiter *of the loop that awaits this*."""
    return anyio.to_thread.current_default_thread_limiter().total_tokens


# -- 1. the seed's four endpoints, fixed ------------------------------------------------

app = FastAPI(title="ch01: the seed's four endpoints, fixed")
app.include_router(ping_router)
app.state.upstream_url = "http://127.0.0.1:9"  # set it to the upstream server's URL before use


@app.get("/sync")
def sync_endpoint() -> dict[str, str]:
    time.sleep(T)  # blocks one worker thread of the pool, not the server
    return {"message": f"Completed after {T} s"}


@app.get("/async")
async def async_endpoint() -> dict[str, str]:
    await asyncio.sleep(T)  # other requests are served meanwhile
    return {"message": f"Completed after {T} s"}


@app.get("/cpu-intensive")
def cpu_intensive() -> dict[str, int]:
    return cpu_work(CPU_N)  # in a worker thread: the loop stays free, but the GIL allows one at a time


@app.get("/io-intensive")
async def io_intensive(request: Request, delay: float = Query(0.1, ge=0, le=5)) -> Any:
    # The seed's pattern, a new client per request. Fixed: httpx is imported, the URL exists, a timeout is set.
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.get(f"{request.app.state.upstream_url}/data", params={"delay": delay})
        return response.json()


# -- 2. what really blocks: the event loop itself ------------------------------------------

loop_blockers = FastAPI(title="ch01: blocking calls inside async def")
loop_blockers.include_router(ping_router)


@loop_blockers.get("/async-blocking")
async def async_blocking() -> dict[str, str]:
    time.sleep(T)  # inside async def this runs ON the event loop: nothing else runs meanwhile
    return {"message": f"Completed after {T} s"}


@loop_blockers.get("/cpu-on-loop")
async def cpu_on_loop() -> dict[str, int]:
    return cpu_work(CPU_N)  # CPU work inside async def: the loop is busy computing, nothing else runs


# -- 3. more worker threads: set the limit inside the server's loop -------------------------


@asynccontextmanager
async def wide_pool_lifespan(app: FastAPI) -> AsyncIterator[None]:
    # anyio keeps one limiter per event loop; the lifespan runs on the server's loop
    anyio.to_thread.current_default_thread_limiter().total_tokens = 100
    yield


wide_pool = FastAPI(title="ch01: 100 worker threads", lifespan=wide_pool_lifespan)
wide_pool.include_router(ping_router)
wide_pool.get("/sync")(sync_endpoint)


# -- 4. CPU work in a pool of processes ----------------------------------------------------


def worker_pid() -> int:
    """Runs in a worker process. Unpickling it there imports this module: the slow part of a start."""
    time.sleep(0.05)  # long enough that a second ready worker takes the next job
    return os.getpid()


async def warm_up(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker and let each import this module, before the first request needs it."""
    loop = asyncio.get_running_loop()
    seen: set[int] = set()
    for _ in range(200):  # at most about 10 s
        seen.update(await asyncio.gather(*(loop.run_in_executor(pool, worker_pid) for _ in range(workers))))
        if len(seen) == workers:
            return


@asynccontextmanager
async def process_pool_lifespan(app: FastAPI) -> AsyncIterator[None]:
    # "spawn" starts clean interpreters: the same on every OS, and safe in a process that runs threads
    pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
    await warm_up(pool, WORKERS)  # start-up costs are paid here, once, not by the first requests
    app.state.pool = pool
    yield
    pool.shutdown()  # waits for the workers to exit: a moment, at shutdown, when no request is left


process_pool = FastAPI(title="ch01: CPU work in a process pool", lifespan=process_pool_lifespan)
process_pool.include_router(ping_router)


@process_pool.get("/cpu")
async def cpu_in_process(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.state.pool, cpu_work, CPU_N)


# -- 5. a slow external service, and how to call it ----------------------------------------


@asynccontextmanager
async def upstream_lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.peers = set()  # (host, port) of every client connection seen
    app.state.requests = 0
    yield


upstream = FastAPI(title="ch01: a slow external service", lifespan=upstream_lifespan)


@upstream.get("/data")
async def upstream_data(request: Request, delay: float = Query(0.1, ge=0, le=5)) -> dict[str, Any]:
    assert request.client is not None
    request.app.state.peers.add((request.client.host, request.client.port))
    request.app.state.requests += 1
    await asyncio.sleep(delay)
    return {"data": [1, 2, 3], "delay": delay}


@upstream.get("/stats")
async def upstream_stats(request: Request) -> dict[str, int]:
    """Requests served and distinct TCP connections they came on."""
    return {"requests": request.app.state.requests, "connections": len(request.app.state.peers)}


@upstream.delete("/stats", status_code=204)
async def upstream_reset(request: Request) -> None:
    request.app.state.peers.clear()
    request.app.state.requests = 0


@asynccontextmanager
async def shared_client_lifespan(app: FastAPI) -> AsyncIterator[None]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
        app.state.client = client  # one client, one pool of keep-alive connections, for the app's life
        yield
    # leaving the block closed the client and its connections


shared_client = FastAPI(title="ch01: one shared httpx client", lifespan=shared_client_lifespan)
shared_client.include_router(ping_router)
shared_client.state.upstream_url = "http://127.0.0.1:9"  # set it to the upstream server's URL before use


@shared_client.get("/io")
async def io_shared(request: Request, delay: float = Query(0.1, ge=0, le=5)) -> Any:
    client: httpx.AsyncClient = request.app.state.client
    try:
        response = await client.get(f"{request.app.state.upstream_url}/data", params={"delay": delay})
        response.raise_for_status()
    except httpx.TimeoutException:
        raise HTTPException(504, f"the upstream service did not answer within {TIMEOUT} s") from None
    except httpx.HTTPError as exc:
        raise HTTPException(502, f"the upstream service failed: {type(exc).__name__}") from None
    return response.json()


# -- the client side: measuring honestly, and who is kept waiting ------------------------


def _wall(result: LoadResult) -> float:
    return result.wall


async def best_of(k: int, measure: Callable[[], Awaitable[Any]], key: Callable[[Any], float] = _wall) -> Any:
    """Run ``measure()`` ``k`` times; keep the least disturbed result (smallest ``key``, by default the wall time).

    On a shared machine noise only ever adds time: other programs, or Python's garbage collector pausing every
    thread of the process for up to a tenth of a second. So the fastest of a few runs is the closest to what
    the code itself costs: the reasoning of ``timeit.repeat``.
    """
    results = [await measure() for _ in range(k)]
    return min(results, key=key)


async def ping_while_busy(srv: LiveServer, path: str, n: int, pings: int = 5) -> tuple[LoadResult, LoadResult]:
    """Send ``n`` requests to ``path`` and, once they are in, ``pings`` concurrent ``GET /ping``.

    Both loads run at once on the notebook's loop (``asyncio.gather``); the pings start
    ``T / 2`` later so that the busy requests have reached the server first.
    """

    async def pinger() -> LoadResult:
        await asyncio.sleep(T / 2)
        return await load(srv, "/ping", n=pings, timeout=20, max_seconds=20, progress=False, label="/ping")

    busy, ping_result = await asyncio.gather(
        load(srv, path, n=n, timeout=20, max_seconds=20, progress=False, keep_bodies=True, label=path), pinger()
    )
    return busy, ping_result


# -- the seed, as pasted ---------------------------------------------------------------------

SEED_IO_ENDPOINT = """\
from fastapi import FastAPI
import time
import asyncio

app = FastAPI()

# I/O-bound work (use async)
@app.get('/io-intensive')
async def io_intensive():
    async with httpx.AsyncClient() as client:
        response = await client.get('https://api.example.com/data')
        return response.json()
"""


def seed_as_pasted() -> FastAPI:
    """The seed's I/O endpoint built exactly as written, in a namespace of its own (no ``import httpx``)."""
    namespace: dict[str, Any] = {"__name__": "seed"}
    exec(compile(SEED_IO_ENDPOINT, "<the seed>", "exec"), namespace)
    seed_app: FastAPI = namespace["app"]
    seed_app.title = "ch01: the seed's I/O endpoint, as pasted"
    return seed_app
