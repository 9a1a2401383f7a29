"""`time.sleep(ms / 1000)` inside `async def`: the classic.

The handler runs on the event loop, so each request stops the whole server while it sleeps: 20 requests take
20 × 0.2 s, one after another.
"""

import time

from fastapi import FastAPI, Path

EXPECTED = "so the handler blocks the event loop. Inside `async def`, wait with `await asyncio.sleep(...)`, never `time.sleep(...)`"
MISTAKE = "blocking"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    time.sleep(ms / 1000)  # the classic: time.sleep inside async def
    return {"waited_ms": ms}
