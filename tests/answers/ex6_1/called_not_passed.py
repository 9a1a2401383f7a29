"""`background_tasks.add_task(send_welcome_email(outbox, email))`: the function called, its result passed.

`add_task` gets a coroutine object, not a function. After the response, Starlette tries to call it (it is not an
`async def` function, so it goes to the thread pool) and fails with "'coroutine' object is not callable"; the
email is never sent, and Python warns later that the coroutine was never awaited.
"""

import asyncio

from fastapi import BackgroundTasks, Request

from . import EMAIL_SECONDS, new_app

EXPECTED = "add_task got a coroutine, not a function"

app = new_app()


async def send_welcome_email(outbox: list[str], email: str) -> None:
    await asyncio.sleep(EMAIL_SECONDS)
    outbox.append(email)


@app.post("/signup")
async def signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(send_welcome_email(request.app.state.outbox, email))
    return {"status": "welcome email on its way"}
