import asyncio

from fastapi import FastAPI, Path

EXPECTED = "GET /wait/5000 should be refused with 422"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0)) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"waited_ms": ms}
