"""`except Exception: shop_log.exception(...)` and then `raise`.

Logged twice (by the learner and by uvicorn), and the exception still ends the run: `update_stock` never starts.
"""

from typing import Any

from . import app_with, shop_log

EXPECTED = "update_stock never ran for order 1"


async def step(task: Any, done: list[str], order_id: int) -> None:
    try:
        await task(done, order_id)
    except Exception:
        shop_log.exception("order %s: %s failed", order_id, task.__name__)
        raise


app = app_with(step)
