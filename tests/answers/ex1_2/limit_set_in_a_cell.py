"""The web's one-liner, `...current_default_thread_limiter().total_tokens = 100`, run in a notebook cell.

anyio keeps one limiter per event loop: the cell changed the notebook's loop, not the server's, which still lends
40 threads. The lifespan is left empty. The check reads both limits and says which loop was changed.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "call it inside the lifespan, which runs on the server's loop"
MISTAKE = "lifespan"


@asynccontextmanager
async def in_a_cell() -> AsyncIterator[None]:
    """What the learner ran in a cell before the check, on the notebook's loop; put back afterwards."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = 100
    try:
        yield
    finally:
        limiter.total_tokens = 40


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/work")
def work() -> dict[str, float]:
    time.sleep(ch01.SLEEP)
    return {"slept": ch01.SLEEP}
