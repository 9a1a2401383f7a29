"""No bound at all: each call goes out as soon as its task starts.

The tasks cost nothing; the service sees far more than 20 calls at once and refuses most with 429.
"""

from typing import Any

from fastapi import Request

from course_app.chapters.ch05_concurrency import bounded

from . import app_with

EXPECTED = "nothing bounded them. Give every call one shared asyncio.Semaphore"


def state() -> dict[str, Any]:
    return {}


async def call(request: Request, url: str) -> int:
    return await bounded.call(request.state.client, url)


app = app_with(state, call)
