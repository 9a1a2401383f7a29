"""An empty lifespan: the limit never raised.

80 concurrent requests take two waves of 40 threads.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "the server's loop allows 40 worker threads; 80 concurrent requests need 80"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/work")
def work() -> dict[str, float]:
    time.sleep(ch01.SLEEP)
    return {"slept": ch01.SLEEP}
