"""``python -m course_app``: doctor, learner edition, JupyterLab, serve a chapter's app."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, ModuleType

from .paths import checkout

__all__ = ["main", "services_needed"]

DESCRIPTION = (
    "The course's own commands: check this machine, write the learner edition, open JupyterLab, serve a chapter's app."
)


def project_root() -> Path:
    """The checkout this package runs from (where notebooks/ is), else the current folder."""
    root = checkout()
    return root if root is not None and (root / "notebooks").is_dir() else Path.cwd()


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import doctor

    report = asyncio.run(doctor(database=not args.no_database))
    print(report)
    return 0 if report.ok else 1


def _learner(args: argparse.Namespace) -> int:
    from .editions import write_learner_edition

    src = project_root() / "notebooks"
    dest = Path(args.out) if args.out else project_root() / "learner"
    written = write_learner_edition(src, dest, force=args.force)
    kept = sorted(p.name for p in src.glob("*.ipynb") if (dest / p.name) not in written)
    print(f"learner edition in {dest}: wrote {len(written)} notebook(s)")
    if kept:
        print(f"kept your own copies of: {', '.join(kept)} (use --force to refresh them; a backup is made)")
    return 0


def _lab(args: argparse.Namespace) -> int:
    if args.instructor:
        folder = project_root() / "notebooks"
    else:
        from .editions import write_learner_edition

        folder = project_root() / "learner"
        write_learner_edition(project_root() / "notebooks", folder)
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={folder}", "--ServerApp.ip=127.0.0.1"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    if args.no_browser:
        cmd.append("--no-browser")
    print("opening", folder, flush=True)
    if os.name == "posix":  # become JupyterLab: SIGTERM, SIGHUP and Ctrl-C reach it, and no orphan is left behind
        os.execv(sys.executable, cmd)
    return subprocess.call(cmd)


def _serve(args: argparse.Namespace) -> int:
    from .chapters import apps_of, chapter
    from .server import serve

    try:
        package = chapter(args.chapter)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    apps = apps_of(package)
    if args.app is None and len(apps) != 1:
        print(
            f"error: {package.__name__} has {len(apps)} apps; choose one with --app: {', '.join(apps)}",
            file=sys.stderr,
        )
        return 2
    name = args.app or next(iter(apps))
    if name not in apps:
        print(f"error: {package.__name__} has no app {name!r}; its apps are: {', '.join(apps)}", file=sys.stderr)
        return 2
    module = sys.modules[f"{package.__name__}.{name}"]
    for variable, service in services_needed(module).items():
        value = os.environ.get(variable, "").strip()
        if value:
            print(f"{variable}={value}: {service}, which this app calls", flush=True)
        else:
            print(
                f"{variable} is not set: this app calls {service}; what needs it fails until you set "
                f"{variable} to its URL and serve this app again",
                flush=True,
            )
    with _stop_signals() as stop:
        srv = serve(apps[name], port=args.port, log_level="info", stop_timeout=5.0)
        print(f"serving {package.__name__}:{name} at {srv.url}  (docs: {srv.url}/docs)  Ctrl-C stops it", flush=True)
        if srv.browser_url != srv.url:  # on a JupyterHub: the browser goes through jupyter-server-proxy
            print(f"open it in your browser at {srv.browser_url}/docs", flush=True)
        try:
            while srv.running and stop.signal is None:
                time.sleep(0.1)  # a signal interrupts it; its handler only records the signal
        finally:
            crashed = not srv.running and stop.signal is None
            srv.stop()  # by its handle: the app's lifespan shutdown runs (e.g. a process pool is shut down)
    if crashed:
        print(f"error: {package.__name__}:{name} stopped by itself; see the log above", file=sys.stderr)
        return 1
    print(f"stopped {package.__name__}:{name}", flush=True)
    return 0


def _errata(args: argparse.Namespace) -> int:
    from .errata import format_markdown, format_table

    with _warnings_as_words():
        print(format_markdown() if args.markdown else format_table())
    return 0


def _progress(args: argparse.Namespace) -> int:
    from .progress import format_progress

    with _warnings_as_words():
        print(format_progress())
    return 0


@contextmanager
def _warnings_as_words() -> Iterator[None]:
    """The course's own warnings (an unreadable record file) as one plain line each on stderr."""
    import warnings

    from .state import CourseStateWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CourseStateWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, CourseStateWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def _site(args: argparse.Namespace) -> int:
    from .site import SiteError, SiteInputError, build_site

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    for name in ("SIGTERM", "SIGHUP"):  # as Ctrl-C: the build's own process and its temporary folder go too
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)
    try:
        built = build_site(Path(args.out) if args.out else None)
    except KeyboardInterrupt:
        print("the site was not built: stopped", file=sys.stderr)
        return 130
    except SiteInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"the site is in {built.out}: {len(built.pages)} pages, built in {built.seconds:.0f} s", flush=True)
    print(f"open {(built.out / 'index.html').as_uri()}", flush=True)
    return 0


def _guide(args: argparse.Namespace) -> int:
    from .guide import GuideError, guide_markdown

    out = Path(args.out) if args.out else None
    if out is not None and out.is_dir():
        print(f"error: --out {out} is a folder; give a file name, e.g. --out {out / 'guide.md'}", file=sys.stderr)
        return 2
    if out is not None and not out.parent.is_dir():
        print(f"error: --out {out}: there is no folder {out.parent} to write it in", file=sys.stderr)
        return 2
    try:
        text = guide_markdown()
    except GuideError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if out is None:
        if isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(encoding="utf-8")  # the guide's quotes and stars, on any console or pipe
        print(text, end="")
        return 0
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"error: could not write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote the instructor guide to {out}")
    return 0


class _StopRequest:
    signal: int | None = None  # the signal that asked to stop, once one has


@contextmanager
def _stop_signals() -> Iterator[_StopRequest]:
    """Record Ctrl-C (SIGINT), SIGTERM and SIGHUP while the block runs, instead of their default action.

    Their default ends the process at once (SIGTERM, SIGHUP) or raises KeyboardInterrupt wherever the main
    thread is (SIGINT); either way the server would not be stopped by its handle, and its lifespan shutdown
    would not run. The handler only sets an attribute: nothing that takes a lock, which the interrupted main
    thread might hold. Outside the main thread (where no handler can be installed) nothing is recorded.
    """
    stop = _StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.signal = signum

    names = ("SIGINT", "SIGTERM", "SIGHUP")  # no SIGHUP on Windows
    previous = {sig: signal.signal(sig, handler) for sig in (getattr(signal, n) for n in names if hasattr(signal, n))}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


_SERVICE_URL = re.compile(r"COURSE_[A-Z0-9_]+_URL")


def services_needed(module: ModuleType) -> dict[str, str]:
    """The ``COURSE_*_URL`` variables an app module reads when served alone, each with the service it names.

    A module that calls another service declares them (tests/test_chapters.py holds every chapter to it):
    ``NEEDS = {"COURSE_UPSTREAM_URL": "the upstream service: python3 run.py serve 01 --app upstream"}``.
    """
    declared = getattr(module, "NEEDS", None)
    if not isinstance(declared, dict):
        return {}
    return {str(k): str(v) for k, v in declared.items() if _SERVICE_URL.fullmatch(str(k))}


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 0 to 65535 (0: any free port), not {port}")
    return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_app", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("doctor", help="check this machine for the course")
    p.add_argument("--no-database", action="store_true", help="skip starting PostgreSQL")
    p.set_defaults(func=_doctor)

    p = sub.add_parser("learner", help="write the learner edition (exercises without solutions)")
    p.add_argument("--out", help="folder to write to (default: learner/ in the project)")
    p.add_argument("--force", action="store_true", help="refresh notebooks you already have (backups are kept)")
    p.set_defaults(func=_learner)

    p = sub.add_parser("lab", help="open the course in JupyterLab (the learner edition)")
    p.add_argument("--instructor", action="store_true", help="open the edition with solutions")
    p.add_argument("--no-browser", action="store_true")
    p.set_defaults(func=_lab)

    p = sub.add_parser(
        "serve",
        help="serve a chapter's app on 127.0.0.1 (for curl or a browser)",
        description="Serve one app of a chapter on 127.0.0.1 until Ctrl-C or SIGTERM, which stop it cleanly "
        "(its lifespan shutdown runs). An app is a module of the chapter's package, e.g. serve 01 --app shared_client.",
    )
    p.add_argument("chapter", help="chapter number or package name, e.g. 01 or ch01_async_vs_sync")
    p.add_argument("--app", help="which app (module) of the chapter, when it has several")
    p.add_argument("--port", type=_port, default=0, help="port (default: 0, any free one)")
    p.set_defaults(func=_serve)

    p = sub.add_parser(
        "site",
        help="execute every notebook and write the rendered site (static HTML)",
        description="Execute every chapter's notebook and write a static HTML site (Sphinx with MyST-NB): "
        "the chapters in order, an errata page of the seed's claims, the instructor guide.",
    )
    p.add_argument("--out", help="folder to write the site to (default: build/site in the project)")
    p.set_defaults(func=_site)

    p = sub.add_parser(
        "errata",
        help="the seed's claims the course tests: verdicts, and what this machine measured last",
        description="Every claim of the seed that a chapter tests, its verdict, the figure its cell measured the "
        "last time it ran on this machine (or 'not run yet'), and the cell that proves it.",
    )
    p.add_argument("--markdown", action="store_true", help="print a Markdown table instead")
    p.set_defaults(func=_errata)

    p = sub.add_parser(
        "progress",
        help="which exercises you have passed (from what the checks recorded here; nothing leaves the machine)",
    )
    p.set_defaults(func=_progress)

    p = sub.add_parser(
        "guide",
        help="the instructor guide: minutes, break points, live demos, wrong answers, a workshop checklist",
        description="Print the instructor guide as Markdown, built from the course itself: each chapter's "
        "minutes, break points and live demonstrations, each exercise's wrong answers with what its check says, "
        "and a workshop checklist.",
    )
    p.add_argument("--out", help="write it to this file instead of printing it")
    p.set_defaults(func=_guide)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
