"""A plain `def` task with `time.sleep`, scheduled with `add_task`.

Also right: Starlette runs a `def` task in a worker thread, so its `time.sleep` blocks that thread, not the loop.
It holds one of the 40 threads for the email's whole time, which the chapter measures.
"""

import time

from fastapi import BackgroundTasks, Request

from . import EMAIL_SECONDS, new_app

EXPECTED = None

app = new_app()


def send_welcome_email(outbox: list[str], email: str) -> None:
    time.sleep(EMAIL_SECONDS)
    outbox.append(email)


@app.post("/signup")
async def signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(send_welcome_email, request.app.state.outbox, email)
    return {"status": "welcome email on its way"}
