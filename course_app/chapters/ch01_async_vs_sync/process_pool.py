"""CPU work in a pool of processes that the lifespan creates, warms up and shuts down."""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from .common import CPU_N, WORKERS, cpu_work, ping_router, warm_up


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # "spawn" starts clean interpreters: the same on every OS, and safe in a process that runs threads
    pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
    await warm_up(pool, WORKERS)  # start-up costs are paid here, once, not by the first requests
    app.state.pool = pool
    yield
    pool.shutdown()  # waits for the workers to exit: a moment, at shutdown, when no request is left


app = FastAPI(title="ch01: CPU work in a process pool", lifespan=lifespan)
app.include_router(ping_router)


@app.get("/cpu")
async def cpu_in_process(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.state.pool, cpu_work, CPU_N)
