"""The fix for :mod:`.failing`: each task logs its own failure, so the next one runs and the connection stays.

:func:`log_failures` wraps a task (``async def`` or ``def``): an ``Exception`` it raises is logged, with its
traceback, on the ``course.ch06.tasks`` logger, and not raised further. ``CancelledError`` and the other
``BaseException``s still go through: a server that stops must still be able to cancel the task.
"""

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import BackgroundTasks, FastAPI, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from .common import Journal
from .failing import STEPS, Step, step

log = logging.getLogger("course.ch06.tasks")

app = FastAPI(title="ch06: background tasks that log their own failures")
app.state.journal = Journal()


def log_failures(task: Callable[..., Any]) -> Callable[..., Awaitable[None]]:
    """``task``, run as a background task whose failure is logged instead of raised."""

    @functools.wraps(task)
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            if inspect.iscoroutinefunction(task):
                await task(*args, **kwargs)
            else:
                await run_in_threadpool(task, *args, **kwargs)
        except Exception:
            log.exception("background task %s failed", task.__name__)

    return run


@app.post("/orders/{order_id}")
async def place_order(
    order_id: Annotated[int, Path(ge=1, le=10**9)],
    fail: Annotated[Step, Query(description="the step that raises")],
    request: Request,
    background_tasks: BackgroundTasks,
) -> dict[str, int | str]:
    for name in STEPS:
        background_tasks.add_task(log_failures(step), request.app.state.journal, name, order_id, fail)
    return {"order": order_id, "status": "accepted"}


@app.get("/slow-ping")
async def slow_ping(seconds: Annotated[float, Query(gt=0, le=2)]) -> str:
    await asyncio.sleep(seconds)
    return "pong"
