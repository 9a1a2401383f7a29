"""Right: `async def` with `await run_in_threadpool(ch01.legacy_lookup, key)`."""

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = None

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    return await run_in_threadpool(ch01.legacy_lookup, key)
