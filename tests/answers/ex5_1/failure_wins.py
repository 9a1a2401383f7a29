"""Tasks this time, and the seed's `done.pop().result()`: the first call to finish wins, whatever it was.

store1 fails first; its exception is re-raised and the client gets a 500, though store2 had a price coming.
"""

import asyncio
from typing import Any

import httpx

from course_app.chapters.ch05_concurrency.first_wins import price

from . import app_with

EXPECTED = "and its failure won. A failed call must not win"


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    tasks = [asyncio.create_task(price(client, url)) for url in urls]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return done.pop().result()


app = app_with(first)
