from typing import Any

import httpx

EXPECTED = "should be an `async def` function"


def sleep_many(base_url: str, n: int) -> list[Any]:
    return [httpx.get(f"{base_url}/sleep", params={"seconds": 0.2}).json() for _ in range(n)]


app = sleep_many
