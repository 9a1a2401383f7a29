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
