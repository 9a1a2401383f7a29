"""Run Sphinx on a staged site, in a process of its own: ``python -m course_app.site._sphinx SRC OUT DOCTREES RESULT``.

It writes RESULT, a JSON object: ``ok``, the ``warnings`` Sphinx gave (each also printed as it comes), and,
when a notebook failed, ``error``: the staged notebook, a one-line summary and the error's text, for
:func:`course_app.site.build_site` to turn into a message that names the notebook and the cell.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


class WarningLog(io.StringIO):
    """The stream Sphinx writes its warnings to: each is printed to stderr and kept."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def write(self, text: str) -> int:
        sys.stderr.write(text)
        if text.strip():
            self.warnings.append(text.strip())
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


class StatusLog(io.StringIO):
    """Sphinx's progress, printed to stdout, except where it says the HTML is (the work folder, not the site's)."""

    def write(self, text: str) -> int:
        if not text.lstrip().startswith("The HTML pages are in"):
            sys.stdout.write(text)
        return len(text)

    def flush(self) -> None:
        sys.stdout.flush()


def _execution_error(exc: BaseException) -> dict[str, str] | None:
    """The notebook that failed and what it raised, found along the chain of causes; None for other errors."""
    from myst_nb.core.execute.base import ExecutionError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ExecutionError):
            cause = current.__cause__
            ename, evalue = getattr(cause, "ename", None), getattr(cause, "evalue", None)
            if ename:
                summary = f"{ename}: {evalue}"
            else:
                summary = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''}"
            return {"notebook": str(current), "summary": summary, "text": str(cause)}
        current = current.__cause__ or current.__context__
    return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")  # unwinds through nbclient, which shuts its kernel down


def _stop_with_parent(ppid: int, interval: float = 0.5, grace: float = 10.0) -> None:
    """Stop this build soon after the process that started it is gone (killed with ``kill -9``, say): first as
    SIGTERM would, so that the running notebook's kernel is shut down, then for good after ``grace`` seconds."""
    while os.getppid() == ppid:
        time.sleep(interval)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace)
    os._exit(70)


def main(argv: list[str]) -> int:
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    if not sys.stdout.isatty():
        nocolor()

    source, out, doctrees, result_file = (Path(a) for a in argv)
    for name in ("SIGTERM", "SIGHUP"):  # SIGINT already raises KeyboardInterrupt
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupt)
    if os.name == "posix":
        threading.Thread(target=_stop_with_parent, args=(os.getppid(),), daemon=True).start()
    log = WarningLog()
    result: dict[str, Any] = {"ok": False, "warnings": log.warnings}
    try:
        with patch_docutils(source), docutils_namespace():
            app = Sphinx(source, source, out, doctrees, "html", status=StatusLog(), warning=log, freshenv=True)
            app.build(force_all=True)
        result["ok"] = app.statuscode == 0
    except KeyboardInterrupt:
        result["message"] = "the build was stopped"
    except Exception as exc:  # noqa: BLE001 - reported as a message for a reader, not a traceback
        error = _execution_error(exc)
        if error is not None:
            result["error"] = error
        else:
            result["message"] = f"Sphinx failed: {type(exc).__name__}: {exc}"
    result_file.write_text(json.dumps(result), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
