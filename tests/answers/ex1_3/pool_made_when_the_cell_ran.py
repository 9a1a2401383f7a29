"""`app.state.pool = ProcessPoolExecutor(...)` in the cell, beside `app = FastAPI(...)`, not in the lifespan.

The pool exists before the server starts, and nothing shuts it down with the app.
"""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "app.state.pool holds a running pool before the server has started: it was made when the cell ran"
MISTAKE = "lifespan"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


app = FastAPI(lifespan=lifespan)
app.state.pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
app.include_router(ch01.ping_router)


@app.get("/cpu")
async def cpu(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.state.pool, ch01.cpu_work, ch01.CPU_N)
