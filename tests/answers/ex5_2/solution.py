"""One `asyncio.Semaphore(BOUND)` made in the lifespan and yielded with the client; each call waits for a place
in it: `async with request.state.bound:`.
"""

import asyncio
from typing import Any

from fastapi import Request

from course_app.chapters.ch05_concurrency import bounded

from . import BOUND, app_with

EXPECTED = None


def state() -> dict[str, Any]:
    return {"bound": asyncio.Semaphore(BOUND)}


async def call(request: Request, url: str) -> int:
    async with request.state.bound:
        return await bounded.call(request.state.client, url)


app = app_with(state, call)
