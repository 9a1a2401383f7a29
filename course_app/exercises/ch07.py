"""Checks for chapter 07's exercises: each serves the learner's app and sends it what a hostile or careless client
sends, raw, inside a throw-away sandbox folder of its own (nothing outside it is read or written)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..chapters.ch07_streaming_files.probes import DECOY, DEPTH, RawResponse, Sandbox, raw_request, sandbox
from ..chapters.ch07_streaming_files.watch import Watched, form, peak_allocations, upload
from ..server import LiveServer
from . import (
    ExerciseFailed,
    announce,
    answer_keys,
    describe_error,
    ensure_callable,
    hints,
    passed,
    require,
    show_me,
    start_app,
)

__all__ = ["check_safe_download", "check_upload_limit", "show_me"]

MB = 1024 * 1024

hints(
    "7.1",
    (
        "the body of ex71_download, after `folder = ...`",
        """
        try:
            path = (folder / name).resolve()
            found = path.is_relative_to(folder) and path.is_file()
        except (OSError, ValueError):  # a NUL (ValueError), a name too long for the file system (OSError)
            raise HTTPException(400, "not a file name") from None
        if not found:
            raise HTTPException(404, f"no file {name!r}")
        return FileResponse(path)
        """,
    ),
)
hints(
    "7.2",
    (
        "the route, decorator included",
        """
        @ex72_app.post("/upload", max_body_size=EX72_MAX)
        async def ex72_upload(file: UploadFile, request: Request) -> dict[str, int]:
            size = 0
            async with await anyio.open_file(Path(request.app.state.folder) / "upload.bin", "wb") as out:
                while chunk := await file.read(CHUNK):
                    await out.write(chunk)
                    size += len(chunk)
            return {"bytes": size}
        """,
    ),
)


def _fastapi_app(app: Any) -> None:
    ensure_callable(app, "your app")
    require(
        hasattr(app, "router") and hasattr(app, "state"), "your app should be a FastAPI app, made with FastAPI(...)"
    )


def _crash(srv: LiveServer, what: str, response: RawResponse | Watched) -> None:
    """A 500 (or no answer) with an error in the server: say what the learner's code raised."""
    if response.status in (500, None) and srv.errors:
        raise ExerciseFailed(f"{what} failed with a 500: {describe_error(srv.errors[-1])}")


# -- exercise 7.1 ---------------------------------------------------------------------------------------------------


def _download_box() -> Sandbox:
    box = sandbox()
    (box.data / "docs").mkdir()
    (box.data / "docs" / "intro.txt").write_text("an introduction, in a sub-folder\n")
    sibling = box.data.parent / (box.data.name + "-old")  # same prefix as the folder: sandbox/a/b/c/data-old
    sibling.mkdir()
    (sibling / "decoy.txt").write_bytes(DECOY)
    return box


ESCAPES = {
    "../ raw": ("{up}decoy.txt", "climbs out with `../`"),
    "../ encoded": ("{up_encoded}decoy.txt", "climbs out with `%2E%2E%2F` (uvicorn decodes it into `../`)"),
    "absolute": (
        "{absolute}",
        "is an absolute path: `folder / name` (and os.path.join) with an absolute name gives that name, the folder "
        "is dropped, and it holds no `..` to catch",
    ),
    "same prefix": (
        "../data-old/decoy.txt",
        "leads to the folder `data-old` beside yours: its path starts with the same letters as the folder's, so a "
        "`str(path).startswith(str(folder))` lets it through. Compare paths, not strings: `path.is_relative_to(folder)`",
    ),
    "symbolic link": (
        "link.txt",
        "is a symbolic link in the folder that points outside: only a path resolved with `.resolve()` (links "
        "followed) shows where it really goes; os.path.abspath and normpath do not follow links",
    ),
}


@answer_keys("7.1", r"is_relative_to|commonpath", r"404")
async def check_safe_download(app: Any) -> None:
    """Exercise 7.1: every file under the folder is served, sub-folders included; nothing outside; 404 and 4xx."""
    __tracebackhide__ = True
    _fastapi_app(app)
    box = _download_box()
    app.state.folder = str(box.data)
    announce("16 raw requests to GET /files/..., from a sandbox of the check's own", 15)
    try:
        srv = start_app(app, "exercise 7.1")
        try:
            await _judge_downloads(srv, box)
        finally:
            srv.stop()
    finally:
        box.remove()
    passed(
        "files and sub-folders served; `../` raw and encoded, an absolute path, a same-prefix folder and a symbolic "
        "link all stayed in the folder; a missing file got 404 before any byte, bad names a 4xx."
    )


async def _judge_downloads(srv: LiveServer, box: Sandbox) -> None:
    async def get(name: str) -> RawResponse:
        return await raw_request(srv.url, "/files/" + name)

    for name, content in (
        ("report.csv", (box.data / "report.csv").read_bytes()),
        ("docs/intro.txt", (box.data / "docs" / "intro.txt").read_bytes()),
        (quote("報告.txt"), (box.data / "報告.txt").read_bytes()),
    ):
        r = await get(name)
        _crash(srv, f"GET /files/{name}", r)
        if name == "docs/intro.txt" and r.status in (400, 404):
            raise ExerciseFailed(
                f"GET /files/docs/intro.txt got {r.status}: a file in a sub-folder of the folder should be served. "
                "os.path.basename(name), or refusing every `/`, drops the sub-folder: resolve the whole path and check "
                "that it is inside the folder instead"
            )
        require(
            r.status == 200 and r.complete and r.body == content,
            f"GET /files/{name} should answer 200 with the file's content; it answered {r.describe()}",
        )
    values = {
        "up": "../" * DEPTH,
        "up_encoded": "%2E%2E%2F" * DEPTH,
        "absolute": quote(str(box.decoy), safe=""),
    }
    for label, (template, how) in ESCAPES.items():
        target = template.format(**values)
        r = await get(target)
        if DECOY in r.body:
            raise ExerciseFailed(
                f"GET /files/{target} returned the decoy file, which lies OUTSIDE the folder: the name {how}. "
                "Resolve the path (`(folder / name).resolve()`) and refuse it unless it `is_relative_to(folder)`."
            )
        _crash(srv, f"GET /files/{target} ({label})", r)
        require(
            r.status is not None and 400 <= r.status < 500,
            f"GET /files/{target} ({label}) should get a 4xx; it answered {r.describe()}",
        )
    missing = await get("no-such-file.txt")
    if missing.status == 500 or (missing.status is None and srv.errors):
        raise ExerciseFailed(
            "GET /files/no-such-file.txt got a 500: FileResponse raises RuntimeError when its file does not exist, "
            "once the response has been handed over. Check `path.is_file()` first, and raise HTTPException(404)."
        )
    require(
        missing.status == 404 and missing.complete,
        f"GET /files/no-such-file.txt should get 404 before any byte; it answered {missing.describe()}",
    )
    folder_itself = await get("docs")
    require(
        folder_itself.status is not None and 400 <= folder_itself.status < 500,
        f"GET /files/docs (a folder, not a file) should get a 4xx; it answered {folder_itself.describe()}: check "
        "`path.is_file()`, which is False for a folder",
    )
    for label, target, why in (
        ("a NUL", "report.csv%00.txt", "ValueError: embedded null byte"),
        ("300 characters", "x" * 300 + ".txt", "OSError: File name too long"),
    ):
        r = await get(target)
        if r.status in (500, None):
            raise ExerciseFailed(
                f"a name with {label} got {'a 500' if r.status else 'no answer'}: the file system refuses it "
                f"({why}), in `resolve()` or `is_file()`. Catch OSError and ValueError around them and answer 400."
            )
        require(400 <= r.status < 500, f"a name with {label} should get a 4xx; it answered {r.describe()}")
    double = await get("%252E%252E%252F" * DEPTH + "decoy.txt")
    if DECOY in double.body:
        raise ExerciseFailed(
            "a double-encoded `../` (%252E%252E%252F) returned the decoy: your code decodes the name a second time "
            "(unquote); uvicorn has decoded it once already, and once is right"
        )
    require(double.status == 404, f"a double-encoded `../` should get 404; it answered {double.describe()}")
    require(not srv.errors, f"your route raised: {describe_error(srv.errors[-1]) if srv.errors else ''}")


# -- exercise 7.2 ---------------------------------------------------------------------------------------------------

LIMIT = 8 * MB  # the exercise's EX72_MAX
FITS, TOO_BIG = 6 * MB, 12 * MB


@answer_keys("7.2", r"max_body_size\s*=", r"\.read\(\s*CHUNK\s*\)")
async def check_upload_limit(app: Any) -> None:
    """Exercise 7.2: a 6 MB upload is copied in chunks; 12 MB ones get 413 (declared or chunked), nothing touched."""
    __tracebackhide__ = True
    _fastapi_app(app)
    folder = Path(tempfile.mkdtemp(prefix="course-ex72-"))
    app.state.folder = str(folder)
    announce("a 6 MB upload to POST /upload, then two of 12 MB: with their size declared, and chunked", 20)
    try:
        srv = start_app(app, "exercise 7.2")
        try:
            await _judge_uploads(srv, folder)
        finally:
            srv.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _judge_uploads(srv: LiveServer, folder: Path) -> None:
    target = folder / "upload.bin"
    fits = os.urandom(FITS)
    prepared = form(b"fits.bin", fits)
    peak, r = await peak_allocations(lambda: upload(f"{srv.url}/upload", prepared))
    if r.status in (404, 405):
        raise ExerciseFailed(f"POST /upload answered {r.status}: your app has no route POST /upload yet")
    if srv.errors and "coroutine" in str(srv.errors[-1]):
        raise ExerciseFailed(
            "`file.read(CHUNK)` was called without `await`: UploadFile.read is a coroutine function, so you got a "
            f"coroutine instead of bytes.\n(The original error: {type(srv.errors[-1]).__name__}: {srv.errors[-1]})"
        )
    _crash(srv, "a 6 MB upload", r)
    require(r.status == 200, f"a 6 MB upload (under the limit) should get 200; it got {r.status}: {r.body[:200]!r}")
    require(target.is_file() and target.read_bytes() == fits, "after a 6 MB upload, upload.bin should hold its bytes")
    require(
        peak < FITS // 2,
        f"your code held the whole file in memory: Python's allocations peaked {peak / MB:.1f} MB above the start "
        f"during a {FITS // MB} MB upload. `await file.read()` with no size reads it all; read CHUNK bytes at a time, "
        "in a loop, and write each chunk before reading the next",
    )
    huge = form(b"huge.bin", os.urandom(TOO_BIG))
    peak, declared = await peak_allocations(lambda: upload(f"{srv.url}/upload", huge))
    _crash(srv, "a 12 MB upload", declared)
    require(
        declared.status == 413,
        f"a 12 MB upload (over EX72_MAX, 8 MB) got {declared.status}, not 413: nothing limits the size. Give the "
        "route `max_body_size=EX72_MAX`",
    )
    changed = not target.is_file() or target.stat().st_size != FITS or target.read_bytes() != fits
    require(
        not changed,
        "the 12 MB upload got 413, but only after your code had started to copy it: upload.bin no longer holds the "
        "6 MB file. A count by hand comes too late (FastAPI has received the whole body before your handler runs); "
        "`max_body_size=EX72_MAX` refuses it before your code sees a byte",
    )
    require(
        peak < TOO_BIG // 2,
        f"the 12 MB upload got 413 after your code had read it into memory (a peak of {peak / MB:.1f} MB): check "
        "the size with `max_body_size=EX72_MAX` on the route, not by hand after reading",
    )
    chunked = await upload(f"{srv.url}/upload", huge, declared=False)
    _crash(srv, "a 12 MB chunked upload", chunked)
    require(
        chunked.status == 413,
        f"a 12 MB upload sent chunked (no Content-Length header) got {chunked.status}, not 413: a check of the "
        "Content-Length header is not a limit, a client need not send one. `max_body_size=EX72_MAX` counts the "
        "bytes as they arrive",
    )
    require(target.read_bytes() == fits, "after the refused uploads, upload.bin should still hold the 6 MB file")
    require(not srv.errors, f"your route raised: {describe_error(srv.errors[-1]) if srv.errors else ''}")
    passed(
        "6 MB copied in chunks; 12 MB refused with 413 with its size declared and chunked, upload.bin untouched, "
        "no traceback."
    )
