"""Probes that sample a LiveServer from inside its own event loop.

Two things a learner cannot see from the client side:

* **event-loop lag**: a sampler asks the loop to wake it every ``interval``
  seconds and records how late it woke. A handler that calls ``time.sleep(1)``
  inside ``async def`` shows up as one sample a full second late.
* **threadpool occupancy**: how many of anyio's worker-thread tokens are borrowed
  (``def`` handlers running) and how many tasks wait for one. anyio keeps that
  limiter per event loop, so it can only be read from inside the server's loop,
  which is where the sampler runs.

Usage::

    with probe(srv) as p:
        result = await load(srv, "/sync", n=60)
    timeline(result, probe=p)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio.to_thread

if TYPE_CHECKING:
    from .server import LiveServer

__all__ = ["Probe", "Sample", "probe"]


@dataclass(frozen=True, slots=True)  # slots: a probe may keep up to 200 000 of them
class Sample:
    t: float  # time.perf_counter() when the sampler woke
    lag: float  # seconds later than asked
    threads_busy: int  # worker-thread tokens borrowed (def handlers running)
    threads_total: float  # the limiter's size (40 unless changed in the lifespan)
    threads_waiting: int  # tasks queued for a worker thread


class Probe:
    """Samples a running server's loop lag and threadpool occupancy."""

    def __init__(self, server: LiveServer, interval: float = 0.005, max_samples: int = 200_000) -> None:
        if not 0.0005 <= interval <= 1:
            raise ValueError(f"interval must be between 0.0005 and 1 second, not {interval!r}")
        self.server = server
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
            self.samples.append(
                Sample(
                    woke,
                    max(0.0, woke - asked - interval),
                    stats.borrowed_tokens,
                    stats.total_tokens,
                    stats.tasks_waiting,
                )
            )

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
        return [Sample(s.t - t0, s.lag, s.threads_busy, s.threads_total, s.threads_waiting) for s in self.samples]

    @property
    def max_lag(self) -> float:
        return max((s.lag for s in self.samples), default=0.0)

    @property
    def max_threads_busy(self) -> int:
        return max((s.threads_busy for s in self.samples), default=0)

    @property
    def max_threads_waiting(self) -> int:
        return max((s.threads_waiting for s in self.samples), default=0)

    def __repr__(self) -> str:
        return (
            f"<Probe {len(self.samples)} samples: max loop lag {self.max_lag * 1000:.1f} ms, "
            f"max threads busy {self.max_threads_busy}, max waiting {self.max_threads_waiting}>"
        )


@contextlib.contextmanager
def probe(server: LiveServer, interval: float = 0.005) -> Iterator[Probe]:
    """Sample ``server`` for the duration of the ``with`` block."""
    p = Probe(server, interval).start()
    try:
        yield p
    finally:
        p.stop()
