"""Resolve `folder / name` (symbolic links followed), require `is_relative_to(folder)` and `is_file()`, else 404;
OSError and ValueError from the file system (a NUL, a name too long) become 400.

Resolving first is what makes the comparison mean something: `../`, an absolute name and a link all resolve to
where they really lead.
"""

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = None


def body(folder: Path, name: str) -> FileResponse:
    try:
        path = (folder / name).resolve()
        found = path.is_relative_to(folder) and path.is_file()
    except (OSError, ValueError):
        raise HTTPException(400, "not a file name") from None
    if not found:
        raise HTTPException(404, f"no file {name!r}")
    return FileResponse(path)


app = app_with(body)
