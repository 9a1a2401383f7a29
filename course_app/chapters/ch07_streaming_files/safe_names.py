"""Turning a name from a client into a file of one folder, or a clear 4xx, before any byte is sent.

A name from a URL or an upload is input like any other. The rule here is the strict one: a **plain file name**
(no ``/`` or ``\\``, no NUL or control character, not ``.`` or ``..``, no leading dot, at most 255 bytes in
UTF-8), and then, after the file system has resolved it (symbolic links included), a **regular file inside the
folder**. A name that cannot be a file name gets 400; one that is not a file of the folder gets 404. Both are
decided before the response starts, so a client never gets a 200 and then a broken body.

:func:`attachment` builds the ``Content-Disposition`` header for any name, non-ASCII included (RFC 6266's
``filename*``), which the seed's f-string cannot do.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from fastapi import HTTPException

MAX_NAME_BYTES = 255  # what Linux, macOS and Windows file systems allow for one name


def plain_name(name: str) -> str:
    """``name`` if it is a plain file name, else a 400 that says what is wrong with it."""
    why = _not_plain(name)
    if why:
        raise HTTPException(400, f"not a plain file name: {why}")
    return name


def _not_plain(name: str) -> str:
    if not name or name in {".", ".."}:
        return "empty, '.' or '..'"
    if "/" in name or "\\" in name:
        return "it holds a path separator"
    if any(unicodedata.category(c) == "Cc" for c in name):
        return "it holds a NUL or another control character"
    if name.startswith("."):
        return "hidden names (a leading dot) are not served"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"longer than {MAX_NAME_BYTES} bytes"
    return ""


def resolve_inside(folder: str | os.PathLike[str], name: str) -> Path:
    """The regular file ``name`` of ``folder``, resolved; raises 400 or 404. Touches the disk: call it in a thread
    (:func:`find`)."""
    plain_name(name)
    base = Path(folder).resolve()
    target = (base / name).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404, f"no file named {name!r}")
    return target


async def find(folder: str | os.PathLike[str], name: str) -> Path:
    """:func:`resolve_inside`, off the event loop (it asks the file system)."""
    return await anyio.to_thread.run_sync(resolve_inside, folder, name)


def attachment(name: str) -> str:
    """A ``Content-Disposition`` value that names the download ``name``, whatever its characters."""
    quoted = quote(name, safe="")
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    if quoted == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=utf-8''{quoted}"
