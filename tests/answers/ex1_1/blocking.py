"""`return ch01.legacy_lookup(key)` inside `async def`: the code as it was.

The blocking call runs on the event loop: 10 lookups take 10 × 0.2 s, one after another, and /ping waits for them.
"""

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "the event loop was blocked. Inside `async def`, a blocking call runs on the loop itself"
MISTAKE = "blocking"

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    return ch01.legacy_lookup(key)  # a blocking call inside async def
