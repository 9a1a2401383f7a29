"""The limit right, but `content = await file.read()`: the whole file in memory, then written at once.

Every upload in flight holds its whole file: ten concurrent 8 MB uploads, 80 MB.
"""

from pathlib import Path

import anyio
from fastapi import FastAPI, Request, UploadFile

from . import EX72_MAX

EXPECTED = "your code held the whole file in memory"

app = FastAPI()


@app.post("/upload", max_body_size=EX72_MAX)
async def upload(file: UploadFile, request: Request) -> dict[str, int]:
    content = await file.read()
    await anyio.Path(Path(request.app.state.folder) / "upload.bin").write_bytes(content)
    return {"bytes": len(content)}
