"""`client.get(url, timeout=CALL_TIMEOUT)` on each call, 504 for a timeout, and no budget for the handler.

A hung call is cut in time; but three calls that each stay under their timeout add up past the budget.
"""

from typing import Any

import httpx
from fastapi import HTTPException

from . import CALL_TIMEOUT, app_with

EXPECTED = "its budget (0.5 s) was never enforced"


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
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
