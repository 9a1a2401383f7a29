import asyncio

from fastapi import FastAPI, Path

EXPECTED = "without `await` only creates a coroutine"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    asyncio.sleep(ms / 1000)  # noqa: RUF006 - the mistake: no await, so nothing waits
    return {"waited_ms": ms}
