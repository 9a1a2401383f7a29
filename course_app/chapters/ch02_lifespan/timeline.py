"""A lifespan's journal as a timeline: one row per resource, a bar from its opening to its closing."""

from __future__ import annotations

from collections.abc import Mapping

from ...plots import Plot
from .common import Journal


def lifespan_timeline(journals: Mapping[str, Journal], *, title: str) -> Plot:
    """One panel per journal: each resource a bar from open to close (hatched red: never closed), a cross where
    a resource failed to open, and the number of the close (1st, 2nd...) at the end of each bar."""
    from matplotlib.figure import Figure

    figure = Figure(
        figsize=(9, 1.2 + 1.1 * sum(max(1, len({e.resource for e in j.events})) for j in journals.values()))
    )
    axes = figure.subplots(len(journals), 1, squeeze=False, sharex=False)[:, 0]
    for ax, (label, journal) in zip(axes, journals.items(), strict=True):
        if not journal.events:
            ax.set_title(f"{label}: nothing opened")
            continue
        t0 = journal.events[0].at
        end = max(e.at for e in journal.events) - t0
        span = max(end, 1e-3)
        rows = list(dict.fromkeys(e.resource for e in journal.events if e.what != "mark"))
        for mark in (e for e in journal.events if e.what == "mark"):
            x = (mark.at - t0) * 1000
            ax.axvline(x, color="0.35", linestyle="--", linewidth=1)
            ax.annotate(mark.resource, (x, len(rows) - 0.45), xytext=(-4, 0), textcoords="offset points",
                        ha="right", va="top", fontsize=8, color="0.25")  # fmt: skip
        closes = [e.resource for e in journal.events if e.what == "close"]
        for y, resource in enumerate(reversed(rows)):
            events = {e.what: (e.at - t0) * 1000 for e in journal.events if e.resource == resource}
            if "open" in events:
                start = events["open"]
                if "close" in events:
                    ax.barh(y, events["close"] - start, left=start, height=0.5, color="tab:green")
                    order = closes.index(resource) + 1
                    ax.annotate(f"closed #{order}", (events["close"], y), xytext=(4, 0), textcoords="offset points",
                                va="center", fontsize=8)  # fmt: skip
                else:
                    ax.barh(y, span * 1000 * 1.08 - start, left=start, height=0.5, color="tab:red", alpha=0.35,
                            hatch="//", edgecolor="tab:red")  # fmt: skip
                    ax.annotate("never closed", (span * 1000 * 1.08, y), xytext=(4, 0), textcoords="offset points",
                                va="center", fontsize=8, color="tab:red")  # fmt: skip
            if "fail" in events:
                ax.plot([events["fail"]], [y], marker="X", markersize=11, color="tab:red", linestyle="none")
                ax.annotate("failed to open", (events["fail"], y), xytext=(8, 0), textcoords="offset points",
                            va="center", fontsize=8, color="tab:red")  # fmt: skip
        ax.set_yticks(range(len(rows)), list(reversed(rows)))
        ax.set_xlim(0, span * 1000 * 1.3)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_title(label, fontsize=10, loc="left")
        ax.set_xlabel("ms since the first resource opened")
        ax.grid(axis="x", alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    return Plot(figure)
