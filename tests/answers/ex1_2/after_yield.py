"""The limit raised after `yield`: at shutdown, too late.

The code after `yield` runs when the server stops; while it serves, its loop still lends 40 threads.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "the server's loop allows 40 worker threads; 80 concurrent requests need 80"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    anyio.to_thread.current_default_thread_limiter().total_tokens = 100  # too late: at shutdown


app = FastAPI(lifespan=lifespan)


@app.get("/work")
def work() -> dict[str, float]:
    time.sleep(ch01.SLEEP)
    return {"slept": ch01.SLEEP}
