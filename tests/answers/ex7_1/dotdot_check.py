"""Refuses any name that contains `..`, then serves `folder / name`.

No `..`, raw or encoded, gets through; but an absolute name has none, and `folder / "/elsewhere/x"` is
`/elsewhere/x`: the folder is dropped.
"""

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "is an absolute path"


def body(folder: Path, name: str) -> FileResponse:
    if ".." in name:
        raise HTTPException(400, "no '..' allowed")
    path = folder / name
    if not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
