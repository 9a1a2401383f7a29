import asyncio
from typing import Any

import httpx

EXPECTED = "an `await` is missing in front of a call"


async def sleep_many(base_url: str, n: int) -> Any:
    client = httpx.AsyncClient(base_url=base_url)
    return asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)))


app = sleep_many
