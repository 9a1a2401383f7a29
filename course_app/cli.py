"""``python -m course_app``: doctor, learner edition, JupyterLab, serve a chapter's app."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from .paths import checkout

__all__ = ["main"]


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
    print("opening", folder)
    return subprocess.call(cmd)


def _serve(args: argparse.Namespace) -> int:
    from .chapters import apps_of, chapter
    from .server import serve

    try:
        module = chapter(args.chapter)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    apps = apps_of(module)
    if args.app is None and len(apps) != 1:
        print(
            f"error: {module.__name__} has {len(apps)} apps; choose one with --app: {', '.join(apps)}", file=sys.stderr
        )
        return 2
    name = args.app or next(iter(apps))
    if name not in apps:
        print(f"error: {module.__name__} has no app {name!r}; its apps are: {', '.join(apps)}", file=sys.stderr)
        return 2
    srv = serve(apps[name], port=args.port, log_level="info")
    print(f"serving {module.__name__}:{name} at {srv.url}  (docs: {srv.url}/docs)  Ctrl-C stops it")
    try:
        while srv.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_app", description=__doc__)
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

    p = sub.add_parser("serve", help="serve a chapter's app on 127.0.0.1 (for curl or a browser)")
    p.add_argument("chapter", help="chapter number or module name, e.g. 01")
    p.add_argument("--app", help="which app of the chapter, when it has several")
    p.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    p.set_defaults(func=_serve)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
