"""`os.path.join(folder, name)`, a 404 when it is not a file, and no check of where the path leads.

`../../../../decoy.txt` joins to a path that leads out of the folder, and the file there is served.
"""

import os
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from . import app_with

EXPECTED = "which lies OUTSIDE the folder: the name climbs out with `../`"


def body(folder: Path, name: str) -> FileResponse:
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise HTTPException(404, "no such file")
    return FileResponse(path)


app = app_with(body)
