"""Run every benchmark in turn: ``python -m benchmarks``."""

import importlib
import pkgutil
import sys
from pathlib import Path

here = Path(__file__).parent
names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
for name in names:
    print(f"== benchmarks.{name}", flush=True)
    module = importlib.import_module(f"benchmarks.{name}")
    status = module.main() if hasattr(module, "main") else 0
    if status:
        sys.exit(status)
