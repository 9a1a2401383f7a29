"""`await asyncio.gather(requests)`: one list instead of `gather(*requests)`.

gather takes the awaitables as separate arguments; given a list, it fails with "unhashable type: 'list'".
"""

import asyncio
from typing import Any

import httpx

EXPECTED = (
    "asyncio.gather() takes the awaitables as separate arguments, not one list: `gather(*awaitables)`, with the star"
)


async def sleep_many(base_url: str, n: int) -> list[Any]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        requests = [client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)]
        try:
            responses = await asyncio.gather(requests)  # type: ignore[call-overload]
        finally:
            for request in requests:
                request.close()  # the coroutines never ran
    return [r.json() for r in responses]


app = sleep_many
