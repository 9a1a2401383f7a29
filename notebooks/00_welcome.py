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
# # 00 · Welcome, and the harness
#
# **Teaching:** 20 min · **Exercises:** 20 min
#
# **Questions**
# - How does this course prove what it claims, on *your* machine?
# - Why does `asyncio.run()` fail in a notebook, and what do we do instead?
# - How do I start a real FastAPI server from a notebook cell, and stop it?
# - How far can I trust the timings the course shows?
#
# **Objectives**
# - Check that your machine is ready (the *doctor*).
# - Use top-level `await` in a notebook, and explain why `nest_asyncio` is not needed.
# - Start a live uvicorn server from a cell, open its `/docs`, re-run the cell safely.
# - Fire concurrent requests with the course's load client and read its timeline; send many at once yourself
#   with one `httpx.AsyncClient` and `asyncio.gather`.
# - Explain why `httpx` is a fine client library but a poor *load generator*.

# %% [markdown]
# ## How this course works
#
# Every chapter starts **real servers** inside the notebook: uvicorn, on `127.0.0.1`, on a port the
# operating system picks (so thirty people on one JupyterHub never collide). Each server runs in its own
# thread with its own event loop, so when a handler blocks *its* loop, the server stalls but your notebook
# does not.
#
# Then the chapter fires real requests at it, measures, plots, and **asserts** what it claims, with generous
# margins. If a new version of FastAPI, Starlette or uvicorn changes the truth, these notebooks fail in CI the
# same day. When a cell says "the server handled 100 requests in about 0.2 s", the line below it checks it.
#
# The helpers live in the `course_app` package. The code a chapter *teaches* is shown from its module, never
# pasted, so what you read is what was tested.

# %%
import asyncio
import subprocess
import sys
import textwrap

import httpx

from course_app import calibrate, compare, load, serve, show_source, timeline
from course_app.chapters.ch00_welcome import hello
from course_app.doctor import doctor
from course_app.exercises import ch00 as checks

# %% [markdown]
# ## Is this machine ready?
#
# The doctor checks versions, starts and stops a live server, reads the size of the thread pool (chapter 01
# explains it), and starts the embedded PostgreSQL that the database chapters will use. Its non-essential
# checks matter only for the database chapters (coming: PostgreSQL) or for the course's benchmarks (wrk); everything this
# chapter and the next need is essential.

# %%
report = await doctor()
report

# %%
assert report.ok, "the doctor found a problem: read its table above"

# %% [markdown]
# ## `asyncio.run()` in a notebook, and top-level `await`
#
# Jupyter's kernel already runs an asyncio event loop: it is how the kernel waits for your cells. A tutorial
# that ends with `asyncio.run(main())` therefore fails when pasted into a cell:

# %%
async def answer() -> int:
    await asyncio.sleep(0.01)
    return 42


coro = answer()
try:
    asyncio.run(coro)
except RuntimeError as exc:
    error = str(exc)
    print("RuntimeError:", error)
finally:
    coro.close()  # the coroutine was never started; close it so Python does not warn

assert "cannot be called from a running event loop" in error

# %% [markdown]
# IPython has a better answer built in: **top-level `await`**. A cell may `await` directly, and the coroutine
# runs on the kernel's own loop. Every client in this course is awaited like this.

# %%
result = await answer()
assert result == 42
result

# %% [markdown]
# ### What about `nest_asyncio`?
#
# Many answers on the web say "`pip install nest_asyncio` and call `nest_asyncio.apply()`". It patches asyncio
# so that `asyncio.run()` and `run_until_complete()` may be called while a loop is already running (the loop
# is re-entered). Here it is, once, in a **separate Python process**, so that it does not patch this kernel:

# %%
script = textwrap.dedent(
    """
    import asyncio, nest_asyncio

    async def answer():
        await asyncio.sleep(0.01)
        return 42

    async def main():
        coro = answer()
        try:
            asyncio.run(coro)
        except RuntimeError as exc:
            print("without nest_asyncio:", exc)
            coro.close()
        nest_asyncio.apply()
        print("with nest_asyncio:", asyncio.run(answer()))
        print("asyncio.run is now", asyncio.run.__module__ + "." + asyncio.run.__qualname__)

    asyncio.run(main())
    """
)
demo = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
print(demo.stdout, demo.stderr)
assert "without nest_asyncio: asyncio.run() cannot be called from a running event loop" in demo.stdout
assert "with nest_asyncio: 42" in demo.stdout
assert "asyncio.run is now nest_asyncio" in demo.stdout

# %% [markdown]
# It works, and the last line shows the price: `asyncio.run` itself has been replaced **for the whole
# process**. The course does not lean on it:
#
# - top-level `await` already does what we need, with no patch;
# - the patch is global: every library in the kernel now runs on a re-entrant loop that asyncio was never
#   designed for, and a nested `run()` blocks the task that called it until it finishes;
# - the project is archived (its repository is read-only). Even ipykernel, which once used it, now depends on
#   a fork (`nest-asyncio2`), and only for its Tk event-loop integration;
# - hangs and errors with httpx-based clients under it are reported in the wild (for example
#   anthropics/anthropic-sdk-python#602, PrefectHQ/fastmcp#1080).

# %%
from importlib.metadata import requires

ipykernel_needs = [r for r in requires("ipykernel") or [] if r.startswith("nest")]
print("ipykernel depends on:", ipykernel_needs)

# %% [markdown]
# ## Your first live server
#
# Here is the chapter's app, shown from its module:

# %%
show_source(hello)

# %% [markdown]
# `serve(app)` starts it on a free port and returns once uvicorn reports that it has started. The returned
# object shows a link to the interactive docs that FastAPI generates: open it and try `/hello`.

# %%
srv = serve(hello.app)
srv

# %%
async with httpx.AsyncClient(base_url=srv.url) as client:
    greeting = await client.get("/hello", params={"name": "async world"})
    docs = await client.get("/docs")
    bad = await client.get("/sleep", params={"seconds": "soon"})

print(greeting.json())
print("GET /docs:", docs.status_code, docs.headers["content-type"])
print("GET /sleep?seconds=soon:", bad.status_code, bad.json()["detail"][0]["msg"])
assert greeting.json() == {"message": "Hello, async world!"}
assert docs.status_code == 200 and "swagger-ui" in docs.text
assert bad.status_code == 422  # bad input gets a clear error, never a 500

# %% [markdown]
# **Re-running is safe.** Run the `serve` cell again: the server for the same app is stopped and replaced, so
# you never meet "address already in use". Here that is, checked:

# %%
old = srv
srv = serve(hello.app)
assert not old.running and srv.running
print(old, "→", srv)

# %% [markdown]
# ## Many requests at once: the load client
#
# `await load(srv, path, n=...)` sends `n` concurrent requests from this notebook's loop and records each
# request's start, end and status. The `/sleep` handler awaits `asyncio.sleep(0.2)`, so while one request
# sleeps the server serves the others: 100 concurrent requests should take about 0.2 s *in all*. That 0.2 s
# is the **ideal**: it assumes that the client and the server cost nothing.

# %%
t = 0.2
first = await load(srv, f"/sleep?seconds={t}", n=100, label="100 × await asyncio.sleep(0.2)")
first

# %%
timeline(first, ideal=t, ideal_label="all 100 sleep at once")

# %%
assert first.ok == 100
assert first.wall < 2 * t, "100 awaiting handlers should overlap"

# %% [markdown]
# ## How far can you trust these timings?
#
# Nothing is free: the client parses responses and the server parses requests, in the same Python process as
# this notebook. The course therefore **measures its own overhead** against a plain ASGI app whose answer is
# known exactly (N concurrent `sleep(0.2)` take 0.2 s). From then on, the footnote of every plot states the
# overhead of the client that measured it; the timeline above came first, so its footnote says "not
# calibrated yet", and so do plots of clients the course never calibrates.

# %%
cal = await calibrate()
print(cal)
assert cal.ratio < 1.3, "the harness should add well under a third to a 0.2 s request"

# %% [markdown]
# ### httpx is a fine client, and a poor load generator
#
# You will write client code with `httpx` throughout this course: it is the right tool for that. But for
# *timing a server*, a load generator must cost far less than the thing it measures. Here are three clients
# doing the same job: 100 concurrent `GET /sleep?seconds=0.2`. The `raw` engine is the course's own:
# asyncio protocols with uvicorn's C HTTP parser (httptools), one connection per concurrent request, opened
# before the clock starts. `warm=True` means the client's connection pool was filled by a first round.

# %%
engines = {
    "raw (course)": await load(srv, f"/sleep?seconds={t}", n=100, engine="raw"),
    "aiohttp": await load(srv, f"/sleep?seconds={t}", n=100, engine="aiohttp"),
    "httpx, cold pool": await load(srv, f"/sleep?seconds={t}", n=100, engine="httpx", warm=False),
    "httpx, warm pool": await load(srv, f"/sleep?seconds={t}", n=100, engine="httpx"),
}
for name, r in engines.items():
    print(f"{name:>18}: {r.wall:.3f} s = {r.ratio(t):5.2f}× the ideal")
compare(engines, {k: t for k in engines}, title="Same server, same 100 requests: the client matters")

# %% [markdown]
# The server was identical in all four runs; only the client changed. httpx spends its time in its own
# connection pool, and (counter-intuitively) a *warm* pool of 100 connections is the slowest of all. That is
# why the course times with the raw engine and writes client code with httpx. Each result says which client
# produced it (`r.client`), and so does every plot.
#
# <details><summary><b>Note, for the curious:</b> why is a warm pool the slowest?</summary>
#
# Profiled, almost all of httpx's time goes to one clean-up pass in httpcore's connection pool. Every time a
# request is added or removed, `_assign_requests_to_connections` walks the pool, and for **each idle
# connection** it counts the idle connections by building a list of the **whole pool** again
# (`httpcore/_async/connection_pool.py`, lines 293–295 in httpcore 1.0.9). With 100 idle connections that is
# 100 × 100 steps, per request, twice. A cold pool has no idle connections yet, so it skips the cost; a warm,
# idle one pays it in full. A fix has been proposed upstream (the pull request encode/httpcore#1035; the
# symptom is discussed in encode/httpx#3215).
# </details>

# %%
raw_r, httpx_warm = engines["raw (course)"], engines["httpx, warm pool"]
assert all(r.ok == 100 for r in engines.values())
assert raw_r.ratio(t) < 1.5
assert httpx_warm.wall > 2 * raw_r.wall, "if this fails, httpx's pool got much faster: update the chapter!"
assert engines["aiohttp"].wall < httpx_warm.wall

# %% [markdown]
# ## Exercise 0.1 · A route that waits without blocking
#
# Write `GET /wait/{ms}` on `my_app`: it waits `ms` milliseconds **without blocking the event loop**, then
# returns `{"waited_ms": ms}`. A negative or absurd wait (over 2000 ms) must be refused with **422**, not
# crash the server. The check below starts your app on a live server, sends one request, then 20 at once,
# and tells you what is wrong, if anything. It says up front how long it may take.
#
# *Hint:* `Path(ge=..., le=...)` declares limits on a path parameter. Once you have tried,
# `checks.show_me("0.1")` prints a solution.

# %% tags=["exercise"]
from fastapi import FastAPI, Path

my_app = FastAPI(title="exercise 0.1")


# GET /wait/{ms} goes here: the route's decorator, its handler, and the limits on ms.
### BEGIN SOLUTION
@my_app.get("/wait/{ms}")
async def wait(ms: int = Path(ge=0, le=2000)) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"waited_ms": ms}


### END SOLUTION

# %% tags=["exercise"]
await checks.check_wait(my_app)

# %% [markdown]
# ## Exercise 0.2 · Many requests at once, by hand
#
# A tutorial usually ends with `asyncio.run(main())`; in a notebook you write the coroutine and `await` it.
# Write `sleep_many(base_url, n)`: with one `httpx.AsyncClient`, it sends `n` requests
# `GET /sleep?seconds=0.2` **at once**, and returns their JSON bodies in a list. The check awaits it against a
# server of its own, which counts how many of your requests it had in flight together.
#
# *Hint:* `asyncio.gather(*awaitables)` waits for many awaitables at once and returns their results in order.
# Once you have tried, `checks.show_me("0.2")` prints a solution.

# %% tags=["exercise"]
async def sleep_many(base_url: str, n: int) -> list[dict]:
    ### BEGIN SOLUTION
    async with httpx.AsyncClient(base_url=base_url) as client:
        responses = await asyncio.gather(*(client.get("/sleep", params={"seconds": 0.2}) for _ in range(n)))
    return [r.json() for r in responses]
    ### END SOLUTION


# %% tags=["exercise"]
await checks.check_sleep_many(sleep_many)

# %% [markdown]
# ## Clean up
#
# Servers stop on their own when the kernel exits, but stopping them by hand frees their ports at once.

# %%
srv.stop()
assert not srv.running

# %% [markdown]
# ## Key points
#
# - The kernel already runs an event loop: use top-level `await`, not `asyncio.run()`. `nest_asyncio`
#   "fixes" that by patching asyncio for the whole process; the course does not need it.
# - `serve(app)` gives you a real uvicorn server on `127.0.0.1` and a free port, in its own thread and loop.
#   Re-running the cell replaces it.
# - `await asyncio.gather(...)` runs many awaitables at once; an `await` inside a loop runs them one by one.
# - `await load(...)` fires concurrent requests and records a timeline; every figure names its client and
#   is compared with an analytical ideal.
# - A load generator must be much cheaper than what it measures. httpx is for writing clients, not for
#   timing servers.
