"""Worker processes that go away with their parent, however the parent died.

A process pool's workers outlive a parent that is killed (``kill -9`` from a JupyterHub culler or the OOM
killer, SIGTERM on a process that does not handle it): nothing tells them, init adopts them, and they wait for
work forever, about 45 MB each, holding the dead kernel's stdout open (a CI step that pipes the output then
never sees EOF). The multiprocessing resource tracker stays with them, because they hold its pipe too.

:func:`watch_parent`, called in a multiprocessing child, starts one daemon thread that ends the child with
``os._exit`` as soon as its parent is gone. It watches two things:

* the parent's *sentinel*, the pipe multiprocessing gives every child (:func:`multiprocessing.parent_process`):
  the parent holds its write end, so the pipe reaches EOF the moment the parent dies, whatever killed it. The
  thread blocks on it, so the exit is immediate and costs nothing while the parent lives;
* the parent pid, every ``interval`` seconds: a child forked later may hold a copy of the sentinel's write end
  (with the ``fork`` start method, children inherit their elder siblings' pipes), delaying the EOF; when the
  parent dies, the kernel reparents us, and ``os.getppid()`` changes.

``prctl(PR_SET_PDEATHSIG)`` is not used: it fires when the *thread* that started the child exits, and here that
is a server's thread (or a thread of the notebook's loop), which ends long before its process does.

In the main process :func:`watch_parent` does nothing. Once the workers are gone, nothing holds the resource
tracker's pipe open any more: it reads EOF, unlinks what the workers left and exits by itself.

How workers get it: the modules whose functions the course's pools run call :func:`watch_parent` at import
(a ``spawn`` or ``forkserver`` worker imports them to unpickle its first job), and importing this module in a
process registers it to run in every child that multiprocessing *forks* from it (a ``fork`` worker imports
nothing). A pool may also pass ``initializer=watch_parent``, so that workers watch from their first instant.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import threading

__all__ = ["EXIT_CODE", "INTERVAL", "watch_parent", "watching"]

INTERVAL = 0.25  # seconds between two looks at the parent pid (the sentinel wakes the thread at once)
EXIT_CODE = 70  # what an orphaned worker exits with (EX_SOFTWARE): nobody reads it, but ps and strace can

_lock = threading.Lock()
_watcher_pid: int | None = None  # the process whose thread watches; a forked child inherits this, not the thread


def watch_parent(interval: float = INTERVAL) -> bool:
    """In a multiprocessing child, make sure one thread ends this process soon after its parent is gone.

    Idempotent and cheap: the first call starts a daemon thread, later calls return at once. In the main
    process (no multiprocessing parent) it does nothing and returns False; in a child it returns True.
    Usable as a pool's ``initializer`` (it takes no required argument).
    """
    global _watcher_pid
    parent = multiprocessing.parent_process()
    if parent is None:
        return False
    with _lock:
        if _watcher_pid == os.getpid():
            return True
        thread = threading.Thread(
            target=_watch, args=(parent.sentinel, os.getppid(), interval), name="course_app.lifeline", daemon=True
        )
        thread.start()
        _watcher_pid = os.getpid()
    return True


def watching() -> bool:
    """Whether this process runs a watcher (for tests and curious learners)."""
    return _watcher_pid == os.getpid()


def _watch(sentinel: int, ppid: int, interval: float) -> None:
    while True:
        # The sentinel is ready only at EOF (the parent is gone); getppid() changes when we are reparented.
        if multiprocessing.connection.wait([sentinel], timeout=interval) or os.getppid() != ppid:
            os._exit(EXIT_CODE)  # no cleanup to do: the parent, who gave us our work, is gone


def _reset_after_fork() -> None:
    """A child forked while another thread held the lock must not inherit it held."""
    global _lock
    _lock = threading.Lock()


class _Anchor:
    """multiprocessing keeps its after-fork hooks in a weak dictionary: this object keeps ours registered."""


_anchor = _Anchor()
# Runs in every child that multiprocessing forks from a process that imported this module, once the child
# knows its parent (Process._bootstrap): a ``fork`` worker never imports anything, so it would never watch.
multiprocessing.util.register_after_fork(_anchor, lambda _: watch_parent())
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
