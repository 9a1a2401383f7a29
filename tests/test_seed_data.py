"""course_app.seed_data: the same rows everywhere (a pinned checksum), loaded once, atomically, by one process.

The database tests share one server in a course folder of their own (no DATABASE_URL), and one full load into the
default schema; each test that needs a fresh state seeds a schema of its own. Timing is the benchmark's business
(benchmarks/bench_db.py): nothing here asserts a duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from course_app import db, embedded
from course_app import seed_data as sd
from course_app.seed_data import generate

ROOT = Path(__file__).resolve().parents[1]
PINNED = "ca249c056ee4a770d6a53b9bc8484479dd46ab0a7c7987c49ac394b6973def1a"
BUMP = (
    "the generator's rows changed: if that is meant, put the new digests in DIGESTS and CHECKSUM "
    "(python -m course_app.seed_data checksum) and bump SEED_VERSION, so that every database reloads"
)


# -- the generator, no database ----------------------------------------------------------------------------------


def test_the_generator_gives_the_pinned_rows() -> None:
    assert sd.table_digests() == sd.DIGESTS, BUMP
    assert sd.checksum() == sd.CHECKSUM == PINNED, BUMP
    assert generate.combine(sd.DIGESTS) == sd.CHECKSUM
    assert sd.COUNTS == {
        "users": 1_000, "products": 500, "orders": 50_000, "order_items": 125_187, "posts": 5_000, "comments": 50_000,
    }  # fmt: skip


@pytest.mark.parametrize("hash_seed", ["0", "4242"])
def test_the_rows_do_not_depend_on_hash_randomisation(hash_seed: str) -> None:
    code = "from course_app.seed_data import TINY, checksum; print(checksum(TINY))"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sd.checksum(sd.TINY)


def test_the_rows_hang_together() -> None:
    """What the schema's constraints will check, and what the chapters rely on, on the generator's own rows."""
    users = list(sd.rows("users"))
    products = list(sd.rows("products"))
    orders = list(sd.rows("orders"))
    posts = list(sd.rows("posts"))
    assert [u[0] for u in users] == list(range(1, 1_001))
    assert len({u[1] for u in users}) == len(users), "emails are unique"
    assert all(u[1].isascii() and u[1].endswith("@example.com") for u in users)
    assert any(not u[2].isascii() for u in users), "some names are not ASCII: the checksum covers UTF-8"
    assert len({p[1] for p in products}) == len(products), "SKUs are unique"
    prices = {p[0]: p[3] for p in products}
    assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 and 0 < v < 500 for v in prices.values())
    assert all(1 <= o[1] <= 1_000 and o[2] in {"paid", "shipped", "delivered", "cancelled"} for o in orders)
    times = [o[3] for o in orders]
    assert times == sorted(times) and times[0].year == times[-1].year == 2025, "order ids ascend with time, in 2025"
    assert all(u[3] < sd.EPOCH for u in users)
    lines: dict[int, list[int]] = {}
    for order_id, line_no, product_id, quantity, unit_price in sd.rows("order_items"):
        lines.setdefault(order_id, []).append(product_id)
        assert line_no == len(lines[order_id]) and quantity >= 1 and unit_price == prices[product_id]
    assert sorted(lines) == list(range(1, 50_001)), "every order has items"
    assert all(1 <= len(ps) <= 4 and len(set(ps)) == len(ps) for ps in lines.values()), "1-4 distinct products"
    posted = {p[0]: p[4] for p in posts}
    per_post: dict[int, int] = {}
    for _, post_id, user_id, body, created_at in sd.rows("comments"):
        assert 1 <= user_id <= 1_000 and created_at > posted[post_id]
        assert not any(c in body for c in "\t\n\\"), "a canonical line stays one line"
        per_post[post_id] = per_post.get(post_id, 0) + 1
    assert max(per_post.values()) >= 20, "some posts have many comments: an N+1 over them shows"


def test_canonical_lines() -> None:
    at = datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert sd.canonical((7, "Zoë", Decimal("2.50"), at)) == "7\tZoë\t2.50\t1735689601"


def test_sizes_are_checked_and_read_back() -> None:
    assert sd.SeedSize.parse(sd.FULL.text()) == sd.FULL
    assert sd.TINY.text() == "users=20,products=10,orders=200,posts=20,comments=200"
    with pytest.raises(ValueError, match="at least one row of each kind"):
        sd.SeedSize(users=0)
    with pytest.raises(ValueError, match="at least 4 products"):
        sd.SeedSize(products=3)
    with pytest.raises(ValueError, match="not a seed size"):
        sd.SeedSize.parse("users=ten")
    with pytest.raises(ValueError, match="no seed table 'reviews'"):
        sd.rows("reviews")


# -- one server for the module, one full load ------------------------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course folder of this module's server."""
    return tmp_path_factory.mktemp("seed") / "course"


@pytest.fixture(scope="module")
def url(home: Path) -> Iterator[str]:
    """A PostgreSQL of this module's own (in ``home``, whatever DATABASE_URL says), stopped at the end."""
    if db._pgserver() is None and db._binaries() is None:
        pytest.skip("no PostgreSQL on this machine: neither the pgserver wheel nor initdb/pg_ctl binaries")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_HOME", str(home))
        mp.delenv("DATABASE_URL", raising=False)
        with db.start_postgres() as pg:
            yield pg.url


@pytest.fixture(scope="module")
def seeded(url: str) -> sd.SeedReport:
    """The full seed data in the default schema, loaded once for the module."""
    return asyncio.run(sd.ensure_seeded(url))


@pytest.fixture
async def conn(url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(url, timeout=10)
    yield connection
    await connection.close()


async def _schema_exists(conn: asyncpg.Connection, schema: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema))


@pytest.mark.anyio
async def test_a_load_holds_every_row_and_the_database_matches_the_checksum(seeded: sd.SeedReport, url: str) -> None:
    assert (seeded.loaded, seeded.schema, seeded.version, seeded.size) == (True, "course", 1, sd.FULL)
    assert seeded.counts == sd.COUNTS and seeded.checksum == sd.CHECKSUM, "the rows sent are the pinned rows"
    check = await sd.verify(url)
    assert check.ok, str(check)
    assert check.found == sd.DIGESTS, "the database's own digests (computed in SQL) match the generator's"
    assert "125,187 order items" in str(seeded) and "loaded in" in str(seeded)


@pytest.mark.anyio
async def test_a_second_call_is_a_check_that_loads_nothing(
    seeded: sd.SeedReport, url: str, conn: asyncpg.Connection
) -> None:
    loaded_at = await conn.fetchval("SELECT loaded_at FROM course.seed_version")
    again = await sd.ensure_seeded(url)
    assert (again.loaded, again.checksum, dict(again.counts)) == (False, sd.CHECKSUM, dict(sd.COUNTS))
    assert "already there" in str(again)
    on_a_connection = await sd.ensure_seeded(conn)  # a connection works as a URL does, and is left open
    assert not on_a_connection.loaded and not conn.is_closed()
    async with asyncpg.create_pool(url, min_size=1, max_size=1) as pool, pool.acquire() as pooled:
        assert not (await sd.ensure_seeded(pooled)).loaded  # a pool's connection too
    assert await conn.fetchval("SELECT count(*) FROM course.seed_version") == 1
    assert await conn.fetchval("SELECT loaded_at FROM course.seed_version") == loaded_at, "the marker is untouched"


@pytest.mark.anyio
async def test_the_schema_has_its_keys_and_the_indexes_the_chapters_need(
    seeded: sd.SeedReport, conn: asyncpg.Connection
) -> None:
    indexes = {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'course'")}
    assert {
        "users_pkey", "users_email_key", "products_pkey", "products_sku_key", "orders_pkey", "order_items_pkey",
        "posts_pkey", "comments_pkey", "orders_user_id_idx", "orders_created_at_idx", "order_items_product_id_idx",
        "posts_user_id_idx", "comments_post_id_idx", "comments_user_id_idx",
    } <= indexes  # fmt: skip
    foreign_keys = await conn.fetchval(
        "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = 'course' AND c.contype = 'f'"
    )
    assert foreign_keys == 6
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await conn.execute("INSERT INTO course.orders VALUES (999999, 999999, 'paid', now())")
    plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN SELECT * FROM course.comments WHERE post_id = 42"))
    assert "comments_post_id_idx" in plan, "the planner has statistics and uses the index an N+1 chapter needs"
    assert await conn.fetchval("SELECT sum(quantity * unit_price) FROM course.order_items WHERE order_id = 1") > 0


# -- fresh schemas: concurrency, a killed load, changes, foreign tables ------------------------------------------


@pytest.fixture
async def fresh(url: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A schema name of this test's own, with nothing in it; whatever seeding left there is dropped afterwards."""
    schema = f"t_{request.node.name.split('[')[0][5:40]}".lower()
    await sd.drop(url, schema=schema)
    yield schema
    with contextlib.suppress(sd.SeedError):
        await sd.drop(url, schema=schema)


@pytest.mark.anyio
async def test_two_sessions_seeding_at_once_load_once(url: str, fresh: str, conn: asyncpg.Connection) -> None:
    """While this test holds the schema's lock, both start and block on it (seen in pg_locks, not guessed from a
    sleep); then it lets go: exactly one loads, the other waits for it and finds the rows there."""
    async with sd.load._locked(conn, fresh):
        both = asyncio.gather(sd.ensure_seeded(url, schema=fresh), sd.ensure_seeded(url, schema=fresh))
        for _ in range(200):  # bounded: 20 s
            waiting = await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if waiting == 2 or both.done():
                break
            await asyncio.sleep(0.1)
        assert waiting == 2, "both sessions should be waiting for the lock"
    reports = await asyncio.wait_for(both, 60)
    assert sorted(r.loaded for r in reports) == [False, True], "exactly one loads"
    assert all(r.counts == sd.COUNTS and r.checksum == sd.CHECKSUM for r in reports), "both see the full data"
    assert (await sd.verify(url, schema=fresh)).ok
    assert await conn.fetchval(f"SELECT count(*) FROM {fresh}.seed_version") == 1


LOADER = """
import asyncio, sys
import asyncpg
from course_app.seed_data import ensure_seeded

async def main(url, schema):
    conn = await asyncpg.connect(url)
    print(conn.get_server_pid(), flush=True)
    await ensure_seeded(conn, schema=schema)
    print("loaded", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


@pytest.mark.anyio
async def test_a_load_killed_mid_copy_leaves_nothing_and_the_next_loads_cleanly(
    url: str, fresh: str, conn: asyncpg.Connection
) -> None:
    loader = subprocess.Popen(
        [sys.executable, "-c", LOADER, url, fresh], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert loader.stdout is not None
        ready, _, _ = select.select([loader.stdout], [], [], 60)
        assert ready, "the loader did not connect within 60 s"
        backend = int(loader.stdout.readline())
        copied = 0
        deadline = time.monotonic() + 60
        while not copied and time.monotonic() < deadline and loader.poll() is None:
            found = await conn.fetchval("SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = $1", backend)
            copied = found or 0
            await asyncio.sleep(0.005)
        assert copied > 0, "never saw the loader's COPY under way"
        os.kill(loader.pid, signal.SIGKILL)
    finally:
        loader.kill()
        loader.wait(10)
        if loader.stdout is not None:
            loader.stdout.close()
    for _ in range(100):  # the server notices the lost client and rolls back: bounded, 10 s
        if not await conn.fetchval("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", backend):
            break
        await asyncio.sleep(0.1)
    assert not await _schema_exists(conn, fresh), "a killed load leaves nothing: not even its schema"
    report = await sd.ensure_seeded(url, schema=fresh)
    assert report.loaded and report.checksum == sd.CHECKSUM
    assert (await sd.verify(url, schema=fresh)).ok


@pytest.mark.anyio
async def test_verify_sees_changed_rows_and_reset_loads_them_again(
    url: str, fresh: str, conn: asyncpg.Connection
) -> None:
    assert (await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)).loaded
    await conn.execute(f"DELETE FROM {fresh}.comments WHERE id <= 10")
    await conn.execute(f"UPDATE {fresh}.products SET price = price + 1 WHERE id = 3")
    check = await sd.verify(url, schema=fresh)
    assert not check.ok and check.differing == ["products", "comments"]
    assert "reset" in str(check)
    assert not (await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)).loaded, "the check reads the marker only"
    again = await sd.reset(url, schema=fresh, size=sd.TINY)
    assert again.loaded and again.counts["comments"] == 200
    assert (await sd.verify(url, schema=fresh)).ok


@pytest.mark.anyio
async def test_another_size_or_version_reloads(url: str, fresh: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)).loaded
    smaller = sd.SeedSize(users=5, products=5, orders=10, posts=5, comments=10)
    report = await sd.ensure_seeded(url, schema=fresh, size=smaller)
    assert report.loaded and report.size == smaller and report.counts["orders"] == 10
    monkeypatch.setattr(sd.load, "SEED_VERSION", 2)  # as a later version of the course would find it
    assert (await sd.ensure_seeded(url, schema=fresh, size=smaller)).version == 2
    monkeypatch.undo()
    with pytest.raises(sd.SeedError, match=r"another version \(v2\)"):
        await sd.verify(url, schema=fresh)
    assert (await sd.ensure_seeded(url, schema=fresh, size=smaller)).loaded


@pytest.mark.anyio
async def test_drop_removes_only_what_seeding_made(url: str, fresh: str, conn: asyncpg.Connection) -> None:
    await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)
    await conn.execute(f"CREATE TABLE {fresh}.notes (id int PRIMARY KEY, text text)")  # a learner's own table
    assert await sd.drop(url, schema=fresh)
    left = await conn.fetch(
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND relkind = 'r'",
        fresh,
    )
    assert [r["relname"] for r in left] == ["notes"], "the learner's table and its schema stay"
    await conn.execute(f"DROP TABLE {fresh}.notes")
    assert not await sd.drop(url, schema=fresh), "nothing of seeding's is left"
    await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)
    assert await sd.drop(url, schema=fresh)
    assert await _schema_exists(conn, fresh), "the schema existed before this load: it stays"
    await conn.execute(f"DROP SCHEMA {fresh}")
    await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)
    assert await sd.drop(url, schema=fresh)
    assert not await _schema_exists(conn, fresh), "a schema that seeding created, left empty, goes too"


@pytest.mark.anyio
async def test_tables_of_our_names_that_seeding_did_not_make_are_never_touched(
    url: str, fresh: str, conn: asyncpg.Connection
) -> None:
    await conn.execute(f"CREATE SCHEMA {fresh}")
    await conn.execute(f"CREATE TABLE {fresh}.users (id int PRIMARY KEY, mine text)")
    await conn.execute(f"INSERT INTO {fresh}.users VALUES (1, 'precious')")
    try:
        with pytest.raises(sd.SeedError, match=f"schema {fresh} already holds users, which the course did not"):
            await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)
        assert not await sd.drop(url, schema=fresh)
        assert await conn.fetchval(f"SELECT mine FROM {fresh}.users") == "precious"
    finally:
        await conn.execute(f"DROP TABLE {fresh}.users")
        await conn.execute(f"DROP SCHEMA {fresh}")


@pytest.mark.anyio
async def test_a_table_that_depends_on_the_seed_blocks_a_reset_with_a_clear_error(
    url: str, fresh: str, conn: asyncpg.Connection
) -> None:
    await sd.ensure_seeded(url, schema=fresh, size=sd.TINY)
    await conn.execute(f"CREATE TABLE {fresh}.reviews (id int PRIMARY KEY, product_id int REFERENCES {fresh}.products)")
    try:
        with pytest.raises(sd.SeedError, match="other objects depend on the seed tables.*drop those first"):
            await sd.reset(url, schema=fresh, size=sd.TINY)
        assert (await sd.verify(url, schema=fresh)).ok, "the failed reset changed nothing"
    finally:
        await conn.execute(f"DROP TABLE {fresh}.reviews")


# -- bad input ---------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_server_that_is_down_is_explained_without_the_password() -> None:
    down = f"postgresql://me:s3cret@127.0.0.1:{embedded.free_port()}/db"
    with pytest.raises(sd.SeedError, match=r"could not reach PostgreSQL at .*Is the server running\?") as info:
        await sd.ensure_seeded(down)
    assert "s3cret" not in str(info.value) and "start_postgres()" in str(info.value)


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("mysql://me:s3cret@host/db", "is not a PostgreSQL URL"),
        (42, "takes a PostgreSQL URL or an open asyncpg connection, not int"),
    ],
)
@pytest.mark.anyio
async def test_what_is_not_a_database_is_explained(target: object, words: str) -> None:
    with pytest.raises(sd.SeedError, match=words) as info:
        await sd.ensure_seeded(target)  # type: ignore[arg-type,unused-ignore]
    assert "s3cret" not in str(info.value)


@pytest.mark.anyio
async def test_a_database_that_does_not_exist_is_explained(url: str) -> None:
    missing = url.replace("/postgres?", "/no_such_db?") if "/postgres?" in url else url.rsplit("/", 1)[0] + "/nodb"
    with pytest.raises(sd.SeedError, match="Create that database"):
        await sd.ensure_seeded(missing)


@pytest.mark.parametrize("schema", ["Course", "1st", "pg_seed", "a;drop", "x" * 64])
@pytest.mark.anyio
async def test_a_bad_schema_name_is_refused_before_any_connection(schema: str) -> None:
    with pytest.raises(sd.SeedError, match="is not one the course uses"):
        await sd.ensure_seeded("postgresql://nowhere.invalid/db", schema=schema)


@pytest.mark.anyio
async def test_a_connection_inside_a_transaction_or_closed_is_refused(url: str) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        async with conn.transaction():
            with pytest.raises(sd.SeedError, match="inside a transaction"):
                await sd.ensure_seeded(conn)
    finally:
        await conn.close()
    with pytest.raises(sd.SeedError, match="is closed"):
        await sd.ensure_seeded(conn)


@pytest.mark.anyio
async def test_verify_before_any_load_says_what_to_do(url: str, fresh: str) -> None:
    with pytest.raises(sd.SeedError, match=f"schema {fresh} holds no seed data: run ensure_seeded"):
        await sd.verify(url, schema=fresh)


# -- the command line --------------------------------------------------------------------------------------------


def _command(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if home is not None:
        env["COURSE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "course_app.seed_data", *args], cwd=ROOT, capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip


def test_the_command_line_checks_and_verifies(seeded: sd.SeedReport, home: Path) -> None:
    """Another process, on the server this module started (a course folder's server is shared by its processes)."""
    done = _command("ensure", home=home)
    assert done.returncode == 0 and "already there" in done.stdout, done.stderr
    done = _command("verify", home=home)
    assert done.returncode == 0 and "schema course holds exactly the seed rows" in done.stdout, done.stderr


def test_the_command_line_without_a_database() -> None:
    done = _command("checksum")
    assert (done.returncode, done.stdout.strip()) == (0, sd.CHECKSUM)
    done = _command("load")
    assert done.returncode == 2 and "usage: python -m course_app.seed_data" in done.stderr
    done = _command("--help")
    assert done.returncode == 0 and "reset     load it again" in done.stdout


def test_the_command_line_says_what_went_wrong_without_a_traceback(tmp_path: Path) -> None:
    done = _command("verify", home=tmp_path / "course")
    assert done.returncode == 1
    assert "error: schema course holds no seed data: run ensure_seeded" in done.stderr
    assert "Traceback" not in done.stderr
