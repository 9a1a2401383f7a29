"""An `async def` task that waits with `time.sleep(EMAIL_SECONDS)`.

The client gets its answer at once, and then the task stops the server's event loop for the email's whole time:
every other request waits.
"""

import time

from fastapi import BackgroundTasks, Request

from . import EMAIL_SECONDS, new_app

EXPECTED = "the server's event loop was stuck"
MISTAKE = "blocking"

app = new_app()


async def send_welcome_email(outbox: list[str], email: str) -> None:
    time.sleep(EMAIL_SECONDS)
    outbox.append(email)


@app.post("/signup")
async def signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    background_tasks.add_task(send_welcome_email, request.app.state.outbox, email)
    return {"status": "welcome email on its way"}
