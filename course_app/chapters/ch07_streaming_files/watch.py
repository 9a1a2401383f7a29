"""Watching a response from the client's side: when each piece came, whether the body came whole, and the
process's peak Python allocations meanwhile.

:func:`watch` reads a response as a stream with httpx and never keeps the body beyond ``keep`` bytes, so that
the client's own memory stays out of the figure; :func:`upload` sends a file in pieces, for the same reason. :func:`peak_allocations` measures with ``tracemalloc``: the
peak of Python's allocations in this whole process (the server runs in a thread of it, so its allocations are
in; so are the client's, kept small), from a baseline taken just before. It is not the process's RSS, which
the kernel's other objects would swamp.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from .probes import multipart

T = TypeVar("T")


@dataclass
class Watched:
    """One response, as the client saw it arrive."""

    status: int | None
    size: int = 0
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (seconds since the request, bytes)
    body: bytes = b""  # the first ``keep`` bytes
    error: str = ""  # what the client raised, if the body did not come whole
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.status is not None and not self.error

    @property
    def first_byte(self) -> float:
        return self.arrivals[0][0] if self.arrivals else float("nan")

    @property
    def last_byte(self) -> float:
        return self.arrivals[-1][0] if self.arrivals else float("nan")


async def watch(url: str, *, keep: int = 1 << 20, timeout: float = 30.0, method: str = "GET", **kwargs: Any) -> Watched:
    """Request ``url`` and read the answer as it comes; an error mid-body is recorded, not raised."""
    started = time.perf_counter()
    seen = Watched(None)
    async with httpx.AsyncClient(timeout=timeout) as client:
        try:
            async with client.stream(method, url, **kwargs) as response:
                seen.status = response.status_code
                seen.headers = dict(response.headers)
                async for piece in response.aiter_raw():
                    seen.arrivals.append((time.perf_counter() - started, len(piece)))
                    seen.size += len(piece)
                    if len(seen.body) < keep:
                        seen.body += piece[: keep - len(seen.body)]
        except httpx.HTTPError as exc:
            seen.error = f"{type(exc).__name__}: {exc}"
    return seen


async def pieces(body: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """``body`` in pieces of ``size`` bytes: the client never copies it whole (httpx would, for one bytes object)."""
    view = memoryview(body)
    for start in range(0, len(body), size):
        yield bytes(view[start : start + size])


def form(filename: bytes, content: bytes) -> tuple[str, bytes]:
    """A multipart form with one file named ``filename`` (raw bytes): build it before measuring memory."""
    return multipart(filename, content)


async def upload(url: str, prepared: tuple[str, bytes], *, declared: bool = True, **kwargs: Any) -> Watched:
    """POST a :func:`form`, sent in pieces: with its size declared (``Content-Length``, what ordinary clients
    send) or, ``declared=False``, chunked with no size."""
    content_type, body = prepared
    headers = {"content-type": content_type}
    if declared:
        headers["content-length"] = str(len(body))
    return await watch(url, method="POST", content=pieces(body), headers=headers, **kwargs)


async def peak_allocations(measure: Callable[[], Awaitable[T]]) -> tuple[int, T]:
    """(peak bytes of Python allocations above the baseline while ``measure()`` ran, its result)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        result = await measure()
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak, result
