"""`Path(os.path.abspath(...))` and `is_relative_to(folder)`: `..` is handled, but links are not followed.

`os.path.abspath` normalises the text of the path only; `link.txt`, a symbolic link in the folder, stays
`folder/link.txt` and passes, and the file system then follows it out.
"""

import os
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "is a symbolic link in the folder that points outside"


def body(folder: Path, name: str) -> FileResponse:
    path = Path(os.path.abspath(os.path.join(folder, name)))
    if not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
