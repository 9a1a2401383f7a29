"""`task.cancel()` after `yield`, and no `await task`.

`cancel()` only asks: the task stops at its next `await`, after the lifespan has already ended.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from course_app.chapters import ch02_lifespan as ch02

EXPECTED = "the task was still running when the lifespan ended"
MISTAKE = "await"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    beats = ch02.Beats()
    task = asyncio.create_task(ch02.beat(beats, app.state.journal))
    yield {"beats": beats}
    task.cancel()


app = FastAPI(lifespan=lifespan)


@app.get("/beats")
async def beats(request: Request) -> dict[str, int]:
    return {"beats": request.state.beats.count}
