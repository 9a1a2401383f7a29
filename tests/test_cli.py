"""``python -m course_app``: clear errors for bad input, never a traceback; ``serve`` stops cleanly on a signal."""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from course_app import cli
from course_app.chapters import apps_of, chapter
from course_app.cli import main, services_needed
from course_app.server import LiveServer

ROOT = Path(__file__).resolve().parent.parent
posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals (Windows has no SIGTERM to catch)")


def test_doctor_without_database_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--no-database"]) == 0
    out = capsys.readouterr().out
    assert "live server" in out and "thread pool" in out and "40 worker threads" in out
    assert "all essential checks passed" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "99"], "no chapter 'ch99'; the chapters are: ch00_welcome"),
        (["serve", "00", "--app", "nope"], "has no app 'nope'; its apps are: "),  # then the chapter's apps
        (["serve", "01"], "apps; choose one with --app: "),  # chapter 01 has several
        (["serve", "01", "--app", "common"], "has no app 'common'; its apps are: "),  # a module, but not an app
    ],
)
def test_serve_bad_input_is_a_clear_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "99"], "error: no chapter 'ch99'; the chapters are: ch00_welcome, ch01_async_vs_sync"),
        (["serve", "01", "--app", "nope"], "error: course_app.chapters.ch01_async_vs_sync has no app 'nope'"),
        (["serve", "01", "--port", "70000"], "a port is from 0 to 65535"),
        (["serve", "01", "--port", "http"], "not a port number: 'http'"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_bad_input_as_a_learner_types_it_is_one_clear_line(argv: list[str], message: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "course_app", *argv], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    if argv[0] == "serve" and "--port" not in argv:  # argparse's own errors add a usage line before theirs
        assert out.stderr.strip().count("\n") == 0, out.stderr


@pytest.mark.parametrize("command", [None, "doctor", "learner", "lab", "serve"])
def test_help_is_plain_text(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"] if command else ["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m course_app")
    assert "``" not in out and ":mod:" not in out, out


def test_learner_edition_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["learner", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert "00_welcome.ipynb" in written
    assert "### BEGIN SOLUTION" not in (tmp_path / "00_welcome.ipynb").read_text()
    assert main(["learner", "--out", str(tmp_path)]) == 0
    assert "kept your own copies" in capsys.readouterr().out


# -- what a served app needs -------------------------------------------------------------------------------


def test_services_needed_are_found_for_the_apps_that_take_one() -> None:
    ch01 = chapter("01")
    apps_of(ch01)  # imports every app module
    for name in ("seed_fixed", "shared_client"):  # both take create_app(upstream), and read COURSE_UPSTREAM_URL
        needed = services_needed(sys.modules[f"{ch01.__name__}.{name}"])
        assert list(needed) == ["COURSE_UPSTREAM_URL"]
        assert "serve 01 --app upstream" in needed["COURSE_UPSTREAM_URL"]
    for name in ("process_pool", "upstream", "loop_blockers", "seed_as_pasted", "wide_pool"):
        assert services_needed(sys.modules[f"{ch01.__name__}.{name}"]) == {}, name
    ch00 = chapter("00")
    apps_of(ch00)
    assert services_needed(sys.modules[f"{ch00.__name__}.hello"]) == {}


def test_a_module_can_declare_what_it_needs() -> None:
    module = types.ModuleType("fake_app")
    module.NEEDS = {"COURSE_CACHE_URL": "a cache: serve 09 --app cache", "NOT_A_URL": "ignored"}  # type: ignore[attr-defined]
    assert services_needed(module) == {"COURSE_CACHE_URL": "a cache: serve 09 --app cache"}


# -- serve as a real process -------------------------------------------------------------------------------


@dataclass
class Served:
    """A ``serve`` process started by a test: its handle, the URL it printed, what it printed before."""

    proc: subprocess.Popen[str]
    url: str
    stdout: list[str] = field(default_factory=list)
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def rest_of_stdout(self, timeout: float = 10.0) -> str:
        """Everything it printed, once it has exited."""
        self.proc.wait(timeout)
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if line == "":  # end of file
                return "".join(self.stdout)
            self.stdout.append(line)


@contextmanager
def served(argv: list[str], env: dict[str, str] | None = None, start_timeout: float = 90.0) -> Iterator[Served]:
    """Start ``argv`` (a command that serves an app), wait for the URL it prints, kill it at the end if it runs.

    Its standard error is merged into its output (uvicorn logs there). ``COURSE_UPSTREAM_URL`` is unset unless
    ``env`` sets it. The process leads a session of its own, so a test can signal its whole group (as Ctrl-C does).
    """
    full = dict(os.environ)
    full.pop("COURSE_UPSTREAM_URL", None)
    full.update(env or {})
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=full, start_new_session=True
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + start_timeout
        url = None
        while url is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no URL within {start_timeout:g} s; it printed:\n{''.join(seen)}") from None
            if line == "":
                raise AssertionError(f"it exited ({proc.wait()}) before serving; it printed:\n{''.join(seen)}")
            seen.append(line)
            match = re.search(r" at (http://127\.0\.0\.1:\d+) ", line)
            url = match.group(1) if match else None
        yield Served(proc, url, seen, lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if sys.platform != "win32":  # and whatever it started in its session (run.py's serve, a pool's workers)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        reader.join(10)  # it has read to the end of the output: close the pipe (a ResourceWarning otherwise)
        if proc.stdout is not None:
            proc.stdout.close()


def _wait_for_ping(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.get(f"{url}/ping", timeout=5)
            assert response.json() == {"pong": True}
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@posix_signals
@pytest.mark.slow
def test_serve_stops_cleanly_on_sigterm_and_its_pool_is_gone() -> None:
    psutil = pytest.importorskip("psutil")  # installed with ipykernel (and pgserver)
    with served([sys.executable, "-m", "course_app", "serve", "01", "--app", "process_pool"]) as srv:
        _wait_for_ping(srv.url)
        assert httpx.get(f"{srv.url}/cpu", timeout=30).json()["pid"] != srv.proc.pid  # computed in a worker
        children = psutil.Process(srv.proc.pid).children(recursive=True)
        assert len(children) >= 2  # the pool's two workers (and multiprocessing's resource tracker)
        try:
            srv.proc.send_signal(signal.SIGTERM)
            try:
                code = srv.proc.wait(timeout=20)  # a bound on a hang, not a speed target
            except subprocess.TimeoutExpired:
                pytest.fail("serve was still running 20 s after SIGTERM")
            assert code == 0
            out = srv.rest_of_stdout()
            assert "Application shutdown complete" in out  # the lifespan's shutdown ran: pool.shutdown()
            assert "stopped course_app.chapters.ch01_async_vs_sync:process_pool" in out
            assert "Traceback" not in out
            gone, alive = psutil.wait_procs(children, timeout=10)
            assert not alive, f"still running after serve exited: {alive}"
        finally:
            for child in children:  # whatever the outcome, leave no worker behind
                if child.is_running():
                    child.kill()


@pytest.mark.slow
def test_served_app_without_its_upstream_says_what_it_needs() -> None:
    with served([sys.executable, "-m", "course_app", "serve", "01", "--app", "seed_fixed"]) as srv:
        said = "".join(srv.stdout)
        assert "COURSE_UPSTREAM_URL is not set" in said and "serve 01 --app upstream" in said
        _wait_for_ping(srv.url)
        response = httpx.get(f"{srv.url}/io-intensive", timeout=10)
        assert response.status_code == 503
        assert "COURSE_UPSTREAM_URL" in response.json()["detail"]


@pytest.mark.slow
def test_served_app_with_its_upstream_set_calls_it() -> None:
    with LiveServer(apps_of(chapter("01"))["upstream"]) as upstream:
        argv = [sys.executable, "-m", "course_app", "serve", "01", "--app", "seed_fixed"]
        with served(argv, env={"COURSE_UPSTREAM_URL": upstream.url}) as srv:
            assert f"COURSE_UPSTREAM_URL={upstream.url}" in "".join(srv.stdout)
            _wait_for_ping(srv.url)
            response = httpx.get(f"{srv.url}/io-intensive", params={"delay": 0}, timeout=10)
            assert response.status_code == 200 and response.json()["data"] == [1, 2, 3]


def test_port_must_be_a_port() -> None:
    from course_app.cli import _port

    assert _port("0") == 0 and _port("8000") == 8000
    for bad in ("-1", "65536", "eighty"):
        with pytest.raises(argparse.ArgumentTypeError):
            _port(bad)


@pytest.mark.skipif(os.name != "posix", reason="exec is POSIX only")
def test_lab_becomes_jupyterlab_so_that_signals_reach_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A SIGTERM to run.py lab reaches the process it runs: that must be JupyterLab, not a parent of it."""
    calls: list[list[str]] = []

    def execv(path: str, argv: list[str]) -> None:
        calls.append(argv)
        raise SystemExit(0)

    monkeypatch.setattr(os, "execv", execv)
    monkeypatch.setattr(cli, "project_root", lambda: ROOT)
    with pytest.raises(SystemExit):
        main(["lab", "--instructor", "--no-browser"])
    (argv,) = calls
    assert argv[1:4] == ["-m", "jupyter", "lab"] and "--ServerApp.ip=127.0.0.1" in argv
