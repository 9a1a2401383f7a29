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
# # 05 · Concurrent calls inside a handler: gather, task groups, first wins, timeouts, bounds, cancellation
#
# **Teaching:** 40 min · **Exercises:** 35 min
#
# **Questions**
# - A handler calls three services at once and one fails: what happens to the other two, and what does the
#   handler's client see? Does `asyncio.gather` behave like `asyncio.TaskGroup` there?
# - "The first to answer wins": what does the seed's version do, and what should win, a failure?
# - A timeout on every call: does that bound how long a handler that makes several calls takes?
# - A thousand calls to a service that allows twenty at a time: what do unbounded tasks cost, and whom?
# - Are parallel database queries faster, and when are they not?
# - The client goes away: what happens to the calls its handler is waiting for?
#
# **Objectives**
# - Watch, from the called service's own records, which calls go on running after a failure, and cancel them
#   with a task group.
# - Write a race where the first **successful** answer wins and the losers are cancelled, and prove they were.
# - Bound each call with a timeout and the whole handler with a budget, and answer 504 when it runs out.
# - Bound a fan-out with one semaphore from the lifespan, and plot the service's calls in flight with and without.
# - Run queries in parallel correctly, a session each, and measure what that buys under load.
# - Cancel a handler's calls when its client disconnects.

# %% [markdown]
# ## Where this chapter starts
#
# The seed's section "Concurrent Request Handling" reads, reflowed (the published text lost its line breaks):
#
# ```python
# # Parallel API calls
# @app.get('/aggregate/user/{user_id}')
# async def aggregate_user_data(user_id: int):
#     async with httpx.AsyncClient() as client:
#         # Fetch from multiple sources in parallel
#         profile_task = client.get(f'https://api.example.com/users/{user_id}')
#         posts_task = client.get(f'https://api.example.com/users/{user_id}/posts')
#         comments_task = client.get(f'https://api.example.com/users/{user_id}/comments')
#
#         profile, posts, comments = await asyncio.gather(
#             profile_task,
#             posts_task,
#             comments_task
#         )
#
#         return {
#             'profile': profile.json(),
#             'posts': posts.json(),
#             'comments': comments.json()
#         }
#
# # Race condition (first to complete wins)
# @app.get('/fastest-price/{product_id}')
# async def get_fastest_price(product_id: str):
#     async with httpx.AsyncClient() as client:
#         tasks = [
#             client.get(f'https://store1.com/price/{product_id}'),
#             client.get(f'https://store2.com/price/{product_id}'),
#             client.get(f'https://store3.com/price/{product_id}')
#         ]
#
#         done, pending = await asyncio.wait(
#             tasks,
#             return_when=asyncio.FIRST_COMPLETED
#         )
#
#         # Cancel pending requests
#         for task in pending:
#             task.cancel()
#
#         result = done.pop().result()
#         return result.json()
# ```
#
# Between the two, its "Parallel database queries" gathers three queries on one `AsyncSession`; chapter 03 ran
# it (it fails) and this chapter does it correctly. Its best practices add: "Concurrent operations - Use
# asyncio.gather for parallel operations when possible", "Timeout handling - Set timeouts on all external calls
# to prevent hanging", "Error propagation - Handle exceptions properly in async code", and among its pitfalls
# "Creating too many tasks - Spawning unlimited tasks can exhaust resources".
#
# There is no internet here, and `api.example.com` or `store1.com` would not answer anyway. Every "external
# service" of the chapter is **one local app**, `service`, that each cell tells how to behave: how long each
# source takes, and how often it fails. The seed's code runs with its hosts replaced (`stand_ins`):
# `https://api.example.com` becomes `{api_example()}`, `https://store1.com` becomes `{store(1)}`, and so on.
# Nothing else of the seed is changed. And the service keeps **books**: every call's start, end, and how it
# ended (answered, failed, refused, or **cancelled**, when the caller went away before the answer). That is how
# this chapter sees what a handler's client never sees: calls that go on after the answer has left.

# %%
import asyncio
import os
import time

import aiohttp
import httpx

from course_app import calibrate, load, scaling, serve, show_source
from course_app.chapters import ch05_concurrency as ch05
from course_app.chapters.ch05_concurrency import (
    aggregate,
    bounded,
    budgets,
    disconnect,
    figures,
    first_wins,
    parallel_queries,
    seed_as_pasted,
    service,
    stand_ins,
)
from course_app.chapters.ch05_concurrency.figures import Ideal
from course_app.db import start_postgres
from course_app.errata import record
from course_app.exercises import ch05 as checks
from course_app.plots import compare
from course_app.seed_data import ensure_seeded

pg = start_postgres()  # the course's PostgreSQL, for the parallel queries (python3 run.py doctor says which)
await ensure_seeded(pg.url)  # the full seed data every database chapter shares (loaded once)
cal = await calibrate(n=50, repeats=1)  # the harness's own overhead; the plots' footnotes state it
svc_app = service.create_app()
book: ch05.Book = svc_app.state.book  # the service's settings and records, read and set from the notebook
svc = serve(svc_app, name="ch05: the external services")
os.environ[ch05.SERVICE_ENV] = svc.url  # where the seed's code (stand_ins) finds api.example.com and the stores
print(f"the service answers at {svc.url}; PostgreSQL from {pg.source}")
print(cal)

# %% [markdown]
# ## The seed's parallel calls, as written
#
# `seed_as_pasted` holds the seed's two routes as written, with their hosts replaced:

# %%
show_source(seed_as_pasted.aggregate_user_data)

# %% [markdown]
# `client.get(...)` without `await` is a coroutine: nothing is sent yet. `asyncio.gather` wraps each in a task
# and runs the three at once. Is it parallel? Each call of the service's `api` source takes 0.2 s:

# %% seed_claim={"id": "aggregate-gather-parallel", "measurement": "Serves the seed's /aggregate/user/{user_id} as written, with each of its three calls taking 0.2 s: the service records the three calls in flight at the same time, and the request takes about 0.2 s plus the making of its httpx client, not 3 \u00d7 0.2 s.", "verdict": "right", "words": "# Fetch from multiple sources in parallel"}
T = 0.2
seed_srv = serve(seed_as_pasted.app, name="ch05: the seed's code", log_level="critical")
made = []  # what the seed pays on every request before its first call: making an httpx client
for _ in range(3):
    started = time.perf_counter()
    async with httpx.AsyncClient():
        pass
    made.append(time.perf_counter() - started)
client_cost = min(made)
tries, overlapped = [], []
for _ in range(3):
    book.reset()
    book.behave("api", delay=T)
    tries.append(await load(seed_srv, "/aggregate/user/7", n=1, label="the seed's three calls"))
    calls = await book.settled(3)
    overlapped.append(len(calls) == 3 and max(c.start for c in calls) < min(c.end for c in calls))
seed_run = min(tries, key=lambda r: r.wall)
print(f"GET /aggregate/user/7: {seed_run.records[0].status} after {seed_run.wall * 1000:.0f} ms (best of 3); ", end="")
print(f"making a client alone: {client_cost * 1000:.0f} ms")
print(f"the service saw the three calls in flight at once: {overlapped}")
assert all(r.ok == 1 for r in tries) and all(overlapped), "the three calls overlapped, every time"
assert seed_run.wall < 0.75 * (3 * T + client_cost), "well under three calls in a row (a busy machine stretches it)"
record(
    "aggregate-gather-parallel",
    f"three calls of {T:g} s: the request took {seed_run.wall * 1000:.0f} ms (making its client alone: "
    f"{client_cost * 1000:.0f} ms), the service saw them all in flight at once",
)

# %% [markdown]
# Parallel, as promised: about one call's time and the making of a client, which the seed does on every
# request (chapter 04's lesson), not three calls' time. Now the comments fail: the service answers them with a 503 after 50 ms, as services do
# when they are overloaded.

# %% seed_claim={"id": "aggregate-failure-as-data", "measurement": "Serves the seed's /aggregate/user/{user_id} with the comments call failing (503): the handler answers 200 with the service's error message as the user's comments; with the service unreachable, it answers 500 (ConnectError).", "verdict": "broken", "words": "return { 'profile': profile.json(), 'posts': posts.json(), 'comments': comments.json() }"}
book.reset()
book.behave("api", delay=T)
book.behave("api/users/*/comments", delay=0.05, fail=1.0)
as_data = await load(seed_srv, "/aggregate/user/7", n=1, keep_bodies=True)
answer = as_data.records[0]
print(f"comments failing: {answer.status}", answer.body.decode()[:300])
os.environ[ch05.SERVICE_ENV] = stand_ins.NOWHERE  # the service unreachable
unreachable = await load(seed_srv, "/aggregate/user/7", n=1)
os.environ[ch05.SERVICE_ENV] = svc.url
print(f"service unreachable: {unreachable.records[0].status}, the server's error: {seed_srv.errors[-1]!r}")
assert answer.status == 200 and b'"comments":{"detail"' in answer.body, "the error, served as the comments"
assert unreachable.statuses[500] == 1 and isinstance(seed_srv.errors[-1], httpx.ConnectError)
record(
    "aggregate-failure-as-data",
    f"comments failing with 503: the handler answered {answer.status} with the error as comments; "
    f"service unreachable: {unreachable.records[0].status} ({type(seed_srv.errors[-1]).__name__})",
)

# %% [markdown]
# A 200 whose comments are `{"detail": "api is failing..."}`: httpx does not raise for a 503 unless asked
# (`response.raise_for_status()`), so the seed serves the failure as data, and its client cannot tell. And when
# the service cannot be reached, the `ConnectError` reaches FastAPI as a 500 with a traceback (the 500 is the
# lesson here). From now on, the chapter's apps call `raise_for_status()` and answer a failed call with a
# **502** (Bad Gateway: a service behind me failed) and a slow one with a **504**, saying which.

# %% [markdown]
# ## `gather`, `TaskGroup` and anyio's task group when one call fails
#
# `aggregate` has the same three calls three ways, with one client from the lifespan:

# %%
show_source(aggregate.fetch, aggregate.with_gather, aggregate.with_taskgroup, aggregate.with_anyio)

# %% [markdown]
# `asyncio.TaskGroup` (Python 3.11) and anyio's task group (which FastAPI and Starlette use underneath) are
# *structured*: no task outlives the `async with` block. When one task fails, the group cancels the others, waits
# for them, and raises an `ExceptionGroup` holding the failure; `except*` picks out the kind it handles.
#
# Profile and posts take 0.5 s; comments fail after 50 ms. For each version: what its client gets, and what the
# service records of the other two calls:

# %% seed_claim={"id": "concurrent-operations-gather", "measurement": "Three calls, one failing after 50 ms and two taking 0.5 s, through asyncio.gather, asyncio.TaskGroup and anyio's task group: all three answer 502 at once, but with gather the service records the other two calls running to the end, about 0.45 s after the failure; with either task group it records them cancelled within a few ms of it.", "verdict": "misleading", "words": "Concurrent operations - Use asyncio.gather for parallel operations when possible"}
SLOW, FAIL_AFTER = 0.5, 0.05
agg_srv = serve(aggregate.create_app(svc.url), name="ch05: gather, TaskGroup, anyio", log_level="critical")
runs, answers, ran_on = {}, {}, {}
for route in ("gather", "taskgroup", "anyio"):
    book.reset()
    book.behave("api", delay=SLOW)
    book.behave("api/users/*/comments", delay=FAIL_AFTER, fail=1.0)
    answers[route] = await load(agg_srv, f"/{route}/user/7", n=1, keep_bodies=True, label=route)
    runs[route] = await book.settled(3)
    failed_at = next(c.end for c in runs[route] if c.outcome == "failed")
    ran_on[route] = max(c.end for c in runs[route]) - failed_at
    others = sorted(c.outcome for c in runs[route] if c.outcome != "failed")
    rec = answers[route].records[0]
    print(f"{route:9} client got {rec.status} after {rec.latency * 1000:4.0f} ms | the other two: {others}, ", end="")
    print(f"the last ended {ran_on[route] * 1000:.0f} ms after the failure")
print("what the client read:", answers["gather"].records[0].body.decode())
for route, result in answers.items():
    assert result.statuses[502] == 1, f"{route}: a failed call is a 502"
    assert result.records[0].latency < SLOW / 2, f"{route}: answered at the failure, not after the slow calls"
assert {c.outcome for c in runs["gather"]} == {"failed", "ok"}, "gather: the others ran to the end"
assert ran_on["gather"] > 0.6 * (SLOW - FAIL_AFTER)
for route in ("taskgroup", "anyio"):
    assert {c.outcome for c in runs[route]} == {"failed", "cancelled"}, f"{route}: the others were cancelled"
    assert ran_on[route] < 0.2 * (SLOW - FAIL_AFTER), f"{route}: cancelled at the failure (a busy machine can delay it)"
record(
    "concurrent-operations-gather",
    ", ".join(f"{route}: the others ran {ran_on[route] * 1000:.0f} ms after the failure" for route in runs),
)

# %%
figures.calls_timeline(
    runs,
    answered={route: r.t0 + r.records[0].end for route, r in answers.items()},
    client="the handler's httpx.AsyncClient; the route timed by the harness's raw client",
    title="One call fails after 50 ms: what became of the other two",
)

# %% [markdown]
# The handler's client saw the same in all three: a 502, at once. The difference is behind the handler.
# `asyncio.gather` returns (raises) at the first failure, **and leaves the other calls running**: nothing
# awaits them any more, their answers are thrown away, and they hold a connection and the service's time for
# nothing: a failing service still gets all of them. A task group cancels them at
# the failure (the service sees their connections close) and only then raises.
#
# So "use asyncio.gather" is half of it: fine when every call succeeds, but use a task group when one failure
# makes the rest useless (or `gather(..., return_exceptions=True)` when each result is wanted, failures
# included). And a task group changes what the handler must catch:

# %%
show_source(aggregate.with_taskgroup_caught_narrowly)

# %% seed_claim={"id": "error-propagation", "measurement": "A TaskGroup whose call fails, inside try/except httpx.HTTPError: the handler answers 500, because the task group raises an ExceptionGroup, which that clause does not catch; except* (the /taskgroup route) answers 502.", "verdict": "right", "words": "Error propagation - Handle exceptions properly in async code"}
book.reset()
book.behave("api/users/*/comments", delay=FAIL_AFTER, fail=1.0)
narrow = await load(agg_srv, "/taskgroup-narrow/user/7", n=1)
escaped = agg_srv.errors[-1]
print(f"GET /taskgroup-narrow/user/7: {narrow.records[0].status}; what escaped: {escaped!r}")
assert narrow.statuses[500] == 1
assert type(escaped).__name__ == "ExceptionGroup", "not the HTTPStatusError: a group holding it"
assert isinstance(escaped.exceptions[0], httpx.HTTPStatusError)
record("error-propagation", f"except httpx.HTTPError around a TaskGroup: {narrow.records[0].status}, {escaped!r}")

# %% [markdown]
# `except httpx.HTTPError` never matches: what leaves the task group is an `ExceptionGroup` *holding* the
# `HTTPStatusError`. Handled "properly" means `except* httpx.HTTPError` with a task group (or `except
# ExceptionGroup` and a look inside), as `with_taskgroup` does. The 500 here is the lesson.

# %% [markdown]
# ## The first to answer wins
#
# The seed's race asks three stores for a price and keeps the first to answer:

# %%
show_source(seed_as_pasted.get_fastest_price)

# %% [markdown]
# Store 1 fails after 50 ms, store 2 answers after 0.15 s, store 3 after 0.5 s:

# %% seed_claim={"id": "race-coroutines-to-wait", "measurement": "Serves the seed's /fastest-price/{product_id} as written on Python 3.11+: every request answers 500 with TypeError 'Passing coroutines is forbidden, use tasks explicitly.', and no store is ever called.", "verdict": "broken", "words": "done, pending = await asyncio.wait( tasks, return_when=asyncio.FIRST_COMPLETED )"}
GOOD = 0.15


def stores() -> None:
    book.reset()
    book.behave("store1", delay=FAIL_AFTER, fail=1.0)
    book.behave("store2", delay=GOOD)
    book.behave("store3", delay=SLOW)


stores()
race = await load(seed_srv, "/fastest-price/42", n=1)
await asyncio.sleep(0.1)  # time for any call to reach the service
print(f"GET /fastest-price/42: {race.records[0].status}; the server's error: {seed_srv.errors[-1]!r}")
print(f"calls the stores received: {len(book.calls)}")
assert race.statuses[500] == 1 and isinstance(seed_srv.errors[-1], TypeError)
assert "Passing coroutines is forbidden" in str(seed_srv.errors[-1])
assert book.calls == [], "no store was called"
record("race-coroutines-to-wait", f"{race.records[0].status}: {seed_srv.errors[-1]!r}; calls made: {len(book.calls)}")

# %% [markdown]
# `asyncio.wait` takes tasks, not coroutines: Python 3.8 deprecated passing coroutines, and 3.11 refuses them.
# The seed's code never sends a request (the kernel also warns that the three `AsyncClient.get` coroutines were
# "never awaited"). The fix the error suggests is to wrap each call in a task, which `first_wins` does, keeping
# the rest of the seed:

# %%
show_source(first_wins.tasks_first_done)

# %% seed_claim={"id": "race-failure-wins", "measurement": "The seed's race with its calls wrapped in tasks (and raise_for_status): store1 fails after 50 ms, store2 would answer after 0.15 s; the handler answers 500 after about 50 ms, store1's HTTPStatusError re-raised by done.pop().result(), and stores 2 and 3 are cancelled.", "verdict": "wrong", "words": "result = done.pop().result()"}
fw_srv = serve(first_wins.create_app(svc.url), name="ch05: the first to answer wins", log_level="critical")
stores()
half = await load(fw_srv, "/tasks-first-done/42", n=1)
half_calls = await book.settled(3)
print(f"GET /tasks-first-done/42: {half.records[0].status} after {half.wall * 1000:.0f} ms")
print(f"the server's error: {fw_srv.errors[-1]!r}"[:160])
print("the stores:", {c.source: c.outcome for c in half_calls})
assert half.statuses[500] == 1 and isinstance(fw_srv.errors[-1], httpx.HTTPStatusError)
ended = {c.source: c.outcome for c in half_calls}
assert ended == {"store1": "failed", "store2": "cancelled", "store3": "cancelled"}, "answered before store2 could"
record(
    "race-failure-wins",
    f"{half.records[0].status} after {half.wall * 1000:.0f} ms ({type(fw_srv.errors[-1]).__name__} of store1); "
    "store2, which had a price coming, cancelled",
)

# %% [markdown]
# It runs now, and "first to complete" means first to complete **in any way**: store 1's failure finished
# first, `done.pop().result()` re-raised it, and the client got a 500, while store 2 was 0.1 s away from a
# price. (Without `raise_for_status()` it would be worse: a 200 whose price is store 1's error message.) The
# first **successful** answer should win; failures are set aside until none is left; and the calls still
# pending are cancelled **and awaited** before the handler answers, so that none outlives the request:

# %%
show_source(first_wins.price, first_wins.fastest_price)

# %%
stores()
fixed = await load(fw_srv, "/fastest-price/42", n=1, keep_bodies=True)
fixed_calls = await book.settled(3)
won = fixed.records[0]
store3 = next(c for c in fixed_calls if c.source == "store3")
print(f"GET /fastest-price/42: {won.status} after {won.latency * 1000:.0f} ms:", won.body.decode())
print("the stores:", {c.source: c.outcome for c in fixed_calls})
for n in (1, 2, 3):
    book.behave(f"store{n}", delay=FAIL_AFTER * n, fail=1.0)
all_failed = await load(fw_srv, "/fastest-price/42", n=1, keep_bodies=True)
print(f"every store failing: {all_failed.records[0].status}", all_failed.records[0].body.decode())
assert won.status == 200 and b'"source":"store2"' in won.body, "the first success won"
assert 0.9 * GOOD < won.latency < 0.6 * SLOW, "answered when store2 did, not before, not after store3"
assert {c.source: c.outcome for c in fixed_calls} == {"store1": "failed", "store2": "ok", "store3": "cancelled"}
assert store3.end - store3.start < 0.6 * SLOW, "store3 was cancelled when store2 won"
assert all_failed.statuses[502] == 1

# %%
figures.calls_timeline(
    {"tasks, done.pop()": half_calls, "the first success wins": fixed_calls},
    answered={"tasks, done.pop()": half.t0 + half.records[0].end, "the first success wins": fixed.t0 + won.end},
    client="the handler's httpx.AsyncClient; the route timed by the harness's raw client",
    title="Three stores: 1 fails, 2 answers after 0.15 s, 3 after 0.5 s",
)

# %% [markdown]
# In both runs every call ended by the time the handler answered (the dashed mark): the losers were cancelled.
# The difference is what won. Exercise 5.1 asks you to write the fixed race yourself.

# %% [markdown]
# ## A timeout on every call, and a budget for the handler
#
# httpx gives every client a timeout of 5 s (for connecting, for each read, each write, and for waiting for a
# connection from its pool) unless told otherwise:

# %%
async with httpx.AsyncClient() as client:
    print(client.timeout)

# %% [markdown]
# A timeout per call bounds each call. `budgets` makes three calls one after another (each needing the one
# before, say), each with `timeout=call_timeout`; its second route also wraps them in `asyncio.timeout(budget)`,
# a deadline for the whole handler:

# %%
show_source(budgets.one_after_another, budgets.with_budget)

# %% [markdown]
# Two situations. The profile call hangs for 0.6 s (the others are quick), with a timeout longer than that,
# then with one of 0.2 s. Then every call takes 0.25 s, under a timeout of 0.3 s each, with and without a
# budget of 0.4 s:

# %% seed_claim={"id": "timeout-handling", "measurement": "Three calls in a row: a profile call that hangs 0.6 s is cut at its 0.2 s timeout (504) instead of holding the handler 0.6 s; but three calls of 0.25 s under a 0.3 s timeout each take 0.75 s, and only a budget for the whole handler (asyncio.timeout, 0.4 s) answers 504 at 0.4 s.", "verdict": "right", "words": "Timeout handling - Set timeouts on all external calls to prevent hanging"}
bud_srv = serve(budgets.create_app(svc.url), name="ch05: timeouts and a budget")
HANG, EACH, PER_CALL, BUDGET = 0.6, 0.25, 0.3, 0.4
book.reset()
book.behave("api", delay=0.01)
book.behave("api/users/7", delay=HANG)
timed = {
    "hangs 0.6 s, timeout 3 s": await load(bud_srv, "/per-call/user/7?call_timeout=3", n=1),
    "hangs 0.6 s, timeout 0.2 s": await load(bud_srv, "/per-call/user/7?call_timeout=0.2", n=1, keep_bodies=True),
}
book.reset()
book.behave("api", delay=EACH)
timed["3 × 0.25 s, timeout 0.3 s each"] = await load(bud_srv, f"/per-call/user/7?call_timeout={PER_CALL}", n=1)
timed["3 × 0.25 s, and a budget of 0.4 s"] = await load(
    bud_srv, f"/budget/user/7?call_timeout={PER_CALL}&budget={BUDGET}", n=1, keep_bodies=True
)
for label, result in timed.items():
    print(f"{label:34} {result.records[0].status} after {result.wall * 1000:4.0f} ms", end="  ")
    print(result.records[0].body.decode() if result.records[0].body else "")
hung, cut, summed, budgeted = timed.values()
assert hung.statuses[200] == 1 and cut.statuses[504] == 1
assert cut.wall < 0.6 * hung.wall, "cut at its timeout, not at the service's leisure"
assert summed.statuses[200] == 1 and summed.wall > 2 * PER_CALL, "no timeout fired: three calls, each under it"
assert budgeted.statuses[504] == 1 and b"budget" in budgeted.records[0].body
assert budgeted.wall < 0.75 * summed.wall, "the budget cut the handler short"
record(
    "timeout-handling",
    ", ".join(f"{label}: {r.records[0].status} in {r.wall * 1000:.0f} ms" for label, r in timed.items()),
)
compare(
    timed,
    {labels: ideal for labels, ideal in zip(timed, (HANG + 0.02, 0.2, 3 * EACH, BUDGET), strict=True)},
    title="Three calls in a row: per-call timeouts and a budget",
    ideal_labels=dict(zip(timed, ("the hang", "the timeout", "3 × 0.25 s", "the budget"), strict=True)),
)

# %% [markdown]
# The seed is right: the call that hung was cut at its timeout, a 504 that says so, instead of holding the
# handler (and its client) as long as the service liked. But a timeout per call bounds **each** call: three
# calls that each stayed under 0.3 s took 0.75 s together, and with ten calls or a retry it is ten timeouts.
# A handler has a budget of its own, set by what its clients will wait for: `asyncio.timeout(...)` (or anyio's
# `fail_after`, or httpx's own `timeout` passed down as the time left) enforces it whatever happens inside.

# %% [markdown]
# ## Bounding concurrency with a semaphore
#
# A handler that makes a thousand calls (one per item of a basket, one per user to notify) can make them all at
# once: a task each. The service called allows 20 at a time, and answers the rest with 429 Too Many Requests.
# `bounded` makes one `asyncio.Semaphore(20)` in the lifespan, so on the server's own loop and once for the
# whole app, and every call waits for a place in it:

# %%
show_source(bounded.lifespan, bounded.bounded_call, bounded.bounded)

# %% [markdown]
# A thousand calls must be **sent** quickly for the bound to matter, and the client's own cost per call decides
# how quickly. This section uses aiohttp's client, not httpx's; here is why, 200 calls of no delay at all, 20 at a
# time, from this notebook:

# %%
book.reset()
book.behave("api", delay=0)


async def two_hundred(get) -> float:
    bound = asyncio.Semaphore(20)

    async def one(i: int) -> None:
        async with bound:
            await get(f"{svc.url}/api/items/{i}")

    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(one(i) for i in range(200)))
    return asyncio.get_running_loop().time() - started


async def with_httpx() -> float:
    async with httpx.AsyncClient() as client:
        return await two_hundred(client.get)


async def with_aiohttp() -> float:
    async with aiohttp.ClientSession() as session:

        async def aiohttp_get(url: str) -> None:
            async with session.get(url) as response:
                await response.read()

        return await two_hundred(aiohttp_get)


runs = []
for _ in range(3):  # in turn, 3 times: the best of each
    runs.append((await with_httpx(), await with_aiohttp()))
httpx_seconds, aiohttp_seconds = min(h for h, _ in runs), min(a for _, a in runs)
print(f"200 calls, best of 3: httpx {httpx_seconds * 1000:.0f} ms, aiohttp {aiohttp_seconds * 1000:.0f} ms")
assert httpx_seconds > 3 * aiohttp_seconds, (
    "httpx's cost per call is several times aiohttp's (busy machine? run it again)"
)

# %% [markdown]
# httpx spends several times aiohttp's CPU per call (chapter 00 showed where: its connection pool). Sending a
# thousand calls through it takes seconds of CPU whatever the bound, so they could never be in flight fast
# enough to need one. For a fan-out of thousands, the client's cost per call is part of the design.
#
# Now a thousand calls of 20 ms, three ways: no bound, to a service that takes everything; no bound, to one that
# allows 20 at a time; and the semaphore of 20. The ideal of the last is ⌈1000 / 20⌉ × 20 ms = 1 s, with 20 in
# flight all along:

# %% seed_claim={"id": "too-many-tasks", "measurement": "A handler makes 1,000 calls of 20 ms: a task each and no bound, the service sees up to about 100 in flight (the client's pool), and a service that allows 20 refuses most of them (429) so the handler answers 502; with one asyncio.Semaphore(20) from the lifespan, at most 20 in flight, none refused, in about the ideal 1 s.", "verdict": "right", "words": "Creating too many tasks - Spawning unlimited tasks can exhaust resources"}
N, D, LIMIT = 1000, 0.02, bounded.BOUND
bnd_srv = serve(bounded.create_app(svc.url), name="ch05: a thousand calls")
fan = {}
for label, route, limit in (
    ("no bound, a service that takes all", "unbounded", None),
    ("no bound, a service that allows 20", "unbounded", LIMIT),
    ("one Semaphore(20) from the lifespan", "bounded", LIMIT),
):
    book.reset(limit=limit)
    book.behave("api", delay=D)
    result = await load(bnd_srv, f"/{route}?n={N}", n=1, keep_bodies=True, timeout=30, max_seconds=30, label=label)
    fan[label] = (result, await book.settled(N), book.peak, book.outcomes())
    print(f"{label:36} {result.records[0].status} in {result.wall:.2f} s; the service: peak {book.peak} in flight, "
          f"{book.outcomes()}")  # fmt: skip
(_, _, free_peak, _), (refused_run, _, _, refused), (bound_run, _, bound_peak, bound_outcomes) = fan.values()
ideal = -(-N // LIMIT) * D
assert free_peak > 2 * LIMIT, "without a bound, far more than 20 at once (fewer when the machine is busy)"
assert refused_run.statuses[502] == 1 and refused.get("refused", 0) > N / 4, "most calls refused"
assert bound_run.statuses[200] == 1 and bound_peak <= LIMIT and bound_outcomes == {"ok": N}
assert 0.9 * ideal < bound_run.wall < 4 * ideal, "near the ideal (a busy machine stretches it: the calls cost CPU)"
record(
    "too-many-tasks",
    f"{N} calls of {D * 1000:.0f} ms: no bound, peak {free_peak} in flight; against a limit of {LIMIT}, "
    f"{refused.get('refused', 0)} refused; with Semaphore({LIMIT}): peak {bound_peak}, none refused, "
    f"{bound_run.wall:.2f} s (ideal {ideal:.2f} s)",
)

# %%
figures.in_flight(
    {label: calls for label, (_, calls, _, _) in fan.items()},
    {"one Semaphore(20) from the lifespan": Ideal(LIMIT, ideal, f"{LIMIT} in flight for ⌈{N}/{LIMIT}⌉ × {D:g} s")},
    limit=LIMIT,
    client="aiohttp.ClientSession in the handler (a thousand calls per request)",
    title="A thousand calls from one handler, as the service counted them",
)

# %% [markdown]
# What a thousand tasks exhaust first is **someone else's** capacity. Without a bound, the only limit left was the
# client's pool (100 connections, aiohttp's default as httpx's), five times what the service allows; against the real limit, most
# calls were refused, and the handler failed. With one semaphore, the service saw 20 at a time, never more, and
# every call succeeded in about the ideal time.
#
# The semaphore belongs to the app, made in the lifespan: a semaphore made per request bounds only that
# request's calls, not the app's, one made per call bounds nothing, and one made in a notebook cell belongs
# to no server's loop until the first waits on it, and then to that loop only. Exercise 5.2 is about that.

# %% [markdown]
# ## Parallel database queries, a session each
#
# Chapter 03 ran the seed's `/dashboard`, which gathers three queries on **one** `AsyncSession`: it fails, and
# when it does not, the queries still run one at a time, because a session is one connection. Done correctly,
# each query gets a session, so a connection, of its own. `parallel_queries` has both, the seed's three
# queries in order on one session, and in parallel with a session each; `?slow=0.05` makes each query take
# 50 ms in the database first:

# %%
show_source(parallel_queries.in_order, parallel_queries.parallel)

# %% [markdown]
# Its pool holds 6 connections. One request in order holds one connection for 3 × 50 ms; in parallel, three
# connections for 50 ms. At N concurrent requests the ideals are ⌈N / 6⌉ × 150 ms in order, and ⌈3N / 6⌉ × 50 ms
# in parallel (best of two runs each):

# %% seed_claim={"id": "parallel-queries", "measurement": "The seed's three dashboard queries, 50 ms each, with a session per query against one session in order, on a pool of 6: one request takes about 50 ms against 150 ms, but at 6 concurrent requests both take about 150 ms: parallel queries trade connections for latency, and do not add throughput.", "verdict": "misleading", "words": "Parallel database queries"}
Q, POOL = 0.05, parallel_queries.POOL_SIZE
pq_srv = serve(parallel_queries.create_app(pg.url), name="ch05: parallel queries")
await load(pq_srv, "/dashboard/parallel", n=POOL)  # the pool's connections opened
NS_PQ = (1, 3, 6)
dash: dict[str, list] = {"in order, one session": [], "in parallel, a session each": []}
for n in NS_PQ:
    for label, route in zip(dash, ("in-order", "parallel"), strict=True):
        tries = []
        for _ in range(2):
            tries.append(await load(pq_srv, f"/dashboard/{route}?slow={Q}", n=n, label=label))
        dash[label].append(min(tries, key=lambda r: r.wall))
for label, results in dash.items():
    print(f"{label:28}", "  ".join(f"N={r.n}: {r.wall * 1000:4.0f} ms" for r in results))
in_order, parallel = dash.values()
assert all(r.ok == r.n for rs in dash.values() for r in rs)
assert in_order[0].wall > 2 * parallel[0].wall, "one request: the slowest query, not the sum"
assert parallel[-1].wall > 0.7 * in_order[-1].wall, "six at once: the pool's connections are the limit either way"
record(
    "parallel-queries",
    "; ".join(
        f"N={o.n}: in order {o.wall * 1000:.0f} ms, a session each {p.wall * 1000:.0f} ms"
        for o, p in zip(in_order, parallel, strict=True)
    ),
)

# %%
scaling(
    dash,
    {
        "in order, one session": lambda n: -(-n // POOL) * 3 * Q,
        "in parallel, a session each": lambda n: -(-3 * n // POOL) * Q,
    },
    title="Three 50 ms queries per request, on a pool of 6 connections",
)

# %% [markdown]
# Alone, a request in parallel takes its slowest query instead of the sum: worth it for slow, independent
# queries. Under load, the queries are the same work on the same connections; at six requests at once, the pool
# was the limit and both took about as long. And every parallel request takes three connections where one would
# do: size the pool (chapter 04) for that.

# %% [markdown]
# ## When the client goes away
#
# A client gives up: a timeout, a closed tab, a load balancer that stopped waiting. uvicorn notices (the
# connection closes), but it does **not** cancel a plain route's handler: it marks the request, and answers
# `http.disconnect` to whoever calls `receive()` (uvicorn's `httptools_impl.py`, `RequestResponseCycle.receive`).
# A plain handler never asks. `disconnect` has the same three calls twice:
# plainly, and with one more task in the group that waits for the disconnect and cancels the group:

# %%
show_source(ch05.until_disconnected, disconnect.watched)

# %% [markdown]
# Each call takes 0.6 s; the client gives up after 0.2 s. The ideal: every call ends when the client leaves.

# %%
GIVE_UP, CALL = 0.2, 0.6
dis_srv = serve(disconnect.create_app(svc.url), name="ch05: when the client goes away")
left, gone_runs = {}, {}
for route in ("plain", "watched"):
    book.reset()
    book.behave("api", delay=CALL)
    result = await load(dis_srv, f"/{route}/user/7", n=1, timeout=GIVE_UP)
    left[route] = result.t0 + result.records[0].end  # when the client hung up
    gone_runs[route] = await book.settled(3)
    after = [round((c.end - left[route]) * 1000) for c in gone_runs[route]]
    print(f"{route:8} the client: {result.records[0].outcome}; the calls: ", end="")
    print(f"{sorted({c.outcome for c in gone_runs[route]})}, ended {after} ms after the client left")
assert {c.outcome for c in gone_runs["plain"]} == {"ok"}, "the plain handler's calls ran to the end"
assert min(c.end for c in gone_runs["plain"]) - left["plain"] > 0.5 * (CALL - GIVE_UP)
assert {c.outcome for c in gone_runs["watched"]} == {"cancelled"}, "the watched handler's calls were cancelled"
assert max(c.end for c in gone_runs["watched"]) - left["watched"] < 0.25 * (CALL - GIVE_UP), (
    "cancelled when the client left (a busy machine can delay it a little)"
)
assert not dis_srv.errors

# %%
figures.calls_timeline(
    {"plain": gone_runs["plain"], "watched": gone_runs["watched"]},
    answered=left,
    client="the harness's raw client, giving up after 0.2 s; the handler's httpx.AsyncClient",
    title="The client leaves after 0.2 s: what becomes of its handler's calls",
    ideal_label="ideal end of every call: when the client left",
)

# %% [markdown]
# The plain handler went on for 0.4 s after its client had gone: three calls answered to nobody, and a
# response written to a closed connection. Multiply by a page that retries when it gives up, and a slow service
# gets every request twice. The watched handler heard the disconnect and cancelled its task group: the service
# saw its three connections close at once. (Starlette's `request.is_disconnected()` asks the same question once,
# without waiting; a task that waits on `receive()` gets the answer the moment it comes.)

# %% [markdown]
# ## Exercise 5.1 · The first good price wins
#
# Complete `ex51_fastest_price`: ask the three stores at once (`first_wins.price(client, url)` makes one call and
# raises for a failure), answer with the **first successful** price, never with a failure, cancel the calls still
# pending (and wait for them), and answer **502** when every store fails. The check runs a store that fails fast,
# one that answers in 0.15 s and one that takes 0.8 s, and reads the stores' books to see whether the slow one was
# cancelled. `checks.show_me("5.1")` prints a solution once you have tried.

# %% tags=["exercise"]
from typing import Any

from fastapi import FastAPI, HTTPException, Request

ex51_app = FastAPI(title="exercise 5.1", lifespan=ch05.one_client)


@ex51_app.get("/fastest-price/{product_id}")
async def ex51_fastest_price(product_id: str, request: Request) -> Any:
    client: httpx.AsyncClient = request.state.client
    urls = [f"{request.app.state.service}/store{n}/price/{product_id}" for n in (1, 2, 3)]
    ### BEGIN SOLUTION
    pending = {asyncio.create_task(first_wins.price(client, url)) for url in urls}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    raise HTTPException(502, "every store failed")
    ### END SOLUTION


# %% tags=["exercise"]
await checks.check_first_success(ex51_app)

# %% [markdown]
# ## Exercise 5.2 · Many calls, never more than twenty at a time
#
# `GET /fan-out?n=` makes `n` calls at once, a task each, through `ex52_call`. Bound them so that the whole app
# never has more than `BOUND` calls in flight, however many requests come at once: make the bound in the
# lifespan (yield it beside the client, as `"bound"`), and have `ex52_call` wait for a place in it around
# `bounded.call(client, url)`, which makes one call and returns its status. The check sends two requests of 60
# calls at once to a service that allows 20 at a time, then restarts your server and sends one more.

# %% tags=["exercise"]
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Query

BOUND = 20  # calls in flight at once, for the whole app


@asynccontextmanager
async def ex52_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    async with aiohttp.ClientSession() as client:
        ### BEGIN SOLUTION
        yield {"client": client, "bound": asyncio.Semaphore(BOUND)}
        ### END SOLUTION


async def ex52_call(request: Request, url: str) -> int:
    ### BEGIN SOLUTION
    async with request.state.bound:
        return await bounded.call(request.state.client, url)
    ### END SOLUTION


ex52_app = FastAPI(title="exercise 5.2", lifespan=ex52_lifespan)


@ex52_app.get("/fan-out")
async def ex52_fan_out(request: Request, n: Annotated[int, Query(ge=1, le=2000)] = 10) -> dict[str, Any]:
    urls = [f"{request.app.state.service}/api/items/{i}" for i in range(n)]
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(ex52_call(request, url)) for url in urls]
    return bounded.summary([t.result() for t in tasks])


# %% tags=["exercise"]
await checks.check_bounded_calls(ex52_app)

# %% [markdown]
# ## Exercise 5.3 · A timeout on each call, a budget for the handler
#
# `ex53_user` calls the profile, the posts and the comments of a user, one after another (`urls`, in that
# order). Give each call a timeout of `CALL_TIMEOUT` seconds and the three together a budget of `BUDGET`
# seconds; answer **504** when either runs out, **502** when a call fails (`raise_for_status()`;
# `ch05.service_failed(exc)` turns an httpx error into the right one), and otherwise
# `{"profile": ..., "posts": ..., "comments": ...}`. The check sends four requests: quick calls, a profile call
# that hangs for 2 s, three calls of 0.2 s each, and a comments call that fails.

# %% tags=["exercise"]
CALL_TIMEOUT, BUDGET = 0.3, 0.5  # seconds for each call; seconds for the three calls in all

ex53_app = FastAPI(title="exercise 5.3", lifespan=ch05.one_client)


@ex53_app.get("/user/{user_id}")
async def ex53_user(user_id: int, request: Request) -> dict[str, Any]:
    client: httpx.AsyncClient = request.state.client
    urls = [f"{request.app.state.service}/api/users/{user_id}{part}" for part in ("", "/posts", "/comments")]
    ### BEGIN SOLUTION
    answers = []
    try:
        async with asyncio.timeout(BUDGET):
            for url in urls:
                response = await client.get(url, timeout=CALL_TIMEOUT)
                response.raise_for_status()
                answers.append(response.json())
    except TimeoutError:
        raise HTTPException(504, f"the budget of {BUDGET} s ran out") from None
    except httpx.HTTPError as exc:
        raise ch05.service_failed(exc) from None
    return {"profile": answers[0], "posts": answers[1], "comments": answers[2]}
    ### END SOLUTION


# %% tags=["exercise"]
await checks.check_timeouts(ex53_app)

# %% [markdown]
# ## Clean up

# %%
servers = (seed_srv, agg_srv, fw_srv, bud_srv, bnd_srv, pq_srv, dis_srv, svc)
for server in servers:
    server.stop()
os.environ.pop(ch05.SERVICE_ENV, None)
pg.stop()
assert not any(s.running for s in servers)

# %% [markdown]
# ## Key points
#
# - The seed's `gather` is parallel, but it serves a failed call's error as data (no `raise_for_status()`), and a
#   service it cannot reach is a 500. Raise for failures; answer 502 for a failed call, 504 for a slow one.
# - When one call fails, `asyncio.gather` returns at once **and leaves the others running**, for nobody. A task
#   group (`asyncio.TaskGroup`, anyio's) cancels them and waits for them; catch what it raises with `except*`.
# - The seed's race passes coroutines to `asyncio.wait`: a TypeError on Python 3.11+. With tasks, the first call
#   to finish wins even when it failed. Let the first **success** win, and cancel and await the losers.
# - A timeout on every call bounds each call, not the handler: give the handler a budget
#   (`asyncio.timeout`), and answer 504 when it runs out.
# - Tasks are cheap; the service they call is not. Bound a fan-out with **one** semaphore from the lifespan: the
#   service then sees at most that many, and refuses none.
# - Parallel queries need a session (a connection) each; they cut one request's latency, not the database's work:
#   under load, the pool is the limit.
# - uvicorn does not cancel a handler whose client left. Watch for the disconnect in the task group and cancel,
#   or the calls run on for nobody.
