"""No `max_body_size`; the copy counts the bytes and raises 413 once the count passes `EX72_MAX`.

By then FastAPI has received the whole body, and the copy has already overwritten upload.bin with 8 MB of the
refused file.
"""

from pathlib import Path

import anyio
from fastapi import FastAPI, HTTPException, Request, UploadFile

from . import CHUNK, EX72_MAX

EXPECTED = "A count by hand comes too late"

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, request: Request) -> dict[str, int]:
    size = 0
    async with await anyio.open_file(Path(request.app.state.folder) / "upload.bin", "wb") as out:
        while chunk := await file.read(CHUNK):
            size += len(chunk)
            if size > EX72_MAX:
                raise HTTPException(413, "too large")
            await out.write(chunk)
    return {"bytes": size}
