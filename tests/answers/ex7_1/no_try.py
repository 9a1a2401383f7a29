"""Resolves, checks the folder and `is_file()`, with no `try`: right for every name the file system accepts.

A NUL in the name makes `resolve()` raise ValueError: a 500.
"""

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "a name with a NUL got"


def body(folder: Path, name: str) -> FileResponse:
    path = (folder / name).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
