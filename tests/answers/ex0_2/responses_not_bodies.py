"""The responses of `gather`, returned as they are, instead of their JSON bodies.

The exercise asks for the bodies: `[r.json() for r in responses]`.
"""

import asyncio
from typing import Any

import httpx

EXPECTED = "a response's .json() gives its body"


async def sleep_many(base_url: str, n: int) -> list[Any]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return list(await asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n))))


app = sleep_many
