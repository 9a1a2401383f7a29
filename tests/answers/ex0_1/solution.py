"""Right: `await asyncio.sleep(ms / 1000)` in `async def`, and the limits declared with `Path(ge=0, le=2000)`."""

import asyncio

from fastapi import FastAPI, Path

EXPECTED = None

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"waited_ms": ms}
