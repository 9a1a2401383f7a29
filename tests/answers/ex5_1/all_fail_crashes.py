"""Right while one store answers; but when every store fails, the loop ends and `winner.result()` runs on
nothing: the handler raises, and the client gets a 500.
"""

import asyncio
from typing import Any

import httpx

from course_app.chapters.ch05_concurrency.first_wins import price

from . import app_with

EXPECTED = "when every store fails, your handler answered 500"


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    pending = {asyncio.create_task(price(client, url)) for url in urls}
    winner = None
    try:
        while pending and winner is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            winner = next((t for t in done if t.exception() is None), None)
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return winner.result()  # type: ignore[union-attr]


app = app_with(first)
