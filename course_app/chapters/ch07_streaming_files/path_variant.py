"""The seed's download with the route most people write for files in sub-folders: ``{filename:path}``.

The seed's ``{filename}`` matches one path segment, so a name can never hold a ``/``. ``{filename:path}`` matches
the rest of the path, ``/`` and ``..`` included, and the seed's ``open(f'/data/{filename}')`` then opens whatever
the name leads to. The handler is the seed's own (:func:`.seed_as_pasted.download_file`), unchanged.
"""

from typing import Any

from fastapi import FastAPI

from .seed_as_pasted import download_file

app = FastAPI(title="ch07: the seed's download with {filename:path}")


@app.get("/download/{filename:path}")
async def download_any_path(filename: str) -> Any:
    return await download_file(filename)
