"""Cells empty by design (skip logic): the ``not_asked`` argument the counting functions share.

A question asked of a subset only (the codebook's ``asked_if``, a wave outside its ``waves``, a
file without the column) leaves cells empty by design. The validation report marks them
(``ValidationReport.not_asked``: a frame of booleans with the index of the responses, one column
per variable); the functions that count missing answers take it as ``not_asked`` and count a
value that is missing only by design apart (``n_not_asked``), never as non-response.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ArgumentError


def not_asked_matrix(data: pd.DataFrame, not_asked: Any,
                     items: Sequence[str]) -> np.ndarray | None:
    """Rows × ``items`` booleans: the cell was not asked (False for an item ``not_asked`` does
    not name). None when ``not_asked`` is None.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"a": [1.0, None], "b": [None, None]}, index=[7, 9])
    >>> skipped = pd.DataFrame({"b": [True, False]}, index=[7, 9])
    >>> not_asked_matrix(data, skipped, ["a", "b"]).tolist()
    [[False, True], [False, False]]
    """
    if not_asked is None:
        return None
    if not isinstance(not_asked, pd.DataFrame) or not not_asked.index.equals(data.index):
        raise ArgumentError("not_asked must be a DataFrame of booleans with the index of data "
                            "(ValidationReport.not_asked, rows selected as data's)",
                            where="not_asked")
    out = np.zeros((len(data), len(items)), dtype=bool)
    for j, item in enumerate(items):
        if item in not_asked.columns:
            out[:, j] = not_asked[item].fillna(False).to_numpy(dtype=bool)
    return out


def missing_by_design(lacking: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Per row, whether a value that could not be computed lacks only parts that were not asked.

    ``lacking`` holds, for each part the value needs (a score, a judgement, a count), a pair:
    whether the part is missing in that row (booleans) and the not-asked matrix of its items.
    A missing part is missing by design when none of its items was asked; the row is missing by
    design when at least one part is missing and every missing part is missing by design. A part
    with one item asked and left empty makes the row non-response.

    Examples
    --------
    >>> import numpy as np
    >>> voice = (np.array([True, True, False]), np.array([[True], [False], [False]]))
    >>> missing_by_design([voice]).tolist()
    [True, False, False]
    """
    any_missing = np.zeros(len(lacking[0][0]), dtype=bool)
    all_by_design = np.ones(len(lacking[0][0]), dtype=bool)
    for missing, skipped in lacking:
        by_design = skipped.all(axis=1) if skipped.shape[1] else np.zeros(len(missing), bool)
        any_missing |= missing
        all_by_design &= ~missing | by_design
    return any_missing & all_by_design
