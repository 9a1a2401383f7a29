"""What the seed's background section makes up, replaced by the course's; read by the seed's code at each request.

* ``UPLOAD_FOLDER`` stands for the seed's ``/tmp/``. By default it is a folder of this user's own under the
  system's temporary folder (``course-uploads-<uid>``), made on first use, owner-only: the seed writes whatever
  file name the client sends, and on a shared hub the system's temporary folder is everybody's.
  :func:`upload_folder` points it somewhere else for the length of a ``with`` block.
* ``CLEANUP_DELAY`` stands for the seed's ``await asyncio.sleep(60)`` before it removes an upload: 60.0 by
  default, as the seed wrote it. :func:`cleanup_delay` shortens it for the length of a ``with`` block, so that a
  notebook cell can watch the cleanup happen.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator

CLEANUP_DELAY = 60.0  # the seed's `await asyncio.sleep(60)` before its cleanup removes the upload
# POSIX: the system's temporary folder is shared, hence the uid; Windows: it is the user's own already
_OWNER = f"-{os.getuid()}" if hasattr(os, "getuid") else ""
_DEFAULT_FOLDER = os.path.join(tempfile.gettempdir(), f"course-uploads{_OWNER}")
_upload_folder: str | None = None  # None: the default folder, made when first asked for


def _own_default_folder() -> str:
    """The default upload folder, made if missing; refused if another user made it first."""
    os.makedirs(_DEFAULT_FOLDER, mode=0o700, exist_ok=True)
    found = os.lstat(_DEFAULT_FOLDER)  # lstat: a link planted under that name is refused, not followed
    if not stat.S_ISDIR(found.st_mode) or (hasattr(os, "getuid") and found.st_uid != os.getuid()):
        raise PermissionError(
            f"{_DEFAULT_FOLDER} is not a folder of yours: choose another with stand_ins.upload_folder(...)"
        )
    return _DEFAULT_FOLDER


def __getattr__(name: str) -> str:
    """``stand_ins.UPLOAD_FOLDER``: the folder in use now (the default one is made on first use)."""
    if name == "UPLOAD_FOLDER":
        return _upload_folder if _upload_folder is not None else _own_default_folder()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextlib.contextmanager
def upload_folder(path: str | os.PathLike[str]) -> Iterator[None]:
    """The seed's uploads go to ``path`` inside the block (the folder must exist)."""
    global _upload_folder
    saved, _upload_folder = _upload_folder, os.fspath(path)
    try:
        yield
    finally:
        _upload_folder = saved


@contextlib.contextmanager
def cleanup_delay(seconds: float) -> Iterator[None]:
    """The seed's cleanup waits ``seconds`` instead of 60 inside the block."""
    global CLEANUP_DELAY
    saved, CLEANUP_DELAY = CLEANUP_DELAY, float(seconds)
    try:
        yield
    finally:
        CLEANUP_DELAY = saved
