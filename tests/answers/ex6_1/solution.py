"""An `async def` task that awaits `asyncio.sleep`, scheduled with `background_tasks.add_task(...)`.

The answer goes out at once; the email follows on the server's loop, which stays free while it waits.
"""

import asyncio

from fastapi import BackgroundTasks, Request

from . import EMAIL_SECONDS, new_app

EXPECTED = None

app = new_app()


async def send_welcome_email(outbox: list[str], email: str) -> None:
    await asyncio.sleep(EMAIL_SECONDS)
    outbox.append(email)


@app.post("/signup")
async def signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(send_welcome_email, request.app.state.outbox, email)
    return {"status": "welcome email on its way"}
