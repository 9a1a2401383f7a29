"""Answers to the exercises, right and wrong, one per module: what the checks' tests feed them.

Each module defines ``app`` (what a learner's cell would build) and ``EXPECTED``: ``None`` when the check must
pass, else words its failure message must contain. The wrong ones are the answers learners really give.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["answers"]


def answers(exercise: str) -> list[ModuleType]:
    """Every answer module of ``exercise`` (a sub-package name such as ``"ex1_1"``), in name order."""
    package = importlib.import_module(f"{__name__}.{exercise}")
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]
