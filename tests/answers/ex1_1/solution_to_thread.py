"""Right: `async def` with `await asyncio.to_thread(ch01.legacy_lookup, key)` (Python's own thread pool)."""

import asyncio

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = None

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    return await asyncio.to_thread(ch01.legacy_lookup, key)
