"""`ms: int` with no limits.

A negative wait is accepted and an absurd one ties a connection up: the exercise asks for 422 on both, declared on
the path parameter with `Path(ge=0, le=2000)`.
"""

import asyncio

from fastapi import FastAPI

EXPECTED = "GET /wait/-5 should be refused with 422 (a negative wait makes no sense)"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int) -> dict[str, int]:
    await asyncio.sleep(max(ms, 0) / 1000)
    return {"waited_ms": ms}
