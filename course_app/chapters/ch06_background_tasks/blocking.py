"""What a background task that waits does to the server, by how it waits.

Each route schedules one task that works ``seconds`` and answers at once:

* ``/async-await``: ``async def`` with ``await asyncio.sleep``: the loop is free while it waits;
* ``/async-blocking``: ``async def`` with ``time.sleep``: it runs on the loop and stops it, every other request
  waits, ``/ping`` too;
* ``/def-blocking``: ``def`` with ``time.sleep``: Starlette runs it in the thread pool (``run_in_threadpool``),
  where it holds one of anyio's 40 tokens for its whole run.

``GET /ping`` (``async def``) shows whether the loop is free; ``GET /ping-def`` (``def``) whether a thread is.
"""

import asyncio
import time

from fastapi import BackgroundTasks, FastAPI, Request

from .common import Journal, Seconds

app = FastAPI(title="ch06: background tasks that wait")
app.state.journal = Journal()


async def waits_politely(journal: Journal, seconds: float) -> None:
    with journal.run("async def, await asyncio.sleep"):
        await asyncio.sleep(seconds)


async def blocks_the_loop(journal: Journal, seconds: float) -> None:
    with journal.run("async def, time.sleep"):
        time.sleep(seconds)  # the mistake: a blocking call inside async def


def holds_a_thread(journal: Journal, seconds: float) -> None:
    with journal.run("def, time.sleep"):
        time.sleep(seconds)


@app.post("/async-await")
async def async_await(seconds: Seconds, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(waits_politely, request.app.state.journal, seconds)
    return {"status": "scheduled"}


@app.post("/async-blocking")
async def async_blocking(seconds: Seconds, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(blocks_the_loop, request.app.state.journal, seconds)
    return {"status": "scheduled"}


@app.post("/def-blocking")
async def def_blocking(seconds: Seconds, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(holds_a_thread, request.app.state.journal, seconds)
    return {"status": "scheduled"}


@app.get("/ping")
async def ping() -> str:
    return "pong"


@app.get("/ping-def")
def ping_def() -> str:
    return "pong"
