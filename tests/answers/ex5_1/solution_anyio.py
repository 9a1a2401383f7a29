"""An anyio task group: each task keeps the first successful price and cancels the group's scope; failures are
swallowed one by one; after the group, a 502 if nothing won.

Leaving the task group waits for the cancelled tasks: the losers are gone before the handler answers.
"""

from typing import Any

import anyio
import httpx
from fastapi import HTTPException

from course_app.chapters.ch05_concurrency.first_wins import price

from . import app_with

EXPECTED = None


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    won: list[Any] = []

    async with anyio.create_task_group() as tg:

        async def try_one(url: str) -> None:
            try:
                answer = await price(client, url)
            except httpx.HTTPError:
                return
            won.append(answer)
            tg.cancel_scope.cancel()

        for url in urls:
            tg.start_soon(try_one, url)
    if not won:
        raise HTTPException(502, "every store failed")
    return won[0]


app = app_with(first)
