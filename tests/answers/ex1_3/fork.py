"""A pool with the "fork" start method (Linux's default before Python 3.14).

fork copies the whole kernel process, its threads in mid-step included, and can deadlock; the chapter uses "spawn".
"""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "your pool starts its workers with fork"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork"))
    yield
    app.state.pool.shutdown()


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


@app.get("/cpu")
async def cpu(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.state.pool, ch01.cpu_work, ch01.CPU_N)
