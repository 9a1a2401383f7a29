"""`(folder / name).is_relative_to(folder)` without resolving the path first.

The comparison is on the text of the path: `folder/../../decoy.txt` starts with `folder`, so it passes, and the
file system then follows the `..` out of the folder.
"""

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "which lies OUTSIDE the folder: the name climbs out with `../`"


def body(folder: Path, name: str) -> FileResponse:
    path = folder / name
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
