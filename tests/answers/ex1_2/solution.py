"""Right: `anyio.to_thread.current_default_thread_limiter().total_tokens = 100` in the lifespan, before `yield`."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = 100
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/work")
def work() -> dict[str, float]:
    time.sleep(ch01.SLEEP)
    return {"slept": ch01.SLEEP}
