"""`return loop.run_in_executor(...)` without `await`.

The handler returns a Future instead of the job's result.
"""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "your handler returned a Future instead of its result: `run_in_executor(...)` needs `await` in front of it"
MISTAKE = "await"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
    yield
    app.state.pool.shutdown()


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


@app.get("/cpu")
async def cpu(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(request.app.state.pool, ch01.cpu_work, ch01.CPU_N)
