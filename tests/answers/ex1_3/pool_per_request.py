"""`with ProcessPoolExecutor(...) as pool:` inside the handler: a new pool per request.

Every request starts, and stops, worker processes of its own.
"""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "a new pool per request pays for starting processes every time"
MISTAKE = "per request"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


app = FastAPI(lifespan=lifespan)
app.include_router(ch01.ping_router)


@app.get("/cpu")
async def cpu(request: Request) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return await loop.run_in_executor(pool, ch01.cpu_work, ch01.CPU_N)
