"""Chapter 06: what the notebook does not show cell by cell.

* the stand-ins: the default upload folder is the user's own (never the system's temporary folder itself, made
  owner-only), and both context managers restore what they changed, also when the block raises;
* the seed's app keeps the interface chapter 07 imports: its three routes, the upload written where the stand-in
  says, under the name the client sent;
* ``log_failures`` logs a failing ``def`` task too, and lets cancellation through: a stopping server still stops
  a guarded task, and the tasks after it never start;
* with no step failing, the failing app runs all three and logs nothing.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from fastapi import BackgroundTasks, FastAPI

from course_app.chapters.ch06_background_tasks import Journal, captured_log, failing, guarded, seed_as_pasted, stand_ins
from course_app.server import LiveServer


def test_the_default_upload_folder_is_the_users_own_and_owner_only() -> None:
    folder = stand_ins.UPLOAD_FOLDER
    assert Path(folder).parent == Path(tempfile.gettempdir()) and folder != tempfile.gettempdir()
    assert Path(folder).is_dir()
    if hasattr(os, "getuid"):
        mode = stat.S_IMODE(os.stat(folder).st_mode)
        assert os.stat(folder).st_uid == os.getuid() and not mode & 0o077, oct(mode)
    with pytest.raises(AttributeError):
        stand_ins.NO_SUCH_THING  # noqa: B018


def test_the_stand_ins_restore_what_they_changed_even_when_the_block_raises(tmp_path: Path) -> None:
    default_folder, default_delay = stand_ins.UPLOAD_FOLDER, stand_ins.CLEANUP_DELAY
    assert default_delay == 60.0, "the seed's own 60 s"
    with pytest.raises(RuntimeError), stand_ins.upload_folder(tmp_path), stand_ins.cleanup_delay(0.1):
        assert (str(tmp_path), 0.1) == (stand_ins.UPLOAD_FOLDER, stand_ins.CLEANUP_DELAY)
        with stand_ins.upload_folder(tmp_path / "inner"):
            assert str(tmp_path / "inner") == stand_ins.UPLOAD_FOLDER
        assert str(tmp_path) == stand_ins.UPLOAD_FOLDER
        raise RuntimeError("the block fails")
    assert (default_folder, default_delay) == (stand_ins.UPLOAD_FOLDER, stand_ins.CLEANUP_DELAY)


def test_the_seed_app_keeps_the_interface_chapter_07_uses(tmp_path: Path) -> None:
    paths = set(seed_as_pasted.app.openapi()["paths"])
    assert paths == {"/send-email", "/users/{user_id}/action", "/upload"}
    with (
        stand_ins.upload_folder(tmp_path),
        stand_ins.cleanup_delay(0.05),
        LiveServer(seed_as_pasted.app, log_level="critical") as srv,
    ):
        r = httpx.post(f"{srv.url}/upload", files={"file": ("notes.txt", b"hello")})
        assert r.json() == {"filename": "notes.txt", "path": f"{tmp_path}/notes.txt"}
        assert (tmp_path / "notes.txt").read_bytes() == b"hello"
        deadline = time.monotonic() + 3
        while (tmp_path / "notes.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not (tmp_path / "notes.txt").exists(), "the cleanup ran after the stand-in's delay"


def _app_with(tasks: list[object], journal: Journal) -> FastAPI:
    app = FastAPI()

    @app.post("/run")
    async def run(background_tasks: BackgroundTasks) -> dict[str, str]:
        for task in tasks:
            background_tasks.add_task(guarded.log_failures(task), journal)  # type: ignore[arg-type]
        return {"status": "scheduled"}

    return app


def test_log_failures_logs_a_failing_def_task_and_the_next_one_runs() -> None:
    journal = Journal()

    def breaks(journal: Journal) -> None:
        with journal.run("def, raises"):
            raise ValueError("a sync task failed")

    def follows(journal: Journal) -> None:
        with journal.run("def, after it"):
            pass

    with (
        LiveServer(_app_with([breaks, follows], journal), log_level="critical") as srv,
        captured_log("course.ch06.tasks") as logged,
    ):
        assert httpx.post(f"{srv.url}/run").status_code == 200
        deadline = time.monotonic() + 3
        while len(journal.finished()) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [(e.name, e.failed) for e in journal.events] == [
        ("def, raises", "ValueError: a sync task failed"),
        ("def, after it", None),
    ]
    assert journal.events[0].loop is None, "a def task ran in a worker thread"
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR and logged[0].exc_info
    assert not srv.errors


def test_log_failures_lets_a_stopping_server_cancel_the_task() -> None:
    journal = Journal()

    async def long(journal: Journal) -> None:
        import asyncio

        with journal.run("long"):
            await asyncio.sleep(5)

    async def never(journal: Journal) -> None:
        with journal.run("after the long one"):
            pass

    srv = LiveServer(_app_with([long, never], journal), log_level="critical", stop_timeout=0.4).start()
    with captured_log("course.ch06.tasks") as logged:
        assert httpx.post(f"{srv.url}/run").status_code == 200
        time.sleep(0.05)
        srv.stop()
    assert [(e.name, (e.failed or "").partition(":")[0]) for e in journal.events] == [("long", "CancelledError")]
    assert not logged, "a cancellation is not a failure to log"


def test_with_no_step_failing_all_three_run() -> None:
    failing.app.state.journal.clear()
    with LiveServer(failing.app, log_level="critical") as srv:
        assert httpx.post(f"{srv.url}/orders/5", params={"fail": "none"}).status_code == 200
        deadline = time.monotonic() + 3
        while len(failing.app.state.journal.finished()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert [e.name for e in failing.app.state.journal.finished()] == list(failing.STEPS)
    assert not srv.errors
