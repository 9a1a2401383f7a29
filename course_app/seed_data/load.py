"""Loading the seed rows into PostgreSQL: idempotent, atomic, safe from several processes, in a schema of its own.

See the package's doc for what is guaranteed; :func:`ensure_seeded` for the steps. Every failure a learner can
meet (a wrong URL, a server that is down or goes away, no privilege, another load that takes too long) becomes a
:class:`SeedError` that says what to do, never a raw traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar
from urllib.parse import urlsplit

import asyncpg

from ..embedded import redact
from .generate import (
    CHECKSUM,
    COLUMNS,
    DIGESTS,
    FULL,
    ORDER_BY,
    SEED_VERSION,
    TABLES,
    Row,
    SeedSize,
    canonical,
    combine,
    rows,
    table_digests,
)

__all__ = [
    "LOCK_WAIT_S",
    "SCHEMA",
    "SeedError",
    "SeedReport",
    "Target",
    "Verification",
    "drop",
    "ensure_seeded",
    "reset",
    "schema_sql",
    "verify",
]

SCHEMA = "course"  # where the rows live, in whatever database the URL names
LOCK_WAIT_S = 120  # how long a call waits for another process's load (or for readers of tables it must drop)
CONNECT_TIMEOUT_S = 10.0

Target: TypeAlias = "str | asyncpg.Connection"  # a URL, or an open connection (one from a pool too)
T = TypeVar("T")


# -- the schema --------------------------------------------------------------------------------------------------

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _checked_schema(schema: str) -> str:
    if not isinstance(schema, str) or not _NAME.fullmatch(schema) or schema.startswith("pg_"):
        raise SeedError(
            f"the schema name {schema!r} is not one the course uses: lower-case letters, digits and underscores, "
            "not starting with a digit or pg_, at most 63 characters (e.g. 'course')"
        )
    return schema


def schema_sql(schema: str = SCHEMA) -> tuple[str, str]:
    """The SQL that makes the tables (run before the rows are copied in) and the constraints and indexes (after:
    one pass over loaded rows is faster than a check per row)."""
    s = _checked_schema(schema)
    tables = f"""
CREATE TABLE {s}.users (
    id          integer PRIMARY KEY,
    email       text NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE {s}.products (
    id          integer PRIMARY KEY,
    sku         text NOT NULL,
    name        text NOT NULL,
    price       numeric(10, 2) NOT NULL CHECK (price >= 0),
    stock       integer NOT NULL CHECK (stock >= 0)
);
CREATE TABLE {s}.orders (
    id          integer PRIMARY KEY,
    user_id     integer NOT NULL,
    status      text NOT NULL CHECK (status IN ('paid', 'shipped', 'delivered', 'cancelled')),
    created_at  timestamptz NOT NULL
);
CREATE TABLE {s}.order_items (
    order_id    integer NOT NULL,
    line_no     integer NOT NULL,
    product_id  integer NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    unit_price  numeric(10, 2) NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, line_no)
);
CREATE TABLE {s}.posts (
    id          integer PRIMARY KEY,
    user_id     integer NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE {s}.comments (
    id          integer PRIMARY KEY,
    post_id     integer NOT NULL,
    user_id     integer NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL
);
"""
    constraints = f"""
ALTER TABLE {s}.users ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE {s}.products ADD CONSTRAINT products_sku_key UNIQUE (sku);
ALTER TABLE {s}.orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES {s}.users (id);
ALTER TABLE {s}.order_items
    ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES {s}.orders (id) ON DELETE CASCADE,
    ADD CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES {s}.products (id);
ALTER TABLE {s}.posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES {s}.users (id);
ALTER TABLE {s}.comments
    ADD CONSTRAINT comments_post_id_fkey FOREIGN KEY (post_id) REFERENCES {s}.posts (id) ON DELETE CASCADE,
    ADD CONSTRAINT comments_user_id_fkey FOREIGN KEY (user_id) REFERENCES {s}.users (id);
CREATE INDEX orders_user_id_idx ON {s}.orders (user_id);
CREATE INDEX orders_created_at_idx ON {s}.orders (created_at);
CREATE INDEX order_items_product_id_idx ON {s}.order_items (product_id);
CREATE INDEX posts_user_id_idx ON {s}.posts (user_id);
CREATE INDEX comments_post_id_idx ON {s}.comments (post_id);
CREATE INDEX comments_user_id_idx ON {s}.comments (user_id);
"""
    return tables, constraints


def _marker_sql(s: str) -> str:
    return f"""
CREATE TABLE {s}.seed_version (
    version         integer NOT NULL,
    size            text NOT NULL,
    checksum        text NOT NULL,
    counts          jsonb NOT NULL,
    tables          text[] NOT NULL,
    created_schema  boolean NOT NULL,
    load_seconds    double precision NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now()
);
"""


# -- loading -----------------------------------------------------------------------------------------------------


class SeedError(RuntimeError):
    """Seeding could not be done; the message says why and what to do (and never shows a password)."""


@dataclass(frozen=True)
class SeedReport:
    """What :func:`ensure_seeded` (or :func:`reset`) found or did."""

    schema: str
    loaded: bool  # this call loaded the rows; False: they were there already
    seconds: float  # the whole call, connecting included
    waited_seconds: float  # of which waiting for the lock: another process loading, or readers of tables to drop
    version: int
    size: SeedSize
    counts: Mapping[str, int]
    checksum: str  # of the rows as they were loaded

    def __str__(self) -> str:
        counts = ", ".join(f"{n:,} {table.replace('_', ' ')}" for table, n in self.counts.items())
        done = f"loaded in {self.seconds:.2f} s" if self.loaded else f"already there (checked in {self.seconds:.3f} s)"
        waited = f", after waiting {self.waited_seconds:.2f} s for the lock" if self.waited_seconds >= 0.05 else ""
        return f"seed data v{self.version} in schema {self.schema}: {counts}; {done}{waited}"


@dataclass(frozen=True)
class _Marker:
    """The row of ``<schema>.seed_version``: what a load made. Read leniently, as a later version may add fields."""

    version: int
    size: str
    checksum: str
    counts: Mapping[str, int]
    tables: tuple[str, ...]  # what the load created, and so all that may be dropped
    created_schema: bool

    def matches(self, size: SeedSize) -> bool:
        return self.version == SEED_VERSION and self.size == size.text()


async def ensure_seeded(target: Target, *, schema: str = SCHEMA, size: SeedSize = FULL) -> SeedReport:
    """Make sure ``schema`` holds the seed rows of ``size``: load them unless they are there already.

    ``target`` is a PostgreSQL URL (``start_postgres().url``) or an open asyncpg connection outside any transaction
    (from a pool: ``async with pool.acquire() as conn``). Idempotent, atomic, and safe when several processes call
    it at once (see the module's doc). Raises :class:`SeedError` saying what to do.
    """
    checked = _checked_schema(schema)
    return await _with_connection(target, lambda conn: _seed(conn, checked, size, replace=False))


async def reset(target: Target, *, schema: str = SCHEMA, size: SeedSize = FULL) -> SeedReport:
    """Load the seed rows again, whatever is there (after a chapter changed them).

    Drops only the tables an earlier load made (its marker lists them), in the same transaction as the new load:
    other sessions see the old rows until the new ones are committed. Waits up to ``LOCK_WAIT_S`` for sessions
    that are reading them.
    """
    checked = _checked_schema(schema)
    return await _with_connection(target, lambda conn: _seed(conn, checked, size, replace=True))


async def drop(target: Target, *, schema: str = SCHEMA) -> bool:
    """Drop what seeding made in ``schema``: its tables and marker, and the schema itself if seeding created it and
    nothing else is in it. Whether there was seed data to drop."""
    checked = _checked_schema(schema)

    async def run(conn: Any) -> bool:
        async with _locked(conn, checked), _transaction(conn):
            marker = await _read_marker(conn, checked)
            if marker is None:
                return False
            await _drop_tables(conn, checked, marker)
            if marker.created_schema and not await conn.fetchval(_HOLDS_ANYTHING, checked):
                await conn.execute(f"DROP SCHEMA {checked}")  # RESTRICT: never what someone else put there
            return True

    return await _with_connection(target, run)


_HOLDS_ANYTHING = """
SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1)
    OR EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1)
    OR EXISTS (SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1)
"""


async def _seed(conn: Any, schema: str, size: SeedSize, *, replace: bool) -> SeedReport:
    started = time.perf_counter()
    if not replace:  # the cheap check, without the lock: a marker is committed with its rows, never before them
        marker = await _peek_marker(conn, schema)
        if marker is not None and marker.matches(size):
            return _report(schema, marker, loaded=False, started=started, waited=0.0)
    async with _locked(conn, schema) as waited, _transaction(conn):
        marker = await _read_marker(conn, schema)
        if not replace and marker is not None and marker.matches(size):  # another process loaded it meanwhile
            return _report(schema, marker, loaded=False, started=started, waited=waited)
        created_schema = await _prepare(conn, schema, marker)
        digests = await _load(conn, schema, size)
        counts = {table: count for table, (count, _) in digests.items()}
        marker = _Marker(SEED_VERSION, size.text(), combine(digests), counts, TABLES, created_schema)
        await conn.execute(_marker_sql(schema))
        await conn.execute(
            f"INSERT INTO {schema}.seed_version (version, size, checksum, counts, tables, created_schema, "
            "load_seconds) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)",
            marker.version, marker.size, marker.checksum, json.dumps(counts), list(marker.tables), created_schema,
            time.perf_counter() - started,
        )  # fmt: skip
    if size == FULL and marker.checksum != CHECKSUM:
        warnings.warn(
            f"the seed rows generated here differ from the pinned ones (checksum {marker.checksum[:12]}..., not "
            f"{CHECKSUM[:12]}...): this Python draws other random numbers. The chapters still run, but their figures "
            "may differ from the course's. Please report it, with your Python version.",
            RuntimeWarning,
            stacklevel=2,
        )
    return _report(schema, marker, loaded=True, started=started, waited=waited)


def _report(schema: str, marker: _Marker, *, loaded: bool, started: float, waited: float) -> SeedReport:
    counts = {table: int(marker.counts.get(table, 0)) for table in marker.tables}
    seconds = time.perf_counter() - started
    return SeedReport(schema, loaded, seconds, waited, marker.version, SeedSize.parse(marker.size), counts,
                      marker.checksum)  # fmt: skip


@contextlib.asynccontextmanager
async def _locked(conn: Any, schema: str) -> AsyncIterator[float]:
    """Hold this schema's advisory lock (waiting at most LOCK_WAIT_S for it); yields the seconds waited.

    A session lock, taken in a transaction of its own, rather than a transaction lock: a transaction that began
    before another session's load committed keeps what it looked up in that session's catalog caches (they catch
    up when a transaction starts, not when an advisory lock is granted), and would not see the tables the load
    made. So the work runs in a transaction begun after the lock is granted (:func:`_transaction`). A session that
    dies (a killed kernel) lets go of the lock with its connection.
    """
    key = int.from_bytes(hashlib.sha256(f"course_app.seed_data:{schema}".encode()).digest()[:8], "big", signed=True)
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'")
        await conn.execute("SELECT pg_advisory_lock($1)", key)
    try:
        yield time.perf_counter() - started
    finally:
        if not conn.is_closed():
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await conn.execute("SELECT pg_advisory_unlock($1)", key)


@contextlib.asynccontextmanager
async def _transaction(conn: Any) -> AsyncIterator[None]:
    """The one transaction of a load or a drop; its own locks (a DROP behind a reader) wait at most LOCK_WAIT_S."""
    async with conn.transaction():
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'")
        yield


async def _peek_marker(conn: Any, schema: str) -> _Marker | None:
    """The marker, read without the lock; None when it cannot be read now. A :func:`reset` in another session may
    drop the marker between our lookup and our read: the caller then takes the lock and reads again."""
    try:
        return await _read_marker(conn, schema)
    except (SeedError, asyncpg.PostgresError):
        return None


async def _read_marker(conn: Any, schema: str) -> _Marker | None:
    if await conn.fetchval("SELECT to_regclass($1)", f"{schema}.seed_version") is None:
        return None
    found = await conn.fetchval(f"SELECT to_jsonb(m)::text FROM {schema}.seed_version m LIMIT 1")
    if found is None:
        raise SeedError(f"{schema}.seed_version is empty: it was not made by the course's seeding. {_ELSEWHERE}")
    m = json.loads(found)
    try:
        return _Marker(int(m["version"]), str(m["size"]), str(m["checksum"]), dict(m["counts"]),
                       tuple(m["tables"]), bool(m["created_schema"]))  # fmt: skip
    except (KeyError, TypeError, ValueError):
        raise SeedError(f"{schema}.seed_version does not read as the course's marker. {_ELSEWHERE}") from None


_ELSEWHERE = (
    "Seed into another schema (ensure_seeded(url, schema='course_seed')), or drop it yourself if it is expendable."
)


async def _prepare(conn: Any, schema: str, marker: _Marker | None) -> bool:
    """Clear the way for a load: drop an earlier load's tables (the marker's list), refuse to touch tables of our
    names that the course did not make, create the schema if absent. Whether the schema is the course's own."""
    if marker is not None:
        await _drop_tables(conn, schema, marker)
        return marker.created_schema
    if not await conn.fetchval("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema):
        await conn.execute(f"CREATE SCHEMA {schema}")
        return True
    clash = await conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) ORDER BY 1",
        schema, [*TABLES, "seed_version"],
    )  # fmt: skip
    if clash:
        names = ", ".join(r["relname"] for r in clash)
        raise SeedError(
            f"schema {schema} already holds {names}, which the course did not create (there is no seed marker), so "
            f"it will not overwrite them. {_ELSEWHERE}"
        )
    return False


async def _drop_tables(conn: Any, schema: str, marker: _Marker) -> None:
    names = [name for name in (*reversed(marker.tables), "seed_version") if _NAME.fullmatch(name)]
    await conn.execute(f"DROP TABLE IF EXISTS {', '.join(f'{schema}.{name}' for name in names)}")  # never CASCADE


async def _load(conn: Any, schema: str, size: SeedSize) -> dict[str, tuple[int, str]]:
    """Create the tables, COPY every row in, then the constraints, indexes and planner statistics; each table's
    count and digest, taken from the very rows sent."""
    tables, constraints = schema_sql(schema)
    await conn.execute(tables)
    digests = {}
    for table in TABLES:
        tally = _Tally(rows(table, size))
        await conn.copy_records_to_table(table, records=tally, columns=COLUMNS[table], schema_name=schema)
        digests[table] = (tally.count, tally.hash.hexdigest())
    await conn.execute(constraints)
    for table in TABLES:  # statistics now rather than when autovacuum gets round to it: the chapters show plans
        await conn.execute(f"ANALYZE {schema}.{table}")
    return digests


class _Tally:
    """Rows on their way to COPY, counted and hashed as :func:`table_digests` does."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self._rows = rows
        self.count = 0
        self.hash = hashlib.sha256()

    def __iter__(self) -> Iterator[Row]:
        for row in self._rows:
            self.count += 1
            self.hash.update(canonical(row).encode() + b"\n")
            yield row


# -- verifying ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The rows in the database against the generator's, table by table: count and sha256 digest."""

    schema: str
    size: SeedSize
    expected: Mapping[str, tuple[int, str]]
    found: Mapping[str, tuple[int, str] | None]  # None: the table is missing

    @property
    def differing(self) -> list[str]:
        return [table for table in TABLES if self.expected.get(table) != self.found.get(table)]

    @property
    def ok(self) -> bool:
        return not self.differing

    def __str__(self) -> str:
        if self.ok:
            return f"schema {self.schema} holds exactly the seed rows ({self.size.text()})"
        return (
            f"schema {self.schema} differs from the seed in {', '.join(self.differing)}: "
            "python -m course_app.seed_data reset (or await reset(url)) loads it again"
        )


async def verify(target: Target, *, schema: str = SCHEMA) -> Verification:
    """Compare every row in ``schema`` with the generator's, through the same canonical lines, written in SQL.

    Raises :class:`SeedError` when the schema holds no seed data. Under a second for :data:`FULL`.
    """
    checked = _checked_schema(schema)

    async def run(conn: Any) -> Verification:
        marker = await _read_marker(conn, checked)
        if marker is None or marker.version != SEED_VERSION:
            what = "no seed data" if marker is None else f"the seed data of another version (v{marker.version})"
            raise SeedError(f"schema {checked} holds {what}: run ensure_seeded(url) first")
        size = SeedSize.parse(marker.size)
        expected = dict(DIGESTS) if size == FULL else table_digests(size)
        found: dict[str, tuple[int, str] | None] = {}
        for table in TABLES:
            if await conn.fetchval("SELECT to_regclass($1)", f"{checked}.{table}") is None:
                found[table] = None
                continue
            count, digest = await conn.fetchrow(_digest_sql(checked, table))
            found[table] = (int(count), str(digest))
        return Verification(checked, size, expected, found)

    return await _with_connection(target, run)


def _digest_sql(schema: str, table: str) -> str:
    """One table's count and digest in SQL: :func:`canonical` lines, in primary-key order."""
    parts = [f"(extract(epoch FROM {c}))::bigint::text" if c == "created_at" else f"{c}::text" for c in COLUMNS[table]]
    line = " || E'\\t' || ".join(parts)
    return (
        f"SELECT count(*), encode(sha256(convert_to(coalesce(string_agg({line} || E'\\n', '' "
        f"ORDER BY {ORDER_BY[table]}), ''), 'UTF8')), 'hex') FROM {schema}.{table}"
    )


# -- connections and errors --------------------------------------------------------------------------------------


async def _with_connection(target: Target, work: Callable[[Any], Awaitable[T]]) -> T:
    """``work(conn)`` on ``target``: a URL is connected to and closed again; a connection is used as it is.

    What goes wrong on the way becomes :class:`SeedError` with what to do.
    """
    if isinstance(target, str):
        conn = await _connect(target)
        try:
            return await _explained(work(conn))
        finally:
            with contextlib.suppress(Exception):  # a server that went away: nothing left to close
                await conn.close(timeout=5)
    if not callable(getattr(target, "copy_records_to_table", None)):
        raise SeedError(f"seeding takes a PostgreSQL URL or an open asyncpg connection, not {type(target).__name__}")
    if target.is_closed():
        raise SeedError("the connection given is closed: pass an open one, or the URL")
    if target.is_in_transaction():
        raise SeedError(
            "the connection given is inside a transaction, but seeding runs its own (so that a failed load leaves "
            "nothing behind): call it outside `async with conn.transaction()`"
        )
    return await _explained(work(target))


async def _connect(url: str) -> Any:
    where = redact(url)
    if urlsplit(url).scheme.lower() not in ("postgresql", "postgres"):
        raise SeedError(
            f"{where!r} is not a PostgreSQL URL: pass start_postgres().url, or one such as "
            "postgresql://user:password@localhost:5432/dbname"
        )
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S)
    except (TimeoutError, OSError) as exc:
        raise SeedError(
            f"could not reach PostgreSQL at {where} ({type(exc).__name__}: {exc}). Is the server running? The "
            "course's own starts with start_postgres() from course_app.db, and `python3 run.py doctor` says which "
            "server is in use; for a server of your own, check the host and port in DATABASE_URL."
        ) from None
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        raise SeedError(f"PostgreSQL at {where} refused the login ({exc}): check the user and password.") from None
    except asyncpg.InvalidCatalogNameError as exc:
        raise SeedError(f"PostgreSQL at {where} says: {exc}. Create that database, or name one that exists.") from None
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
        raise SeedError(f"could not connect to PostgreSQL at {where}: {type(exc).__name__}: {exc}") from None


async def _explained(work: Awaitable[T]) -> T:
    try:
        return await work
    except asyncpg.InsufficientPrivilegeError as exc:
        raise SeedError(
            f"the database user may not do what seeding needs ({exc}). Grant it CREATE on the database, or create "
            "the schema for it: CREATE SCHEMA course AUTHORIZATION <user>."
        ) from None
    except asyncpg.LockNotAvailableError:
        raise SeedError(
            f"waited {LOCK_WAIT_S} s for the lock: another process has been loading the seed data for that long, or "
            "a session still reads tables that must be dropped. Close the other notebooks' connections (or restart "
            "their kernels) and run this again."
        ) from None
    except asyncpg.DependentObjectsStillExistError as exc:
        raise SeedError(
            f"other objects depend on the seed tables ({exc.detail or exc}), and seeding never drops what it did "
            "not make: drop those first, then run this again."
        ) from None
    except (OSError, asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError) as exc:
        raise SeedError(
            f"the connection to PostgreSQL was lost while seeding ({type(exc).__name__}: {exc}). Nothing was left "
            "half-written (it is one transaction): start the server again and run this again."
        ) from None
