"""The shared frames of coded interviews: segments, documents and units, with their validators.

Every reader (REFI-QDA projects, coded-segment spreadsheets, the demo generator) produces these
frames and every analysis of coded interviews consumes them: the column lists below are the one
definition both sides use.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_frame
from evalkit.errors import ArgumentError, DataError
from evalkit.read.qda._messages import catalogue_error

__all__ = [
    "DOCUMENT_COLUMNS",
    "SEGMENT_COLUMNS",
    "UNIT_COLUMNS",
    "assign_units",
    "check_documents",
    "check_segments",
    "units_from_turns",
]

#: Columns of the segments frame, in this order: one row per coding (a code applied by a coder
#: to a span of a document).
SEGMENT_COLUMNS: tuple[str, ...] = (
    "segment_id",   # str, stable identifier of the coding
    "document",     # str, the source (document) name
    "participant",  # str or NA
    "site",         # str or NA
    "group",        # str or NA
    "code",         # str, the code name
    "code_path",    # str, "Theme/Code"
    "coder",        # str
    "start",        # Int64, character offset in the document text, inclusive (NA when unknown)
    "end",          # Int64, exclusive (NA when unknown)
    "text",         # str, the coded text
    "unit",         # str or NA, the turn (unit) the segment belongs to
)

#: Columns of the documents frame: one row per document (interview transcript).
DOCUMENT_COLUMNS: tuple[str, ...] = (
    "document", "participant", "site", "group", "language", "text", "n_chars",
)

#: Columns of the units frame: one row per unit of coding (a turn: one non-empty line).
UNIT_COLUMNS: tuple[str, ...] = ("document", "unit", "start", "end", "text")

_SEGMENT_STRINGS = ("segment_id", "document", "participant", "site", "group", "code",
                    "code_path", "coder", "text", "unit")
_SEGMENT_REQUIRED = ("segment_id", "document", "code", "code_path", "coder", "text")
_SORT_KEYS = ["document", "start", "end", "code", "coder"]

#: Namespace of the identifiers evalkit derives from content (segments, GUIDs of written files).
EVALKIT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://evalkit.invalid/qual")


def derived_id(kind: str, *parts: Any) -> str:
    """A stable identifier (a UUID, version 5) derived from ``kind`` and ``parts``.

    The same inputs give the same identifier on every machine and every run.
    """
    key = "\x1f".join([kind, *("" if _isna(p) else str(p) for p in parts)])
    return str(uuid.uuid5(EVALKIT_NAMESPACE, key))


def _isna(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def _as_str(series: pd.Series) -> pd.Series:
    """A string column whose missing values are NA (whatever the input dtype)."""
    if isinstance(series.dtype, pd.StringDtype):
        return series
    return series.astype("str")


def _as_int(series: pd.Series, name: str, param: str) -> pd.Series:
    if isinstance(series.dtype, pd.Int64Dtype):
        return series
    numbers = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & (numbers.isna() | (numbers % 1 != 0))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise catalogue_error(
            DataError, "qual.error.frame_value", where=f"{param}, row {row}, column {name}",
            column=name, value=repr(series.iloc[row]), nested={"rule": "qual.rule.integer"})
    return numbers.astype("Int64")


def check_segments(frame: pd.DataFrame, *, param: str = "segments") -> pd.DataFrame:
    """Check a segments frame and return it normalised (a new frame; the input is not changed).

    Parameters
    ----------
    frame : DataFrame
        One row per coding, with at least the columns of :data:`SEGMENT_COLUMNS`.
    param : str
        The name of the argument, used in error messages.

    Returns
    -------
    DataFrame
        The columns of :data:`SEGMENT_COLUMNS` in their order (any further columns after
        them): ``segment_id``, ``document``, ``code``, ``code_path``, ``coder`` and ``text``
        as non-missing strings; ``participant``, ``site``, ``group`` and ``unit`` as strings
        that may be missing; ``start`` and ``end`` as ``Int64`` (both given or both missing,
        ``0 <= start <= end``). Rows keep their order.

    Raises
    ------
    ArgumentError
        ``frame`` is not a DataFrame or lacks columns.
    DataError
        A value breaks a rule; the message names the row (0-based position) and the column.

    Examples
    --------
    >>> import pandas as pd
    >>> seg = pd.DataFrame({"segment_id": ["s1"], "document": ["ENT-01"], "participant": [None],
    ...     "site": ["A"], "group": [None], "code": ["Écoute"],
    ...     "code_path": ["Résultats/Écoute"], "coder": ["codeur_A"], "start": [0],
    ...     "end": [4], "text": ["Oui."], "unit": [None]})
    >>> check_segments(seg)["start"].dtype
    Int64Dtype()
    """
    check_frame(frame, param)
    missing = [c for c in SEGMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise ArgumentError.from_catalogue(
            "qual.error.frame_columns", where=param, param=param,
            missing=", ".join(missing), expected=", ".join(SEGMENT_COLUMNS))
    out = frame.reset_index(drop=True).copy()
    for name in _SEGMENT_STRINGS:
        out[name] = _as_str(out[name])
    for name in ("start", "end"):
        out[name] = _as_int(out[name], name, param)
    _check_values(out, param)
    extra = [c for c in out.columns if c not in SEGMENT_COLUMNS]
    out = out[[*SEGMENT_COLUMNS, *extra]]
    out.index = frame.index
    return out


def _check_values(out: pd.DataFrame, param: str) -> None:
    def fail(mask: pd.Series, column: str, rule: str) -> None:
        if mask.any():
            row = int(np.flatnonzero(mask.to_numpy())[0])
            raise catalogue_error(
                DataError, "qual.error.frame_value", where=f"{param}, row {row}, column {column}",
                column=column, value=repr(out[column].iloc[row]), nested={"rule": rule})

    for name in _SEGMENT_REQUIRED:
        fail(out[name].isna(), name, "qual.rule.required")
    fail(out["start"].isna() != out["end"].isna(), "end", "qual.rule.both_offsets")
    fail((out["start"] < 0).fillna(False), "start", "qual.rule.non_negative")
    fail((out["end"] < out["start"]).fillna(False), "end", "qual.rule.end_after_start")
    fail(out["segment_id"].duplicated(), "segment_id", "qual.rule.unique")


def check_documents(frame: pd.DataFrame, *, param: str = "documents") -> pd.DataFrame:
    """Check a documents frame and return it normalised (a new frame).

    Only ``document`` and ``text`` are required; ``participant``, ``site``, ``group`` and
    ``language`` are added as missing when absent and ``n_chars`` is recomputed from ``text``.

    Returns
    -------
    DataFrame
        The columns of :data:`DOCUMENT_COLUMNS` in their order (further columns after them):
        ``document`` (unique) and ``text`` as strings, ``participant``, ``site``, ``group``
        and ``language`` as strings that may be missing, ``n_chars`` (Int64) the length of
        ``text`` in characters.
    """
    check_frame(frame, param)
    missing = [c for c in ("document", "text") if c not in frame.columns]
    if missing:
        raise ArgumentError.from_catalogue(
            "qual.error.frame_columns", where=param, param=param,
            missing=", ".join(missing), expected="document, text")
    out = frame.reset_index(drop=True).copy()
    for name in ("participant", "site", "group", "language"):
        if name not in out.columns:
            out[name] = pd.Series([None] * len(out), dtype="str")
    for name in ("document", "participant", "site", "group", "language", "text"):
        out[name] = _as_str(out[name])
    for name in ("document", "text"):
        mask = out[name].isna()
        if mask.any():
            row = int(np.flatnonzero(mask.to_numpy())[0])
            raise catalogue_error(
                DataError, "qual.error.frame_value", where=f"{param}, row {row}, column {name}",
                column=name, value="NA", nested={"rule": "qual.rule.required"})
    dup = out["document"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise catalogue_error(
            DataError, "qual.error.frame_value", where=f"{param}, row {row}, column document",
            column="document", value=repr(out["document"].iloc[row]),
            nested={"rule": "qual.rule.unique"})
    out["n_chars"] = out["text"].str.len().astype("Int64")
    extra = [c for c in out.columns if c not in DOCUMENT_COLUMNS]
    return out[[*DOCUMENT_COLUMNS, *extra]]


def empty_segments() -> pd.DataFrame:
    """A segments frame with no rows and the right dtypes."""
    data = {c: pd.Series([], dtype="Int64" if c in ("start", "end") else "str")
            for c in SEGMENT_COLUMNS}
    return pd.DataFrame(data)


def sort_segments(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by document, start, end, code and coder (missing offsets last); fresh index."""
    return frame.sort_values(_SORT_KEYS, na_position="last", kind="mergesort",
                             ignore_index=True)


_LINE = re.compile(r"[^\n]*\S[^\n]*")


def units_from_turns(documents: pd.DataFrame) -> pd.DataFrame:
    """Split each document into units of coding: one unit per non-empty line (a turn).

    Parameters
    ----------
    documents : DataFrame
        A documents frame (at least ``document`` and ``text``).

    Returns
    -------
    DataFrame
        One row per unit, in document order then text order: ``document``; ``unit``, the unit
        id ``"<document>#<k>"`` with ``k`` = 1, 2, ... numbering the non-empty lines of the
        document; ``start`` and ``end`` (Int64), the character offsets of the line in the
        document text (end exclusive, line break not included); ``text``, the line.

    Notes
    -----
    A line is a unit when it holds at least one non-blank character; blank lines separate
    turns but are not units. Offsets count characters (Unicode code points) of the text,
    as REFI-QDA selections do, so ``text[start:end]`` is the unit's text.

    Examples
    --------
    >>> import pandas as pd
    >>> docs = pd.DataFrame({"document": ["ENT-01"],
    ...                      "text": ["I : Bonjour.\\n\\nP : Bonjour, merci."]})
    >>> units_from_turns(docs)[["unit", "start", "end"]].to_dict("records")
    [{'unit': 'ENT-01#1', 'start': 0, 'end': 12}, {'unit': 'ENT-01#2', 'start': 14, 'end': 33}]
    """
    docs = check_documents(documents, param="documents")
    rows: list[tuple[str, str, int, int, str]] = []
    for name, text in zip(docs["document"], docs["text"], strict=True):
        for k, match in enumerate(_LINE.finditer(text), start=1):
            rows.append((name, f"{name}#{k}", match.start(), match.end(), match.group()))
    out = pd.DataFrame(rows, columns=list(UNIT_COLUMNS))
    for name in ("document", "unit", "text"):
        out[name] = out[name].astype("str")
    for name in ("start", "end"):
        out[name] = out[name].astype("Int64")
    return out


def assign_units(segments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Give each segment the unit (turn) it belongs to, for agreement computed on units.

    Parameters
    ----------
    segments : DataFrame
        A segments frame (see :data:`SEGMENT_COLUMNS`).
    units : DataFrame
        A units frame (``document``, ``unit``, ``start``, ``end``), e.g. from
        :func:`units_from_turns`.

    Returns
    -------
    DataFrame
        A copy of ``segments`` (same rows and order) whose ``unit`` column is replaced.

    Notes
    -----
    The rule: a segment belongs to the unit of the same document whose span
    ``[start, end)`` contains the segment's ``start``. When the start falls between units
    (on a line break or a blank line), the segment belongs to the next unit of the document
    if that unit begins before the segment's ``end``; otherwise its unit is missing. A
    segment that spans several turns therefore counts for the turn where it begins.
    Segments without offsets get a missing unit.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"document": ["D", "D"], "unit": ["D#1", "D#2"],
    ...                       "start": [0, 10], "end": [8, 20]})
    >>> seg = pd.DataFrame({"segment_id": ["a", "b"], "document": ["D", "D"],
    ...     "participant": None, "site": None, "group": None, "code": ["x", "y"],
    ...     "code_path": ["x", "y"], "coder": ["c", "c"], "start": [2, 8], "end": [5, 15],
    ...     "text": ["...", "..."], "unit": None})
    >>> assign_units(seg, units)["unit"].tolist()
    ['D#1', 'D#2']
    """
    out = check_segments(segments)
    check_frame(units, "units")
    missing = [c for c in ("document", "unit", "start", "end") if c not in units.columns]
    if missing:
        raise ArgumentError.from_catalogue(
            "qual.error.frame_columns", where="units", param="units",
            missing=", ".join(missing), expected="document, unit, start, end")
    result = np.full(len(out), None, dtype=object)
    seg_doc = out["document"].to_numpy(dtype=object)
    seg_start = out["start"].to_numpy(dtype="float64", na_value=np.nan)
    seg_end = out["end"].to_numpy(dtype="float64", na_value=np.nan)
    ordered = units.sort_values(["document", "start"], kind="mergesort")
    for doc, block in ordered.groupby("document", sort=False):
        rows = np.flatnonzero((seg_doc == doc) & ~np.isnan(seg_start))
        if rows.size == 0:
            continue
        u_start = block["start"].to_numpy(dtype="float64")
        u_end = block["end"].to_numpy(dtype="float64")
        u_id = block["unit"].to_numpy(dtype=object)
        starts = seg_start[rows]
        # The last unit beginning at or before the segment's start...
        k = np.searchsorted(u_start, starts, side="right") - 1
        inside = (k >= 0) & (starts < u_end[np.clip(k, 0, None)])
        # ...else the next unit, when it begins before the segment ends.
        nxt = np.where(inside, k, k + 1)
        ok = nxt < len(u_start)
        ok &= inside | (u_start[np.clip(nxt, 0, len(u_start) - 1)] < seg_end[rows])
        result[rows[ok]] = u_id[nxt[ok]]
    out["unit"] = pd.Series(result, index=out.index, dtype="str")
    return out


def frame_from_records(records: Iterable[dict], columns: Iterable[str],
                       ints: Iterable[str] = ()) -> pd.DataFrame:
    """A frame with the given columns: integers as Int64, everything else as strings."""
    columns = list(columns)
    ints = set(ints)
    out = pd.DataFrame.from_records(list(records), columns=columns)
    for name in columns:
        if name in ints:
            out[name] = pd.array(out[name].tolist(), dtype="Int64") if len(out) else \
                pd.array([], dtype="Int64")
        elif out[name].dtype == bool:
            continue
        else:
            out[name] = _as_str(out[name]) if len(out) else pd.Series([], dtype="str")
    return out
