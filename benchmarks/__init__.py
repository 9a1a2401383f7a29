"""Performance figures of the course harness: ``python -m benchmarks``.

These are measurements, not tests. Each figure is a number with a unit, an
optional target and the raw samples it came from; missing a target is reported,
never raised. Timing targets live here and nowhere in the test suite.

Each figure group is one module, ``bench_*.py``, that declares itself (its id,
title, order and ``measure(plan)``); :mod:`benchmarks.runner` finds them, runs
them and reports. :mod:`benchmarks.core` holds what they share. Today's groups:
P1 fidelity, P3 start plus stop, P4 throughput against wrk, L learners' time.

See ``benchmarks/README.md`` for the method and how to read the figures.
"""

from __future__ import annotations

from .core import FULL, SMOKE, Figure, Plan, Row, Target
from .runner import Group, discover, main, run

__all__ = ["FULL", "SMOKE", "Figure", "Group", "Plan", "Row", "Target", "discover", "main", "run"]
