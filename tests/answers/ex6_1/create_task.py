"""`asyncio.create_task(send_welcome_email(...))` in the route, with no reference kept.

It looks right: the answer comes at once, the email after it. But the task belongs to nobody: a graceful stop of
the server does not wait for it and cancels it, so an email promised just before a deploy is never sent (and
asyncio keeps only a weak reference to a task, so one nobody holds can even be collected before it is done).
"""

import asyncio

from fastapi import Request

from . import EMAIL_SECONDS, new_app

EXPECTED = "asyncio.create_task(...) is not part of the request"

app = new_app()


async def send_welcome_email(outbox: list[str], email: str) -> None:
    await asyncio.sleep(EMAIL_SECONDS)
    outbox.append(email)


@app.post("/signup")
async def signup(email: str, request: Request) -> dict[str, str]:
    asyncio.create_task(send_welcome_email(request.app.state.outbox, email))
    return {"status": "welcome email on its way"}
