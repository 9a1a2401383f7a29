"""The cell as handed out: `step` raises `NotImplementedError`.

The first task of each order fails before it starts; the check says the code is still the placeholder.
"""

from typing import Any

from . import app_with

EXPECTED = "the exercise code is still the placeholder"


async def step(task: Any, done: list[str], order_id: int) -> None:
    raise NotImplementedError()


app = app_with(step)
