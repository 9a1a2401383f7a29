"""Find the figure groups, run them, print the table and write the JSON: ``python -m benchmarks``.

A figure group is a module ``benchmarks/bench_*.py``. The runner imports every
such module it finds in the package (:func:`discover`) and reads, at module level:

``GROUP``
    its id, upper-case letters and digits (``"P1"``): the first part of its rows'
    ids, and what ``--only`` selects
``TITLE``
    one line, printed as the group starts
``ORDER``
    a number: where its rows come in the table and in the default run, lowest first
``measure(plan: Plan) -> list[Figure]``
    the measurement

and, if present:

``IN_SMOKE``
    ``False`` leaves the group out of the smoke pass (default ``True``)
``SETTINGS``
    the group's own counts, one frozen dataclass for each mode:
    ``{"full": Settings(), "smoke": Settings(repeats=1)}``. The JSON ``plan``
    reports them as ``<group>_<field>`` (``p1_repeats``)
``environment() -> dict``
    what the group needs from the machine (a tool's path), added to the JSON
    ``environment``

Adding a group is adding one such file: nothing else names the groups.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import pkgutil
import re
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

from .core import FULL, SMOKE, Figure, Mode, Plan, Row, environment, jsonable, render_table, report

__all__ = ["DEFAULT_JSON", "MODULE_PREFIX", "Group", "GroupDeclarationError", "discover", "main", "run"]

PACKAGE = __name__.rpartition(".")[0]
MODULE_PREFIX = "bench_"
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
GROUP_ID = re.compile(r"[A-Z][A-Z0-9]*")
MODES: tuple[Mode, ...] = get_args(Mode)


class GroupDeclarationError(TypeError):
    """A ``bench_*.py`` module that does not declare a figure group as :mod:`benchmarks.runner` describes."""


@dataclass(frozen=True)
class Group:
    """A figure group, as its module declares it."""

    id: str
    title: str
    order: float
    measure: Callable[[Plan], list[Figure]]
    module: str
    in_smoke: bool = True
    settings: Mapping[str, Any] = field(default_factory=dict)  # mode -> a frozen dataclass of counts
    environment: Callable[[], dict[str, Any]] | None = None

    def plan_settings(self, mode: Mode) -> dict[str, Any]:
        """This group's counts in ``mode``, as the JSON ``plan`` reports them: ``{"p1_repeats": 5, ...}``."""
        if mode not in self.settings:
            return {}
        return {f"{self.id.lower()}_{k}": v for k, v in dataclasses.asdict(self.settings[mode]).items()}


def discover(package: ModuleType | None = None) -> list[Group]:
    """Every figure group of ``package`` (default: this one), in their declared order."""
    package = package or importlib.import_module(PACKAGE)
    names = sorted({info.name for info in pkgutil.iter_modules(package.__path__) if not info.ispkg})
    groups: dict[str, Group] = {}
    for name in names:
        if not name.startswith(MODULE_PREFIX):
            continue
        group = _declared(importlib.import_module(f"{package.__name__}.{name}"))
        if group.id in groups:
            raise GroupDeclarationError(
                f"{group.module} and {groups[group.id].module} both declare GROUP = {group.id!r}"
            )
        groups[group.id] = group
    return sorted(groups.values(), key=lambda g: (g.order, g.id))


def _declared(module: ModuleType) -> Group:
    # Any until checked below, one name at a time
    group_id: Any = getattr(module, "GROUP", None)
    title: Any = getattr(module, "TITLE", None)
    order: Any = getattr(module, "ORDER", None)
    measure: Any = getattr(module, "measure", None)
    in_smoke: Any = getattr(module, "IN_SMOKE", True)
    settings: Any = getattr(module, "SETTINGS", {})
    env: Any = getattr(module, "environment", None)
    problems = []
    if not (isinstance(group_id, str) and GROUP_ID.fullmatch(group_id)):
        problems.append("GROUP = 'P9' (upper-case letters and digits)")
    if not (isinstance(title, str) and title.strip()):
        problems.append("TITLE = 'one line'")
    if isinstance(order, bool) or not isinstance(order, (int, float)):
        problems.append("ORDER = <a number>")
    if not callable(measure):
        problems.append("def measure(plan: Plan) -> list[Figure]")
    if not isinstance(in_smoke, bool):
        problems.append("IN_SMOKE = True or False, if present")
    if not (
        isinstance(settings, Mapping)
        and (not settings or set(settings) == set(MODES))
        and all(dataclasses.is_dataclass(s) and not isinstance(s, type) for s in settings.values())
    ):
        problems.append(f"SETTINGS = a dataclass instance for each of {', '.join(MODES)}, if present")
    if env is not None and not callable(env):
        problems.append("def environment() -> dict, if present")
    if problems:
        raise GroupDeclarationError(
            f"{module.__name__} ({module.__file__}) is a figure group, as its name starts with "
            f"{MODULE_PREFIX!r}, but does not declare: {'; '.join(problems)}"
        )
    return Group(group_id, title, order, measure, module.__name__, in_smoke, settings, env)


# -- the run ---------------------------------------------------------------------------


def run(plan: Plan, groups: Sequence[Group]) -> tuple[list[Figure], dict[str, float]]:
    """Measure ``groups``; return the figures and each group's seconds. A crashed group becomes an error row."""
    figures: list[Figure] = []
    elapsed: dict[str, float] = {}
    for group in groups:
        print(f"{group.id} {group.title} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            figures += group.measure(plan)
        except Exception as exc:
            crash = Row(group.id, f"{group.title}: the group crashed", "")
            figures.append(crash.failed(f"{type(exc).__name__}: {exc}", {"traceback": traceback.format_exc()}))
        elapsed[group.id] = round(time.perf_counter() - start, 2)
    return figures, elapsed


def _parse_args(argv: Sequence[str] | None, groups: Sequence[Group]) -> argparse.Namespace:
    known = {group.id: group for group in groups}
    choices = ", ".join(known)

    def only(text: str) -> tuple[Group, ...]:
        chosen = tuple(dict.fromkeys(part.strip().upper() for part in text.split(",") if part.strip()))
        unknown = [g for g in chosen if g not in known]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown group {', '.join(unknown)}: choose among {choices}")
        if not chosen:
            raise argparse.ArgumentTypeError(f"name at least one group among {choices}")
        return tuple(known[g] for g in chosen)

    left_out = [group.id for group in groups if not group.in_smoke]
    smoke_default = f"--smoke leaves out {', '.join(left_out)}" if left_out else "--smoke runs all"
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure the performance figures of the course harness, print a table and write JSON. "
        "Missing a target is reported, not an error: the exit status is non-zero only when a measurement crashed.",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny, fast pass (CI): fewer repeats, smaller runs")
    parser.add_argument(
        "--only",
        type=only,
        default=None,
        metavar="P1,P3",
        help=f"figure groups to run, among {choices} (default: all; {smoke_default})",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH", help=f"default: {DEFAULT_JSON}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    groups = discover()
    args = _parse_args(argv, groups)
    plan = SMOKE if args.smoke else FULL
    env = environment()  # before the run: the load average then is the other tenants', not ours
    for group in groups:
        if group.environment is not None:
            env.update(group.environment())
    chosen: Sequence[Group] = args.only or [g for g in groups if g.in_smoke or not args.smoke]
    figures, elapsed = run(plan, chosen)
    settings = {key: value for group in groups for key, value in group.plan_settings(plan.mode).items()}
    path: Path = args.json
    path.parent.mkdir(parents=True, exist_ok=True)
    document = jsonable(report(plan, settings, env, figures, elapsed))
    path.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    print(render_table(figures))
    print(f"\n{len(figures)} figures, {plan.mode} pass, {sum(elapsed.values()):.1f} s; JSON: {path}")
    return 1 if any(f.status == "error" for f in figures) else 0
