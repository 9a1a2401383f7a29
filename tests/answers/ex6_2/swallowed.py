"""`except Exception: pass` around `await task(...)`.

The next task runs, but the failure vanishes: no log, no trace, and nobody learns that the receipt was never
sent.
"""

import contextlib
from typing import Any

from . import app_with

EXPECTED = "and nothing was logged: the failure vanished"


async def step(task: Any, done: list[str], order_id: int) -> None:
    with contextlib.suppress(Exception):
        await task(done, order_id)


app = app_with(step)
