"""`return ch01.cpu_work(ch01.CPU_N)` inside `async def`: the code as it was.

CPU work on the event loop blocks it as `time.sleep` does, and /ping waits for the jobs.
"""

import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "the work ran in the server's own process"
MISTAKE = "blocking"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    yield
    app.state.pool.shutdown()


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


@app.get("/cpu")
async def cpu() -> dict[str, int]:
    return ch01.cpu_work(ch01.CPU_N)
