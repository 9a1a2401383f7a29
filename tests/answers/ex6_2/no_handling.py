"""`await task(done, order_id)` and nothing else.

`send_receipt` raises for order 1: the exception ends the run of background tasks, `update_stock` never starts,
and uvicorn logs "Exception in ASGI application" and closes the connection.
"""

from typing import Any

from . import app_with

EXPECTED = "update_stock never ran for order 1"


async def step(task: Any, done: list[str], order_id: int) -> None:
    await task(done, order_id)


app = app_with(step)
