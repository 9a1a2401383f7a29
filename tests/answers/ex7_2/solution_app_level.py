"""`FastAPI(max_body_size=EX72_MAX)`: the limit for every route of the app, enforced the same way; and
`shutil.copyfileobj` run in a worker thread to copy in chunks.
"""

import shutil
from pathlib import Path

from fastapi import FastAPI, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from . import CHUNK, EX72_MAX

EXPECTED = None

app = FastAPI(max_body_size=EX72_MAX)


def copy(file: UploadFile, target: Path) -> int:
    with open(target, "wb") as out:
        shutil.copyfileobj(file.file, out, CHUNK)
        return out.tell()


@app.post("/upload")
async def upload(file: UploadFile, request: Request) -> dict[str, int]:
    return {"bytes": await run_in_threadpool(copy, file, Path(request.app.state.folder) / "upload.bin")}
