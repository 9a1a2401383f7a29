"""The task started before `yield`, and nothing after it: the task is never cancelled.

It runs on until the server, cleaning up its loop, cancels whatever is left, after the lifespan has ended.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from course_app.chapters import ch02_lifespan as ch02

EXPECTED = "the task was still running when the lifespan ended"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    beats = ch02.Beats()
    asyncio.create_task(ch02.beat(beats, app.state.journal))
    yield {"beats": beats}


app = FastAPI(lifespan=lifespan)


@app.get("/beats")
async def beats(request: Request) -> dict[str, int]:
    return {"beats": request.state.beats.count}
