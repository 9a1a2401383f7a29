"""`return asyncio.run(main())` inside `sleep_many`, as a tutorial ends.

The notebook's event loop is already running, and asyncio.run() refuses to start a second one in the same thread:
`await main()` (or the body of main itself) is the answer.
"""

import asyncio
from typing import Any

import httpx

EXPECTED = "asyncio.run() starts an event loop of its own"
MISTAKE = "asyncio.run"


async def sleep_many(base_url: str, n: int) -> list[Any]:
    async def main() -> list[Any]:
        async with httpx.AsyncClient(base_url=base_url) as client:
            responses = await asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)))
        return [r.json() for r in responses]

    return asyncio.run(main())  # what a tutorial ends with: fails inside a running loop


app = sleep_many
