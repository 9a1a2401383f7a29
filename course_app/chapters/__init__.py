"""The teaching apps: a package per chapter, one small app per module (FastAPI's ``docs_src`` style).

``chNN_topic/`` goes with ``notebooks/NN_topic.ipynb``; each of its modules that defines a top-level ``app``
is one app, named after its module (``ch01_async_vs_sync.shared_client``).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

__all__ = ["app_modules", "apps_of", "chapter", "chapters"]


def chapters() -> list[str]:
    """Package names of every chapter, in course order."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg and m.name.startswith("ch"))


def chapter(key: str) -> ModuleType:
    """The chapter package for ``"01"``, ``"ch01"`` or ``"ch01_async_vs_sync"``."""
    key = key.strip().lower()
    if key.isdigit():
        key = f"ch{int(key):02d}"
    matches = [name for name in chapters() if name == key or name.startswith(key + "_")]
    if len(matches) != 1:
        raise LookupError(f"no chapter {key!r}; the chapters are: {', '.join(chapters())}")
    return importlib.import_module(f"{__name__}.{matches[0]}")


def app_modules(package: ModuleType) -> dict[str, ModuleType]:
    """The modules of a chapter package that define a top-level ``app``, by module name, in file order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if _is_app(getattr(module, "app", None)):
            found[info.name] = module
    return found


def apps_of(package: ModuleType) -> dict[str, Any]:
    """The ASGI apps of a chapter package, by module name."""
    return {name: module.app for name, module in app_modules(package).items()}


def _is_app(obj: object) -> bool:
    from starlette.applications import Starlette

    return isinstance(obj, Starlette)
