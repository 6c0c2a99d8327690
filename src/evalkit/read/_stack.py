"""Stacking several survey files (waves, sites) into one frame that remembers each row's origin."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import ArgumentError, DataError
from evalkit.read._core import SourceData

__all__ = ["stack_sources"]

ORIGIN_COLUMNS = ("source", "source_row")


def stack_sources(sources: Sequence[SourceData]) -> pd.DataFrame:
    """Stack the data of several files, keeping where each row came from.

    Parameters
    ----------
    sources : sequence of SourceData
        What :func:`read_source` returned for each file, in the order to stack them. Not
        modified.

    Returns
    -------
    pandas.DataFrame
        One row per row of the sources, in order, with columns:

        - ``source`` (str): the file, as its provenance names it;
        - ``source_row`` (int64): the row's line or row number in that file (``lines``);
        - then every column of the sources, in the order they first appear. A column absent
          from a file is missing for that file's rows.

    Raises
    ------
    ArgumentError
        ``sources`` is empty or holds something other than :class:`SourceData`.
    DataError
        A file already has a column called ``source`` or ``source_row``.

    Notes
    -----
    Missing data: a cell missing in a file stays missing; a column that a file lacks is missing
    for all of that file's rows (it is not filled from other files). Column types follow pandas'
    rules for concatenation: a column that is text in one file and numbers in another holds
    both, as read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "w1.csv").write_text("id,q1\\n1,4\\n2,5\\n", encoding="utf-8")
    >>> _ = (folder / "w2.csv").write_text("id,q2\\n3,oui\\n", encoding="utf-8")
    >>> from evalkit.read import read_source
    >>> w1 = read_source(folder / "w1.csv", display_path="w1.csv")
    >>> w2 = read_source(folder / "w2.csv", display_path="w2.csv")
    >>> stack_sources([w1, w2])
       source  source_row id   q1   q2
    0  w1.csv           2  1    4  NaN
    1  w1.csv           3  2    5  NaN
    2  w2.csv           2  3  NaN  oui
    """
    if isinstance(sources, SourceData) or not isinstance(sources, Sequence) or not sources:
        raise ArgumentError("sources must be a non-empty list of SourceData (what read_source "
                            f"returns), got {sources!r:.80}", where="sources")
    frames = []
    for i, source in enumerate(sources):
        if not isinstance(source, SourceData):
            raise ArgumentError(f"sources[{i}] must be a SourceData, got "
                                f"{type(source).__name__}", where="sources")
        clash = [c for c in ORIGIN_COLUMNS if c in source.data.columns]
        if clash:
            raise DataError.from_catalogue("io.stack_column_clash", where=source.provenance.path,
                                           column=clash[0])
        n = len(source.data)
        origin = pd.DataFrame({
            "source": pd.Series([source.provenance.path] * n, dtype="str"),
            "source_row": np.asarray(source.lines, dtype=np.int64),
        })
        frames.append(pd.concat([origin, source.data.reset_index(drop=True)], axis=1))
    stacked = pd.concat(frames, ignore_index=True, sort=False)
    return stacked.astype({"source_row": np.int64})
