"""`response = client.get(url, timeout=CALL_TIMEOUT)` without `await`, inside the budget.

`response` is a coroutine, not a response: `raise_for_status()` fails on it, and every request is a 500.
"""

import asyncio
from typing import Any

import httpx
from fastapi import HTTPException

from . import BUDGET, CALL_TIMEOUT, app_with

EXPECTED = "an async function was called without `await`"
MISTAKE = "await"


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
        async with asyncio.timeout(BUDGET):
            for url in urls:
                response = client.get(url, timeout=CALL_TIMEOUT)
                response.raise_for_status()  # type: ignore[attr-defined]
                answers.append(response.json())  # type: ignore[attr-defined]
    except TimeoutError:
        raise HTTPException(504, "the budget ran out") from None
    except httpx.HTTPError:
        raise HTTPException(502, "a call failed") from None
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}


app = app_with(three)
