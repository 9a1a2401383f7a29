"""`await asyncio.sleep(ms)`: milliseconds passed as seconds.

asyncio.sleep() takes seconds, so GET /wait/200 waits 200 s; the check gives up after 1 s and says why.
"""

import asyncio

from fastapi import FastAPI, Path

EXPECTED = "asyncio.sleep() takes seconds, and 200 is a number of milliseconds"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    await asyncio.sleep(ms)  # milliseconds passed as seconds: 200 s
    return {"waited_ms": ms}
