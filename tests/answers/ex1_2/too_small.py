"""The limit raised to 60: fewer threads than the 80 concurrent requests.

80 requests still take two waves (60, then 20).
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "the server's loop allows 60 worker threads; 80 concurrent requests need 80"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = 60
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/work")
def work() -> dict[str, float]:
    time.sleep(ch01.SLEEP)
    return {"slept": ch01.SLEEP}
