# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Connection pooling: per request or shared, sizing, exhaustion
#
# **Teaching:** 35 min · **Exercises:** 25 min
#
# **Questions**
# - What does a pool per request cost, as the seed's `get_asyncpg_pool` makes one, and what happens at 30
#   concurrent requests?
# - How do `min_size`, `max_size` and the acquire timeout shape latency under load?
# - What does a full pool look like to a client, and how does it become a clear 503 instead of a hang?
# - Several workers, each with its pool: when does the database itself say no?
# - What do httpx's `max_connections`, `max_keepalive_connections` and pool timeout do for calls to another service?
#
# **Objectives**
# - Measure a pool per request against one pool from the lifespan, and read the database's own error.
# - Plot latency against concurrency for several pool sizes beside the ideal: waves of `max_size` queries.
# - Tell which resource ran out (loop, threads, pool) from a probe inside the server.
# - Do the arithmetic of workers × `max_size` against `max_connections`, and watch it fail live.
# - Bound every wait for a connection, database or HTTP, and answer 503 when it runs out.

# %% [markdown]
# ## Where this chapter starts
#
# The seed's section on pooling reads, reflowed (the published text lost its line breaks):
#
# ```python
# class DatabasePool:
#     def init(self):
#         self.pool = None
#
#     async def create_pool(self):
#         self.pool = await asyncpg.create_pool(
#             'postgresql://user:pass@localhost/db',
#             min_size=10,
#             max_size=20,
#             command_timeout=60,
#             max_queries=50000,
#             max_inactive_connection_lifetime=300
#         )
#
#     async def get_connection(self):
#         async with self.pool.acquire() as connection:
#             yield connection
#
# @app.on_event('startup')
# async def startup(): await db_pool.create_pool()
# ```
#
# then an `HTTPClientPool` with `httpx.Limits(max_keepalive_connections=20, max_connections=100)`, and its section
# on databases adds a "lower level, faster" dependency, `get_asyncpg_pool`, that creates a pool **per request**.
# Chapter 02 dealt with `on_event`; this chapter runs the rest on live servers and real PostgreSQL servers.
#
# Two of them: the course's own (the same as chapter 02's) for what is polite, and a **throw-away PostgreSQL of
# this kernel alone**, allowing 50 connections, for the cells that run a database out of connections on purpose.
# Other kernels of this checkout (a second notebook, the tests) share the course's server, and must never find it
# full because of us.

# %%
import asyncio
import math
import os

import asyncpg
import httpx

from course_app import LiveServer, calibrate, load, probe, scaling, serve, show_source, timeline
from course_app.chapters import ch04_pooling as ch04
from course_app.chapters.ch01_async_vs_sync import upstream
from course_app.chapters.ch04_pooling import http_limits, seed_as_pasted, shared_pool
from course_app.chapters.ch04_pooling.http_limits import ClientSettings
from course_app.chapters.ch04_pooling.shared_pool import PoolSettings
from course_app.db import start_postgres
from course_app.errata import record
from course_app.exercises import ch04 as checks
from course_app.plots import compare
from course_app.seed_data import TINY, ensure_seeded

pg = start_postgres()  # the course's PostgreSQL: DATABASE_URL, else the embedded server (see python3 run.py doctor)
small = ch04.throwaway_postgres(max_connections=50)  # this kernel's own, to be run out of connections
await ensure_seeded(small.url, size=TINY)  # the seed's users table, 20 rows
cal = await calibrate(n=50, repeats=1)  # the harness's own overhead; the plots' footnotes state it
print(f"PostgreSQL from {pg.source}; the throw-away one ready in {small.start_seconds:.2f} s, ", end="")
print(f"max_connections = {small.max_connections}")
print(cal)

# %% [markdown]
# ## The seed's pool per request
#
# `seed_as_pasted` holds the seed's dependency as written; only its made-up address is replaced by the course's
# (`database_url()`, which reads `$COURSE_DATABASE_URL`):

# %%
show_source(seed_as_pasted.get_asyncpg_pool, seed_as_pasted.get_user_fast)

# %% [markdown]
# Every request opens a pool, which opens `min_size=10` connections to the database (a new server process each,
# with its authentication), uses one of them for one query, and closes all ten. The fix is the one of chapter 02:
# the pool is opened once, in the lifespan, and each request borrows a connection from it (`shared_pool`):

# %%
show_source(shared_pool.lifespan, shared_pool.connection)

# %% [markdown]
# Both apps on the throw-away server, the same user looked up by its primary key, at 1, 2 and 3 concurrent
# requests (the fastest of three runs each). The ideal of the shared pool is one query's time: N requests on N
# free connections overlap. The ideal of the pool per request adds what making a pool costs, measured here on
# its own from the notebook: a lower bound, as the requests also wait for each other's connections.

# %% seed_claim_exempt="measures the pool per request at 1 to 3 concurrent requests; the next cell, which carries the claim asyncpg-pool-per-request, records these figures with its own"
os.environ[ch04.DB_ENV] = small.url  # where seed_as_pasted's database_url() looks
seed_srv = serve(seed_as_pasted.app, name="ch04: the seed's pool per request", log_level="critical")
shared_srv = serve(shared_pool.create_app(small.url), name="ch04: one pool from the lifespan")


async def make_a_pool() -> float:
    started = asyncio.get_running_loop().time()
    pool = await asyncpg.create_pool(small.url, min_size=ch04.SEED_MIN_SIZE, max_size=ch04.SEED_MAX_SIZE)
    await pool.close()
    return asyncio.get_running_loop().time() - started


costs = []
for _ in range(3):
    costs.append(await make_a_pool())
pool_cost = min(costs)
NS = (1, 2, 3)
runs: dict[str, list] = {"pool per request (seed)": [], "one pool from the lifespan": []}
for n in NS:
    for label, srv, path in (
        ("pool per request (seed)", seed_srv, "/users-fast/7"),
        ("one pool from the lifespan", shared_srv, "/users/7"),
    ):
        tries = []
        for _ in range(3):
            tries.append(await load(srv, path, n=n))
        runs[label].append(min(tries, key=lambda r: r.wall))
query = runs["one pool from the lifespan"][0].wall  # one request on a free connection
for label, results in runs.items():
    print(f"{label:28}", "  ".join(f"N={r.n}: {r.wall * 1000:6.1f} ms" for r in results))
print(f"making a pool of {ch04.SEED_MIN_SIZE} connections, alone: {pool_cost * 1000:.1f} ms")
assert all(r.ok == r.n for rs in runs.values() for r in rs), "every request answered 200"
for per_request, shared in zip(*runs.values(), strict=True):
    assert per_request.wall > 3 * shared.wall, (per_request, shared)

# %%
scaling(
    runs,
    {"pool per request (seed)": lambda n: query + pool_cost, "one pool from the lifespan": lambda n: query},
    title="A user by its id: a pool per request against one pool",
    logy=True,
)

# %% [markdown]
# More than three times slower at every N (the assertion's margin; the figures above say by how much): each
# request pays for ten connections before its query, and most of them are never used. And it is worse than
# slow. At 30 concurrent requests the seed asks the database for 30 × 10 = 300 connections at once:

# %% seed_claim={"id": "asyncpg-pool-per-request", "measurement": "Serves the seed's get_asyncpg_pool (min_size=10, max_size=20, a pool per request) on a PostgreSQL allowing 50 connections: 30 concurrent requests ask for 300 connections; requests fail with 500, the database itself refusing with TooManyConnectionsError 'sorry, too many clients already'; one pool from the lifespan answers all 30.", "verdict": "wrong", "words": "Direct asyncpg (lower level, faster) async def get_asyncpg_pool(): pool = await asyncpg.create_pool( 'postgresql://user:pass@localhost/db', min_size=10, max_size=20 ) try: yield pool finally: await pool.close()"}
at_30 = await load(seed_srv, "/users-fast/7", n=30, timeout=10, label="pool per request, 30 at once")
shared_30 = await load(shared_srv, "/users/7", n=30, timeout=10, label="one pool, 30 at once")
refused = [e for e in seed_srv.errors if isinstance(e, asyncpg.TooManyConnectionsError)]
print(f"asked for: 30 × min_size {ch04.SEED_MIN_SIZE} = {30 * ch04.SEED_MIN_SIZE} connections; ", end="")
print(f"the database allows {small.max_connections}")
print("pool per request:", dict(at_30.statuses), "| one pool:", dict(shared_30.statuses))
print("what the database said:", repr(refused[0]) if refused else None)
assert at_30.statuses[500] >= 10, "most requests failed"
assert refused and str(refused[0]) == "sorry, too many clients already", "PostgreSQL's own words"
assert dict(shared_30.statuses) == {200: 30}
record(
    "asyncpg-pool-per-request",
    f"N=3: {runs['pool per request (seed)'][-1].wall * 1000:.0f} ms per request against "
    f"{runs['one pool from the lifespan'][-1].wall * 1000:.0f} ms; at 30 concurrent: {dict(at_30.statuses)}, "
    f"the database: {refused[0]!r}; one pool: {dict(shared_30.statuses)}",
)

# %% [markdown]
# `sorry, too many clients already` is PostgreSQL's own message (`asyncpg.TooManyConnectionsError`): the server
# has `max_connections` processes and takes no more. The seed's app lets it through as a 500 with a traceback (the
# 500 is the lesson here), and every other client of that database, another app, a migration, your `psql`, is
# refused at the same moment. The shared pool answered all 30 with at most its `max_size` (10) connections: the
# requests past ten waited a moment for one.

# %%
await asyncio.sleep(0.3)  # the refused pools' connections close
print("connections the seed's app still holds:", await ch04.count_connections(small.url, ch04.SEED_APP_NAME))
seed_srv.stop()
shared_srv.stop()

# %% [markdown]
# ## Pool sizing: `min_size` and `max_size`
#
# - `min_size` connections are opened when the pool is made, and kept (the seed: 10);
# - `max_size` is the most the pool ever holds (the seed: 20). A request that finds all of them busy **waits**.
#
# So N requests whose query takes t run in waves of `max_size`: the ideal wall time is ⌈N / max_size⌉ · t. A
# query that takes a known time, `SELECT pg_sleep(0.1)`, on the course's server, at several N for three sizes:

# %%
T = 0.1
SIZES = (2, 5, 10)
NS_SIZED = (1, 2, 5, 10, 20)
sized: dict[str, list] = {}
for size in SIZES:
    settings = PoolSettings(min_size=size, max_size=size, acquire_timeout=10)
    sized[f"max_size={size}"] = []
    with LiveServer(shared_pool.create_app(pg.url, settings), name=f"ch04: max_size={size}") as srv:
        for n in NS_SIZED:
            sized[f"max_size={size}"].append(await load(srv, f"/sleep?seconds={T}", n=n, timeout=10))
for label, results in sized.items():
    print(f"{label:12}", "  ".join(f"N={r.n}: {r.wall:.2f} s" for r in results))


def waves(size: int):
    return lambda n: math.ceil(n / size) * T


assert all(r.ok == r.n for rs in sized.values() for r in rs)
for size in SIZES:
    for r in sized[f"max_size={size}"]:
        assert r.wall >= 0.9 * waves(size)(r.n), "no run beats its ideal"
        assert r.wall < 3 * waves(size)(r.n) + 0.1, f"far from the ideal: {r}"
at_20 = {size: sized[f"max_size={size}"][-1].wall for size in SIZES}
assert at_20[2] > 2 * at_20[5] > 2 * at_20[10] * 0.9, at_20  # 10 waves, 4 waves, 2 waves

# %%
scaling(
    sized,
    {f"max_size={size}": waves(size) for size in SIZES},
    title=f"N concurrent queries of {T:g} s: waves of max_size",
)

# %% [markdown]
# Each curve climbs a step every `max_size` requests, as its ideal does: a pool is a queue in front of the
# database. A bigger pool is not free, though: each connection is a server process (several MB), and the
# database's CPUs and disks do not multiply with the connections. Past a few times the database's cores, more
# connections only make each query slower. Size the pool for the database, and let requests wait, briefly, in
# the pool's queue.
#
# `min_size` decides when connections are opened: a pool with `min_size=1` opens the others on the first burst,
# and keeps them. The database counts them:

# %%
lazy = PoolSettings(min_size=1, max_size=5, application_name=f"{ch04.APP_NAME}-lazy")
with LiveServer(shared_pool.create_app(pg.url, lazy), name="ch04: min_size=1") as srv:
    at_start = await ch04.count_connections(pg.url, lazy.application_name)
    await load(srv, "/sleep?seconds=0.1", n=5)
    after_burst = await ch04.count_connections(pg.url, lazy.application_name)
print(f"min_size=1, max_size=5: {at_start} connection at start, {after_burst} after a burst of 5")
assert (at_start, after_burst) == (1, 5)

# %% [markdown]
# ## Exhaustion, as a client sees it, and as the probe sees it
#
# The seed's `get_connection` calls `self.pool.acquire()` with no timeout, and its pool has `command_timeout=60`.
# Does that bound how long a request can wait? A pool of two, the seed's way (no acquire timeout; a
# `command_timeout` of 1 s, scaled down from 60), and ten requests whose queries take 0.3 s. A probe samples the
# server from inside its loop: the loop's lag, the worker threads, and now the pool's connections in use
# (`probe(srv, pool=...)`, through asyncpg's public `get_size()`, `get_idle_size()` and `get_max_size()`):

# %%
show_source(ch04.common.pool_exhausted)

# %% seed_claim={"id": "pool-command-timeout", "measurement": "A pool of 2 with command_timeout=1 s and the seed's acquire() without a timeout; 10 concurrent queries of 0.3 s: all answer 200 in waves of 2, the last after about 1.5 s, longer than command_timeout: it bounds a query, not the wait for a connection. The probe shows the pool pinned at max_size, the loop and threads idle.", "verdict": "misleading", "words": "async def get_connection(self): async with self.pool.acquire() as connection: yield connection"}
Q, CMD = 0.3, 1.0
seedlike = PoolSettings(min_size=2, max_size=2, acquire_timeout=None, command_timeout=CMD)
app_wait = shared_pool.create_app(pg.url, seedlike)
with (
    LiveServer(app_wait, name="ch04: a full pool, no acquire timeout") as srv,
    probe(srv, pool=lambda: app_wait.state.observed_pool) as p_wait,
):
    waited = await load(srv, f"/sleep?seconds={Q}", n=10, timeout=10, label="no acquire timeout")
print(waited, p_wait, sep="\n")
assert dict(waited.statuses) == {200: 10}, "nobody failed: they all waited"
assert max(waited.latencies) > CMD, "the last waited longer than command_timeout, and no error came"
assert waited.wall >= 0.9 * 5 * Q, "5 waves of 2"
assert p_wait.max_pool_in_use == 2 and p_wait.max_threads_busy == 0
assert p_wait.max_lag < waited.wall / 5, "the loop was free all along"
record(
    "pool-command-timeout",
    f"command_timeout={CMD:g} s, no acquire timeout: all {waited.ok} answered 200, the last after "
    f"{max(waited.latencies):.2f} s; pool in use: {p_wait.max_pool_in_use} of 2, threads busy "
    f"{p_wait.max_threads_busy}, longest loop lag {p_wait.max_lag * 1000:.0f} ms",
)
timeline(waited, probe=p_wait, ideal=5 * Q, ideal_label=f"5 waves of 2 queries of {Q:g} s")

# %% [markdown]
# Read the panels top to bottom. The requests came in waves of two; the loop never lagged (it had nothing to
# do), no worker thread was busy; the pool's two connections were in use the whole time. **The pool ran out**, and
# nothing else. The last request waited 1.2 s for a connection, past `command_timeout`, without an error:
# `command_timeout` bounds a query once it has a connection, never the wait for one. With a real 60 s
# `command_timeout` and a slow query, a request can queue for minutes, and the client sees only silence.
#
# The fix is a bound on the wait: `pool.acquire(timeout=...)`, and a 503 when it runs out (`shared_pool.connection`
# above does both). The same ten requests, with an acquire timeout of 0.4 s:

# %%
bounded = PoolSettings(min_size=2, max_size=2, acquire_timeout=0.4, command_timeout=CMD)
app_bounded = shared_pool.create_app(pg.url, bounded)
with (
    LiveServer(app_bounded, name="ch04: a full pool, acquire timeout 0.4 s") as srv,
    probe(srv, pool=lambda: app_bounded.state.observed_pool) as p_bounded,
):
    fast_no = await load(srv, f"/sleep?seconds={Q}", n=10, timeout=10, keep_bodies=True, label="timeout 0.4 s")
detail = next(r.body for r in fast_no.records if r.status == 503).decode()
print(fast_no)
print("a 503 says:", detail)
assert fast_no.statuses[503] >= 4 and fast_no.statuses[200] >= 2, fast_no.statuses
slowest_503 = max(r.latency for r in fast_no.records if r.status == 503)
assert slowest_503 < max(waited.latencies) / 2, "a quick, clear no instead of a long wait"
assert fast_no.wall < 0.7 * waited.wall
timeline(fast_no, probe=p_bounded, ideal=2 * Q, ideal_label="2 waves of 2; the other 6 get 503 at the timeout")

# %% [markdown]
# Two waves of two got their connections (the second waited 0.3 s, under the 0.4 s bound); the other six got a
# 503 at 0.4 s, with a `Retry-After` header and a message that says what happened. A client, or a load balancer,
# can retry elsewhere or later; nobody hangs. Choose the timeout from what your clients will wait for, well under
# their own timeout.

# %% [markdown]
# ## Several workers against `max_connections`
#
# A pool belongs to one process. `uvicorn --workers 4`, four containers, a worker process for background jobs:
# each has its own pool, and the database sees their sum. The arithmetic, with the reserve PostgreSQL keeps for
# superusers (`superuser_reserved_connections`, 3 by default, so that an administrator can still log in):
#
# workers × `max_size` + everything else that connects ≤ `max_connections` − reserved
#
# With the seed's `max_size=20`, a default server (`max_connections=100`, 97 for ordinary roles) holds four
# workers and a `psql`; the fifth worker's pool, grown to its maximum under load, is refused. Our throw-away server
# allows 50 (we connect as its superuser, so all 50), so three workers with the seed's pool are enough: 60 > 50.
# Three servers of `shared_pool` with the seed's sizes stand for three worker processes; 20 concurrent queries
# each, all at once:

# %% seed_claim={"id": "pool-size-per-worker", "measurement": "Three servers (workers) of one pool each with the seed's min_size=10, max_size=20, on a PostgreSQL allowing 50 connections, 20 concurrent 0.5 s queries each: the pools cannot all grow, the database refuses connections ('sorry, too many clients already') and those requests get 503; with max_size=15 (3 \u00d7 15 = 45 \u2264 50) all 60 answer 200.", "verdict": "misleading", "words": "min_size=10, max_size=20"}
def workers(max_size: int, count: int = 3) -> list[LiveServer]:
    made = []
    for i in range(count):
        settings = PoolSettings(min_size=10, max_size=max_size, acquire_timeout=5, application_name=f"worker-{i}")
        made.append(LiveServer(shared_pool.create_app(small.url, settings), name=f"ch04: worker {i}").start())
    return made


async def all_at_once(servers: list[LiveServer]) -> list:
    return await asyncio.gather(*(load(s, "/sleep?seconds=0.5", n=20, timeout=10, keep_bodies=True) for s in servers))


seed_sized = workers(ch04.SEED_MAX_SIZE)
try:
    over = await all_at_once(seed_sized)
finally:
    for s in seed_sized:
        s.stop()
statuses_over = sum((r.statuses for r in over), start=type(over[0].statuses)())
refusal = next(r.body for res in over for r in res.records if r.status == 503).decode()
print(
    f"3 workers × max_size {ch04.SEED_MAX_SIZE} = {3 * ch04.SEED_MAX_SIZE} > {small.max_connections}:",
    dict(statuses_over),
)
print("a refused request says:", refusal)

fitting = workers(15)
try:
    under = await all_at_once(fitting)
finally:
    for s in fitting:
        s.stop()
statuses_under = sum((r.statuses for r in under), start=type(under[0].statuses)())
print(f"3 workers × max_size 15 = 45 ≤ {small.max_connections}:", dict(statuses_under))
assert statuses_over[503] >= 1 and statuses_over[200] <= small.max_connections
assert "too many clients already" in refusal
assert dict(statuses_under) == {200: 60}
record(
    "pool-size-per-worker",
    f"3 workers with max_size=20 on max_connections={small.max_connections}: {dict(statuses_over)}; with "
    f"max_size=15: {dict(statuses_under)}",
)

# %% [markdown]
# With the seed's sizes, the third pool could not grow: the database refused, each refused request got a 503
# that names the reason (`shared_pool` maps `TooManyConnectionsError` to it; the seed's code would answer 500).
# With 15 per worker, the sum fits and every request is served, the ones past 15 per worker after a short wait in
# their pool's queue. The seed's sizes are not wrong; they are per process, and the sum is what the database
# sees. When the sum cannot fit, the standard answer is a pooler in front of the database (PgBouncer), which
# multiplexes many client connections onto a few server ones.

# %% [markdown]
# ## httpx limits for calls to another service
#
# The same questions for HTTP: an `httpx.AsyncClient` keeps a pool of connections per host. Its `httpx.Limits`:
#
# - `max_connections`: at most this many requests in flight (the seed: 100); the next waits for a free one;
# - `max_keepalive_connections`: how many idle connections are kept for the next calls (the seed: 20), the rest
#   are closed;
# - the pool timeout (`httpx.Timeout(pool=...)`): how long a call may wait for a free connection before
#   `PoolTimeout`. The seed's `httpx.Timeout(10.0)` sets all four timeouts, the pool's included, to 10 s.
#
# `http_limits` holds one client from the lifespan with these settings, and maps `PoolTimeout` to a 503:

# %%
show_source(http_limits.lifespan, http_limits.call)

# %%
print("httpx.Timeout(10.0).pool =", httpx.Timeout(10.0).pool)

# %% [markdown]
# The service it calls is chapter 01's `upstream` (`/data?delay=` answers after `delay` seconds; `/stats` counts
# the TCP connections it was called on). 20 concurrent calls of 0.2 s through a client with `max_connections=5`,
# twice: once keeping 5 idle connections alive, once keeping 2, as the seed keeps 20 of its 100:

# %%
up = serve(upstream.app, name="ch04: the upstream service")
bursts, opened = {}, {}
for keep in (5, 2):
    limited = ClientSettings(max_connections=5, max_keepalive_connections=keep, pool_timeout=5)
    with LiveServer(http_limits.create_app(up.url, limited), name=f"ch04: httpx keep-alive {keep}") as srv:
        httpx.delete(f"{up.url}/stats")
        label = f"max_connections=5, max_keepalive_connections={keep}"
        bursts[label] = await load(srv, "/call?delay=0.2", n=20, timeout=10, label=label)
        opened[label] = httpx.get(f"{up.url}/stats").json()["connections"]
for label, result in bursts.items():
    print(f"{label}: {result.wall:.2f} s, {dict(result.statuses)}; TCP connections the service saw: {opened[label]}")
assert all(dict(r.statuses) == {200: 20} and r.wall >= 0.9 * 4 * 0.2 for r in bursts.values()), "4 waves of 5"
kept5, kept2 = opened.values()
assert kept5 == 5, "five connections, each reused for four calls"
assert kept2 > 2 * kept5, "connections closed after each wave and opened again"
shown = {f"{label}: {opened[label]} TCP connections": result for label, result in bursts.items()}
compare(
    shown,
    {label: 4 * 0.2 for label in shown},
    title="20 calls of 0.2 s through 5 connections",
    ideal_labels={label: "4 waves of 5" for label in shown},
)

# %% [markdown]
# Waves of five in both, as with the database pool, and the same wall time here; but with five kept alive the
# service saw five connections, each reused for four calls, and with two kept alive it saw about one per call:
# each wave ended with five idle connections, the client closed three (only two may stay idle), and the next wave
# opened new ones. On loopback a connection costs little; to a real service it is a TCP and a TLS handshake, tens
# of milliseconds each time. Set `max_keepalive_connections` to the concurrency you expect, not below it: the
# seed's 20 of 100 churns connections whenever more than 20 calls are in flight.
#
# And when every connection stays busy? A pool timeout of 0.3 s, calls of 0.5 s:

# %%
short = ClientSettings(max_connections=5, max_keepalive_connections=5, pool_timeout=0.3)
with LiveServer(http_limits.create_app(up.url, short), name="ch04: httpx pool timeout") as srv:
    busy = await load(srv, "/call?delay=0.5", n=20, timeout=10, keep_bodies=True, label="pool timeout 0.3 s")
said = next(r.body for r in busy.records if r.status == 503).decode()
print(dict(busy.statuses), "|", said)
assert busy.statuses[200] == 5 and busy.statuses[503] == 15, busy.statuses
assert max(r.latency for r in busy.records if r.status == 503) < 0.5, "answered before any call was done"

# %% [markdown]
# Five calls got the five connections; fifteen got a 503 after 0.3 s, before any of the five had finished. The
# seed's client would have let the `PoolTimeout` through as a 500, after 10 s. Except that the seed's client never
# runs at all:

# %% seed_claim={"id": "http-client-pool-init", "measurement": "Serves the seed's HTTPClientPool and GET /external-api as written, with a service to call: every request answers 500 with AttributeError, because `def init` is never called and `self.client` does not exist.", "verdict": "broken", "words": "class HTTPClientPool: def init(self): self.client = None async def get_client(self) -> AsyncGenerator[httpx.AsyncClient, None]: if self.client is None:"}
os.environ[ch04.UPSTREAM_ENV] = up.url
with LiveServer(seed_as_pasted.app, log_level="critical") as srv:
    r = httpx.get(f"{srv.url}/external-api")
print("GET /external-api:", r.status_code, "| the server's error:", repr(srv.errors[-1]))
assert r.status_code == 500 and isinstance(srv.errors[-1], AttributeError)
assert "'HTTPClientPool' object has no attribute 'client'" in str(srv.errors[-1])
record("http-client-pool-init", f"GET /external-api answered {r.status_code}: {srv.errors[-1]!r}")

# %% [markdown]
# `def init` is an ordinary method, so nothing sets `self.client`, and `if self.client is None` raises
# `AttributeError` (chapter 02 found the same bug in the seed's `AsyncDatabaseSession`). And had it run, its client
# would never be closed: nothing calls `http_pool.close()`. `http_limits` opens its client in the lifespan,
# where closing is automatic.

# %%
up.stop()
for variable in (ch04.DB_ENV, ch04.UPSTREAM_ENV):
    os.environ.pop(variable, None)

# %% [markdown]
# ## Exercise 4.1 · One pool, from the lifespan
#
# The seed's `get_asyncpg_pool` makes a pool per request. Complete `ex41_lifespan` so that it opens **one** pool
# from `app.state.database` (`min_size=2`, `max_size=5`), yields it as the lifespan state (`{"pool": ...}`) and
# closes it at shutdown, and `ex41_pool`, the dependency, so that it returns that pool. The check sends 30
# requests, 10 at a time, and asks the database how many connections your app used (it puts the database's URL
# in `app.state.database`). `checks.show_me("4.1")`
# prints a solution once you have tried.

# %% tags=["exercise"]
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request


@asynccontextmanager
async def ex41_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    ### BEGIN SOLUTION
    async with asyncpg.create_pool(app.state.database, min_size=2, max_size=5) as pool:
        yield {"pool": pool}
    ### END SOLUTION


async def ex41_pool(request: Request) -> asyncpg.Pool:
    ### BEGIN SOLUTION
    return request.state.pool
    ### END SOLUTION


ex41_app = FastAPI(title="exercise 4.1", lifespan=ex41_lifespan)


@ex41_app.get("/backend")
async def ex41_backend(pool: Annotated[asyncpg.Pool, Depends(ex41_pool)]) -> dict[str, int]:
    async with pool.acquire() as conn:
        return {"pid": await conn.fetchval("SELECT pg_backend_pid()")}


# %% tags=["exercise"]
await checks.check_lifespan_pool(ex41_app)

# %% [markdown]
# ## Exercise 4.2 · A full pool answers 503
#
# The pool below has two connections. Complete the dependency `ex42_connection` so that a request waits at most
# `ACQUIRE_TIMEOUT` seconds for a connection and then gets a **503** with a message, and so that every connection
# goes back to the pool when its request ends. The check sends 6 requests at once, each holding its connection
# 0.8 s, then 4 quick ones.

# %% tags=["exercise"]
ACQUIRE_TIMEOUT = 0.3  # seconds a request may wait for a free connection


@asynccontextmanager
async def ex42_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    pool = await asyncpg.create_pool(app.state.database, min_size=2, max_size=2)
    try:
        yield {"pool": pool}
    finally:
        await ch04.close_pool(pool)  # pool.close() would wait for ever for a connection never given back


async def ex42_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.state.pool
    ### BEGIN SOLUTION
    try:
        conn = await pool.acquire(timeout=ACQUIRE_TIMEOUT)
    except TimeoutError:
        raise HTTPException(503, "all the database connections are busy: try again shortly") from None
    try:
        yield conn
    finally:
        await pool.release(conn)
    ### END SOLUTION


ex42_app = FastAPI(title="exercise 4.2", lifespan=ex42_lifespan)


@ex42_app.get("/work")
async def ex42_work(
    conn: Annotated[asyncpg.Connection, Depends(ex42_connection)], seconds: Annotated[float, Query(ge=0, le=2)] = 0.5
) -> dict[str, float]:
    await conn.execute("SELECT pg_sleep($1)", seconds)
    return {"slept": seconds}


# %% tags=["exercise"]
await checks.check_acquire_timeout(ex42_app)

# %% [markdown]
# ## Clean up

# %%
small.stop()
pg.stop()
assert not small.folder.exists(), "the throw-away server and its data are gone"
assert not any(s.running for s in (seed_srv, shared_srv, up))

# %% [markdown]
# ## Key points
#
# - A pool per request (the seed's `get_asyncpg_pool`) opens `min_size` connections for every request: several
#   times slower, and at 30 concurrent requests the database itself refuses (`sorry, too many clients already`).
#   Open one pool in the lifespan; borrow a connection per request.
# - A pool of `max_size` serves N queries of t in ⌈N / max_size⌉ waves: the extra requests wait in the pool's
#   queue. Size it for the database, not for the traffic.
# - `command_timeout` bounds a query, not the wait for a connection. Give `pool.acquire()` a timeout, and answer
#   503 (with `Retry-After`) when it runs out: a clear "busy", never a hang or a 500.
# - A probe with the pool beside the loop lag and the threads tells which resource ran out.
# - Every process has its own pool: workers × `max_size` + everything else must stay under `max_connections`
#   (minus the superusers' reserve). Past that, use fewer connections per worker, or a pooler such as PgBouncer.
# - httpx: `max_connections` bounds calls in flight, `max_keepalive_connections` how many idle connections are
#   kept for reuse (below the concurrency, connections are closed and reopened on every wave), the pool timeout
#   how long a call waits for one; map `PoolTimeout` to 503.
