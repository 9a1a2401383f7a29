"""Worker processes go away with their parent, however it died (course_app.lifeline).

Each test starts a real Python process that runs a process pool (the chapter's app in a LiveServer, a pool built
the way a learner builds it in exercise 1.3, or ``python -m course_app serve``), kills it with SIGKILL as a
JupyterHub culler or the OOM killer would, and checks that every process it started (workers, the resource
tracker, a fork server) is gone within a bound, and that nothing holds its stdout open any more.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import select
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from course_app import lifeline
from course_app.chapters.ch01_async_vs_sync import common as ch01

psutil = pytest.importorskip("psutil")  # a dependency of pgserver

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and reparenting are POSIX behaviours"),
]

ROOT = Path(__file__).resolve().parents[1]
START_BOUND = 60.0  # seconds for a child to start its pool (spawned workers import FastAPI on 2 shared cores)
GONE_BOUND = 10.0  # seconds for every descendant to go once the parent is killed


# -- the children ------------------------------------------------------------------------------------------------

CHAPTER_POOL = """
    import json, os, time
    from course_app.chapters.ch01_async_vs_sync import process_pool
    from course_app.server import LiveServer

    srv = LiveServer(process_pool.app).start()  # the lifespan starts and warms the workers
    print(json.dumps({"ready": True, "url": srv.url}), flush=True)
    time.sleep(600)
"""

LEARNER_POOL = """
    import json, multiprocessing, sys, time
    from concurrent.futures import ProcessPoolExecutor
    from course_app.chapters import ch01_async_vs_sync as ch01

    method = sys.argv[1]
    pool = ProcessPoolExecutor(max_workers=2, mp_context=None if method == "default" else multiprocessing.get_context(method))
    jobs = [pool.submit(ch01.cpu_work, 200_000) for _ in range(4)]
    print(json.dumps({"ready": True, "pids": sorted({job.result()["pid"] for job in jobs})}), flush=True)
    time.sleep(600)
"""


@dataclass
class Child:
    """A Python process with stdout on a pipe (what a CI step reads) and stderr in a file."""

    proc: subprocess.Popen[bytes]
    err: IO[str]
    seen: list[psutil.Process] = field(default_factory=list)  # the processes it started, for the clean-up

    def read_until(self, marker: bytes, bound: float = START_BOUND) -> bytes:
        """What it printed up to the first chunk that holds ``marker``; fails after ``bound`` seconds."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        out = b""
        deadline = time.monotonic() + bound
        while marker not in out:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                self.err.seek(0)
                why = "exited" if ready else f"printed nothing new within {bound:g} s"
                pytest.fail(f"the child {why} before {marker!r}; stdout: {out!r}\nstderr:\n{self.err.read()[-3000:]}")
            out += chunk
        return out

    def started(self) -> list[psutil.Process]:
        """Every process it started and that still runs (workers, resource tracker, fork server)."""
        found = _descendants(self.proc.pid)
        self.seen += found
        return found

    def kill_and_check(self, processes: list[psutil.Process], sig: int = signal.SIGKILL) -> None:
        """Send ``sig``: every one of ``processes`` must be gone within GONE_BOUND seconds, and stdout must
        reach EOF (no orphan holds it open)."""
        assert self.proc.stdout is not None
        os.kill(self.proc.pid, sig)
        self.proc.wait(GONE_BOUND)
        deadline = time.monotonic() + GONE_BOUND
        while any(alive(p) for p in processes) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [f"{p.pid} {' '.join(p.cmdline())[:100]}" for p in processes if alive(p)]
        assert not left, f"still running {GONE_BOUND:g} s after their parent died: {left}"
        fd = self.proc.stdout.fileno()
        while True:  # drain what is left; an orphan holding the pipe would keep it from EOF
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"stdout is still open {GONE_BOUND:g} s after the parent died: something holds it"
            if not os.read(fd, 65536):
                break


@contextlib.contextmanager
def child(args: list[str]) -> Iterator[Child]:
    """A :class:`Child` running ``python *args``; killed and reaped, with every process it started (by their
    own pids), whatever happens."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, cwd=ROOT
        )
        c = Child(proc, err)
        try:
            yield c
        finally:
            for p in [*c.seen, *_descendants(proc.pid)]:
                with contextlib.suppress(psutil.Error):
                    p.kill()
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
            assert proc.stdout is not None
            proc.stdout.close()


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return list(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def alive(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def is_tracker(p: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return "resource_tracker" in " ".join(p.cmdline())
    return False


# -- the tests ---------------------------------------------------------------------------------------------------


def test_the_chapters_pool_goes_when_its_kernel_is_killed() -> None:
    with child(["-c", textwrap.dedent(CHAPTER_POOL)]) as c:
        c.read_until(b'"ready"')
        processes = c.started()
        assert sum(not is_tracker(p) for p in processes) == ch01.WORKERS, [p.cmdline() for p in processes]
        assert sum(is_tracker(p) for p in processes) == 1, "spawn starts multiprocessing's resource tracker"
        c.kill_and_check(processes)


@pytest.mark.parametrize("method", ["spawn", "default", "forkserver"])
def test_a_learners_pool_goes_when_its_kernel_is_killed(method: str) -> None:
    if method == "forkserver" and "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no forkserver on this platform")
    with child(["-c", textwrap.dedent(LEARNER_POOL), method]) as c:
        pids = json.loads(c.read_until(b'"ready"').splitlines()[-1])["pids"]
        processes = c.started()
        assert set(pids) <= {p.pid for p in processes}, "the jobs ran in the pool's workers"
        c.kill_and_check(processes)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_serve_leaves_no_workers_behind(sig: int) -> None:
    with child(["-m", "course_app", "serve", "01", "--app", "process_pool"]) as c:
        c.read_until(b"serving ")
        processes = c.started()
        assert sum(not is_tracker(p) for p in processes) == ch01.WORKERS, [p.cmdline() for p in processes]
        c.kill_and_check(processes, sig)


# -- the lifeline itself -----------------------------------------------------------------------------------------


def test_the_lifeline_does_nothing_in_the_main_process() -> None:
    assert multiprocessing.parent_process() is None
    assert lifeline.watch_parent() is False
    assert not lifeline.watching()


def _lifeline_threads() -> tuple[bool, bool, int]:
    """Runs in a worker: watch twice, count the watcher threads."""
    import threading

    first, second = lifeline.watch_parent(), lifeline.watch_parent()
    return first and second, lifeline.watching(), sum(t.name == "course_app.lifeline" for t in threading.enumerate())


@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")  # Python 3.12+: nothing to fear here
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_one_watcher_per_worker_and_the_pool_still_shuts_down(method: str) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} on this platform")
    options: dict[str, Any] = {"mp_context": multiprocessing.get_context(method)}
    if method == "spawn":
        options["initializer"] = lifeline.watch_parent  # a fork worker needs none: see test below
    pool = ProcessPoolExecutor(max_workers=1, **options)
    try:
        assert pool.submit(_lifeline_threads).result(timeout=START_BOUND) == (True, True, 1)
    finally:
        started = time.monotonic()
        pool.shutdown(wait=True)  # the watcher is a daemon thread: it never holds a worker back
        assert time.monotonic() - started < 5


@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_a_forked_worker_watches_without_importing_anything() -> None:
    """A ``fork`` worker imports nothing, so the after-fork hook registered by importing lifeline starts it."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(lifeline.watching).result(timeout=START_BOUND) is True
