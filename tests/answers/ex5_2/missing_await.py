"""`return bounded.call(...)` under the semaphore, without `await`.

The call returns a coroutine instead of a status: no request ever reaches the service, and the handler's
summary counts coroutine objects.
"""

from typing import Any

from fastapi import Request

from course_app.chapters.ch05_concurrency import bounded

from . import BOUND, app_with

EXPECTED = "your calls were never made"
MISTAKE = "await"


def state() -> dict[str, Any]:
    import asyncio

    return {"bound": asyncio.Semaphore(BOUND)}


async def call(request: Request, url: str) -> int:
    async with request.state.bound:
        return bounded.call(request.state.client, url)  # type: ignore[return-value]


app = app_with(state, call)
