from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = "has no GET /ping"

app = FastAPI()  # the line that includes ch01.ping_router was deleted


@app.get("/lookup/{key}")
def lookup(key: str) -> dict[str, str]:
    return ch01.legacy_lookup(key)
