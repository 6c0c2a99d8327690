"""Argument checks shared by the public functions: clear errors that name the parameter.

Validation at the boundary raises :class:`~evalkit.errors.ArgumentError` (never ``assert``), with
the parameter, what is allowed and what was passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ArgumentError


def _names(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def check_frame(data: Any, param: str = "data") -> pd.DataFrame:
    """``data`` must be a pandas DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(
            f"{param} must be a pandas DataFrame, got {type(data).__name__}", where=param
        )
    return data


def check_column(data: pd.DataFrame, column: Any, param: str, *, optional: bool = False) -> Any:
    """``column`` (the value of parameter ``param``) must name a column of ``data``."""
    if column is None and optional:
        return None
    if not isinstance(column, str | int) or column not in data.columns:
        shown = list(map(str, data.columns[:12])) + (["..."] if data.shape[1] > 12 else [])
        raise ArgumentError(
            f"{param}={column!r} is not a column of data (columns: {', '.join(shown)})",
            where=param,
        )
    return column


def check_columns(data: pd.DataFrame, columns: Any, param: str, *, min_count: int = 1) -> list:
    """``columns`` (parameter ``param``) must be a list of columns of ``data``."""
    if isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, Sequence | pd.Index) or len(columns) < min_count:
        raise ArgumentError(
            f"{param} must list at least {min_count} column(s) of data, got {columns!r}",
            where=param,
        )
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ArgumentError(
            f"{param} names columns that data does not have: {_names(missing)}", where=param
        )
    if len(set(columns)) != len(columns):
        raise ArgumentError(f"{param} lists a column twice: {columns!r}", where=param)
    return list(columns)


def check_choice(value: Any, allowed: Iterable[Any], param: str) -> Any:
    """``value`` must be one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ArgumentError(
            f"{param} must be one of {_names(allowed)}, got {value!r}", where=param
        )
    return value


def check_probability(value: Any, param: str, *, open_interval: bool = True) -> float:
    """``value`` must be a number strictly between 0 and 1 (or within [0, 1])."""
    ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
    if ok:
        ok = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not ok:
        bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ArgumentError(f"{param} must be a number {bounds}, got {value!r}", where=param)
    return float(value)


def check_int(value: Any, param: str, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """``value`` must be an integer within the given bounds."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if ok and minimum is not None and value < minimum:
        ok = False
    if ok and maximum is not None and value > maximum:
        ok = False
    if not ok:
        bounds = []
        if minimum is not None:
            bounds.append(f"≥ {minimum}")
        if maximum is not None:
            bounds.append(f"≤ {maximum}")
        rule = " and ".join(bounds)
        raise ArgumentError(
            f"{param} must be an integer{' ' + rule if rule else ''}, got {value!r}", where=param
        )
    return int(value)


def check_number(value: Any, param: str, *, minimum: float | None = None,
                 maximum: float | None = None) -> float:
    """``value`` must be a real number within the given bounds."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    ok = ok and np.isfinite(value)
    if ok and minimum is not None and value < minimum:
        ok = False
    if ok and maximum is not None and value > maximum:
        ok = False
    if not ok:
        raise ArgumentError(f"{param} must be a finite number"
                            f"{f' ≥ {minimum}' if minimum is not None else ''}"
                            f"{f' ≤ {maximum}' if maximum is not None else ''}, got {value!r}",
                            where=param)
    return float(value)


def rng(seed: Any, param: str = "seed") -> np.random.Generator:
    """A NumPy Generator from ``seed`` (an integer, a Generator, or None for fresh entropy).

    The library never seeds globally: randomness always flows from a ``seed=`` argument.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)
                        and seed >= 0):
        return np.random.default_rng(seed)
    raise ArgumentError(
        f"{param} must be a non-negative integer, a numpy Generator or None, got {seed!r}",
        where=param,
    )
