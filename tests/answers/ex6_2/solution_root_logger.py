"""`except Exception as exc: logging.error("...", exc_info=exc)`, on the root logger.

Also right: a record of level ERROR with its traceback; the check accepts any logger but uvicorn's.
"""

import logging
from typing import Any

from . import app_with

EXPECTED = None


async def step(task: Any, done: list[str], order_id: int) -> None:
    try:
        await task(done, order_id)
    except Exception as exc:
        logging.error("order %s: %s failed", order_id, task.__name__, exc_info=exc)


app = app_with(step)
