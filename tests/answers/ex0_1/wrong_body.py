"""The right wait, the wrong body: `{"ms": ms}` instead of `{"waited_ms": ms}`."""

import asyncio

from fastapi import FastAPI, Path

EXPECTED = 'should return {"waited_ms": 200}'

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"ms": ms}
