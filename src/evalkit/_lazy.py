"""Lazy public APIs: a package lists its public names and imports each module on first use.

``import evalkit`` (and ``evalkit.present``, ``evalkit.present.plots``) thereby stays light: a notebook
that shows a table does not import the Word writer, a script that validates does not import
statsmodels.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any


def lazy_api(namespace: dict[str, Any], api: dict[str, str], *,
             subpackages: dict[str, str] | None = None) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for a package whose ``api`` maps names to modules.

    ``subpackages`` maps attribute names to the modules they stand for
    (``{"plots": "evalkit.present.plots"}``).
    """
    subpackages = dict(subpackages or {})

    def __getattr__(name: str) -> Any:
        if name in api:
            value = getattr(importlib.import_module(api[name]), name)
            namespace[name] = value
            return value
        if name in subpackages:
            return importlib.import_module(subpackages[name])
        raise AttributeError(name)

    def __dir__() -> list[str]:
        return sorted({*namespace.get("__all__", ()), *subpackages})

    return __getattr__, __dir__


def lazy_module(name: str) -> ModuleType:
    """A module imported on first attribute access (``importlib.util.LazyLoader``).

    For the heavy third-party libraries (scipy.stats, statsmodels) of analysis modules that a
    notebook imports but may not call: ``stats = lazy_module("scipy.stats")`` at module top.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
