"""The seed's race as written: the `client.get(...)` coroutines passed straight to `asyncio.wait`.

On Python 3.11 and later, `asyncio.wait` refuses coroutines with a TypeError: every request answers 500.
"""

import asyncio
from typing import Any

import httpx

from . import app_with

EXPECTED = "it takes tasks, not coroutines"


async def first(client: httpx.AsyncClient, urls: list[str]) -> Any:
    calls = [client.get(url) for url in urls]
    done, pending = await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)  # type: ignore[type-var]
    for task in pending:
        task.cancel()
    return done.pop().result().json()


app = app_with(first)
