"""Lazy public APIs: a package lists its public names and imports each module on first use.

``import evalkit`` (and ``evalkit.reports``, ``evalkit.privacy``) thereby stays light: a notebook
that shows a table does not import the Word writer, a script that validates does not import
statsmodels.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_api(namespace: dict[str, Any], api: dict[str, str], *,
             subpackages: tuple[str, ...] = ()) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for a package whose ``api`` maps names to modules."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        if name in api:
            value = getattr(importlib.import_module(api[name]), name)
            namespace[name] = value
            return value
        if name in subpackages:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(name)

    def __dir__() -> list[str]:
        return sorted({*namespace.get("__all__", ()), *subpackages})

    return __getattr__, __dir__
