"""Chapter 07's apps: what the notebook does not show cell by cell.

The four download ways and the four export ways give the same bytes; the export's connection goes back to the
pool when a client leaves mid-stream; the name rules, case by case; the upload's edges; the stand-ins.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import HTTPException

from course_app.chapters.ch07_streaming_files import (
    csv_export,
    downloads,
    probes,
    report,
    safe_names,
    sandbox,
    stand_ins,
    uploads,
)
from course_app.chapters.ch07_streaming_files.probes import Sandbox, raw_request
from course_app.chapters.ch07_streaming_files.watch import form, upload, watch
from course_app.server import LiveServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with sandbox() as made:
        yield made


# -- names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", ".", "..", "a/b", "a\\b", "../x", "/abs", "nul\x00.txt", "tab\t.txt", ".hidden", "x" * 256]
)
def test_what_is_not_a_plain_file_name_gets_400(name: str) -> None:
    with pytest.raises(HTTPException) as caught:
        safe_names.plain_name(name)
    assert caught.value.status_code == 400 and "not a plain file name" in str(caught.value.detail)


@pytest.mark.parametrize("name", ["report.csv", "報告.txt", "a b.txt", "x" * 255, "é" * 127, "x..y"])
def test_plain_names_pass(name: str) -> None:
    assert safe_names.plain_name(name) == name


def test_the_255_byte_bound_counts_bytes_not_characters() -> None:
    with pytest.raises(HTTPException):
        safe_names.plain_name("é" * 128)  # 256 bytes in UTF-8


def test_resolve_inside_refuses_links_and_folders(box: Sandbox) -> None:
    assert safe_names.resolve_inside(box.data, "report.csv") == box.data / "report.csv"
    (box.data / "sub").mkdir()
    for name, status in (("link.txt", 404), ("sub", 404), ("missing", 404), ("sub/x", 400)):
        with pytest.raises(HTTPException) as caught:
            safe_names.resolve_inside(box.data, name)
        assert caught.value.status_code == status, name


def test_attachment_names_any_file() -> None:
    assert safe_names.attachment("report.csv") == 'attachment; filename="report.csv"'
    value = safe_names.attachment('報告 "1".txt')
    assert value.isascii() and "filename*=utf-8''%E5%A0%B1%E5%91%8A%20%221%22.txt" in value


# -- downloads --------------------------------------------------------------------------------------------------


async def test_the_four_download_ways_send_the_same_bytes_and_404_first(box: Sandbox) -> None:
    content = os.urandom(300_000)  # not a multiple of any chunk size
    (box.data / "data.bin").write_bytes(content)
    with LiveServer(downloads.build(box.data)) as srv:
        async with httpx.AsyncClient(base_url=srv.url) as client:
            for way in ("file", "async-gen", "sync-gen", "blocking"):
                r = await client.get(f"/{way}/data.bin")
                assert r.status_code == 200 and r.content == content, way
                assert r.headers["content-disposition"] == 'attachment; filename="data.bin"', way
                missing = await raw_request(srv.url, f"/{way}/nope.bin")
                assert missing.status == 404 and missing.complete, way
    assert not srv.errors


def test_the_default_download_folder_is_empty_not_elsewhere() -> None:
    with LiveServer(downloads.app, log_level="critical") as srv:
        assert httpx.get(f"{srv.url}/file/pyproject.toml").status_code == 404


# -- the CSV export ---------------------------------------------------------------------------------------------


async def test_the_four_export_ways_send_the_same_csv(seeded_url: str) -> None:
    app = csv_export.create_app(seeded_url, batch=1000)
    with LiveServer(app) as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as client:
            bodies = {
                way: (await client.get(f"/export/{way}.csv?limit=2500")).content for way in ("cursor", "offset", "all")
            }
            bodies["rows"] = (await client.get("/export/rows.csv?limit=300")).content
    assert bodies["cursor"] == bodies["offset"] == bodies["all"]
    lines = bodies["cursor"].splitlines()
    assert lines[0] == b"id,user_id,status,created_at" and len(lines) == 2501
    assert bodies["rows"].splitlines() == lines[:301]


async def test_a_client_that_leaves_mid_export_gives_its_connection_back(seeded_url: str) -> None:
    """The connection is a dependency with yield (scope "request"): released when the response ends, even cut off."""
    app = csv_export.create_app(seeded_url, batch=100)
    with LiveServer(app) as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as client:
            for _ in range(6):  # more than the pool's 4 connections
                async with client.stream("GET", "/export/cursor.csv") as r:
                    async for _piece in r.aiter_raw():
                        break  # leave after the first piece
            r = await client.get("/export/cursor.csv?limit=5")
        assert r.status_code == 200 and len(r.content.splitlines()) == 6, "a leaked pool would have answered 503"
    assert not srv.errors


async def test_copy_sends_the_same_rows_as_the_cursor_and_a_client_that_leaves_costs_nothing(seeded_url: str) -> None:
    """COPY's CSV differs from Python's csv only in its line ends and timestamps' offsets (+00 against +00:00)."""
    app = csv_export.create_app(seeded_url)
    with LiveServer(app) as srv:
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as client:
            cursor = (await client.get("/export/cursor.csv?limit=2500")).text.splitlines()
            copied = (await client.get("/export/copy.csv?limit=2500")).text.splitlines()
            for _ in range(6):  # more than the pool's 4 connections: each one cut off mid-COPY is replaced
                async with client.stream("GET", "/export/copy.csv") as r:
                    async for _piece in r.aiter_raw():
                        break
            after = await client.get("/export/copy.csv?limit=5")
    assert len(copied) == len(cursor) == 2501 and copied[0] == cursor[0]
    assert [line.replace("+00:00", "+00") for line in cursor] == copied
    assert after.status_code == 200 and len(after.text.splitlines()) == 6
    assert not srv.errors


async def test_an_export_without_a_database_says_so() -> None:
    no_db = csv_export.create_app("")
    no_db.state.database = None
    with LiveServer(no_db) as srv:
        for way in ("cursor", "copy"):
            r = httpx.get(f"{srv.url}/export/{way}.csv")
            assert r.status_code == 503 and "was given none" in r.json()["detail"], way
    with pytest.raises(ValueError, match="batch"):
        csv_export.create_app("postgresql://x/y", batch=0)


async def test_export_limits_are_validated(seeded_url: str) -> None:
    with LiveServer(csv_export.create_app(seeded_url)) as srv:
        for query in ("?limit=0", "?limit=-1", "?limit=abc", f"?limit={10**12}"):
            assert httpx.get(f"{srv.url}/export/cursor.csv{query}").status_code == 422, query


# -- the report and the uploads ---------------------------------------------------------------------------------


async def test_the_report_ends_with_its_marker() -> None:
    with LiveServer(report.app) as srv:
        whole = await watch(f"{srv.url}/report?delay=0")
        bad = httpx.get(f"{srv.url}/report?fail=nothing")
    assert whole.complete and b"report complete: 3 of 3 sections" in whole.body
    assert bad.status_code == 422


async def test_an_upload_replaces_a_file_whole_and_leaves_no_part(box: Sandbox) -> None:
    with LiveServer(uploads.build(box.uploads, max_size=1024 * 1024)) as srv:
        first = await upload(f"{srv.url}/files", form(b"a.bin", b"1" * 1000))
        second = await upload(f"{srv.url}/files", form(b"a.bin", b"2" * 10))
        empty_name = await upload(f"{srv.url}/files", form(b"", b"x"))
        no_file = httpx.post(f"{srv.url}/files", data={"x": "1"})
    assert first.status == second.status == 200
    assert (box.uploads / "a.bin").read_bytes() == b"2" * 10
    assert empty_name.status in (400, 422) and no_file.status_code in (400, 422)
    assert [p.name for p in box.uploads.iterdir()] == ["a.bin"], "no .part file left"
    assert not srv.errors
    with pytest.raises(ValueError, match="max_size"):
        uploads.build(box.uploads, max_size=0)


# -- the stand-ins ----------------------------------------------------------------------------------------------


def test_the_seed_folder_stand_in_does_not_exist_until_set(tmp_path: Path) -> None:
    assert not Path(stand_ins.data()).exists(), "no ../ can climb out of a folder that does not exist"
    with stand_ins.data_folder(tmp_path):
        assert stand_ins.data() == str(tmp_path)
    assert stand_ins.data() != str(tmp_path)


async def test_the_seed_report_stand_in_fails_only_inside_the_block() -> None:
    with stand_ins.failing_section("orders"), pytest.raises(stand_ins.SectionUnavailable):
        await stand_ins.fetch_section_data("orders")
    assert (await stand_ins.fetch_section_data("orders"))["status"] == "ok"


def test_a_sandbox_left_by_a_killed_kernel_is_removed_by_the_next_one() -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    orphan = Path(tempfile.gettempdir()) / f"{probes.SANDBOX_PREFIX}{int(dead.stdout)}-test"
    orphan.mkdir()
    (orphan / "big.bin").write_bytes(b"x" * 1000)
    box = probes.sandbox()
    try:
        assert not orphan.exists(), "the dead kernel's sandbox is gone"
        assert box.root.name.startswith(f"{probes.SANDBOX_PREFIX}{os.getpid()}-") and box.root.exists()
        probes.sandbox().remove()  # a live kernel's sandbox (this one's) stays
        assert box.root.exists()
    finally:
        box.remove()
