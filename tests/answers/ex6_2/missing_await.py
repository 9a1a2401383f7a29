"""`task(done, order_id)` without `await`, inside a `try`.

The call makes a coroutine and drops it: no task ever runs, and nothing raises.
"""

from typing import Any

from . import app_with, shop_log

EXPECTED = "without `await` makes a coroutine and never runs it"
MISTAKE = "await"


async def step(task: Any, done: list[str], order_id: int) -> None:
    try:
        task(done, order_id)
    except Exception:
        shop_log.exception("order %s: %s failed", order_id, task.__name__)


app = app_with(step)
