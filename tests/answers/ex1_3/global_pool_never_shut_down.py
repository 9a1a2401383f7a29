"""A pool made at the top of the cell, beside the app, and never shut down.

The work does run in worker processes and /ping stays fast, but the workers outlive the server.
"""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "still run after the server stopped: the pool was not shut down with the app"
MISTAKE = "lifespan"


pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


@app.get("/cpu")
async def cpu(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, ch01.cpu_work, ch01.CPU_N)
