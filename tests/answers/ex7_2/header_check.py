"""No `max_body_size`; the handler refuses a `Content-Length` header over `EX72_MAX`, then copies in chunks.

A client that sends no Content-Length (a chunked body) is never refused.
"""

from pathlib import Path

import anyio
from fastapi import FastAPI, HTTPException, Request, UploadFile

from . import CHUNK, EX72_MAX

EXPECTED = "a check of the Content-Length header is not a limit"

app = FastAPI()


@app.post("/upload")
async def upload(file: UploadFile, request: Request) -> dict[str, int]:
    if int(request.headers.get("content-length", "0")) > EX72_MAX:
        raise HTTPException(413, "too large")
    size = 0
    async with await anyio.open_file(Path(request.app.state.folder) / "upload.bin", "wb") as out:
        while chunk := await file.read(CHUNK):
            await out.write(chunk)
            size += len(chunk)
    return {"bytes": size}
