"""The cell as handed out: `raise NotImplementedError()` where the code goes.

Every request fails; the check says the exercise is still the placeholder.
"""

from typing import Any

import httpx

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    raise NotImplementedError()


app = app_with(three)
