"""The three calls with `timeout=None` ("no timeout, it is a fast service") and no budget.

A call that hangs holds the handler, and its client, as long as the service likes.
"""

from typing import Any

import httpx
from fastapi import HTTPException

from . import app_with

EXPECTED = "nothing bounds the calls"


async def three(client: httpx.AsyncClient, urls: list[str]) -> Any:
    answers = []
    try:
        for url in urls:
            response = await client.get(url, timeout=None)
            response.raise_for_status()
            answers.append(response.json())
    except httpx.HTTPError:
        raise HTTPException(502, "a call failed") from None
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}


app = app_with(three)
