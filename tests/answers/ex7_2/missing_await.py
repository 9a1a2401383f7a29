"""`while chunk := file.read(CHUNK):` without `await`.

`UploadFile.read` is a coroutine function: `chunk` is a coroutine, always true, and writing it fails.
"""

from pathlib import Path

import anyio
from fastapi import FastAPI, Request, UploadFile

from . import CHUNK, EX72_MAX

EXPECTED = "was called without `await`"
MISTAKE = "await"

app = FastAPI()


@app.post("/upload", max_body_size=EX72_MAX)
async def upload(file: UploadFile, request: Request) -> dict[str, int]:
    size = 0
    async with await anyio.open_file(Path(request.app.state.folder) / "upload.bin", "wb") as out:
        while chunk := file.read(CHUNK):  # type: ignore[truthy-function]
            await out.write(chunk)  # type: ignore[arg-type]
            size += len(chunk)  # type: ignore[arg-type]
    return {"bytes": size}
