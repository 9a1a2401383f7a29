"""`asyncio.timeout(BUDGET)` around the calls, and no timeout of their own (the lifespan's client waits 2 s).

A call that hangs is cut only when the whole budget is gone: later than its own timeout would have cut it.
"""

import asyncio
from typing import Any

import httpx
from fastapi import HTTPException

from . import BUDGET, app_with

EXPECTED = "A budget for the whole handler is not a timeout per call"


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
        async with asyncio.timeout(BUDGET):
            for url in urls:
                response = await client.get(url)
                response.raise_for_status()
                answers.append(response.json())
    except TimeoutError:
        raise HTTPException(504, "the budget ran out") from None
    except httpx.HTTPError:
        raise HTTPException(502, "a call failed") from None
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}


app = app_with(three)
