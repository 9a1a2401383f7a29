"""``python -m benchmarks``: see ``benchmarks/README.md``."""

from . import main

raise SystemExit(main())
