import asyncio

from fastapi import FastAPI, Path

EXPECTED = None

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"waited_ms": ms}
