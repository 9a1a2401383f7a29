"""`return asyncio.gather(...)` without `await`.

sleep_many hands back a Future still to be awaited, not the bodies (and its client is never closed).
"""

import asyncio
from typing import Any

import httpx

EXPECTED = "returned something still to be awaited (a coroutine or a Future), not the bodies: an `await` is missing in front of a call"
MISTAKE = "await"


async def sleep_many(base_url: str, n: int) -> Any:
    client = httpx.AsyncClient(base_url=base_url)
    return asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)))


app = sleep_many
