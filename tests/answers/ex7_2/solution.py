"""`max_body_size=EX72_MAX` on the route; `await file.read(CHUNK)` in a loop, each chunk written with
`anyio.open_file` before the next is read.

FastAPI refuses a bigger body with 413 before the handler runs: with a declared size before reading it, chunked as
soon as the count passes the limit.
"""

from pathlib import Path

import anyio
from fastapi import FastAPI, Request, UploadFile

from . import CHUNK, EX72_MAX

EXPECTED = None

app = FastAPI()


@app.post("/upload", max_body_size=EX72_MAX)
async def upload(file: UploadFile, request: Request) -> dict[str, int]:
    size = 0
    async with await anyio.open_file(Path(request.app.state.folder) / "upload.bin", "wb") as out:
        while chunk := await file.read(CHUNK):
            await out.write(chunk)
            size += len(chunk)
    return {"bytes": size}
