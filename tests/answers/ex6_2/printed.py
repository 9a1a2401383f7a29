"""`except Exception as exc: print(exc)`.

The next task runs, and the message goes to the server's standard output: no level, no traceback, no logger a
monitoring system would watch. The check asks for a log record.
"""

from typing import Any

from . import app_with

EXPECTED = "and nothing was logged: the failure vanished"


async def step(task: Any, done: list[str], order_id: int) -> None:
    try:
        await task(done, order_id)
    except Exception as exc:
        print(f"order {order_id}: {exc}")


app = app_with(step)
