"""anyio's `CapacityLimiter(BOUND)` made in the lifespan instead of a semaphore: the same bound, anyio's spelling
(the one Starlette uses for its thread pool).
"""

from typing import Any

import anyio
from fastapi import Request

from course_app.chapters.ch05_concurrency import bounded

from . import BOUND, app_with

EXPECTED = None


def state() -> dict[str, Any]:
    return {"bound": anyio.CapacityLimiter(BOUND)}


async def call(request: Request, url: str) -> int:
    async with request.state.bound:
        return await bounded.call(request.state.client, url)


app = app_with(state, call)
