"""Right: one `httpx.AsyncClient`, `await asyncio.gather(*requests)`, then each response's `.json()`."""

import asyncio
from typing import Any

import httpx

EXPECTED = None


async def sleep_many(base_url: str, n: int) -> list[Any]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        responses = await asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)))
    return [r.json() for r in responses]


app = sleep_many  # what the check is given
