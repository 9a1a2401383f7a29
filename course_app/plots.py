"""The course's plots: one style, readable on a projector, the ideal always shown.

* :func:`timeline`: one bar per request (a Gantt chart), optionally with the
  server's loop lag and threadpool occupancy underneath on the same clock;
* :func:`scaling`: wall time against N, with the analytical ideal lines;
* :func:`compare`: several runs side by side, each with its ideal.

Every figure carries a footnote naming the client that measured it and, once
:func:`course_app.loadgen.calibrate` has run, the harness overhead. Nothing here
changes matplotlib's global state: the style applies inside each call only.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

    from .loadgen import LoadResult
    from .probes import Probe

__all__ = ["compare", "scaling", "style", "timeline"]

STYLE: dict[RcKeyType, Any] = {
    "figure.figsize": (11, 5.5),
    "figure.dpi": 100,
    "font.size": 14,
    "axes.titlesize": 16,
    "axes.labelsize": 14,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 12,
    "legend.frameon": False,
    "lines.linewidth": 2.5,
}
# Colour-blind-safe (Okabe-Ito), in the order the course uses them.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
IDEAL_COLOR = "#555555"
IDEAL: dict[str, Any] = dict(color=IDEAL_COLOR, linestyle="--", linewidth=2)
ERROR_COLOR = "#D55E00"


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The course style, for the duration of a ``with`` block."""
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        yield


def _detached(fig: Figure) -> Figure:
    """Close ``fig`` in pyplot and return it: the notebook shows it once, as the cell's value.

    Leaving figures to pyplot's automatic display shows them zero times or twice
    depending on the backend's state and on top-level ``await`` in the cell.
    """
    import matplotlib.pyplot as plt

    plt.close(fig)
    return fig


def _footnote(fig: Figure, results: Sequence[LoadResult]) -> None:
    from .loadgen import calibration

    clients = sorted({r.engine for r in results})
    parts = []
    for engine in clients:
        name = next(r.client for r in results if r.engine == engine)
        cal = calibration(engine)
        extra = f", harness overhead {cal.overhead:+.1%} at N={cal.n} (calibrated)" if cal else ""
        parts.append(f"client: {name}{extra}")
    fig.text(0.01, 0.005, " · ".join(parts), fontsize=10, color="#555555", ha="left", va="bottom")


def timeline(
    result: LoadResult,
    *,
    probe: Probe | None = None,
    ideal: float | None = None,
    title: str | None = None,
) -> Figure:
    """One horizontal bar per request, from its start to its end.

    ``ideal`` draws the analytical ideal wall time as a dashed line. ``probe``
    adds the server's event-loop lag and threadpool occupancy underneath.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    with style():
        if probe is not None:
            fig, (ax, ax_lag) = plt.subplots(
                2, 1, sharex=True, figsize=(11, 7.5), gridspec_kw={"height_ratios": [3, 1.4]}
            )
        else:
            fig, ax = plt.subplots()
        records = sorted(result.records, key=lambda r: (r.start, r.index))
        for row, rec in enumerate(records):
            color = COLORS[0] if rec.ok else ERROR_COLOR
            ax.plot(
                [rec.start, rec.end],
                [row, row],
                color=color,
                linewidth=max(0.8, min(4.0, 300 / len(records))),
                solid_capstyle="butt",
            )
        ax.set_ylabel("request (by start time)")
        ax.set_ylim(-1, len(records))
        if ideal is not None:
            ax.axvline(ideal, **IDEAL, label=f"ideal: {ideal:.2f} s")
        ax.axvline(result.wall, color=COLORS[1], linewidth=2, label=f"measured: {result.wall:.2f} s")
        if result.failed:
            ax.plot([], [], color=ERROR_COLOR, label=f"failed: {result.failed}")
        ax.legend(loc="lower right")
        ax.set_title(title or f"{result.label or result.url}: {result.n} requests, concurrency {result.concurrency}")
        if probe is not None:
            samples = probe.relative_to(result.t0)
            ts = [s.t for s in samples]
            # A sample that woke ``lag`` late means the loop was stuck from t - lag to t.
            stalls = [s for s in samples if s.lag > 0]
            ax_lag.bar(
                [s.t - s.lag for s in stalls],
                [s.lag * 1000 for s in stalls],
                width=[s.lag for s in stalls],
                align="edge",
                color=COLORS[3],
                alpha=0.8,
                label="event loop stuck (lag, ms)",
            )
            ax_lag.set_ylabel("loop lag (ms)")
            ax_thr = ax_lag.twinx()
            ax_thr.step(ts, [s.threads_busy for s in samples], where="post", color=COLORS[2], label="threads busy")
            if any(s.threads_waiting for s in samples):
                ax_thr.step(
                    ts,
                    [s.threads_waiting for s in samples],
                    where="post",
                    color=COLORS[4],
                    label="waiting for a thread",
                )
            ax_thr.set_ylabel("threads")
            ax_thr.set_ylim(bottom=0, top=max(4, probe.max_threads_busy, probe.max_threads_waiting) * 1.1)
            ax_thr.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax_thr.grid(False)
            handles = ax_lag.get_legend_handles_labels()[0] + ax_thr.get_legend_handles_labels()[0]
            ax_lag.legend(handles=handles, loc="upper right", fontsize=10)
            ax_lag.set_xlabel("seconds since the first request")
            lo = min(0.0, min(ts, default=0.0))
            ax_lag.set_xlim(lo, max(result.wall, max(ts, default=0.0)) * 1.05)
        else:
            ax.set_xlabel("seconds since the first request")
        _footnote(fig, [result])
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _detached(fig)


def scaling(
    series: Mapping[str, Sequence[LoadResult]],
    ideals: Mapping[str, Callable[[int], float]] | None = None,
    *,
    title: str = "Wall time against the number of concurrent requests",
    logy: bool = False,
) -> Figure:
    """Wall time against N for each labelled series, each with its ideal as a dashed line."""
    import matplotlib.pyplot as plt

    ideals = dict(ideals or {})
    with style():
        fig, ax = plt.subplots()
        everything: list[LoadResult] = []
        for i, (label, results) in enumerate(series.items()):
            color = COLORS[i % len(COLORS)]
            points = sorted((r.n, r.wall) for r in results)
            everything += list(results)
            ax.plot([n for n, _ in points], [w for _, w in points], "o-", color=color, label=f"{label} (measured)")
            if label in ideals:
                ns = list(range(1, max(n for n, _ in points) + 1))
                ax.plot(
                    ns,
                    [ideals[label](n) for n in ns],
                    color=color,
                    linestyle="--",
                    linewidth=1.8,
                    alpha=0.8,
                    label=f"{label} (ideal)",
                )
        ax.set_xlabel("concurrent requests (N)")
        ax.set_ylabel("wall time (s)")
        if logy:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.legend()
        _footnote(fig, everything)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _detached(fig)


def compare(
    results: Mapping[str, LoadResult],
    ideals: Mapping[str, float] | None = None,
    *,
    metric: str = "wall",
    title: str | None = None,
) -> Figure:
    """A bar per run; ``metric`` is ``"wall"``, ``"p50"``, ``"p99"``, ``"max"`` or ``"rps"``."""
    import matplotlib.pyplot as plt

    getters: dict[str, tuple[str, Callable[[LoadResult], float]]] = {
        "wall": ("wall time (s)", lambda r: r.wall),
        "p50": ("median latency (s)", lambda r: r.percentile(50)),
        "p99": ("p99 latency (s)", lambda r: r.percentile(99)),
        "max": ("slowest request (s)", lambda r: r.percentile(100)),
        "rps": ("requests per second", lambda r: r.throughput),
    }
    if metric not in getters:
        raise ValueError(f"metric must be one of {sorted(getters)}, not {metric!r}")
    ylabel, get = getters[metric]
    ideals = dict(ideals or {})
    with style():
        fig, ax = plt.subplots()
        labels = list(results)
        values = [get(results[k]) for k in labels]
        bars = ax.bar(labels, values, color=[COLORS[i % len(COLORS)] for i in range(len(labels))])
        for bar, value in zip(bars, values, strict=True):
            text = f"{value:.0f}" if metric == "rps" else f"{value:.3g} s"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=12)
        first = True  # one legend entry for all the ideal marks
        for i, k in enumerate(labels):
            if k in ideals and not math.isnan(ideals[k]):
                ax.hlines(
                    ideals[k],
                    i - 0.4,
                    i + 0.4,
                    color=IDEAL_COLOR,
                    linestyles="--",
                    linewidth=2,
                    label="ideal" if first else "_",
                )
                first = False
        ax.set_ylabel(ylabel)
        ax.set_title(title or ylabel)
        if ideals:
            ax.legend()
        _footnote(fig, list(results.values()))
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _detached(fig)
