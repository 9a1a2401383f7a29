"""Tasks, `asyncio.wait(..., return_when=FIRST_COMPLETED)` in a loop that skips failed calls, and in `finally`
the pending calls cancelled and awaited; a 502 when every call failed.

The notebook's solution: the seed's race, fixed.
"""

import asyncio
from typing import Any

import httpx
from fastapi import HTTPException

from course_app.chapters.ch05_concurrency.first_wins import price

from . import app_with

EXPECTED = None


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    pending = {asyncio.create_task(price(client, url)) for url in urls}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    raise HTTPException(502, "every store failed")


app = app_with(first)
