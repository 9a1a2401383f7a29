"""A background task that raises: the client already has its 200, and the tasks queued after it never run.

``POST /orders/{order_id}?fail=<step>`` schedules three steps, ``charge``, ``receipt`` and ``stock``, in that
order; the step named by ``fail`` raises (``fail=none``: none does). Each step writes its run into
``app.state.journal``. What the server does with the exception: it logs "Exception in ASGI application" with the
traceback, and closes the connection, which a keep-alive client may be using for its next request.
"""

import asyncio
from typing import Annotated, Literal

from fastapi import BackgroundTasks, FastAPI, Path, Query, Request

from .common import Journal

app = FastAPI(title="ch06: a background task that raises")
app.state.journal = Journal()
STEPS = ("charge", "receipt", "stock")
Step = Literal["none", "charge", "receipt", "stock"]


async def step(journal: Journal, name: str, order_id: int, fail: str) -> None:
    with journal.run(name):
        await asyncio.sleep(0.05)  # the step's work
        if name == fail:
            raise ConnectionError(f"order {order_id}: the {name} service refused")


@app.post("/orders/{order_id}")
async def place_order(
    order_id: Annotated[int, Path(ge=1, le=10**9)],
    fail: Annotated[Step, Query(description="the step that raises")],
    request: Request,
    background_tasks: BackgroundTasks,
) -> dict[str, int | str]:
    for name in STEPS:
        background_tasks.add_task(step, request.app.state.journal, name, order_id, fail)
    return {"order": order_id, "status": "accepted"}


@app.get("/slow-ping")
async def slow_ping(seconds: Annotated[float, Query(gt=0, le=2)]) -> str:
    await asyncio.sleep(seconds)
    return "pong"
