"""`asyncio.gather(..., return_exceptions=True)` over the three calls, then the first answer that is not an
exception.

Right answer, wrong time: gather waits for every call, so the client waits for the slowest store.
"""

import asyncio
from typing import Any

import httpx
from fastapi import HTTPException

from course_app.chapters.ch05_concurrency.first_wins import price

from . import app_with

EXPECTED = "it waited for the slowest store"


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = await asyncio.gather(*(price(client, url) for url in urls), return_exceptions=True)
    for answer in answers:
        if not isinstance(answer, BaseException):
            return answer
    raise HTTPException(502, "every store failed")


app = app_with(first)
