"""P5 streaming: a 1 GiB download, a CSV export of 1,000,000 rows, and a 1 GiB upload (chapter 07's apps).

Each server runs in a process of its own (:class:`.process_server.ProcessServer`), so that the memory it grows
by is its own and not the client's; the client is httpx in this process, reading and discarding.

* **download**: the same 1 GiB file through chapter 07's ``downloads`` app, with ``FileResponse``
  (``/file/{name}``) and with the fixed async generator (``/async-gen/{name}``). The figure is the server's
  resident memory at its peak during the transfer minus before it (sampled every 10 ms with psutil), and the
  transfer rate. The file is sparse (made with ``truncate``): reading it costs no disk, and the server's memory
  is what is measured.
* **export**: chapter 07's ``csv_export`` app over a table of 1,000,000 rows shaped like the seed's orders, by
  its two streamed routes: ``/export/copy.csv`` (PostgreSQL writes the CSV, the app passes it on) and
  ``/export/cursor.csv`` (a server-side cursor, batches of 5,000, Python's csv), against PostgreSQL's own
  ``COPY (query) TO STDOUT WITH CSV`` of the same query read straight from the database with asyncpg's
  ``copy_from_query``: rows per second of each, the ratios, and the server's memory growth. The target (at
  least half of COPY's throughput) is the COPY route's. On a throw-away PostgreSQL (never the learner's).
* **upload**: chapter 07's ``uploads`` app (``POST /files``: streamed to disk in chunks, size-limited) receiving a 1 GiB
  multipart upload from httpx, against copying the same file to disk directly in this process (``shutil``):
  the time of each, the ratio, and the server's memory growth.

Without a PostgreSQL the course can start, the export rows are skipped, saying why.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from .core import Figure, Measured, Mode, Plan, Row, Target, measure_rows, own_postgres_unavailable, rounded
from .process_server import MemoryWatch, ProcessServer

GROUP = "P5"
TITLE = "streaming: a 1 GiB download, a CSV export of 1,000,000 rows, a 1 GiB upload"
ORDER = 45

MIB = 1024 * 1024
DOWNLOADS = "course_app.chapters.ch07_streaming_files.downloads:build"
EXPORTS = "course_app.chapters.ch07_streaming_files.csv_export:create_app"
UPLOADS = "course_app.chapters.ch07_streaming_files.uploads:build"
TABLE = "p5_orders"
QUERY = f"SELECT id, user_id, status, created_at FROM {TABLE} ORDER BY id"
BATCH = 5000  # rows per fetch of the cursor route
TIMEOUT = httpx.Timeout(120.0)


@dataclass(frozen=True)
class Settings:
    file_mib: int = 1024  # the download and the upload
    rows: int = 1_000_000  # the export
    rounds: int = 3  # of each measurement; the median is kept

    def __post_init__(self) -> None:
        if min(self.file_mib, self.rows, self.rounds) < 1:
            raise ValueError(f"P5 needs a positive file size, row count and rounds: {self}")


SETTINGS: dict[Mode, Settings] = {
    "full": Settings(),
    "smoke": Settings(file_mib=16, rows=20_000, rounds=1),
}

MEMORY_TARGET = Target("<=", 32.0)  # MiB: the bound on a streamed download
EXPORT_TARGET = Target(">=", 0.5)  # of COPY's throughput


def download_rows(s: Settings) -> list[Row]:
    size = f"{s.file_mib} MiB"
    return [
        Row("P5.download.file.memory", f"{size} download, FileResponse: server memory growth", "MiB", MEMORY_TARGET,
            zero_ok=True),
        Row("P5.download.file.rate", f"{size} download, FileResponse: rate", "MiB/s"),
        Row("P5.download.generator.memory", f"{size} download, async generator: server memory growth", "MiB",
            MEMORY_TARGET, zero_ok=True),
        Row("P5.download.generator.rate", f"{size} download, async generator: rate", "MiB/s"),
    ]  # fmt: skip


def export_rows(s: Settings) -> list[Row]:
    n = f"{s.rows:,} rows"
    return [
        Row("P5.export.direct.rate", f"COPY ... TO STDOUT of {n}, read by asyncpg straight from PostgreSQL", "rows/s"),
        Row("P5.export.copy.rate", f"CSV export of {n} over HTTP, COPY streamed by the app", "rows/s"),
        Row("P5.export.copy.ratio", "the COPY route's throughput ÷ COPY read directly", "x", EXPORT_TARGET),
        Row("P5.export.copy.memory", f"the COPY route, {n}: server memory growth", "MiB", zero_ok=True),
        Row("P5.export.cursor.rate", f"CSV export of {n} over HTTP, server-side cursor + Python's csv", "rows/s"),
        Row("P5.export.cursor.ratio", "the cursor route's throughput ÷ COPY read directly", "x"),
        Row("P5.export.cursor.memory", f"the cursor route, {n}: server memory growth", "MiB", zero_ok=True),
    ]


def upload_rows(s: Settings) -> list[Row]:
    size = f"{s.file_mib} MiB"
    return [
        Row("P5.upload.memory", f"{size} upload, streamed to disk: server memory growth", "MiB", zero_ok=True),
        Row("P5.upload.time", f"{size} upload over HTTP, until the answer", "s"),
        Row("P5.upload.direct", f"the same {size} copied to disk directly (shutil)", "s"),
        Row("P5.upload.ratio", "the upload's time ÷ the direct copy's", "x"),
    ]


def measure(plan: Plan) -> list[Figure]:
    s = SETTINGS[plan.mode]
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="course-p5-") as tmp:
        folder = Path(tmp)
        source = folder / "big.bin"
        with open(source, "wb") as f:
            f.truncate(s.file_mib * MIB)  # sparse: the bytes cost no disk and read as zeros
        figures += measure_rows(download_rows(s), lambda: _downloads(folder, source.name, s))
        figures += _exports(s)
        figures += measure_rows(upload_rows(s), lambda: _uploads(folder, source, s))
    return figures


def _download(srv: ProcessServer, path: str, expected: int) -> tuple[float, float]:
    """Memory growth (MiB) and rate (MiB/s) of one download, read in 1 MiB pieces and dropped."""
    with httpx.Client(base_url=srv.url, timeout=TIMEOUT) as client:
        client.get("/ping").raise_for_status()
        received = 0
        with MemoryWatch(srv.rss) as watch:
            started = time.perf_counter()
            with client.stream("GET", path) as r:
                r.raise_for_status()
                for chunk in r.iter_raw(MIB):
                    received += len(chunk)
            seconds = time.perf_counter() - started
    if received != expected:
        raise RuntimeError(f"{path}: received {received} bytes of {expected}")
    return watch.growth / MIB, received / MIB / seconds


def _downloads(folder: Path, name: str, s: Settings) -> list[Measured]:
    size = s.file_mib * MIB
    out: list[Measured] = []
    with ProcessServer(DOWNLOADS, folder=str(folder)) as srv:
        for way in ("file", "async-gen"):
            samples = [_download(srv, f"/{way}/{name}", size) for _ in range(s.rounds)]
            memory, rate = [m for m, _ in samples], [r for _, r in samples]
            details: dict[str, Any] = {"bytes": size, "route": f"/{way}/{{name}}", "rounds": s.rounds}
            note = f"largest of {s.rounds}; growth = peak RSS - RSS before, the server in its own process"
            out += [
                (max(memory), {**details, "samples": rounded(memory)}, note),
                (statistics.median(rate), {**details, "samples": rounded(rate)}, f"median of {s.rounds}"),
            ]
    return out


# -- the export --------------------------------------------------------------------------


def _exports(s: Settings) -> list[Figure]:
    rows = export_rows(s)
    why_not = own_postgres_unavailable()
    if why_not:
        return [row.skipped(why_not) for row in rows]
    return measure_rows(rows, lambda: _measure_export(s))


def _measure_export(s: Settings) -> list[Measured]:
    from course_app.chapters import ch04_pooling as ch04

    with ch04.throwaway_postgres(max_connections=20) as pg:
        asyncio.run(_make_table(pg.url, s.rows))
        rates: dict[str, list[float]] = {"direct": [], "copy": [], "cursor": []}
        memory: dict[str, list[float]] = {"copy": [], "cursor": []}
        with ProcessServer(EXPORTS, database=pg.url, query=QUERY, batch=BATCH) as srv:
            for _ in range(s.rounds):
                rates["direct"].append(asyncio.run(_copy_rate(pg.url, s.rows)))
                for way in ("copy", "cursor"):
                    rate, growth = _export_once(srv, way, s.rows)
                    rates[way].append(rate)
                    memory[way].append(growth)
    ratios = {way: [r / d for r, d in zip(rates[way], rates["direct"], strict=True)] for way in ("copy", "cursor")}
    details = {"rows": s.rows, "rounds": s.rounds, "batch": BATCH, "query": QUERY}
    note = f"median of {s.rounds} rounds, each: direct COPY, the COPY route, the cursor route"

    def median(values: list[float], digits: int = 1) -> Measured:
        return statistics.median(values), {**details, "samples": rounded(values, digits)}, note

    def largest(values: list[float]) -> Measured:  # memory: the worst round, the first one's growth included
        return max(values), {**details, "samples": rounded(values)}, f"largest of {s.rounds} rounds"

    return [
        median(rates["direct"]),
        median(rates["copy"]),
        median(ratios["copy"], 4),
        largest(memory["copy"]),
        median(rates["cursor"]),
        median(ratios["cursor"], 4),
        largest(memory["cursor"]),
    ]


async def _make_table(url: str, rows: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await conn.execute(
            f"CREATE TABLE {TABLE} AS SELECT g AS id, g % 1000 + 1 AS user_id,"
            " (ARRAY['pending','paid','shipped','cancelled'])[g % 4 + 1] AS status,"
            " timestamptz '2024-01-01 00:00:00+00' + g * interval '17 seconds' AS created_at"
            " FROM generate_series(1, $1::int) AS g",
            rows,
        )
        await conn.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        await conn.execute(f"VACUUM ANALYZE {TABLE}")
    finally:
        await conn.close()


def _export_once(srv: ProcessServer, way: str, rows: int) -> tuple[float, float]:
    """Rows per second of one export over HTTP (``/export/<way>.csv``), and the server's memory growth in MiB."""
    with httpx.Client(base_url=srv.url, timeout=TIMEOUT) as client:
        client.get(f"/export/{way}.csv", params={"limit": 1}).raise_for_status()  # the pool is open and warm
        lines = 0
        with MemoryWatch(srv.rss) as watch:
            started = time.perf_counter()
            with client.stream("GET", f"/export/{way}.csv") as r:
                r.raise_for_status()
                for chunk in r.iter_raw(MIB):
                    lines += chunk.count(b"\n")
            seconds = time.perf_counter() - started
    if lines != rows + 1:  # the header
        raise RuntimeError(f"the {way} export sent {lines} lines, not {rows} rows and a header")
    return rows / seconds, watch.growth / MIB


async def _copy_rate(url: str, rows: int) -> float:
    conn = await asyncpg.connect(url)
    lines = 0

    async def sink(data: bytes) -> None:
        nonlocal lines
        lines += data.count(b"\n")

    try:
        started = time.perf_counter()
        await conn.copy_from_query(QUERY, output=sink, format="csv")
        seconds = time.perf_counter() - started
    finally:
        await conn.close()
    if lines != rows:
        raise RuntimeError(f"COPY sent {lines} lines, not {rows}")
    return rows / seconds


# -- the upload --------------------------------------------------------------------------


def _uploads(folder: Path, source: Path, s: Settings) -> list[Measured]:
    size = source.stat().st_size
    target = folder / "uploads"
    target.mkdir()
    memory, uploaded, direct = [], [], []
    with ProcessServer(UPLOADS, folder=str(target), max_size=size + MIB) as srv:
        for _ in range(s.rounds):
            growth, seconds = _upload_once(srv, source, target)
            memory.append(growth)
            uploaded.append(seconds)
            direct.append(_direct_copy(source, folder / "direct.bin"))
    ratios = [u / d for u, d in zip(uploaded, direct, strict=True)]
    details = {"bytes": size, "rounds": s.rounds}
    note = f"median of {s.rounds}, upload and direct copy alternating"
    return [
        (max(memory), {**details, "samples": rounded(memory)}, f"largest of {s.rounds}"),
        (statistics.median(uploaded), {**details, "samples": rounded(uploaded)}, note),
        (statistics.median(direct), {**details, "samples": rounded(direct)}, note),
        (statistics.median(ratios), {**details, "samples": rounded(ratios)}, "median of the rounds' ratios"),
    ]


def _upload_once(srv: ProcessServer, source: Path, target: Path) -> tuple[float, float]:
    for old in target.iterdir():
        old.unlink()
    with (
        httpx.Client(base_url=srv.url, timeout=TIMEOUT) as client,
        open(source, "rb") as f,
        MemoryWatch(srv.rss) as watch,
    ):
        started = time.perf_counter()
        r = client.post("/files", files={"file": ("big.bin", f, "application/octet-stream")})
        seconds = time.perf_counter() - started
    r.raise_for_status()
    written = sum(p.stat().st_size for p in target.iterdir())
    if written != source.stat().st_size:
        raise RuntimeError(f"the upload wrote {written} bytes of {source.stat().st_size}")
    return watch.growth / MIB, seconds


def _direct_copy(source: Path, to: Path) -> float:
    started = time.perf_counter()
    with open(source, "rb") as src, open(to, "wb") as dst:
        shutil.copyfileobj(src, dst, MIB)
    seconds = time.perf_counter() - started
    to.unlink()
    return seconds
