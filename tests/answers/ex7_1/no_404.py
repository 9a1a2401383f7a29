"""Resolves and checks the folder, but hands a missing file to `FileResponse` anyway.

`FileResponse` finds out only when it runs, after the route returned: it raises RuntimeError, and the client
gets a 500 instead of a 404.
"""

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "FileResponse raises RuntimeError when its file does not exist"


def body(folder: Path, name: str) -> FileResponse:
    path = (folder / name).resolve()
    if not path.is_relative_to(folder):
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
