"""The course's plots: one style, readable on a projector, the ideal always shown.

* :func:`timeline`: one bar per request (a Gantt chart), optionally with what a
  probe saw inside the server on the same clock: event-loop lag, worker threads
  busy, requests waiting for a thread, and a connection pool's connections in use
  (a panel only for what happened);
* :func:`scaling`: wall time against N, with each series' analytical ideal drawn
  where it is defined (at whole N, as steps);
* :func:`compare`: one bar per run, each ideal marked and labelled on its own bar.

Rules every figure follows, so that a learner can read it at a glance:

* legends sit outside the axes, never over data; values are written next to what
  they label, never over another text;
* times are written in the unit their size calls for (µs, ms, s), on axes too;
* counts (requests, N, threads) get whole-number ticks and never go below 0;
* an ideal stays visible where it equals the measurement (drawn wider, or on top);
* the footnote names the client that measured the figure and its harness overhead
  (once :func:`course_app.loadgen.calibrate` has run; until then it says so).

Nothing here changes matplotlib's global state: the style applies inside each call
only, and every figure is closed in pyplot before it is returned.
"""

from __future__ import annotations

import contextlib
import math
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis, XAxis
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend
    from matplotlib.text import Text
    from matplotlib.typing import RcKeyType

    from .loadgen import LoadResult
    from .probes import Probe

__all__ = ["Plot", "compare", "format_seconds", "scaling", "style", "timeline", "tint", "wrap_label"]

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
MARKERS = ["o", "s", "D", "^", "v", "P", "X", "*"]
IDEAL_COLOR = "#555555"
IDEAL: dict[str, Any] = dict(color=IDEAL_COLOR, linestyle="--", linewidth=2)
ERROR_COLOR = "#D55E00"
NOTE_COLOR = "#555555"
FOOTNOTE_SIZE = 10
LEGEND_WRAP = 32  # characters per legend line: the legend sits beside the axes, not over them
LABEL_WRAP = 28  # characters per category label in compare()
TITLE_PAD = 14  # points between a title and its axes: clear of the legend beside the axes
# The colours of series and bars: the palette without the colour that means "failed".
SERIES_COLORS = [c for c in COLORS if c != ERROR_COLOR]


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The course style, for the duration of a ``with`` block."""
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        yield


class Plot:
    """What :func:`timeline`, :func:`scaling` and :func:`compare` return: a figure that a notebook shows once.

    IPython keeps the value of every cell (``Out[n]``), and a kept matplotlib Figure costs megabytes: a chapter
    rerun three times in one kernel kept thirty of them, most of the kernel's growth. A Plot shows itself as a
    PNG, drawn once, and from then on keeps only those bytes (tens of kB) and lets the figure go. Until it is
    shown, ``.figure`` is the matplotlib Figure (to inspect it, or to ``savefig`` it elsewhere).
    """

    def __init__(self, figure: Figure) -> None:
        import matplotlib.pyplot as plt

        plt.close(figure)  # out of pyplot's hands: pyplot would show it zero times or twice, and keep it
        self._figure: Figure | None = figure
        self._png: bytes | None = None

    @property
    def figure(self) -> Figure:
        if self._figure is None:
            raise RuntimeError("this plot has been shown and let its figure go: draw it again to change it")
        return self._figure

    def png(self) -> bytes:
        """The plot as PNG bytes (drawn on the first call, which also lets the figure go)."""
        if self._png is None:
            import io

            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", bbox_inches="tight")
            self._png, self._figure = buffer.getvalue(), None
        return self._png

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        title = ""
        if self._figure is not None and self._figure.axes:
            title = self._figure.axes[0].get_title()
        return f"<Plot {title!r}>" if title else "<Plot>"


# -- numbers and units --------------------------------------------------------------


def _seconds_unit(seconds: float) -> tuple[str, float]:
    """The unit a duration of this size is written in: s from 1 s, ms from 1 ms, µs below."""
    size = abs(seconds)
    if not math.isfinite(size) or size >= 1:
        return "s", 1.0
    if size >= 1e-3:
        return "ms", 1e-3
    return "µs", 1e-6


def _number(value: float) -> str:
    """Three significant figures, never in scientific notation: 972, 12.3, 1.5, 0.25."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    text = f"{value:.3g}"
    if "e" in text:  # below 0.001: only µs values below 1 get here
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text


def format_seconds(seconds: float) -> str:
    """A duration in the unit its size calls for: ``"972 µs"``, ``"12.3 ms"``, ``"1.5 s"``."""
    if math.isnan(seconds):
        return "n/a"
    if seconds == 0:
        return "0 s"
    if abs(seconds) >= 1000:
        return f"{seconds:,.0f} s"
    rounded = float(f"{seconds:.3g}")  # 0.9996 s is "1 s", not "1000 ms"
    unit, scale = _seconds_unit(rounded)
    return f"{_number(rounded / scale)} {unit}"


def _format_rate(rate: float) -> str:
    return "n/a" if math.isnan(rate) else f"{_number(rate)} req/s"


def _tick_text(value: float) -> str:
    value = round(value, 9)
    return "0" if value == 0 else f"{value:g}"


def _seconds_axis(axis: Axis, stem: str, top: float, *, sep: str = " ") -> None:
    """Write an axis that holds seconds in the unit its upper limit calls for: "wall time (ms)"."""
    from matplotlib.ticker import FuncFormatter

    unit, scale = _seconds_unit(top)
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: _tick_text(x / scale)))
    axis.set_label_text(f"{stem}{sep}({unit})")


def _log_seconds_axis(axis: Axis, stem: str) -> None:
    """A log axis of seconds: each tick in its own unit (1 ms, 10 ms, 100 ms, 1 s)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda x, _pos: format_seconds(x)))
    axis.set_minor_formatter(NullFormatter())
    axis.set_label_text(f"{stem} (log scale)")


def _count_axis(axis: Axis, nbins: int | Literal["auto"] = "auto") -> None:
    """Whole-number ticks, for anything counted (requests, N, threads)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=nbins, integer=True, min_n_ticks=1))


def _log_ticks(lo: float, hi: float) -> list[float]:
    """At least three round values between ``lo`` and ``hi`` (> 0), for a log axis of any span."""
    from matplotlib.ticker import MaxNLocator

    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [float(f"{m * 10.0**k:.3g}") for k in range(first, last + 1) for m in mantissas]
        ticks = [t for t in ticks if lo <= t <= hi]
        if len(ticks) >= 3:
            return ticks
    return [float(t) for t in MaxNLocator(nbins=4).tick_values(lo, hi) if lo <= t <= hi]


# The spaces a line must not break at: after a number ("200 ms", "2 timeout"), and in "HTTP 500".
_GLUED_SPACE = re.compile(r"(?<=\d) (?=\S)|(?<=HTTP) (?=\d)")


def wrap_label(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` characters, never between a number and what it counts."""
    glued = _GLUED_SPACE.sub("\u00a0", text)  # textwrap breaks at ASCII spaces only
    lines = textwrap.wrap(glued, width, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines).replace("\u00a0", " ") or text


def tint(color: str, white: float = 0.62) -> tuple[float, float, float]:
    """``color`` mixed with white: a pale version of the same hue, for ideal bands."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (r + (1 - r) * white, g + (1 - g) * white, b + (1 - b) * white)


# -- layout -------------------------------------------------------------------------


def _legend_outside(ax: Axes, handles: Sequence[Artist], labels: Sequence[str]) -> Legend:
    """A legend to the right of the axes, where it cannot cover data or labels."""
    return ax.legend(
        handles,
        [wrap_label(label, LEGEND_WRAP) for label in labels],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        handlelength=2.2,
    )


def _footnote(fig: Figure, results: Sequence[LoadResult], notes: Sequence[str] = ()) -> Text:
    """One line per client: who measured the figure, and the harness overhead, calibrated or not."""
    from .loadgen import calibration

    lines = []
    for engine in dict.fromkeys(r.engine for r in results):  # in the order the runs come
        name = next(r.client for r in results if r.engine == engine)
        cal = calibration(engine)
        if cal is None:
            overhead = "harness overhead not calibrated"
        else:
            overhead = (
                f"harness overhead {cal.overhead:+.1%} (calibrated: {cal.n} concurrent "
                f"{format_seconds(cal.t)} sleeps took {format_seconds(cal.wall)})"
            )
        lines.append(f"client: {name} · {overhead}")
    lines += notes
    return fig.text(0.01, 0.008, "\n".join(lines), fontsize=FOOTNOTE_SIZE, color=NOTE_COLOR, ha="left", va="bottom")


def _layout(fig: Figure, footnote: Text) -> None:
    """Tight layout above the footnote, whose height depends on its number of lines."""
    lines = footnote.get_text().count("\n") + 1
    bottom = (lines * FOOTNOTE_SIZE * 1.3 + 10) / 72 / fig.get_figheight()
    fig.tight_layout(rect=(0, bottom, 1, 1))


def _stagger_tick_labels(fig: Figure, axis: XAxis) -> bool:
    """Move tick labels that would overlap their left neighbour down a row (N = 40 and 41).

    Returns whether any moved, so that the caller lays the figure out again.
    """
    import matplotlib

    fig.canvas.draw()
    ticks = axis.get_major_ticks(len(axis.get_majorticklocs()))
    ticks = sorted((t for t in ticks if t.label1.get_visible() and t.label1.get_text()), key=lambda t: t.get_loc())
    base_pad = float(matplotlib.rcParams["xtick.major.pad"])  # only N axes (x) are staggered
    rows: list[float] = []  # the right edge of the last label placed in each row, in pixels
    moved = False
    gap = 4.0
    for tick in ticks:
        box = tick.label1.get_window_extent()
        row = next((i for i, right in enumerate(rows) if box.x0 > right + gap), len(rows))
        if row == len(rows):
            rows.append(box.x1)
        rows[row] = box.x1
        if row:
            line_height = float(tick.label1.get_fontsize()) * 1.25
            tick.set_pad(base_pad + row * line_height)
            tick.tick1line.set_markersize(float(tick.tick1line.get_markersize()) + row * line_height)
            moved = True
    return moved


# -- timeline -----------------------------------------------------------------------


def _failure_summary(records: Sequence[Any]) -> str:
    """``"2 timeout, 1 HTTP 500"``: how the failed requests ended."""
    kinds = Counter(f"HTTP {r.status}" if r.status is not None else str(r.outcome) for r in records)
    return ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())


def timeline(
    result: LoadResult,
    *,
    probe: Probe | None = None,
    ideal: float | None = None,
    title: str | None = None,
    ideal_label: str | None = None,
) -> Plot:
    """One horizontal bar per request, from its start to its end, first request on top.

    ``ideal`` draws the analytical ideal wall time as a dashed line (``ideal_label``
    says what it is, e.g. ``"2 waves of 40 threads"``). ``probe`` adds what the server
    saw on the same clock, one panel each: the event loop's lag; the worker threads
    busy (only if a thread was used); the requests waiting for a thread (only if one
    waited, on its own scale, so that a single waiting request is plain to see); the
    probed connection pool's connections in use and open against its ``max_size``
    (only if the probe was given a pool).
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    from .loadgen import Outcome

    # The clock starts when the first request does (``wall`` is measured from there too),
    # so the measured line falls where the last request ends.
    sent = [r for r in result.records if r.outcome is not Outcome.SKIPPED]
    origin = min((r.start for r in sent), default=0.0)
    samples = probe.relative_to(result.t0 + origin) if probe is not None else []
    used_threads = any(s.threads_busy or s.threads_waiting for s in samples)
    waited = any(s.threads_waiting for s in samples)
    pooled = any(s.pool_max for s in samples)  # the probe was given a connection pool, and it was open
    panels = ["requests"]
    if samples:
        panels.append("lag")
    if used_threads:
        panels.append("threads")
    if waited:
        panels.append("waiting")
    if pooled:
        panels.append("pool")

    with style():
        fig, grid = plt.subplots(
            len(panels),
            1,
            sharex=True,
            squeeze=False,
            figsize=(11, 5.5 + 1.7 * (len(panels) - 1)),
            gridspec_kw={"height_ratios": [3.2] + [1.0] * (len(panels) - 1)},
        )
        axes = dict(zip(panels, grid[:, 0], strict=True))
        ax = axes["requests"]

        # the requests, one row each, in start order, the first on top
        records = sorted(result.records, key=lambda r: (r.start, r.index))
        request_lines: list[Line2D] = []
        failed = [r for r in records if not r.ok]
        for row, rec in enumerate(records, start=1):
            color = COLORS[0] if rec.ok else ERROR_COLOR
            start, end = rec.start - origin, rec.end - origin
            if end > start:
                (line,) = ax.plot([start, end], [row, row], color=color, solid_capstyle="butt", zorder=2)
                request_lines.append(line)
            if not rec.ok:  # an end that is not a response: marked, not only coloured
                ax.plot([end], [row], marker="x", color=ERROR_COLOR, markersize=8, mew=2, zorder=3)
        n_rows = max(1, len(records))
        ax.set_ylim(n_rows + 0.5, 0.5)  # inverted: request 1 on top
        _count_axis(ax.yaxis)
        ax.set_ylabel("request (in start order)")
        ax.grid(False, axis="y")

        handles: list[Artist] = [Line2D([], [], color=COLORS[0], linewidth=6, solid_capstyle="butt")]
        labels = ["one request, start → end"]
        if failed:
            handles.append(Line2D([], [], color=ERROR_COLOR, linewidth=6, marker="x", mew=2, markersize=8))
            labels.append(f"failed: {len(failed)} of {len(records)} ({_failure_summary(failed)})")
        measured_text = f"measured: {format_seconds(result.wall)}"
        if ideal is not None and ideal > 0:
            measured_text += f" = {result.wall / ideal:.2f}× ideal"
        # The measured line is wide and the ideal dashed on top: both show where they coincide.
        handles.append(ax.axvline(result.wall, color=COLORS[1], linewidth=4, zorder=4, label=measured_text))
        labels.append(measured_text)
        if ideal is not None:
            ideal_text = f"ideal: {format_seconds(ideal)}" + (f", {ideal_label}" if ideal_label else "")
            handles.append(ax.axvline(ideal, **IDEAL, zorder=5, label=ideal_text))
            labels.append(ideal_text)
        plural = "" if result.n == 1 else "s"
        ax.set_title(
            title or f"{result.label or result.url}: {result.n} request{plural}, concurrency {result.concurrency}",
            pad=TITLE_PAD,
        )
        _legend_outside(ax, handles, labels)

        # the probe's panels
        ts = [s.t for s in samples]
        if "lag" in axes:
            ax_lag = axes["lag"]
            # A sample that woke ``lag`` late means the loop was stuck from t - lag to t.
            stalls = [s for s in samples if s.lag > 0]
            ax_lag.bar(
                [s.t - s.lag for s in stalls],
                [s.lag for s in stalls],
                width=[s.lag for s in stalls],
                align="edge",
                color=COLORS[3],
                alpha=0.85,
                linewidth=0,
            )
            longest = max((s.lag for s in samples), default=0.0)
            top = max(longest * 1.2, 0.01)  # at least 10 ms: timer jitter must not look like a stall
            ax_lag.set_ylim(0, top)
            ax_lag.yaxis.set_major_locator(MaxNLocator(nbins=3, min_n_ticks=2))
            _seconds_axis(ax_lag.yaxis, "loop lag", top, sep="\n")
            lag_handles: list[Artist] = [Patch(color=COLORS[3], alpha=0.85)]
            lag_labels = [f"event loop lag (longest: {format_seconds(longest)})"]
            if not used_threads:
                lag_handles.append(Line2D([], [], linestyle="none"))
                lag_labels.append("no worker thread used: threads busy 0 throughout")
            _legend_outside(ax_lag, lag_handles, lag_labels)
        if "threads" in axes:
            ax_thr = axes["threads"]
            busy = [s.threads_busy for s in samples]
            ax_thr.fill_between(ts, busy, step="post", color=COLORS[2], alpha=0.35, linewidth=0)
            (busy_line,) = ax_thr.step(ts, busy, where="post", color=COLORS[2], linewidth=2)
            limits = [s.threads_total for s in samples if math.isfinite(s.threads_total)]
            limit = max(limits, default=0.0)
            thr_handles: list[Artist] = [busy_line]
            thr_labels = [f"worker threads busy (peak {max(busy)})"]
            if limit:
                thr_handles.append(ax_thr.axhline(limit, color="#000000", linestyle=":", linewidth=1.8, zorder=4))
                thr_labels.append(f"thread limit: {limit:g}")
            ax_thr.set_ylim(0, max(limit, max(busy), 1) * 1.2)
            _count_axis(ax_thr.yaxis, nbins=3)
            ax_thr.set_ylabel("threads\nbusy")
            _legend_outside(ax_thr, thr_handles, thr_labels)
        if "waiting" in axes:
            ax_wait = axes["waiting"]
            waiting = [s.threads_waiting for s in samples]
            peak = max(waiting)
            ax_wait.fill_between(ts, waiting, step="post", color=COLORS[4], alpha=0.45, linewidth=0)
            (wait_line,) = ax_wait.step(ts, waiting, where="post", color=COLORS[4], linewidth=2.5)
            ax_wait.set_ylim(0, peak * 1.35)  # its own scale: one waiting request fills the panel
            _count_axis(ax_wait.yaxis, nbins=3)
            ax_wait.set_ylabel("waiting\nfor a\nthread")
            requests = "request" if peak == 1 else "requests"
            _legend_outside(ax_wait, [wait_line], [f"{requests} waiting for a free thread (peak {peak})"])

        if "pool" in axes:
            ax_pool = axes["pool"]
            in_use = [s.pool_in_use for s in samples]
            opened = [s.pool_size for s in samples]
            most = max(s.pool_max for s in samples)
            ax_pool.fill_between(ts, in_use, step="post", color=COLORS[5], alpha=0.35, linewidth=0)
            (use_line,) = ax_pool.step(ts, in_use, where="post", color=COLORS[0], linewidth=2)
            (open_line,) = ax_pool.step(ts, opened, where="post", color=COLORS[4], linewidth=1.5, linestyle="-.")
            cap = ax_pool.axhline(most, color="#000000", linestyle=":", linewidth=1.8, zorder=4)
            ax_pool.set_ylim(0, max(most, max(opened), 1) * 1.25)
            _count_axis(ax_pool.yaxis, nbins=3)
            ax_pool.set_ylabel("pool\nconnections")
            _legend_outside(
                ax_pool,
                [use_line, open_line, cap],
                [
                    f"connections in use (peak {max(in_use)})",
                    f"connections open (peak {max(opened)})",
                    f"pool max_size: {most}",
                ],  # fmt: skip
            )

        # one clock for every panel, in the unit the run's length calls for
        lo = min(0.0, min(ts, default=0.0))
        hi = max(
            result.wall,
            max((r.end - origin for r in records), default=0.0),
            ideal or 0.0,
            max(ts, default=0.0),
        )
        if hi <= lo:
            hi = lo + 1e-3
        hi += 0.04 * (hi - lo)
        bottom_ax = grid[-1, 0]
        bottom_ax.set_xlim(lo, hi)
        _seconds_axis(bottom_ax.xaxis, "time since the first request", hi)
        for other in grid[:-1, 0]:
            other.set_xlabel("")

        notes = []
        if probe is not None:
            notes.append(f"probe: the server's event loop sampled every {format_seconds(probe.interval)}")
        footnote = _footnote(fig, [result], notes)
        fig.align_ylabels(list(grid[:, 0]))
        _layout(fig, footnote)
        # a request's bar is as thick as its row allows: thin for 1000 requests, bold for 3
        row_points = ax.get_position().height * fig.get_figheight() * 72 / n_rows
        width = max(0.6, min(14.0, 0.7 * row_points))
        for line in request_lines:
            line.set_linewidth(width)
    return Plot(fig)


# -- scaling ------------------------------------------------------------------------


def _ideal_treads(ideal: Callable[[int], float], ns: Sequence[int]) -> tuple[list[float], list[float]]:
    """The ideal at each whole N, as a flat tread from N - 0.5 to N + 0.5, and nothing between.

    Equal neighbours join into one flat run (a wave of 40 is one tread 40 wide); a
    change shows as a jump between two N, never as a ramp through values no N has.
    """
    xs: list[float] = []
    ys: list[float] = []
    for n in ns:
        value = ideal(n)
        xs += [n - 0.5, n + 0.5, math.nan]
        ys += [value, value, math.nan]
    return xs, ys


def _same_values(a: Sequence[float], b: Sequence[float]) -> bool:
    """Equal at every N (up to float rounding): two ideals that are one, drawn twice."""
    return len(a) == len(b) and all(math.isclose(x, y, rel_tol=1e-9) for x, y in zip(a, b, strict=True))


def scaling(
    series: Mapping[str, Sequence[LoadResult]],
    ideals: Mapping[str, Callable[[int], float]] | None = None,
    *,
    title: str = "Wall time against the number of concurrent requests",
    logy: bool = False,
) -> Plot:
    """Wall time against N for each labelled series, each with its ideal.

    The ideal is defined at whole N only, so it is drawn at each whole N as a flat
    tread (waves of 40 look like waves; no ramp is drawn between two N): a wide pale
    band in the series' colour, under the measured points, so that both stay visible
    where they are equal. The N axis has a tick at each measured N and nowhere else.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, NullLocator

    ideals = dict(ideals or {})
    with style():
        fig, ax = plt.subplots()
        everything: list[LoadResult] = []
        handles: list[Artist] = []
        labels: list[str] = []
        measured_ns: set[int] = set()
        tops: list[float] = []
        failed_points: list[tuple[int, float]] = []
        drawn_ideals: dict[str, list[float]] = {}  # label -> the ideal's values, to spot equal ones
        for i, (label, results) in enumerate(series.items()):
            color = SERIES_COLORS[i % len(SERIES_COLORS)]
            points = sorted((r.n, r.wall) for r in results)
            everything += list(results)
            measured_ns |= {n for n, _ in points}
            failed_points += [(r.n, r.wall) for r in results if r.failed]
            tops += [w for _, w in points]
            # Later series are drawn a little thinner, so a series hidden under another still shows.
            (measured,) = ax.plot(
                [n for n, _ in points],
                [w for _, w in points],
                color=color,
                marker=MARKERS[i % len(MARKERS)],
                markersize=max(6.0, 11.0 - 2.5 * i),  # nested too: a point under another shows as a ring
                markeredgecolor="white",
                markeredgewidth=1.0,
                linewidth=max(1.0, 1.8 - 0.3 * i),  # a thin thread between measured points
                zorder=10 + i,
                label=f"{label} (measured)",
            )
            handles.append(measured)
            labels.append(f"{label} (measured)")
            if label in ideals and points:
                xs, ys = _ideal_treads(ideals[label], range(1, max(n for n, _ in points) + 1))
                tops += [y for y in ys if not math.isnan(y)]
                (band,) = ax.plot(
                    xs,
                    ys,
                    color=tint(color),
                    linewidth=max(6.0, 18.0 - 5.0 * i),  # nested: an ideal equal to another shows as a rim
                    solid_capstyle="butt",
                    solid_joinstyle="miter",
                    zorder=2 + i,
                    label=f"{label} (ideal)",
                )
                handles.append(band)
                values = ys[::3]
                same = next((k for k, v in drawn_ideals.items() if _same_values(v, values)), None)
                labels.append(f"{label} (ideal)" if same is None else f"{label} (ideal, the same as for {same})")
                drawn_ideals[label] = values
        if failed_points:
            (bad,) = ax.plot(
                [n for n, _ in failed_points],
                [w for _, w in failed_points],
                linestyle="none",
                marker="X",
                markersize=13,
                color=ERROR_COLOR,
                markeredgecolor="white",
                zorder=30,
            )
            handles.append(bad)
            labels.append("a run with failed requests")
        if not handles:
            handles.append(Line2D([], [], linestyle="none"))
            labels.append("no runs to plot")

        ns = sorted(measured_ns) or [1]
        ax.xaxis.set_major_locator(FixedLocator(ns))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlim(0.4, max(ns) + 0.6)
        ax.set_xlabel("concurrent requests (N)")
        finite = [v for v in tops if math.isfinite(v) and v > 0]
        if logy:
            ax.set_yscale("log")
            lo, hi = min(finite, default=0.1) / 1.3, max(finite, default=1.0) * 1.3
            ax.set_ylim(lo, hi)
            ax.yaxis.set_major_locator(FixedLocator(_log_ticks(lo, hi)))
            _log_seconds_axis(ax.yaxis, "wall time")
        else:
            top = max(finite, default=1.0) * 1.12
            ax.set_ylim(0, top)
            _seconds_axis(ax.yaxis, "wall time", top)
        ax.set_title(title, pad=TITLE_PAD)
        _legend_outside(ax, handles, labels)
        footnote = _footnote(fig, everything)
        _layout(fig, footnote)
        if _stagger_tick_labels(fig, ax.xaxis):
            _layout(fig, footnote)
    return Plot(fig)


# -- compare ------------------------------------------------------------------------


def compare(
    results: Mapping[str, LoadResult],
    ideals: Mapping[str, float] | None = None,
    *,
    metric: str = "wall",
    title: str | None = None,
    ideal_labels: Mapping[str, str] | None = None,
) -> Plot:
    """A horizontal bar per run; ``metric`` is ``"wall"``, ``"p50"``, ``"p99"``, ``"max"`` or ``"rps"``.

    Each bar is labelled with its value (and how it compares with its ideal); each
    ideal is a dashed mark on its own bar, labelled with its own value, and with
    ``ideal_labels[k]`` when given (e.g. ``"2 waves of 40 threads"``). Runs with
    failed requests are hatched and say how many failed.
    """
    import matplotlib.pyplot as plt

    getters: dict[str, tuple[str, Callable[[LoadResult], float]]] = {
        "wall": ("wall time", lambda r: r.wall),
        "p50": ("median latency", lambda r: r.percentile(50)),
        "p99": ("p99 latency", lambda r: r.percentile(99)),
        "max": ("slowest request", lambda r: r.percentile(100)),
        "rps": ("requests per second", lambda r: r.throughput),
    }
    if metric not in getters:
        raise ValueError(f"metric must be one of {sorted(getters)}, not {metric!r}")
    from matplotlib.patheffects import withStroke

    stem, get = getters[metric]
    seconds = metric != "rps"
    fmt = format_seconds if seconds else _format_rate
    ideals = {k: v for k, v in (ideals or {}).items() if k in results and not math.isnan(v)}
    meanings = dict(ideal_labels or {})
    with style():
        labels = list(results)
        fig, ax = plt.subplots(figsize=(11, max(3.8, 2.3 + 0.95 * len(labels))))
        values = [get(results[k]) for k in labels]
        drawn = [0.0 if math.isnan(v) else v for v in values]
        rows = list(range(len(labels)))
        bars = ax.barh(
            rows,
            drawn,
            height=0.5,
            color=[SERIES_COLORS[i % len(SERIES_COLORS)] for i in rows],
            zorder=2,
        )
        ax.set_yticks(rows, [wrap_label(k, LABEL_WRAP) for k in labels])
        ax.set_ylim(len(labels) - 0.4, -0.6)  # first run on top; room under each bar for its ideal's label
        ax.grid(False, axis="y")
        ax.tick_params(axis="y", length=0)

        texts: list[tuple[float, Text]] = []  # (the data x where each text starts, the text)
        for i, (bar, k, value) in enumerate(zip(bars, labels, values, strict=True)):
            result = results[k]
            text = fmt(value)
            ideal = ideals.get(k)
            if ideal is not None and ideal > 0 and not math.isnan(value):
                text += f" = {value / ideal:.2f}× its ideal"
            if result.failed:
                bar.set_hatch("//")
                bar.set_edgecolor("white")
                text += f"; {result.failed} of {len(result.records)} failed"
            # right of the bar, and right of its ideal mark too, so the mark never crosses the text
            x = max(drawn[i], ideal or 0.0)
            note = ax.annotate(
                text,
                (x, i),
                xytext=(6, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=12,
                color=ERROR_COLOR if result.failed else "#222222",
            )
            texts.append((x, note))
            if ideal is not None:
                # dashed, with a white edge: it shows on its bar, and where it equals the bar's end
                ax.vlines(
                    ideal,
                    i - 0.36,
                    i + 0.36,
                    color=IDEAL_COLOR,
                    linestyles="--",
                    linewidth=2.2,
                    zorder=4,
                    path_effects=[withStroke(linewidth=4.5, foreground="white")],
                )
                words = f"ideal: {fmt(ideal)}" + (f", {meanings[k]}" if k in meanings else "")
                mark = ax.annotate(
                    words,
                    (ideal, i + 0.36),
                    xytext=(3, -1),
                    textcoords="offset points",
                    ha="left",
                    va="top",
                    fontsize=11,
                    color=IDEAL_COLOR,
                )
                texts.append((ideal, mark))
        ax.set_title(title or stem, pad=TITLE_PAD)
        top = max([*drawn, *ideals.values(), 0.0]) or 1.0
        ax.set_xlim(0, top * 1.05)
        footnote = _footnote(fig, list(results.values()))
        _layout(fig, footnote)
        # Widen the axis until every value and ideal label fits inside it.
        for _ in range(3):
            fig.canvas.draw()
            box = ax.get_window_extent()
            needed = top * 1.05
            for x, written in texts:
                spare = box.width - written.get_window_extent().width - 14
                if spare > 0:
                    needed = max(needed, x * box.width / spare)
            if needed <= ax.get_xlim()[1] * 1.001:
                break
            ax.set_xlim(0, needed)
        if seconds:
            _seconds_axis(ax.xaxis, stem, ax.get_xlim()[1])
        else:
            ax.set_xlabel(stem)
        _layout(fig, footnote)
    return Plot(fig)
