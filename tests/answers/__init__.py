"""Answers to the exercises, right and wrong, one per module: what the checks' tests feed them.

Each module defines ``app`` (what a learner's cell would build) and ``EXPECTED``: ``None`` when the check must
pass, else words its failure message must contain. The wrong ones are the answers learners really give.

The instructor guide (``python3 run.py guide``, course_app/guide.py) reads these modules without running them:

* the docstring's first paragraph says plainly what the learner wrote, the rest why it fails (or why it is right);
* ``EXPECTED`` is quoted as what the check says to that mistake, so make it a characteristic excerpt of the
  message, without its measured figures;
* ``MISTAKE = "<key>"`` marks one of the mistakes learners make most often (a key of ``course_app.guide.MISTAKES``);
* ``in_a_cell``, optional: an async context manager, what the learner ran in a notebook cell before the check
  (on the notebook's loop), undone when it exits.
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
