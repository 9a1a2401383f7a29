import asyncio
from typing import Any

import httpx

EXPECTED = "asyncio.run() starts an event loop of its own"


async def sleep_many(base_url: str, n: int) -> list[Any]:
    async def main() -> list[Any]:
        async with httpx.AsyncClient(base_url=base_url) as client:
            responses = await asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)))
        return [r.json() for r in responses]

    return asyncio.run(main())  # what a tutorial ends with: fails inside a running loop


app = sleep_many
