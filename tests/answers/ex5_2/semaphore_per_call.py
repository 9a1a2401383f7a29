"""`async with asyncio.Semaphore(BOUND):` inside the call: a new semaphore for every call.

Each call is alone in its own semaphore, so none ever waits: it bounds nothing, and the service refuses most.
"""

import asyncio
from typing import Any

from fastapi import Request

from course_app.chapters.ch05_concurrency import bounded

from . import BOUND, app_with

EXPECTED = "one per call: each call waits on its own, which bounds nothing"


def state() -> dict[str, Any]:
    return {}


async def call(request: Request, url: str) -> int:
    async with asyncio.Semaphore(BOUND):
        return await bounded.call(request.state.client, url)


app = app_with(state, call)
