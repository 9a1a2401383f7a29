"""`asyncio.create_task(ch02.beat(beats))` in the cell, beside the app, and the lifespan only yields `beats`.

The task runs on the notebook's event loop: it beats, but it is not the server's, and it outlives the server.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from course_app.chapters import ch02_lifespan as ch02

EXPECTED = "it was made when the cell ran, not by the lifespan"
MISTAKE = "lifespan"


BEATS = ch02.Beats()


@contextlib.asynccontextmanager
async def in_a_cell() -> AsyncIterator[None]:
    """What the learner ran in a cell: the task, on the notebook's loop."""
    task = asyncio.create_task(ch02.beat(BEATS))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    yield {"beats": BEATS}


app = FastAPI(lifespan=lifespan)


@app.get("/beats")
async def beats(request: Request) -> dict[str, int]:
    return {"beats": request.state.beats.count}
