from fastapi import FastAPI, Path

EXPECTED = "still the placeholder"

app = FastAPI()


@app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    raise NotImplementedError()
