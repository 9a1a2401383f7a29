"""Background tasks live in the server's process and die with it.

``POST /jobs?n=&seconds=`` schedules ``n`` tasks of ``seconds`` each, which run one after the other after the
response; each writes its run into ``app.state.journal``. Stop the server before they are done, and count.
"""

import asyncio
from typing import Annotated

from fastapi import BackgroundTasks, FastAPI, Query, Request

from .common import Journal, Seconds

app = FastAPI(title="ch06: background tasks lost on stop")
app.state.journal = Journal()


async def job(journal: Journal, number: int, seconds: float) -> None:
    with journal.run(f"job {number}"):
        await asyncio.sleep(seconds)


@app.post("/jobs")
async def jobs(
    n: Annotated[int, Query(ge=1, le=20)], seconds: Seconds, request: Request, background_tasks: BackgroundTasks
) -> dict[str, int]:
    for number in range(1, n + 1):
        background_tasks.add_task(job, request.app.state.journal, number, seconds)
    return {"scheduled": n}
