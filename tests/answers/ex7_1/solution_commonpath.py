"""`os.path.realpath` and `os.path.commonpath([folder, path]) == folder`, the os.path spelling of the same rule.

`commonpath` compares whole path components, so the folder `data-old` beside `data` is not taken for part of it.
"""

import os
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = None


def body(folder: Path, name: str) -> FileResponse:
    if "\x00" in name or len(name) > 1024:
        raise HTTPException(400, "not a file name")
    path = os.path.realpath(os.path.join(folder, name))
    try:
        inside = os.path.commonpath([str(folder), path]) == str(folder) and os.path.isfile(path)
    except (OSError, ValueError):
        raise HTTPException(400, "not a file name") from None
    if not inside:
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
