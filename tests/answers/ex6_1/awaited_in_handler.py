"""`await send_welcome_email(...)` in the route, instead of scheduling it.

The email is sent, but the client waits for the mail server before it gets its answer: the very thing background
tasks are for.
"""

import asyncio

from fastapi import BackgroundTasks, Request

from . import EMAIL_SECONDS, new_app

EXPECTED = "the handler waited for it"

app = new_app()


async def send_welcome_email(outbox: list[str], email: str) -> None:
    await asyncio.sleep(EMAIL_SECONDS)
    outbox.append(email)


@app.post("/signup")
async def signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    await send_welcome_email(request.app.state.outbox, email)
    return {"status": "welcome email on its way"}
