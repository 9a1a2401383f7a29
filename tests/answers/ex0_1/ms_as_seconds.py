import asyncio

from fastapi import FastAPI, Path

EXPECTED = "got no answer within 1 s, though it should take 0.2 s"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    await asyncio.sleep(ms)  # milliseconds passed as seconds: 200 s
    return {"waited_ms": ms}
