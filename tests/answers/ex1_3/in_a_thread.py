"""A plain `def` handler: the work runs in a worker thread of the server's own process.

The loop stays free, but the thread holds the server's GIL while it computes, and the pool the lifespan made is
never used.
"""

import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "the work ran in the server's own process"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    yield
    app.state.pool.shutdown()


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


@app.get("/cpu")
def cpu() -> dict[str, int]:  # a def handler: a worker thread of the server's own process
    return ch01.cpu_work(ch01.CPU_N)
