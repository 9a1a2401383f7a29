"""The cell as handed out: both placeholders.

The route raises `NotImplementedError` (a 500); the check says the code is still the placeholder.
"""

from fastapi import BackgroundTasks, Request

from . import new_app

EXPECTED = "the exercise code is still the placeholder"

app = new_app()


async def send_welcome_email(outbox: list[str], email: str) -> None:
    raise NotImplementedError()


@app.post("/signup")
async def signup(email: str, request: Request, background_tasks: BackgroundTasks) -> dict[str, str]:
    raise NotImplementedError()
    return {"status": "welcome email on its way"}
