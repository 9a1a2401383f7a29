"""`asyncio.Semaphore()` in the lifespan, its value forgotten: a semaphore holds 1 by default.

Nothing is refused, but the calls go one at a time: twenty times slower than the service allows.
"""

import asyncio
from typing import Any

from fastapi import Request

from course_app.chapters.ch05_concurrency import bounded

from . import app_with

EXPECTED = "your calls went one at a time"


def state() -> dict[str, Any]:
    return {"bound": asyncio.Semaphore()}


async def call(request: Request, url: str) -> int:
    async with request.state.bound:
        return await bounded.call(request.state.client, url)


app = app_with(state, call)
