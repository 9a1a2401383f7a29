"""A handler that never calls `legacy_lookup`: it returns `{"key": key}` only."""

from fastapi import FastAPI

from course_app.chapters import ch01_async_vs_sync as ch01

EXPECTED = 'should return what legacy_lookup("abc") returns'

app = FastAPI()
app.include_router(ch01.ping_router)


@app.get("/lookup/{key}")
async def lookup(key: str) -> dict[str, str]:
    return {"key": key}
