"""`await ch01.legacy_lookup(key)`: `await` in front of a plain function's call.

legacy_lookup is not async: it blocks the loop for its 0.2 s, and then `await` fails on the dict it returned
(TypeError).
"""

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "you put `await` in front of something that is not awaitable (a plain function's result)"

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    return await ch01.legacy_lookup(key)  # type: ignore[misc]
