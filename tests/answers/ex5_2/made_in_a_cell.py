"""`BOUND_SEMAPHORE = asyncio.Semaphore(BOUND)` in a notebook cell, and the lifespan yields that one.

It works on the first server: the semaphore binds to the first event loop that waits on it. Restarted (a new
server, a test, a reload), the app runs on a new loop, and the first call that waits fails with RuntimeError.
"""

import asyncio
from typing import Any

from fastapi import Request

from course_app.chapters.ch05_concurrency import bounded

from . import BOUND, app_with

EXPECTED = "its semaphore was made outside the lifespan"
MISTAKE = "lifespan"

BOUND_SEMAPHORE = asyncio.Semaphore(BOUND)


def state() -> dict[str, Any]:
    return {"bound": BOUND_SEMAPHORE}


async def call(request: Request, url: str) -> int:
    async with request.state.bound:
        return await bounded.call(request.state.client, url)


app = app_with(state, call)
