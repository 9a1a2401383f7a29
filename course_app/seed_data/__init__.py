"""The seed data of every database chapter: users, products, orders and their items, posts and comments.

(Not to be confused with *the seed*, the cheat-sheet the course grew from, in ``course_app/seed/``: these are the
rows its database chapters query.)

Generated, never stored: the rows come from :func:`rows`, a pure function of a table's name and a
:class:`SeedSize`, and go straight into PostgreSQL with ``COPY`` (asyncpg's ``copy_records_to_table``). Nothing is
written to disk, so git holds a few kilobytes of code instead of megabytes of CSV.

The same rows on every machine (:mod:`.generate`): each table draws from its own ``random.Random`` seeded with an
integer, through ``Random.random()`` alone, the one method whose sequence Python promises to keep across versions.
Nothing depends on hash randomisation, dict order, the platform's float formatting or the clock: timestamps are
whole seconds after :data:`EPOCH`, prices :class:`~decimal.Decimal` cents. :data:`CHECKSUM` (sha256 over a
canonical text form of every row) pins them; ``tests/test_seed_data.py`` checks the generator against it, and a
loaded database too (:func:`verify` computes the same digests in SQL).

Loading (:mod:`.load`, :func:`ensure_seeded`) is idempotent, atomic, and safe from several processes at once:

* a second call is one cheap query: the marker table ``seed_version`` names this version and size;
* otherwise it takes a transaction-scoped advisory lock (one per schema): of two processes seeding at once, one
  loads and the other waits, then finds the marker and returns;
* schema, tables, rows, constraints, indexes and marker are one transaction: a load that is killed, or whose
  server stops, leaves nothing behind, and the next call loads cleanly;
* the rows live in a schema of their own (:data:`SCHEMA`, ``course``), so a ``DATABASE_URL`` naming an
  instructor's server gets one new schema and nothing else. Only the tables the marker says seeding created are
  ever dropped (a new version, :func:`reset`, :func:`drop`), never with CASCADE; the schema only when seeding
  created it and it is empty; a schema holding tables of our names without our marker is refused, not overwritten.

:data:`FULL`, what the chapters use: 1,000 users, 500 products, 50,000 orders with 1 to 4 items each (125,187
items), 5,000 posts and 50,000 comments: an N+1 query over the users or the posts is 1,000 or 5,000 round trips,
30 concurrent reports exhaust a pool of ten, and a CSV export of the orders (a few MB) is worth streaming. Loading
them takes about two seconds on a 2-core machine; checking that they are there, a few milliseconds
(``benchmarks/bench_db.py`` measures both).

From a shell: ``python -m course_app.seed_data [ensure|reset|verify|drop|checksum]`` (see ``data/README.md``).
"""

from __future__ import annotations

from .generate import (
    CHECKSUM,
    COLUMNS,
    COUNTS,
    DIGESTS,
    EPOCH,
    FULL,
    SEED_VERSION,
    TABLES,
    TINY,
    SeedSize,
    canonical,
    checksum,
    rows,
    table_digests,
)
from .load import SCHEMA, SeedError, SeedReport, Target, Verification, drop, ensure_seeded, reset, schema_sql, verify

__all__ = [
    "CHECKSUM",
    "COLUMNS",
    "COUNTS",
    "DIGESTS",
    "EPOCH",
    "FULL",
    "SCHEMA",
    "SEED_VERSION",
    "TABLES",
    "TINY",
    "SeedError",
    "SeedReport",
    "SeedSize",
    "Target",
    "Verification",
    "canonical",
    "checksum",
    "drop",
    "ensure_seeded",
    "reset",
    "rows",
    "schema_sql",
    "table_digests",
    "verify",
]
