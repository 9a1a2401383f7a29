"""The task started with `asyncio.create_task` before `yield`; after it, `task.cancel()` and `await task`.

Waiting for the cancelled task means its own cleanup has run before the lifespan ends and the loop goes away.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from course_app.chapters import ch02_lifespan as ch02

EXPECTED = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    beats = ch02.Beats()
    task = asyncio.create_task(ch02.beat(beats, app.state.journal))
    try:
        yield {"beats": beats}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


app = FastAPI(lifespan=lifespan)


@app.get("/beats")
async def beats(request: Request) -> dict[str, int]:
    return {"beats": request.state.beats.count}
