"""`os.path.abspath`, then `path.startswith(str(folder))`: a comparison of strings.

`../data-old/decoy.txt` becomes `.../c/data-old/decoy.txt`, which starts with `.../c/data`: the folder beside
it, whose name begins with the same letters, is served.
"""

import os
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "Compare paths, not strings"


def body(folder: Path, name: str) -> FileResponse:
    path = os.path.abspath(os.path.join(folder, name))
    if not path.startswith(str(folder)) or not os.path.isfile(path):
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
