"""What chapter 01's apps share: how long a slow handler waits, the CPU job, a blocking call, and ``/ping``."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import Executor

from fastapi import APIRouter, HTTPException, Request

from ... import lifeline

lifeline.watch_parent()  # in a pool's worker (it imports this module): exit when the pool's process dies

SLEEP = 0.2  # seconds each slow handler sleeps (the seed used 1 s; 0.2 s keeps the chapter quick)
CPU_N = 4_000_000  # sum(i * i for i in range(CPU_N)): about 0.2 s of pure Python on a laptop core
WORKERS = 2  # processes in a pool: one per core of a small machine
UPSTREAM_TIMEOUT = 1.0  # seconds an app gives the upstream service before answering 504
UPSTREAM_ENV = "COURSE_UPSTREAM_URL"  # where a served app finds the upstream service, when not told in code

ping_router = APIRouter()


@ping_router.get("/ping")
async def ping() -> dict[str, bool]:
    """The cheapest request there is: its latency shows whether the event loop is free."""
    return {"pong": True}


def cpu_work(n: int = CPU_N) -> dict[str, int]:
    """Pure-Python CPU work. A module-level function, so a process pool can pickle it.

    It says where it ran (``pid``) and the CPU time its thread spent on it, in microseconds (``cpu_us``): a
    thread that waits for the GIL, or for a free core, spends no CPU time meanwhile.
    """
    started = time.thread_time()
    result = sum(i * i for i in range(n))
    return {"result": result, "pid": os.getpid(), "cpu_us": round((time.thread_time() - started) * 1e6)}


def legacy_lookup(key: str) -> dict[str, str]:
    """A blocking call you cannot change (think: the ``requests`` library, a sync database driver)."""
    time.sleep(SLEEP)
    return {"key": key, "value": key.upper()}


def worker_pid() -> int:
    """Runs in a worker process. Unpickling it there imports this module: the slow part of a start."""
    time.sleep(0.05)  # long enough that a second ready worker takes the next job
    return os.getpid()


async def warm_up(pool: Executor, workers: int) -> None:
    """Start every worker and let each import this module, before the first request needs it."""
    loop = asyncio.get_running_loop()
    seen: set[int] = set()
    for _ in range(200):  # at most about 10 s
        seen.update(await asyncio.gather(*(loop.run_in_executor(pool, worker_pid) for _ in range(workers))))
        if len(seen) == workers:
            return


def upstream_url(request: Request) -> str:
    """A dependency: the base URL of the upstream service this app was created with (503 when it has none)."""
    url: str | None = request.app.state.upstream_url
    if not url:
        raise HTTPException(
            503,
            "this app calls an upstream service and was given none: create it with "
            f"create_app(upstream=...), or set {UPSTREAM_ENV} before serving it",
        )
    return url


def configured_upstream(url: str | None) -> str | None:
    """The upstream URL an app is created with: the one given, else the environment's, else None."""
    url = url or os.environ.get(UPSTREAM_ENV, "").strip() or None
    return url.rstrip("/") if url else None
