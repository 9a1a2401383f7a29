"""The teaching apps, one module per chapter: ``chNN_topic.py`` goes with ``notebooks/NN_topic.ipynb``."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

__all__ = ["apps_of", "chapter", "chapters"]


def chapters() -> list[str]:
    """Module names of every chapter, in course order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch"))


def chapter(key: str) -> ModuleType:
    """The chapter module for ``"01"``, ``"ch01"`` or ``"ch01_async_vs_sync"``."""
    key = key.strip().lower()
    if key.isdigit():
        key = f"ch{int(key):02d}"
    matches = [name for name in chapters() if name == key or name.startswith(key + "_")]
    if len(matches) != 1:
        raise LookupError(f"no chapter {key!r}; the chapters are: {', '.join(chapters())}")
    return importlib.import_module(f"{__name__}.{matches[0]}")


def apps_of(module: ModuleType) -> dict[str, Any]:
    """The ASGI apps a chapter module defines at top level, by variable name."""
    from starlette.applications import Starlette

    return {name: obj for name, obj in vars(module).items() if isinstance(obj, Starlette)}
