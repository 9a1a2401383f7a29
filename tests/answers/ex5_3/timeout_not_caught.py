"""A timeout on each call and `asyncio.timeout(BUDGET)` around them, but only httpx's errors caught.

When the budget runs out, `asyncio.timeout` raises `TimeoutError`, which nobody catches: a 500.
"""

import asyncio
from typing import Any

import httpx
from fastapi import HTTPException

from . import BUDGET, CALL_TIMEOUT, app_with

EXPECTED = "when the budget ran out, your handler answered 500"


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
        async with asyncio.timeout(BUDGET):
            for url in urls:
                response = await client.get(url, timeout=CALL_TIMEOUT)
                response.raise_for_status()
                answers.append(response.json())
    except httpx.TimeoutException:
        raise HTTPException(504, "a call took too long") from None
    except httpx.HTTPError:
        raise HTTPException(502, "a call failed") from None
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}


app = app_with(three)
