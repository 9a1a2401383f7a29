"""The cell as handed out: `raise NotImplementedError()` in `broadcast`.

The first message a member sends ends its session with that exception.
"""

from typing import Any

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


async def broadcast(room: Any, text: str) -> None:
    raise NotImplementedError()


app = app_with(broadcast)
