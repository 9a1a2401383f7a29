"""Answers to exercise 6.2: a task that fails is logged, and the tasks after it still run.

:func:`app_with` builds what the notebook's cell builds around the learner's ``step``: the three tasks of an order
(``send_receipt`` refuses every odd order), the list ``app.state.done`` and the route ``POST /orders/{order_id}``.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request

__all__ = ["TASKS", "app_with", "shop_log"]

shop_log = logging.getLogger("course.ex62.shop")


async def charge_card(done: list[str], order_id: int) -> None:
    await asyncio.sleep(0.02)
    done.append(f"charge {order_id}")


async def send_receipt(done: list[str], order_id: int) -> None:
    await asyncio.sleep(0.02)
    if order_id % 2:
        raise ConnectionError(f"the mail server refused the receipt of order {order_id}")
    done.append(f"receipt {order_id}")


async def update_stock(done: list[str], order_id: int) -> None:
    await asyncio.sleep(0.02)
    done.append(f"stock {order_id}")


TASKS = (charge_card, send_receipt, update_stock)
Step = Callable[[Any, list[str], int], Awaitable[None]]


def app_with(step: Step) -> FastAPI:
    app = FastAPI(title="exercise 6.2")
    app.state.done = []

    @app.post("/orders/{order_id}")
    async def order(order_id: int, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
        for task in TASKS:
            background_tasks.add_task(step, task, request.app.state.done, order_id)
        return {"status": "accepted"}

    return app
