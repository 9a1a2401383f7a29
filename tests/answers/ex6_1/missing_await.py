"""`asyncio.sleep(EMAIL_SECONDS)` without `await` in the task.

The call makes a coroutine and drops it: the task waits for nothing, and files the email before the mail server
could have answered.
"""

import asyncio

from fastapi import BackgroundTasks, Request

from . import EMAIL_SECONDS, new_app

EXPECTED = "without `await` in front of it"
MISTAKE = "await"

app = new_app()


async def send_welcome_email(outbox: list[str], email: str) -> None:
    asyncio.sleep(EMAIL_SECONDS)  # type: ignore[unused-coroutine]
    outbox.append(email)


@app.post("/signup")
async def signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(send_welcome_email, request.app.state.outbox, email)
    return {"status": "welcome email on its way"}
