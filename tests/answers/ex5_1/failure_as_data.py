"""Tasks and `asyncio.wait(FIRST_COMPLETED)`, but `client.get(...)` without `raise_for_status()`: the first
response wins, and a 503 is a response.

The client gets a 200 whose "price" is store1's error message.
"""

import asyncio
from typing import Any

import httpx

from . import app_with

EXPECTED = "with store1's error as the price"


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    tasks = [asyncio.create_task(client.get(url)) for url in urls]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return done.pop().result().json()


app = app_with(first)
