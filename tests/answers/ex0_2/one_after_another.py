"""`await client.get(...)` inside a `for` loop.

Each request is awaited before the next one starts: the right bodies, but 10 requests take 10 × 0.2 s, and the
server never has two in flight.
"""

from typing import Any

import httpx

EXPECTED = "An `await` inside a loop waits for each request before the next one starts"


async def sleep_many(base_url: str, n: int) -> list[Any]:
    bodies = []
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(n):
            response = await client.get("/sleep", params={"seconds": 0.2})
            bodies.append(response.json())
    return bodies


app = sleep_many
