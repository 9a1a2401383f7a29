"""`Path(ge=0)` without `le=`: a lower limit only.

GET /wait/5000 is accepted and waits 5 s instead of being refused with 422.
"""

import asyncio

from fastapi import FastAPI, Path

EXPECTED = "GET /wait/5000 should be refused with 422 (a wait over 2000 ms is absurd)"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0)) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"waited_ms": ms}
