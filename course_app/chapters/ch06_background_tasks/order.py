"""When ``BackgroundTasks`` run: after the response, one after the other, ``async def`` on the loop, ``def`` in a thread.

``POST /signup`` schedules two tasks that each work ``seconds``: ``send_welcome`` (``async def``, it awaits) and
``write_audit`` (plain ``def``, it blocks, as a file write or a sync client would). Each writes its run into
``app.state.journal`` (:class:`.common.Journal`): when it started and ended, on which thread and which loop.
"""

import asyncio
import time
from typing import Annotated

from fastapi import BackgroundTasks, FastAPI, Query, Request

from .common import Journal, Seconds

app = FastAPI(title="ch06: order of background tasks")
app.state.journal = Journal()


async def send_welcome(journal: Journal, email: str, seconds: float) -> None:
    with journal.run("send_welcome (async def)"):
        await asyncio.sleep(seconds)  # the mail server's answer


def write_audit(journal: Journal, email: str, seconds: float) -> None:
    with journal.run("write_audit (def)"):
        time.sleep(seconds)  # a blocking write


@app.post("/signup")
async def signup(
    email: Annotated[str, Query(min_length=3, max_length=200)],
    seconds: Seconds,
    request: Request,
    background_tasks: BackgroundTasks,
) -> dict[str, str]:
    journal: Journal = request.app.state.journal
    with journal.run("handler"):
        background_tasks.add_task(send_welcome, journal, email, seconds)
        background_tasks.add_task(write_audit, journal, email, seconds)
    return {"status": "welcome email on its way"}


@app.get("/ping")
async def ping() -> str:
    return "pong"
