"""Timeouts and a budget, but `except Exception: return {}`: whatever went wrong, a 200 with nothing.

The client cannot tell an empty user from a service that did not answer.
"""

import asyncio
from typing import Any

import httpx

from . import BUDGET, CALL_TIMEOUT, app_with

EXPECTED = "Answer 504, so that the client knows it got nothing"


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
        async with asyncio.timeout(BUDGET):
            for url in urls:
                response = await client.get(url, timeout=CALL_TIMEOUT)
                response.raise_for_status()
                answers.append(response.json())
    except Exception:
        return {}
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}


app = app_with(three)
