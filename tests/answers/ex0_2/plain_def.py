"""A plain `def` with the synchronous `httpx.get`, one request after another.

The notebook awaits sleep_many; a plain function could only wait by blocking the notebook's loop. The check refuses
it before sending anything.
"""

from typing import Any

import httpx

EXPECTED = "sleep_many should be an `async def` function: the notebook awaits it on its own event loop"


def sleep_many(base_url: str, n: int) -> list[Any]:
    return [httpx.get(f"{base_url}/sleep", params={"seconds": 0.2}).json() for _ in range(n)]


app = sleep_many
