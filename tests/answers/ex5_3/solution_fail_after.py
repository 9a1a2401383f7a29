"""anyio's `fail_after(BUDGET)` instead of `asyncio.timeout`, and the httpx errors mapped by hand: a timeout
504, any other failure 502.
"""

from typing import Any

import anyio
import httpx
from fastapi import HTTPException

from . import BUDGET, CALL_TIMEOUT, app_with

EXPECTED = None


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
        with anyio.fail_after(BUDGET):
            for url in urls:
                response = await client.get(url, timeout=CALL_TIMEOUT)
                response.raise_for_status()
                answers.append(response.json())
    except TimeoutError:
        raise HTTPException(504, "the handler's budget ran out") from None
    except httpx.TimeoutException:
        raise HTTPException(504, "a call took too long") from None
    except httpx.HTTPError:
        raise HTTPException(502, "a call failed") from None
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}


app = app_with(three)
