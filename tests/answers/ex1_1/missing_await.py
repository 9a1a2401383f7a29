"""`return run_in_threadpool(ch01.legacy_lookup, key)` without `await`.

The handler returns a coroutine instead of the lookup's result, and FastAPI fails to serialize it.
"""

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "your handler returned a coroutine instead of its result: an async function (or run_in_threadpool) was called without `await` in front of it"
MISTAKE = "await"

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    return run_in_threadpool(ch01.legacy_lookup, key)  # type: ignore[return-value]
