"""Probes that sample a LiveServer from inside its own event loop.

Two things a learner cannot see from the client side:

* **event-loop lag**: a sampler asks the loop to wake it every ``interval``
  seconds and records how late it woke. A handler that calls ``time.sleep(1)``
  inside ``async def`` shows up as one sample a full second late.
* **threadpool occupancy**: how many of anyio's worker-thread tokens are borrowed
  (``def`` handlers running) and how many tasks wait for one. anyio keeps that
  limiter per event loop, so it can only be read from inside the server's loop,
  which is where the sampler runs.
* **connection-pool occupancy** (when given a ``pool``): how many of a pool's
  connections are in use, how many it holds open, and its ``max_size``, read
  through asyncpg's public ``Pool`` API (``get_size()``, ``get_idle_size()``,
  ``get_max_size()``), on the server's loop, where the pool lives. Any object with
  those three methods will do; so will a function that returns one (or None while
  there is none yet): a pool opened in the lifespan exists only once the server runs.

Usage::

    with probe(srv) as p:
        result = await load(srv, "/sync", n=60)
    timeline(result, probe=p)

    with probe(srv, pool=lambda: app.state.observed_pool) as p:  # the pool beside loop and threads
        result = await load(srv, "/query", n=60)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import anyio.to_thread

if TYPE_CHECKING:
    from .server import LiveServer

__all__ = ["PoolLike", "Probe", "Sample", "probe"]


@runtime_checkable
class PoolLike(Protocol):
    """What the probe reads of a connection pool: asyncpg's ``Pool`` has these three public methods."""

    def get_size(self) -> int: ...  # connections open (idle or in use)
    def get_idle_size(self) -> int: ...  # of which idle
    def get_max_size(self) -> int: ...  # the pool's max_size


@dataclass(frozen=True, slots=True)  # slots: a probe may keep up to 200 000 of them
class Sample:
    t: float  # time.perf_counter() when the sampler woke
    lag: float  # seconds later than asked
    threads_busy: int  # worker-thread tokens borrowed (def handlers running)
    threads_total: float  # the limiter's size (40 unless changed in the lifespan)
    threads_waiting: int  # tasks queued for a worker thread
    pool_in_use: int = 0  # connections of the probed pool handed out (0 when no pool is probed)
    pool_size: int = 0  # connections the pool holds open, idle or in use
    pool_max: int = 0  # its max_size (0: no pool probed, or not open yet)


PoolSource = PoolLike | Callable[[], PoolLike | None]


class Probe:
    """Samples a running server's loop lag and threadpool occupancy, and a connection pool's when given one."""

    def __init__(
        self,
        server: LiveServer,
        interval: float = 0.005,
        max_samples: int = 200_000,
        pool: PoolSource | None = None,
    ) -> None:
        if not 0.0005 <= interval <= 1:
            raise ValueError(f"interval must be between 0.0005 and 1 second, not {interval!r}")
        if pool is not None and not isinstance(pool, PoolLike) and not callable(pool):
            raise TypeError(
                "pool must be a connection pool (with get_size(), get_idle_size() and get_max_size(), as asyncpg's "
                f"Pool has) or a function that returns one, not {type(pool).__name__}"
            )
        self.server = server
        self.pool = pool
        self.interval = interval
        self.max_samples = max_samples
        self.samples: list[Sample] = []
        self._future: concurrent.futures.Future[None] | None = None
        self._stop = False

    async def _sample(self) -> None:
        limiter = anyio.to_thread.current_default_thread_limiter()
        interval = self.interval
        clock = time.perf_counter
        while not self._stop and len(self.samples) < self.max_samples:
            asked = clock()
            await asyncio.sleep(interval)
            woke = clock()
            stats = limiter.statistics()
            in_use, size, most = self._pool_figures()
            self.samples.append(
                Sample(
                    woke,
                    max(0.0, woke - asked - interval),
                    stats.borrowed_tokens,
                    stats.total_tokens,
                    stats.tasks_waiting,
                    in_use,
                    size,
                    most,
                )
            )

    def _pool_figures(self) -> tuple[int, int, int]:
        """(in use, open, max_size) of the probed pool; zeros without one, or while it is not there yet."""
        source = self.pool
        if source is None:
            return 0, 0, 0
        pool = source if isinstance(source, PoolLike) else source()
        if pool is None:
            return 0, 0, 0
        size = pool.get_size()
        return size - pool.get_idle_size(), size, pool.get_max_size()

    def start(self) -> Probe:
        self._stop = False
        self._future = asyncio.run_coroutine_threadsafe(self._sample(), self.server.loop)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sampling. Waits at most ``timeout`` for a blocked loop to let the sampler end."""
        self._stop = True
        if self._future is not None:
            with contextlib.suppress(Exception):
                self._future.result(timeout)

    def __enter__(self) -> Probe:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the samples say -------------------------------------------------------

    def relative_to(self, t0: float) -> list[Sample]:
        """Samples with ``t`` measured from ``t0`` (a LoadResult's ``t0``)."""
        return [dataclasses.replace(s, t=s.t - t0) for s in self.samples]

    @property
    def max_lag(self) -> float:
        return max((s.lag for s in self.samples), default=0.0)

    @property
    def max_threads_busy(self) -> int:
        return max((s.threads_busy for s in self.samples), default=0)

    @property
    def max_threads_waiting(self) -> int:
        return max((s.threads_waiting for s in self.samples), default=0)

    @property
    def max_pool_in_use(self) -> int:
        """The most connections of the probed pool in use at once (0 without a pool)."""
        return max((s.pool_in_use for s in self.samples), default=0)

    @property
    def pool_max_size(self) -> int:
        """The probed pool's max_size, as last seen (0 without a pool)."""
        return max((s.pool_max for s in self.samples), default=0)

    def __repr__(self) -> str:
        pool = ""
        if self.pool is not None:
            pool = f", max pool connections in use {self.max_pool_in_use} of {self.pool_max_size}"
        return (
            f"<Probe {len(self.samples)} samples: max loop lag {self.max_lag * 1000:.1f} ms, "
            f"max threads busy {self.max_threads_busy}, max waiting {self.max_threads_waiting}{pool}>"
        )


@contextlib.contextmanager
def probe(server: LiveServer, interval: float = 0.005, pool: PoolSource | None = None) -> Iterator[Probe]:
    """Sample ``server`` for the duration of the ``with`` block (and ``pool``, when given: see :class:`Probe`)."""
    p = Probe(server, interval, pool=pool).start()
    try:
        yield p
    finally:
        p.stop()
