import time

from fastapi import FastAPI, Path

EXPECTED = "blocks the event loop"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    time.sleep(ms / 1000)  # the classic: time.sleep inside async def
    return {"waited_ms": ms}
