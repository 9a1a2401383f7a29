"""``python -m course_app.seed_data [ensure|reset|verify|drop|checksum]``: the seed data from a shell."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from .generate import checksum
from .load import SCHEMA, SeedError, Verification, drop, ensure_seeded, reset, verify

_USAGE = """\
usage: python -m course_app.seed_data [ensure|reset|verify|drop|checksum]
  ensure    load the seed data unless it is there already (the default)
  reset     load it again, whatever is there (after a chapter changed it)
  verify    compare every row in the database with the generator's
  drop      drop what seeding made
  checksum  print the generator's checksum (no database needed)
The server: DATABASE_URL when it is set, else the course's embedded PostgreSQL. The schema: course."""


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; the exit status: 0 done, 1 failed (a message, no traceback), 2 a usage error."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "ensure"
    if command in ("-h", "--help", "help"):
        print(_USAGE)
        return 0
    if len(args) > 1 or command not in ("ensure", "reset", "verify", "drop", "checksum"):
        print(_USAGE, file=sys.stderr)
        return 2
    if command == "checksum":
        print(checksum())
        return 0
    from ..db import start_postgres
    from ..embedded import EmbeddedError

    actions: dict[str, Callable[[str], Coroutine[Any, Any, object]]] = {
        "ensure": ensure_seeded, "reset": reset, "verify": verify, "drop": drop,
    }  # fmt: skip
    try:
        with start_postgres() as pg:
            result: object = asyncio.run(actions[command](pg.url))
    except (SeedError, EmbeddedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if isinstance(result, bool):
        result = f"dropped the seed data of schema {SCHEMA}" if result else f"schema {SCHEMA} held no seed data"
    print(result)
    return 1 if isinstance(result, Verification) and not result.ok else 0


if __name__ == "__main__":
    sys.exit(main())
