import asyncio

from fastapi import FastAPI

EXPECTED = "should be refused with 422"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int) -> dict[str, int]:
    await asyncio.sleep(max(ms, 0) / 1000)
    return {"waited_ms": ms}
