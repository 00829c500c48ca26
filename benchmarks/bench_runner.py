"""The benchmark runner a benchmark module registers with (shared by the ``*_bench`` modules)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

BENCH_DIR = Path(__file__).resolve().parent


def runner() -> ModuleType:
    """The benchmark runner importing us: ``__main__`` when run.py is the script, else ``run``."""
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main is not None and main_file and Path(main_file).resolve() == BENCH_DIR / "run.py":
        return main
    import run

    return run
