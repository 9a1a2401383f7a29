"""`asyncio.sleep(ms / 1000)` without `await`.

Calling a coroutine function only creates a coroutine: nothing waits, every request returns at once, and Python
warns later that the coroutine was never awaited.
"""

import asyncio

from fastapi import FastAPI, Path

EXPECTED = "Calling asyncio.sleep(...) without `await` only creates a coroutine and returns at once"
MISTAKE = "await"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    asyncio.sleep(ms / 1000)  # noqa: RUF006 - the mistake: no await, so nothing waits
    return {"waited_ms": ms}
