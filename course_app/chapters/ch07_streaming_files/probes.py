"""Traversal probes: hostile file names sent byte for byte, inside a throw-away sandbox folder.

Every probe stays inside a sandbox (``tempfile.mkdtemp``): the served or upload folder is four levels down
(``sandbox/a/b/c/data``), so a ``../`` name lands in the sandbox; the "absolute" probe names the sandbox's own
path; the file a traversal reads is a decoy made here (``sandbox/decoy.txt``). Nothing outside is read or
written. :meth:`Sandbox.remove` (also at interpreter exit) deletes it all.

httpx (like every browser) removes ``..`` segments from a URL before sending it, which hides the attack; so the
requests here go out raw, with h11, exactly as written: what a hostile client sends.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import h11

from ...embedded import pid_alive

DECOY = b"the decoy: a file OUTSIDE the served folder\n"
DEPTH = 4  # folders from the served folder up to the sandbox: sandbox/a/b/c/<folder>


@dataclass
class Sandbox:
    """A throw-away folder: ``data`` and ``uploads`` four levels down, a decoy at the top."""

    root: Path
    data: Path
    uploads: Path
    decoy: Path

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def files_outside(self, folder: Path) -> set[Path]:
        """Every file of the sandbox that is not under ``folder`` (nor the decoy, nor the data folder)."""
        return {
            p
            for p in self.root.rglob("*")
            if p.is_file() and not p.is_relative_to(folder) and not p.is_relative_to(self.data) and p != self.decoy
        }


SANDBOX_PREFIX = "course-ch07-sandbox-"  # + the kernel's pid + "-": a sandbox whose kernel is gone is removed


def sandbox() -> Sandbox:
    """A new sandbox, with a file and a symbolic link out of the data folder to probe with.

    It is removed at the end of the notebook and at the kernel's exit; one left by a kernel that was killed
    (``kill -9``, a hub's culler) is removed here, the next time any kernel makes one.
    """
    _remove_orphans()
    root = Path(tempfile.mkdtemp(prefix=f"{SANDBOX_PREFIX}{os.getpid()}-")).resolve()
    deep = root / "a" / "b" / "c"
    box = Sandbox(root, deep / "data", deep / "uploads", root / "decoy.txt")
    box.data.mkdir(parents=True)
    box.uploads.mkdir(parents=True)
    box.decoy.write_bytes(DECOY)
    (box.data / "report.csv").write_text("id,name\n1,Ada\n")
    (box.data / "報告.txt").write_text("a report with a non-ASCII name\n")
    (box.data / "link.txt").symlink_to(box.decoy)
    atexit.register(box.remove)
    return box


def _remove_orphans() -> None:
    """Sandboxes of this user whose kernel (the pid in their name) no longer runs (POSIX: pid_alive cannot tell
    on Windows, where a sandbox is left to the system's temporary-file cleanup)."""
    if os.name == "nt":
        return
    for folder in Path(tempfile.gettempdir()).glob(f"{SANDBOX_PREFIX}*-*"):
        pid = folder.name[len(SANDBOX_PREFIX) :].partition("-")[0]
        try:
            ours = not folder.is_symlink() and folder.stat().st_uid == os.getuid()
        except OSError:  # the folder just went
            continue
        if ours and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def download_names(box: Sandbox) -> dict[str, str]:
    """What to put after the route's prefix, already URL-encoded where the label says so, sent as is."""
    up = "../" * DEPTH
    return {
        "a file of the folder": "report.csv",
        "missing": "no-such-file.csv",
        "../ (raw)": f"{up}decoy.txt",
        "../ encoded": up.replace("/", "%2F").replace("..", "%2E%2E") + "decoy.txt",
        "../ double-encoded": up.replace("/", "%252F") + "decoy.txt",
        "absolute": quote(str(box.decoy), safe=""),
        "NUL": "report.csv%00.png",
        "very long": "x" * 300 + ".csv",
        "non-ASCII": quote("報告.txt"),
        "symlink out": "link.txt",
    }


def upload_names(box: Sandbox) -> dict[str, bytes]:
    """The file names to upload, as raw bytes of the multipart header (no client rewrites them)."""
    return {
        "plain": b"notes.txt",
        "../ (raw)": b"../" * DEPTH + b"escaped.txt",
        "absolute": str(box.root / "absolute.txt").encode(),
        "../ encoded": b"..%2F" * DEPTH + b"encoded.txt",
        "NUL": b"nul.txt\x00.png",
        "very long": b"x" * 300 + b".txt",
        "non-ASCII": "報告.txt".encode(),
    }


@dataclass
class RawResponse:
    """What came back: the status (None: none), the body as far as it came, and whether it came whole."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    complete: bool = False
    error: str = ""

    def describe(self, decoy: bytes = DECOY) -> str:
        if self.status is None:
            return "no response at all: the connection closed before a status line"
        if self.status == 200 and not self.complete:
            return f"200, then the body broke off after {len(self.body)} bytes"
        if decoy in self.body:
            return f"{self.status}: THE DECOY, read from outside the folder"
        return f"{self.status} {self.body[:70].decode(errors='replace')}"


async def raw_request(
    base_url: str,
    target: str | bytes,
    method: str = "GET",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    timeout: float = 10.0,
) -> RawResponse:
    """Send one request with ``target`` exactly as given (no normalisation) and read the answer with h11."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    conn = h11.Connection(h11.CLIENT)
    sent = [("host", f"{host}:{port}"), ("connection", "close"), *(headers or [])]
    if body or method != "GET":
        sent.append(("content-length", str(len(body))))
    raw_target = target.encode() if isinstance(target, str) else target
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    result = RawResponse(None)
    try:
        data = conn.send(h11.Request(method=method, target=raw_target, headers=sent))
        data += conn.send(h11.Data(data=body)) if body else b""
        data += conn.send(h11.EndOfMessage())
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(timeout):
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Response):
                    result.status = event.status_code
                    result.headers = {k.decode(): v.decode("latin-1") for k, v in event.headers}
                elif isinstance(event, h11.Data):
                    result.body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    result.complete = True
                    return result
                elif isinstance(event, h11.ConnectionClosed):
                    result.error = "closed"
                    return result
    except (h11.RemoteProtocolError, OSError, TimeoutError) as exc:
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()
    return result


def multipart(filename: bytes, content: bytes, field_name: str = "file") -> tuple[str, bytes]:
    """(content type, body) of a multipart form with one file, the file name sent byte for byte."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="'.encode()
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    return f"multipart/form-data; boundary={boundary}", head + content + f"\r\n--{boundary}--\r\n".encode()


async def probe_downloads(base_url: str, prefix: str, names: dict[str, str]) -> dict[str, RawResponse]:
    """GET ``prefix + name`` for each probe, raw."""
    return {label: await raw_request(base_url, prefix + name) for label, name in names.items()}


@dataclass
class UploadOutcome:
    response: RawResponse
    landed: list[Path]  # where the probe's bytes were written, if anywhere

    def describe(self, box: Sandbox, folder: Path) -> str:
        where = []
        for path in self.landed:
            inside = path.is_relative_to(folder)
            where.append(f"{'inside' if inside else 'OUTSIDE the folder'}: {path.relative_to(box.root)}")
        status = self.response.status if self.response.status is not None else "no answer"
        return f"{status}; " + ("; ".join(where) if where else "nothing written")


async def probe_uploads(
    base_url: str, path: str, names: dict[str, bytes], box: Sandbox, folder: Path
) -> dict[str, UploadOutcome]:
    """POST one upload per probe name, each with content of its own, and find where each one landed."""
    outcomes = {}
    for label, filename in names.items():
        content = f"probe {label} {uuid.uuid4().hex}\n".encode()
        content_type, body = multipart(filename, content)
        response = await raw_request(base_url, path, "POST", [("content-type", content_type)], body)
        landed = [p for p in box.root.rglob("*") if p.is_file() and not p.is_symlink() and _holds(p, content)]
        outcomes[label] = UploadOutcome(response, landed)
    return outcomes


def _holds(path: Path, content: bytes) -> bool:
    try:
        return path.stat().st_size == len(content) and path.read_bytes() == content
    except OSError:
        return False
