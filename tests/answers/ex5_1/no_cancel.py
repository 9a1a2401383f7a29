"""The first successful price wins and failures are skipped, but the calls still pending are left alone.

The client gets the right price at the right time; store3's call goes on for its whole 0.8 s, for nobody.
"""

import asyncio
from typing import Any

import httpx
from fastapi import HTTPException

from course_app.chapters.ch05_concurrency.first_wins import price

from . import app_with

EXPECTED = "store3, the slowest, was not cancelled"


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    pending = {asyncio.create_task(price(client, url)) for url in urls}
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() is None:
                return task.result()
    raise HTTPException(502, "every store failed")


app = app_with(first)
