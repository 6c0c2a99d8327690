"""A data frame's rows as dictionaries, the values ``row.to_dict()`` gives for each row
``frame.iterrows()`` gives, made without a Series per row.

``iterrows`` builds a Series from each row of ``frame.values`` (one dtype for the whole row:
integers become floats beside floats, anything becomes an object beside text) and
``to_dict`` gives its values as Python scalars. Pages show every released table row by row
in two languages: building those Series was most of what drawing a table's rows cost.

One difference: a missing value may come as another of pandas' missing markers (None, NaN,
NaT) than the one pandas infers for a row Series; pages treat them alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["row_records"]

#: Values given as they are (most of a released table's text and numbers).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def row_records(frame: pd.DataFrame) -> Iterator[tuple[Any, dict[str, Any]]]:
    """``(index, row)`` for each row of ``frame``, ``row`` being what
    ``frame.iterrows()``'s Series of that row gives as ``to_dict()`` (a missing value as
    any missing marker).

    Examples
    --------
    >>> frame = pd.DataFrame({"site": ["A", "B"], "n": [12, 3], "rate": [0.25, None]})
    >>> [row for _, row in row_records(frame)]
    [{'site': 'A', 'n': 12, 'rate': 0.25}, {'site': 'B', 'n': 3, 'rate': nan}]
    >>> [row for _, row in row_records(frame[["n", "rate"]])]  # one dtype: float
    [{'n': 12.0, 'rate': 0.25}, {'n': 3.0, 'rate': nan}]
    """
    values = frame.values
    columns = list(frame.columns)
    if not isinstance(values, np.ndarray) or values.ndim != 2 or values.dtype.kind not in "biufO" \
            or len(set(columns)) != len(columns):
        for index, row in frame.iterrows():  # a dtype whose scalars pandas boxes its own way
            yield index, row.to_dict()
        return
    if values.dtype.kind == "O":
        rows = [[_native(value) for value in row] for row in values]
    else:
        rows = values.tolist()
    for index, row in zip(frame.index, rows, strict=True):
        yield index, dict(zip(columns, row, strict=True))


def _native(value: Any) -> Any:
    """``value`` as ``Series.to_dict`` gives an object Series' values (pandas'
    ``maybe_box_native``): numpy scalars as Python ones, dates as Timestamps, a missing
    value of pandas' nullable types as None."""
    if type(value) in _PLAIN:
        return value
    if value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value) if not np.isnat(value) else pd.NaT
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value) if not np.isnat(value) else pd.NaT
    if isinstance(value, np.generic):
        return value.item()
    return value
