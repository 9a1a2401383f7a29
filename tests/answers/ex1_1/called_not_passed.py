"""`run_in_threadpool(ch01.legacy_lookup(key))`: the function called, and its result passed on.

The call runs, and blocks, on the loop before run_in_threadpool sees anything; run_in_threadpool then gets a dict,
which it cannot call.
"""

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "you called the function yourself and passed on its result"

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    return await run_in_threadpool(ch01.legacy_lookup(key))  # type: ignore[arg-type]
