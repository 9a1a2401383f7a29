"""Chapter 07: streaming responses and files. One small app per module:

* :mod:`.seed_as_pasted`: the seed's streaming section as written: a download that reads the file with blocking
  calls inside an async generator, a CSV export paged with OFFSET, a report streamed as it is built;
* :mod:`.path_variant`: the seed's download behind the common ``{filename:path}`` route, which reads outside
  its folder;
* :mod:`.downloads`: a folder's files four ways (``FileResponse``, an async generator on ``anyio.open_file``, a
  ``def`` generator, the seed's blocking reads), each name checked before any byte (``build(folder)``);
* :mod:`.csv_export`: a CSV export from PostgreSQL four ways (a server-side cursor in batches, one row at a time,
  OFFSET pages, everything fetched first), the first rows fetched before the response starts
  (``create_app(database, *, query=..., batch=...)``);
* :mod:`.report`: a report streamed section by section, that says when a section failed and ends with a marker;
* :mod:`.uploads`: an upload streamed to disk in chunks, off the loop, with FastAPI's ``max_body_size``
  (``build(folder, *, max_size=...)``).

What they share: :mod:`.safe_names` (a client's name to a file of one folder, or a 400/404 before any byte),
:mod:`.common` (the 503s, and a private copy of the seed rows to measure), :mod:`.probes` (hostile names sent raw, inside a throw-away sandbox), and
:mod:`.stand_ins` (what the seed makes up: its ``/data/`` folder, ``fetch_users_batch``, ``fetch_section_data``).
"""

from .common import DB_ENV, drop_private, private_copy
from .probes import (
    DECOY,
    RawResponse,
    Sandbox,
    download_names,
    multipart,
    probe_downloads,
    probe_uploads,
    raw_request,
    sandbox,
    upload_names,
)
from .safe_names import attachment, plain_name, resolve_inside
from .stand_ins import data_folder, failing_section, section_delay

__all__ = [
    "DB_ENV",
    "DECOY",
    "RawResponse",
    "Sandbox",
    "attachment",
    "data_folder",
    "download_names",
    "drop_private",
    "failing_section",
    "multipart",
    "plain_name",
    "private_copy",
    "probe_downloads",
    "probe_uploads",
    "raw_request",
    "resolve_inside",
    "sandbox",
    "section_delay",
    "upload_names",
]

#: The routes whose failure (a 500, or a 200 whose body breaks off) is what the chapter teaches
#: (tests/test_chapters.py lets them fail), and why.
LESSONS = {
    ("seed_as_pasted", "/download/{filename}"): (
        "the seed opens the file inside the generator: a missing or bad name gets 200 and then a broken body, "
        "a non-Latin-1 name a 500"
    ),
    (
        "seed_as_pasted",
        "/export/users",
    ): "the seed sends its CSV header before its first query: no database, a broken body",
    ("path_variant", "/download/{filename}"): "the {filename:path} variant: it reads outside its folder",
}

#: For the instructor guide (``python3 run.py guide``), by the notebook's own headings (tests/test_guide.py checks
#: that each still exists): where a pause fits, what to show live, and what a shared hub should know.
INSTRUCTOR = {
    "breaks": {
        "Uploads: streamed to disk, with a size limit": (
            "downloads, the CSV export and the report are done; uploads and file names follow. A natural break."
        ),
    },
    "live": {
        "Large downloads: a blocking read inside an async generator": (
            "before running the cell, ask the room whether an `async def` generator can block the server. Then read "
            "the ping times: the seed's download holds the loop, because `await send(...)` returns at once while the "
            "socket takes the bytes: the generator never really waits."
        ),
        "Safe file names": (
            "read the table row by row. The seed's `{filename}` refuses `/` by luck of the router; the symbolic link "
            "and the `{filename:path}` variant read the decoy, and the seed's upload writes outside its folder."
        ),
    },
    "hub": [
        "the traversal probes and the downloads run in a throw-away folder of the system's temporary folder "
        "(course-ch07-sandbox-PID-*, about 35 MB, removed at the end of the notebook and at kernel exit, and, "
        "for a kernel that was killed, by the next kernel that runs the chapter): nothing outside it is read or "
        "written.",
        "the download and upload cells move about 150 MB through loopback and 20 MB of files on disk per run.",
    ],
}
