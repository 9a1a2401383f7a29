"""`try: await task(...)`, `except Exception: shop_log.exception(...)`.

The failure is logged with its traceback, nothing reaches the server, and `update_stock` runs.
"""

from typing import Any

from . import app_with, shop_log

EXPECTED = None


async def step(task: Any, done: list[str], order_id: int) -> None:
    try:
        await task(done, order_id)
    except Exception:
        shop_log.exception("order %s: %s failed", order_id, task.__name__)


app = app_with(step)
