"""The chapter's own figures: the service's count of requests in flight, and when each call ended and how.

The harness's plots time requests that a client sends; these show what the *service* saw, from its own
records (:class:`.service.Call`), on the same clock as the notebook (``time.perf_counter``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ...plots import (
    COLORS,
    ERROR_COLOR,
    FOOTNOTE_SIZE,
    IDEAL,
    IDEAL_COLOR,
    NOTE_COLOR,
    Plot,
    format_seconds,
    style,
    tint,
    wrap_label,
)
from .service import Call

OUTCOME_COLORS = {"ok": COLORS[0], "failed": ERROR_COLOR, "cancelled": COLORS[4], "refused": ERROR_COLOR}


@dataclass(frozen=True)
class Ideal:
    """What a run would look like with no overhead: ``level`` calls in flight for ``seconds``."""

    level: int
    seconds: float
    label: str


def _steps(calls: Sequence[Call], origin: float) -> tuple[list[float], list[int]]:
    events = sorted([(c.start, 1) for c in calls if c.outcome != "refused"]
                    + [(c.end, -1) for c in calls if c.outcome != "refused"])  # fmt: skip
    ts, levels, level = [0.0], [0], 0
    for t, step in events:
        level += step
        ts.append(t - origin)
        levels.append(level)
    return ts, levels


def in_flight(
    runs: Mapping[str, Sequence[Call]],
    ideals: Mapping[str, Ideal],
    *,
    limit: int,
    client: str,
    title: str,
) -> Plot:
    """One panel per run: the service's requests in flight over time, its limit, the refused calls, the ideal."""
    import matplotlib.pyplot as plt

    with style():
        fig, axes = plt.subplots(len(runs), 1, sharex=True, squeeze=False, figsize=(11, 1.2 + 2.3 * len(runs)))
        top = max((max(_steps(calls, 0)[1]) for calls in runs.values() if calls), default=limit)
        for ax, (label, calls) in zip(axes[:, 0], runs.items(), strict=True):
            origin = min((c.start for c in calls), default=0.0)
            ts, levels = _steps(calls, origin)
            ax.step(ts, levels, where="post", color=COLORS[0], linewidth=2, label="in flight, counted by the service")
            ax.axhline(limit, color="#000000", linestyle=":", linewidth=1.8, label=f"the service allows {limit}")
            ideal = ideals.get(label)
            if ideal is not None:  # a pale band under the measurement: visible where they are equal
                ax.fill_between([0, ideal.seconds], 0, ideal.level, color=tint(IDEAL_COLOR), alpha=0.6, zorder=0,
                                linewidth=0, label=wrap_label(f"ideal: {ideal.label}", 34))  # fmt: skip
            refused = [c.start - origin for c in calls if c.outcome == "refused"]
            if refused:
                ax.plot(refused, [0.04 * top] * len(refused), "|", color=ERROR_COLOR, markersize=14,
                        label=f"refused with 429: {len(refused)} calls")  # fmt: skip
            ax.set_ylim(0, top * 1.15)
            ax.set_ylabel("in flight")
            ax.set_title(f"{label}: peak {max(levels)}, {len(calls)} calls", fontsize=13, loc="left")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
        bottom = axes[-1, 0]
        bottom.set_xlabel("seconds since the first call reached the service")
        fig.suptitle(title)
        fig.text(0.01, 0.005, f"client: {client} · counted by the service itself, at each call's start and end",
                 fontsize=FOOTNOTE_SIZE, color=NOTE_COLOR, ha="left", va="bottom")  # fmt: skip
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    return Plot(fig)


def calls_timeline(
    runs: Mapping[str, Sequence[Call]],
    *,
    answered: Mapping[str, float],
    client: str,
    title: str,
    ideal_label: str = "ideal end of every call: when the handler answered",
) -> Plot:
    """One row per call of each run, from its start to its end, coloured by how it ended; a mark at ``answered``
    (a ``time.perf_counter()`` value per run): the ideal, where every call of that run should have ended."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    with style():
        rows = sum(len(c) for c in runs.values()) + len(runs)
        fig, ax = plt.subplots(figsize=(11, 1.6 + 0.42 * rows))
        y, ticks, names = 0, [], []
        for label, calls in runs.items():
            origin = min(c.start for c in calls)
            mark = answered[label] - origin if label in answered else None
            first = y
            for call in sorted(calls, key=lambda c: (c.start, c.source, c.path)):
                ax.plot([call.start - origin, call.end - origin], [y, y], color=OUTCOME_COLORS[call.outcome],
                        linewidth=9, solid_capstyle="butt")  # fmt: skip
                ax.annotate(f"{call.source}/{call.path}: {call.outcome} at {format_seconds(call.end - origin)}",
                            (call.end - origin, y), xytext=(6, 0), textcoords="offset points", va="center",
                            fontsize=10)  # fmt: skip
                ticks.append(y)
                names.append(label if y == first else "")
                y += 1
            if mark is not None:
                ax.vlines(mark, first - 0.45, y - 0.55, **IDEAL)
            y += 1
        ax.set_yticks(ticks, names)
        ax.set_ylim(y - 0.5, -0.8)
        ax.set_xlabel("seconds since the handler's first call")
        handles = [Line2D([], [], color=c, linewidth=8) for c in (COLORS[0], ERROR_COLOR, COLORS[4])]
        handles.append(Line2D([], [], **IDEAL))
        ax.legend(
            handles,
            [
                "answered",
                "failed",
                "cancelled (the caller went away)",
                ideal_label,
            ],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=10,
        )
        ax.set_xlim(0, max(c.end - min(d.start for d in cs) for cs in runs.values() for c in cs) * 2.0)
        ax.set_title(title)
        fig.text(0.01, 0.005, f"client: {client} · the bars are the service's own records of each call",
                 fontsize=FOOTNOTE_SIZE, color=NOTE_COLOR, ha="left", va="bottom")  # fmt: skip
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    return Plot(fig)
