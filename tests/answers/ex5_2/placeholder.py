"""The cell as handed out: `raise NotImplementedError()` in the lifespan and in the call.

The app cannot start; the check says the exercise is still the placeholder.
"""

from typing import Any

from fastapi import Request

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


def state() -> dict[str, Any]:
    raise NotImplementedError()


async def call(request: Request, url: str) -> int:
    raise NotImplementedError()


app = app_with(state, call)
