"""`os.path.basename(name)`: whatever the client sends, only its last component is used.

Nothing escapes, but the files in sub-folders cannot be reached any more: `docs/intro.txt` becomes `intro.txt`.
"""

import os
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "a file in a sub-folder of the folder should be served"


def body(folder: Path, name: str) -> FileResponse:
    path = folder / os.path.basename(name)
    if not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
