"""Run benchmarks in turn: ``python -m benchmarks`` (all of them, each with its own defaults:
``scale`` and ``agreement_coverage`` take hours at full size) or ``python -m benchmarks speed
mixed`` (the named ones). A benchmark's own options: ``python -m benchmarks.NAME --help``."""

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

here = Path(__file__).parent
known = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
asked = sys.argv[1:]
unknown = [name for name in asked if name not in known]
if unknown:
    sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(known)}")
for name in asked or known:
    print(f"== benchmarks.{name}", flush=True)
    module = importlib.import_module(f"benchmarks.{name}")
    main = getattr(module, "main", None)
    if main is None:
        continue
    # Each benchmark with its defaults, whatever this command line holds.
    status = main([]) if "argv" in inspect.signature(main).parameters else main()
    if status:
        sys.exit(status)
