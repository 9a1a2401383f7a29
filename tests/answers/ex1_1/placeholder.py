"""The cell as handed out: the check run before anything was written (`raise NotImplementedError()`)."""

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "the exercise code is still the placeholder: replace `raise NotImplementedError()` with your solution"

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    raise NotImplementedError()
