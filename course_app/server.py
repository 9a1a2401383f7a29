"""LiveServer: a real uvicorn server in its own thread and event loop.

The contract (see DESIGN.md, "The live server"):

* binds 127.0.0.1 on port 0 by default and reads the port back;
* runs in a daemon thread with its own event loop, so a handler that blocks its
  loop blocks the server and never the notebook, and uvicorn never touches the
  kernel's signal handlers (it installs none off the main thread);
* ``start()`` waits on uvicorn's ``started`` flag with a deadline and turns every
  failure to start (bind error, import error, lifespan error) into
  :class:`ServerStartError` in the caller's thread;
* ``stop()`` is bounded and fast: the exit check wakes at once instead of on
  uvicorn's 0.1 s tick, the port is freed, the thread joined; a loop that a
  handler keeps blocked past the bound is abandoned (daemon thread) with a
  warning instead of hanging the notebook;
* starting a server with the same ``name``, the same app object or the same
  explicit port replaces the old one, so re-running a cell never fails with
  "address already in use";
* every server still running is stopped when the interpreter (kernel) exits.

Behind a JupyterHub's proxy (see :mod:`course_app.hub`) the app is served with the ASGI ``root_path``
of its proxy path, so that ``/docs`` loads ``openapi.json`` through the prefix; :attr:`LiveServer.url`
stays the direct address the notebook's own clients use, and :attr:`LiveServer.browser_url` is the one
a learner opens. Outside a hub both are ``http://127.0.0.1:<port>``.

The uvicorn internals this needs (a faster main loop and shutdown, the loop factory,
the logging config, the app importer) are all in :mod:`course_app._uvicorn`.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import ctypes
import html
import logging
import logging.config
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from . import hub
from ._uvicorn import LOGGERS, LOGGING_CONFIG, ImportFromStringError, Server, import_from_string, new_event_loop

__all__ = ["STOP_TIMEOUT", "LiveServer", "ServerStartError", "serve", "running_servers", "stop_all"]

T = TypeVar("T")
STOP_TIMEOUT = 3.0  # seconds a LiveServer takes to stop at most, by default (half of them for open connections)

log = logging.getLogger("course_app.server")

_registry_lock = threading.Lock()
_registry: list[LiveServer] = []


_LEVELS = {
    "CRITICAL": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARNING": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
}


class _PerServerLevel(logging.Filter):
    """Each LiveServer's ``log_level`` applies to what its own thread logs, and only that.

    uvicorn sets its loggers' levels process-wide from every ``Config``, so the last
    server started would decide for all. Here uvicorn's logging is configured once,
    and this filter on its loggers lets a record through when it meets the level of
    the server whose thread logged it (other threads: INFO and above, uvicorn's default).
    """

    def __init__(self) -> None:
        super().__init__()
        self.levels: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.levels.get(record.threadName or "", logging.INFO)


_log_filter = _PerServerLevel()
_logging_ready = False


def _setup_logging() -> None:
    global _logging_ready
    if _logging_ready:
        return
    logging.config.dictConfig(LOGGING_CONFIG)  # uvicorn's own format, as `uvicorn app:app` has it
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)  # the filter decides
        logger.addFilter(_log_filter)
    _logging_ready = True


class ServerStartError(RuntimeError):
    """The server did not start. ``__cause__`` holds the original exception, if any."""


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread of its own.

    Use it as a context manager::

        with LiveServer(app) as srv:
            r = httpx.get(srv.url + "/ping")

    or as a plain object (handy in notebooks)::

        srv = serve(app)      # started; re-running the cell replaces it
        srv.url
        srv.stop()

    ``app`` is an ASGI app or an import string such as ``"course_app.chapters.ch01_async_vs_sync:app"``.
    ``port=0`` (the default) lets the OS pick a free port. ``log_level`` defaults to
    ``"warning"`` so that notebooks stay readable; handler errors are logged and also
    kept in :attr:`errors`. ``root_path`` is the ASGI root path to serve with; by default
    (None) it is the proxy path on a JupyterHub and "" elsewhere (:mod:`course_app.hub`). Other keyword
    arguments go to ``uvicorn.Config`` (``ws_max_size``, ``ws_ping_interval``...); the access log is off unless
    ``access_log=True``.
    """

    def __init__(
        self,
        app: ASGIApp | str,
        *,
        port: int = 0,
        name: str | None = None,
        start_timeout: float = 10.0,
        stop_timeout: float = STOP_TIMEOUT,
        log_level: str = "warning",
        root_path: str | None = None,
        **uvicorn_options: Any,
    ) -> None:
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535 (0 = any free port), not {port!r}")
        if start_timeout <= 0 or stop_timeout <= 0:
            raise ValueError("start_timeout and stop_timeout must be positive numbers of seconds")
        if "host" in uvicorn_options:
            raise ValueError("LiveServer always binds 127.0.0.1; 'host' cannot be changed")
        if "timeout_graceful_shutdown" in uvicorn_options:
            raise ValueError("LiveServer waits half its stop_timeout for open connections; set stop_timeout instead")
        if not isinstance(log_level, str) or log_level.upper() not in _LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(_LEVELS).lower()}, not {log_level!r}")
        if root_path is not None and (
            not isinstance(root_path, str)
            or not (root_path == "" or root_path.startswith("/"))
            or any(c in root_path for c in "?# ")
            or not root_path.isascii()
        ):
            raise ValueError(
                f"root_path must be '' or a URL path starting with '/' (ASCII, no query), not {root_path!r}; "
                "leave it None to get the JupyterHub proxy's path when there is one"
            )
        self.app = app
        self.host = "127.0.0.1"
        self.requested_port = port
        self.port: int = port
        self.name = name or _describe(app)
        self._named = name is not None
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.log_level = log_level
        self.uvicorn_options = uvicorn_options
        self._root_path_option = None if root_path is None else root_path.rstrip("/")
        #: The ASGI root path the app is served with ("" unless behind a proxy); known once started.
        self.root_path = self._root_path_option or ""
        self._browser_url: str | None = None
        #: Why :attr:`browser_url` may not answer ("" when nothing is known to stop it).
        self.browser_note = ""
        #: Exceptions raised by the app while handling requests (newest last, at most 100).
        self.errors: list[BaseException] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._lifespan_error: BaseException | None = None
        self._listener: socket.socket | None = None  # a duplicate of the listening socket

    # -- public surface -------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:53127``."""
        return f"http://{self.host}:{self.port}"

    @property
    def browser_url(self) -> str:
        """The URL a learner opens in a browser (add ``/docs``), without a trailing slash.

        ``http://127.0.0.1:<port>``, the same as :attr:`url`, except behind a JupyterHub's proxy:
        then ``/user/<name>/proxy/<port>`` (absolute when the hub's public address is known).
        The notebook's own clients keep using :attr:`url`.
        """
        return self._browser_url or self.url

    @property
    def ws_url(self) -> str:
        """Base URL for WebSockets, e.g. ``ws://127.0.0.1:53127``."""
        return f"ws://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._done.done()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's own event loop (only while it runs)."""
        if self._loop is None or not self.running:
            raise RuntimeError(f"{self.name} is not running")
        return self._loop

    def start(self) -> LiveServer:
        """Start serving; return once uvicorn reports ``started`` (or raise)."""
        if self.running:
            return self
        if self._thread is not None:
            raise RuntimeError("a LiveServer cannot be restarted once stopped; create a new one")
        app = self._load_app()
        _setup_logging()
        _replace_existing(self)
        sock = self._bind()
        self.port = sock.getsockname()[1]
        self._listener = sock.dup()
        self._place_behind_proxy()
        config = uvicorn.Config(
            self._wrap(app),
            log_config=None,  # uvicorn's logging is set up once, per server by thread: see _log_filter
            lifespan="on",
            # uvicorn >= 0.26 puts root_path in front of scope["path"] (Starlette strips it to route), so a
            # direct request for /ping and the proxy's forwarded /ping reach the same route
            root_path=self.root_path,
            **{"access_log": False, **self.uvicorn_options},  # no access log, unless a chapter asks for it
        )
        self._server = server = Server(config, graceful_timeout=self.stop_timeout / 2)
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name=f"LiveServer[{self.name}:{self.port}]", daemon=True
        )
        _log_filter.levels[self._thread.name] = _LEVELS[self.log_level.upper()]
        with _registry_lock:
            _registry.append(self)
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not server.started:
            if self._done.done():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"{self.name} did not start within {self.start_timeout:g} s")
            time.sleep(0.001)
        if not server.started:
            self._forget()
            self._thread.join(self.stop_timeout)
            self._close_listener()
            self._raise_start_failure()
        return self

    def stop(self) -> None:
        """Stop serving within ``stop_timeout`` seconds. Safe to call twice."""
        thread, server, loop = self._thread, self._server, self._loop
        self._forget()
        if thread is None or server is None or not thread.is_alive():
            self._close_listener()
            return
        server.should_exit = True
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(server.wake.set)
        thread.join(self.stop_timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(0.2)
        if thread.is_alive() and self._listener is not None:
            # The loop is blocked, so it cannot close its listening socket. shutdown()
            # acts on the socket itself (through our duplicate of its descriptor): the
            # port is free at once, and the loop still owns a valid descriptor.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
        self._close_listener()
        if not thread.is_alive():
            _return_free_memory()
        else:
            warnings.warn(
                f"{self.name}: the server loop is still blocked {self.stop_timeout:g} s after stop() "
                "(a handler is blocking the event loop, e.g. time.sleep inside async def). "
                "Its thread is abandoned; it ends when the handler returns.",
                RuntimeWarning,
                stacklevel=2,
            )

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 10.0) -> T:
        """Run ``coro`` on the server's event loop and return its result (from any thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        browser = f" (open {self.browser_url})" if self.browser_url != self.url else ""
        return f"<LiveServer {self.name} {self.url} {state}{browser}>"

    def _repr_html_(self) -> str:
        state = "running" if self.running else "stopped"
        url = html.escape(self.browser_url, quote=True)
        note = f"<br><small>{html.escape(self.browser_note)}</small>" if self.browser_note else ""
        return (
            f"<b>{html.escape(self.name)}</b> {state} at <a href='{url}/docs' target='_blank'>{url}</a>"
            f" (<a href='{url}/docs' target='_blank'>/docs</a>){note}"
        )

    # -- internals ------------------------------------------------------------------

    def _load_app(self) -> ASGIApp:
        if not isinstance(self.app, str):
            if not callable(self.app):
                raise ServerStartError(f"{self.app!r} is not an ASGI app (it is not callable)")
            return self.app
        try:
            app: ASGIApp = import_from_string(self.app)
        except ImportFromStringError as exc:
            raise ServerStartError(f"cannot load the app {self.app!r}: {exc}") from exc
        except Exception as exc:  # the module itself failed while importing
            raise ServerStartError(
                f"cannot load the app {self.app!r}: importing it raised {type(exc).__name__}: {exc}"
            ) from exc
        return app

    def _place_behind_proxy(self) -> None:
        """Set :attr:`root_path` and :attr:`browser_url` for the bound port (see :mod:`course_app.hub`)."""
        situation = hub.detect()
        for problem in situation.problems:
            if problem not in _warned:
                _warned.add(problem)
                warnings.warn(f"course_app: {problem}", RuntimeWarning, stacklevel=3)
        if self._root_path_option is None:
            self.root_path = situation.root_path(self.port)
        self._browser_url = situation.browser_url(self.port) if situation.proxied else None
        self.browser_note = situation.warning

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            raise ServerStartError(
                f"cannot bind {self.host}:{self.requested_port} ({exc.strerror}). "
                "Another program holds that port; use port=0 to let the OS pick a free one."
            ) from exc
        sock.listen(2048)
        sock.setblocking(False)
        return sock

    def _wrap(self, app: ASGIApp) -> ASGIApp:
        async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await app(scope, receive, send)
            except BaseException as exc:
                if scope["type"] == "lifespan":
                    self._lifespan_error = exc
                elif not isinstance(exc, asyncio.CancelledError):
                    self.errors.append(exc)
                    del self.errors[:-100]
                raise

        return asgi

    def _run(self, server: Server, sock: socket.socket) -> None:
        loop = self._loop = new_event_loop(server.config)
        asyncio.set_event_loop(loop)
        failure: BaseException | None = None
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as exc:  # SystemExit from uvicorn included: it must not vanish
            failure = exc
        finally:
            # What is still running was abandoned (a forced exit): cancelling it makes the app's lifespan report a
            # "shutdown failed" traceback, noise from a server that is gone, maybe to a stream closed meanwhile.
            _log_filter.levels[threading.current_thread().name] = logging.CRITICAL + 1
            with contextlib.suppress(Exception):
                _cancel_remaining(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
            try:
                loop.close()
            except OSError:
                # uvloop refuses (EBUSY) while the app left connections open (an engine never disposed, a pool
                # never closed: the seed's code does it). libuv still points at the loop then, and freeing it
                # would crash the whole kernel later (a segfault, seen): keep it for the life of the process.
                _unclosable_loops.append(loop)
            sock.close()
            _log_filter.levels.pop(threading.current_thread().name, None)
            # A stopped server stays referenced (a notebook variable, IPython's Out, a Probe): let go of what
            # only a running one needs. A closed uvloop loop and uvicorn's Server hold about 300 kB.
            asyncio.set_event_loop(None)
            self._loop = None
            self._server = None
            # Only now, with the port released, may start() or stop() return.
            if failure is not None:
                self._done.set_exception(failure)
            else:
                self._done.set_result(None)

    def _raise_start_failure(self) -> None:
        exc = self._done.exception()
        if self._lifespan_error is not None:
            cause = self._lifespan_error
            raise ServerStartError(
                f"{self.name}: application startup failed: {type(cause).__name__}: {cause}"
            ) from cause
        if exc is not None and not isinstance(exc, SystemExit):
            raise ServerStartError(f"{self.name} failed to start: {type(exc).__name__}: {exc}") from exc
        raise ServerStartError(f"{self.name} exited during startup; see the log above")

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _forget(self) -> None:
        with _registry_lock:
            if self in _registry:
                _registry.remove(self)


_malloc_trim: Callable[[int], int] | None = None
_warned: set[str] = set()  # environment problems already reported by a warning (once per process)
_unclosable_loops: list[asyncio.AbstractEventLoop] = []  # loops uvloop could not close: see LiveServer._run


def _return_free_memory() -> None:
    """Hand the C heap's free pages back to the OS (glibc's ``malloc_trim``; nothing elsewhere).

    A server's thread, its worker threads and the load client free what a run allocated, but glibc keeps the
    freed memory in per-thread arenas, fragmented, and counts it in the process's RSS: in a kernel that reruns
    a chapter that is tens of MB per pass, memory nobody uses, that a hub's memory limit counts all the same.
    Trimming after a server stops costs a few milliseconds.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = ctypes.CDLL(None).malloc_trim
        except (AttributeError, OSError, TypeError):  # not glibc (macOS, Windows, musl)
            _malloc_trim = _no_trim
    with contextlib.suppress(OSError):
        _malloc_trim(0)


def _no_trim(pad: int) -> int:
    return 0


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def _describe(app: object) -> str:
    if isinstance(app, str):
        return app
    title = getattr(app, "title", None)
    return str(title) if title else getattr(app, "__name__", type(app).__name__)


def _replace_existing(new: LiveServer) -> None:
    with _registry_lock:
        old = [
            s
            for s in _registry
            if (new._named and s._named and s.name == new.name)
            or s.app is new.app
            or (new.requested_port and s.port == new.requested_port)
        ]
    for server in old:
        server.stop()


def serve(app: ASGIApp | str, **options: Any) -> LiveServer:
    """Start ``app`` on a free port and return the running :class:`LiveServer`.

    Calling it again for the same app (or ``name``) stops the old server first, so
    a notebook cell can be re-run freely.
    """
    return LiveServer(app, **options).start()


def running_servers() -> list[LiveServer]:
    """The servers started in this process that are still running."""
    with _registry_lock:
        return [s for s in _registry if s.running]


@atexit.register
def stop_all() -> None:
    """Stop every server this process still runs (called at interpreter exit)."""
    with _registry_lock:
        servers = list(_registry)
    for server in servers:
        server.stop()
