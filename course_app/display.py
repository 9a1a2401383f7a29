"""Show teaching code from its module, highlighted, so prose never drifts from tested code."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["show_source"]


class _Source:
    def __init__(self, code: str, title: str) -> None:
        self.code = code
        self.title = title

    def __repr__(self) -> str:
        return f"# {self.title}\n{self.code}"

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        formatter = HtmlFormatter(noclasses=True, style="friendly", nobackground=False)
        body = highlight(self.code, PythonLexer(), formatter)
        return f"<div style='font-size:0.8em;color:#555'>{self.title}</div>{body}"


def show_source(*objects: Any) -> _Source:
    """The source of functions, classes or modules, for display in a notebook cell.

    Decorators are included, so a route shows its ``@app.get(...)`` line too.
    """
    if not objects:
        raise ValueError("show_source() needs at least one function, class or module")
    parts, where = [], []
    for obj in objects:
        target = inspect.unwrap(obj) if callable(obj) else obj
        try:
            parts.append(inspect.getsource(target).rstrip())
            module = inspect.getmodule(target)
            where.append(f"{module.__name__ if module else '?'}.{getattr(target, '__qualname__', '')}".rstrip("."))
        except (TypeError, OSError) as exc:
            raise ValueError(f"cannot show the source of {obj!r}: {exc}") from exc
    return _Source("\n\n\n".join(parts), "from " + ", ".join(where))
