"""`asyncio.timeout(BUDGET)` around the three calls, each `client.get(url, timeout=CALL_TIMEOUT)` and
`raise_for_status()`; `TimeoutError` (the budget) answered 504, httpx errors 502 or 504 by `service_failed`.
"""

import asyncio
from typing import Any

import httpx
from fastapi import HTTPException

from course_app.chapters.ch05_concurrency import service_failed

from . import BUDGET, CALL_TIMEOUT, app_with

EXPECTED = None


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
        async with asyncio.timeout(BUDGET):
            for url in urls:
                response = await client.get(url, timeout=CALL_TIMEOUT)
                response.raise_for_status()
                answers.append(response.json())
    except TimeoutError:
        raise HTTPException(504, f"the budget of {BUDGET} s ran out") from None
    except httpx.HTTPError as exc:
        raise service_failed(exc) from None
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}


app = app_with(three)
