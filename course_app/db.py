"""PostgreSQL with zero set-up: a server the course starts, uses and stops by handle.

Where the server comes from; the first that is there wins, because explicit beats implicit:

1. ``DATABASE_URL``: a server you name. The course connects to it and never starts or stops it.
2. the ``pgserver`` wheel: PostgreSQL 16 inside a wheel (CPython 3.10-3.12 on Linux x86_64, macOS arm64,
   Windows amd64). On Linux and macOS it listens on a Unix socket in its data folder and on no TCP port at
   all, so learners who share a host can neither collide on ports nor reach each other's servers.
3. PostgreSQL binaries (``initdb``, ``pg_ctl``, ``postgres``) on PATH, or in Debian's
   ``/usr/lib/postgresql/NN/bin`` (not on PATH there): a throw-away server on 127.0.0.1 and a free port.
   It requires a password, generated once and kept in its data folder: with trust authentication, any other
   user of a shared host could log in over loopback as superuser, and a superuser can run shell commands.

Data stays in the course folder (:func:`course_home`), in ``pgdata`` for pgserver and ``pgdata-bin`` for the
binaries: their major versions differ, and a data folder opens only with the major version that made it.

Running as root (CI containers): PostgreSQL refuses to. pgserver 0.1.4 then creates a system user ``pgserver``
with ``useradd``, gives it the data folder, and adds read and execute for group and others to every folder above
the data folder and to its own binaries. The binaries path does the same with an account that already exists
(``postgres``, made by the distribution packages, else ``nobody``) and adds only traverse permission where missing.

Handles: :func:`start_postgres` returns a :class:`Postgres`. The handles of one process share the server of
one data folder, which stops when the last of them stops, or at interpreter exit. A server that another
process started is used, never stopped: each path stops its own server by its data folder, never by name.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from urllib.parse import urlsplit

from .paths import course_home

if TYPE_CHECKING:
    import pwd

__all__ = [
    "Postgres",
    "PostgresCheck",
    "PostgresError",
    "PostgresPlan",
    "check_postgres",
    "course_home",
    "describe_postgres_options",
    "redact",
    "start_postgres",
]

Source = Literal["DATABASE_URL", "pgserver", "binaries on PATH"]

log = logging.getLogger("course_app.db")

WAYS_OUT = """\
No PostgreSQL server is available. Any one of these fixes it:
  1. install the embedded server: pip install pgserver
     (wheels exist for CPython 3.10-3.12 on Linux x86_64, macOS arm64 and Windows amd64 only);
  2. install PostgreSQL binaries: conda install -c conda-forge postgresql, or apt-get install postgresql;
  3. use a server you already have: set DATABASE_URL=postgresql://user:password@host:5432/dbname"""

_DEBIAN_BINARIES = Path("/usr/lib/postgresql")  # /usr/lib/postgresql/NN/bin, not on PATH
_TOOLS = ("initdb", "pg_ctl", "postgres")
_PASSWORD_FILE = "course_app.password"
_OWNER_FILE = "course_app.owner"  # the pid of the process that stops the server
_URL_EXAMPLE = "postgresql://user:password@localhost:5432/dbname"


class PostgresError(RuntimeError):
    """No server could be started or stopped; the message says why and what to do."""


# -- where things are ------------------------------------------------------------------------------------------


def _database_url() -> str | None:
    """``DATABASE_URL`` when set (and not empty), checked to be a PostgreSQL URL asyncpg can use."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    return _validated(raw) if raw else None


def _validated(url: str) -> str:
    """``url`` itself if asyncpg can take it; else ValueError in plain words that never show the password."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme.startswith(("postgresql+", "postgres+")):
        raise ValueError(
            f"DATABASE_URL starts with {parts.scheme}://, SQLAlchemy's spelling; the course connects with asyncpg, "
            f"which takes postgresql:// (drop the '+{scheme.partition('+')[2]}'): e.g. {_URL_EXAMPLE}"
        )
    if scheme not in ("postgresql", "postgres") or "://" not in url:
        found = f"starts with {parts.scheme}://" if "://" in url else "does not start with postgresql://"
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL such as {_URL_EXAMPLE}, but it {found}")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise ValueError(f"DATABASE_URL has a port that is not a number from 0 to 65535: {redact(url)}") from None
    return url


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and the doctor."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()


def _pgserver() -> ModuleType | None:
    """The pgserver module where its wheel is installed and loads, else None.

    Importing it starts nothing. platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers):
    noise for us, and an import failure under ``filterwarnings = error``, so that warning is silenced here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        try:
            import pgserver
        except (ImportError, OSError):
            return None
    return pgserver


def _binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: the one on PATH, else Debian's newest, else None."""
    on_path = shutil.which("pg_ctl")
    # PATH may hold symlinks (Debian's /usr/local/bin ones, say); the real folder has all the tools
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted(_DEBIAN_BINARIES.glob("*/bin"), key=lambda d: _version_key(d.parent.name), reverse=True)
    return next((folder for folder in candidates if all(_tool(folder, t) for t in _TOOLS)), None)


def _version_key(name: str) -> tuple[int, ...]:
    """'16' -> (16,), '9.6' -> (9, 6); anything else sorts first."""
    parts = name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else ()


def _tool(folder: Path, name: str) -> str | None:
    """The path of a PostgreSQL program in ``folder`` (``initdb.exe`` on Windows), else None."""
    return shutil.which(name, path=str(folder))


def _choose() -> tuple[Source, str]:
    """The source :func:`start_postgres` uses, with what it needs: the URL, or the binaries folder.

    Raises ValueError for a malformed DATABASE_URL and PostgresError naming the ways out when there is nothing.
    """
    url = _database_url()
    if url is not None:
        return "DATABASE_URL", url
    if _pgserver() is not None:
        return "pgserver", ""
    folder = _binaries()
    if folder is not None:
        return "binaries on PATH", str(folder)
    raise PostgresError(WAYS_OUT)


def _pgdata(source: Source, home: Path) -> Path:
    return home / ("pgdata" if source == "pgserver" else "pgdata-bin")


# -- the handle ------------------------------------------------------------------------------------------------


@dataclass
class _Server:
    """A server this process uses, shared by every handle on its data folder."""

    url: str
    stop: Callable[[], None]  # stops it if this process started it; otherwise does nothing
    alive: Callable[[], bool]
    handles: int = 0


_lock = threading.Lock()
_servers: dict[Path, _Server] = {}


class Postgres:
    """A handle on a running PostgreSQL server: ``.url`` (for asyncpg), ``.source``, ``.stop()``.

    Use it as a context manager (``with start_postgres() as pg: ...``) or as a plain object in a notebook.
    ``stop()`` may be called any number of times; the server stops with the last handle on it.
    """

    def __init__(
        self, url: str, source: Source, data_dir: Path | None, start_seconds: float, release: Callable[[], None]
    ) -> None:
        self.url = url
        self.source: Source = source
        #: the server's data folder; None for DATABASE_URL
        self.data_dir = data_dir
        #: how long start_postgres() took (about 0 when the server was already running)
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

    def __enter__(self) -> Postgres:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "running"
        return f"<Postgres {state} from {self.source}: {redact(self.url)}>"


def start_postgres(data_dir: Path | str | None = None) -> Postgres:
    """A running PostgreSQL server: DATABASE_URL, else the pgserver wheel, else binaries (see the module doc).

    ``data_dir`` is the course folder (default :func:`course_home`); the server's data goes in its ``pgdata``
    or ``pgdata-bin``. A server already running on that data folder, in this process or another, is reused.
    Raises ValueError for a malformed DATABASE_URL and PostgresError when no server can be had.
    """
    started = time.perf_counter()
    source, where = _choose()
    if source == "DATABASE_URL":
        return Postgres(where, source, None, time.perf_counter() - started, release=lambda: None)
    pgdata = _pgdata(source, Path(data_dir).expanduser().resolve() if data_dir else course_home())
    with _lock:
        server = _servers.get(pgdata)
        if server is not None and not server.alive():  # stopped behind our back: tidy up, start another
            del _servers[pgdata]
            server.stop()
            server = None
        if server is None:
            _make_folder(pgdata.parent)
            server = _start_pgserver(pgdata) if source == "pgserver" else _start_binaries(Path(where), pgdata)
            _servers[pgdata] = server
            _stop_all_at_exit()
        server.handles += 1
    seconds = time.perf_counter() - started
    log.info("PostgreSQL from %s ready in %.2f s: %s", source, seconds, redact(server.url))
    return Postgres(server.url, source, pgdata, seconds, release=lambda: _release(pgdata, server))


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PostgresError(
            f"cannot create the course data folder {folder}: {exc.strerror or exc}. "
            "Set COURSE_HOME to a folder you can write to."
        ) from None


def _release(pgdata: Path, server: _Server) -> None:
    """One handle fewer; with the last one, the server stops (unless it was stopped and replaced already)."""
    with _lock:
        server.handles -= 1
        if server.handles > 0 or _servers.get(pgdata) is not server:
            return
        del _servers[pgdata]
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
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        try:
            server.stop()
        except PostgresError as exc:
            log.warning("%s", exc)


# -- source 2: the pgserver wheel ----------------------------------------------------------------------------


def _start_pgserver(pgdata: Path) -> _Server:
    pgserver = _pgserver()
    assert pgserver is not None, "_choose() picked pgserver, so it imports"
    _forget_dead_handles(pgserver, pgdata)
    log_start = _log_size(pgdata)
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # pgserver raises what its tools raise: CalledProcessError, AssertionError, ...
        raise PostgresError(_start_failed("pgserver", pgdata, log_start, exc)) from exc
    return _Server(url=server.get_uri(), stop=server.cleanup, alive=lambda: server.get_postmaster_info().is_running())


def _forget_dead_handles(pgserver: ModuleType, pgdata: Path) -> None:
    """Drop processes that died from pgserver's list of the processes using a server.

    pgserver stops a server when its last user lets go, keeping the users' pids in ``.handle_pids.json`` in the
    data folder. A kernel killed with SIGKILL never takes its pid out, and then no later kernel ever stops the
    server: it runs until reboot. Pruning the dead pids lets the next last user stop it again.
    """
    import psutil  # a dependency of pgserver

    path = pgdata / ".handle_pids.json"
    with pgserver.PostgresServer._lock:
        try:
            pids = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        if isinstance(pids, list):
            alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
            if alive != pids:
                path.write_text(json.dumps(alive))


# -- source 3: PostgreSQL binaries ---------------------------------------------------------------------------


def _start_binaries(folder: Path, pgdata: Path) -> _Server:
    return _Cluster(folder, pgdata, _server_account()).start()


@dataclass(frozen=True)
class _Cluster:
    """A data folder and the programs in ``folder`` that run it, as ``account`` (None: as ourselves)."""

    folder: Path
    pgdata: Path
    account: pwd.struct_passwd | None

    def start(self) -> _Server:
        """Initialise the data folder if new, start a server on it unless one runs already; a handle on it."""
        self._give_folder()
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        port = _port_in_use(self.pgdata)
        started = port is None
        if port is None:
            port = self._start_on_free_port()
        ours = _claim(self.pgdata, started)
        url = f"postgresql://postgres:{_password(self.pgdata)}@127.0.0.1:{port}/postgres"

        def stop() -> None:
            if ours and _answers(port):
                self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30")
                (self.pgdata / _OWNER_FILE).unlink(missing_ok=True)

        return _Server(url=url, stop=stop, alive=lambda: _answers(port))

    def _give_folder(self) -> None:
        """Create the data folder; as root, hand it to the server's account and let that account reach it.

        Only the traverse (x) bit is added, only where it is missing, so the folders above stay unlistable.
        """
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self.account is None:
            return
        os.chown(self.pgdata, self.account.pw_uid, self.account.pw_gid)
        for parent in self.pgdata.parents:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                parent.chmod(mode | stat.S_IXOTH)

    def _initdb(self) -> None:
        """A fresh cluster with superuser ``postgres`` and a random password, kept in the data folder (0600).

        C locale (the same sorting on every machine, no failure on a missing locale) and --no-sync: the data
        is throw-away, and skipping the final fsync makes the first start faster.
        """
        password = secrets.token_urlsafe(24)
        fd, pwfile = tempfile.mkstemp(dir=self.pgdata.parent, prefix=".pwfile-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(password + "\n")
            if self.account is not None:
                os.chown(pwfile, self.account.pw_uid, self.account.pw_gid)
            self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", f"--pwfile={pwfile}",
                      "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
        finally:
            os.unlink(pwfile)
        saved = os.open(self.pgdata / _PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(saved, "w") as f:
            f.write(password + "\n")

    def _start_on_free_port(self) -> int:
        """Start the server on 127.0.0.1 and a free port, with no Unix socket; return the port.

        The port is free when chosen, but another learner's server may take it before ours binds, so a start
        that fails with "address already in use" is tried again on another port.
        """
        for attempt in range(3):
            port = _free_port()
            log_start = _log_size(self.pgdata)
            try:
                self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.pgdata / "log"), "-w", "-t", "30",
                          "-o", f'-h 127.0.0.1 -p {port} -k ""')  # fmt: skip
                return port
            except PostgresError as exc:
                if attempt == 2 or "already in use" not in _log_since(self.pgdata, log_start):
                    raise PostgresError(_start_failed("PostgreSQL", self.pgdata, log_start, exc)) from exc
        raise AssertionError("unreachable")

    def _run(self, tool: str, *args: str) -> None:
        """Run one of the PostgreSQL programs; a failure becomes PostgresError with what it printed.

        Output goes to a file, not a pipe: the server that ``pg_ctl start`` leaves behind could hold a pipe open.
        """
        program = _tool(self.folder, tool)
        if program is None:
            raise PostgresError(f"{tool} is missing from {self.folder}")
        as_account: dict[str, Any] = {}
        if self.account is not None:
            as_account = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        with tempfile.TemporaryFile("w+") as out:
            try:
                subprocess.run(
                    [program, *args], stdin=subprocess.DEVNULL, stdout=out, stderr=out, text=True, check=True,
                    timeout=60, cwd=self.pgdata, **as_account,
                )  # fmt: skip
                return
            except subprocess.CalledProcessError as exc:
                why = f"exit status {exc.returncode}"
            except subprocess.TimeoutExpired:
                why = "no answer within 60 s"
            out.seek(0)
            raise PostgresError(f"{tool} {' '.join(args)} failed ({why}):\n{out.read().strip()}")


def _server_account() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: None (ourselves) unless we are root, which PostgreSQL refuses.

    As root, an account that exists already: ``postgres`` (the distribution packages make it), else ``nobody``.
    Creating accounts is not ours to do.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresError(
        "PostgreSQL refuses to run as root, and this machine has neither a 'postgres' nor a 'nobody' account "
        "to run it as. Run the course as an ordinary user, or set DATABASE_URL."
    )


def _password(pgdata: Path) -> str:
    try:
        return (pgdata / _PASSWORD_FILE).read_text().strip()
    except OSError:
        raise PostgresError(
            f"{pgdata} holds a PostgreSQL data folder that the course did not make (it has no {_PASSWORD_FILE}). "
            "Delete it, or set COURSE_HOME to another folder."
        ) from None


def _claim(pgdata: Path, started: bool) -> bool:
    """Whether this process is to stop the server: yes if it started it, or if the process that did is gone.

    A server that another live kernel of the same learner started stays theirs. One whose owner died (a kernel
    killed with SIGKILL never stops its server) is adopted, so that it does not run until reboot.
    """
    if not started:
        try:
            owner = int((pgdata / _OWNER_FILE).read_text())
        except (OSError, ValueError):
            owner = None
        if owner is not None and owner != os.getpid() and _pid_alive(owner):
            return False
    (pgdata / _OWNER_FILE).write_text(str(os.getpid()))
    return True


def _pid_alive(pid: int) -> bool:
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


def _port_in_use(pgdata: Path) -> int | None:
    """The port of a server already running on this data folder (another kernel of the same learner), else None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 4 or not lines[3].strip().isdigit():
        return None
    port = int(lines[3])
    return port if _answers(port) else None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- messages --------------------------------------------------------------------------------------------------


def _log_size(pgdata: Path) -> int:
    try:
        return (pgdata / "log").stat().st_size
    except OSError:
        return 0


def _log_since(pgdata: Path, offset: int) -> str:
    """What the server logged since ``offset``: the log is appended to by every start."""
    try:
        with open(pgdata / "log", encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            return f.read()
    except OSError:
        return ""


def _start_failed(what: str, pgdata: Path, log_start: int, exc: BaseException) -> str:
    """Why a start failed, in words: the error, the server's log lines, the usual ways out."""
    lines = _log_since(pgdata, log_start).strip().splitlines()[-15:]
    server_log = "\n".join(f"    {line}" for line in lines) if lines else "    (nothing)"
    root = ""
    if what == "pgserver" and hasattr(os, "geteuid") and os.geteuid() == 0:
        root = "\nAs root, pgserver runs PostgreSQL as a system user 'pgserver' that it creates with useradd."
    return (
        f"{what} could not start a server in {pgdata}: {exc}\n"
        f"The server's log said:\n{server_log}{root}\n"
        "If the data folder is damaged or was made by another PostgreSQL version, delete it (it holds only course "
        "data) and start again; or set DATABASE_URL to a server you have."
    )


# -- for the doctor --------------------------------------------------------------------------------------------


class PostgresPlan(TypedDict):
    """What :func:`start_postgres` would use, found without starting anything."""

    ok: bool
    source: Source | None
    detail: str  # the URL without its password, the pgserver version or the binaries folder
    data_dir: str | None  # where the server's data would go; None for DATABASE_URL
    error: str | None


class PostgresCheck(TypedDict):
    """The result of :func:`check_postgres`."""

    ok: bool
    source: Source | None
    version: str | None  # SELECT version()
    seconds: float | None  # from asking for a server to its first answer
    start_seconds: float | None  # of which starting it
    error: str | None


def describe_postgres_options() -> PostgresPlan:
    """Which source :func:`start_postgres` would use and where its data would go; never starts, never raises."""
    try:
        source, where = _choose()
    except (ValueError, PostgresError) as exc:
        return {"ok": False, "source": None, "detail": "", "data_dir": None, "error": str(exc)}
    if source == "DATABASE_URL":
        return {"ok": True, "source": source, "detail": redact(where), "data_dir": None, "error": None}
    detail = _pgserver_version() if source == "pgserver" else f"in {where}"
    data_dir = str(_pgdata(source, course_home()))
    return {"ok": True, "source": source, "detail": detail, "data_dir": data_dir, "error": None}


def _pgserver_version() -> str:
    try:
        return f"pgserver {metadata.version('pgserver')} (PostgreSQL 16, embedded)"
    except metadata.PackageNotFoundError:
        return "pgserver (PostgreSQL 16, embedded)"


async def check_postgres(timeout: float = 30.0) -> PostgresCheck:
    """Start a server, connect with asyncpg, ``SELECT version()``, let go of the server; report, never raise.

    The server is started in a worker thread so that the caller's event loop (a notebook's) keeps running.
    A server that was already running (a learner's ``start_postgres()`` in the same kernel) keeps running.
    """
    started = time.perf_counter()
    source: Source | None = None
    try:
        pg = await asyncio.to_thread(start_postgres)
        source = pg.source
        try:
            version = await _server_version(pg, timeout)
        finally:
            await asyncio.to_thread(pg.stop)
    except Exception as exc:  # the doctor shows a message, never a traceback
        error = str(exc) if isinstance(exc, (ValueError, PostgresError)) else f"{type(exc).__name__}: {exc}"
        return {"ok": False, "source": source, "version": None, "seconds": None, "start_seconds": None, "error": error}
    return {
        "ok": True,
        "source": source,
        "version": version,
        "seconds": round(time.perf_counter() - started, 3),
        "start_seconds": round(pg.start_seconds, 3),
        "error": None,
    }


async def _server_version(pg: Postgres, timeout: float) -> str:
    import asyncpg

    try:
        conn = await asyncpg.connect(pg.url, timeout=timeout)
        try:
            return str(await conn.fetchval("SELECT version()"))
        finally:
            await conn.close()
    except Exception as exc:  # refused, timed out, wrong password, no such database, ...
        raise PostgresError(
            f"the server from {pg.source} ({redact(pg.url)}) did not answer SELECT version(): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
