"""The work sent to the pool is a function defined in a notebook cell.

It pickles by name, as `__main__.heavy_from_a_cell`, and a fresh (spawned) worker process has no such name: the
pool breaks.
"""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

import __main__
from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "Most often the function sent to it was defined in a notebook cell"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    yield
    app.state.pool.shutdown()


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


def heavy(n: int) -> dict[str, int]:  # what a learner defines in a notebook cell: it lives in __main__
    return ch01.cpu_work(n)


heavy.__module__ = "__main__"
heavy.__name__ = heavy.__qualname__ = "heavy_from_a_cell"
__main__.heavy_from_a_cell = heavy


@app.get("/cpu")
async def cpu(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.state.pool, heavy, ch01.CPU_N)
