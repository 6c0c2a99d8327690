"""SPSS (.sav, .zsav) and Stata (.dta) files through pyreadstat, missing-value codes kept.

User-defined missing values stay in the data (``user_missing=True``) and are listed in
``missing_codes``, so that "don't know" (8) and "refused" (9) remain distinguishable.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import DataError
from evalkit.read._core import ReadOptions, ReadResult, SourceFile

__all__ = ["read_dta", "read_sav", "sniff_dta", "sniff_sav"]

_FORMAT_NAMES = {"sav": "SPSS", "dta": "Stata"}


def sniff_sav(head: bytes) -> bool:
    """Whether a file's first bytes are an SPSS system file (``$FL2``, or ``$FL3`` compressed)."""
    return head[:4] in (b"$FL2", b"$FL3")


def sniff_dta(head: bytes) -> bool:
    """Whether a file's first bytes are a Stata file (XML-like header from Stata 13, or the
    binary header of releases 8 to 12)."""
    if head.startswith(b"<stata_dta>"):
        return True
    return len(head) >= 4 and head[0] in (113, 114, 115) and head[1] in (1, 2) and head[2] == 1


def _range_codes(lo: Any, hi: Any, labels: dict, observed: np.ndarray) -> list[Any]:
    """The codes of an SPSS missing range: labelled values and values present in the data."""
    if lo == hi:
        return [lo]
    inside = [v for v in labels if isinstance(v, int | float) and lo <= v <= hi]
    numeric = observed[(observed >= lo) & (observed <= hi)] if observed.dtype.kind == "f" else []
    return sorted(set(inside) | {float(v) for v in numeric})


def _missing_codes(data: pd.DataFrame, meta: Any) -> dict[str, dict[Any, str | None]]:
    codes: dict[str, dict[Any, str | None]] = {}
    labels_of = meta.variable_value_labels or {}
    for column, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        labels = labels_of.get(column, {})
        series = data[column] if column in data.columns else pd.Series([], dtype=float)
        observed = (np.unique(series.dropna().to_numpy(dtype=float))
                    if pd.api.types.is_numeric_dtype(series.dtype) else np.empty(0))
        found: dict[Any, str | None] = {}
        for spec in ranges:
            for code in _range_codes(spec["lo"], spec["hi"], labels, observed):
                found[code] = labels.get(code)
        if found:
            codes[column] = found
    for column, values in (getattr(meta, "missing_user_values", None) or {}).items():
        labels = labels_of.get(column, {})
        found = {value: labels.get(value) for value in values}
        if found:
            codes.setdefault(column, {}).update(found)
    return codes


def _looks_like_text(data: bytes) -> bool:
    """Whether ``data`` starts like delimited text rather than a binary statistics file."""
    head = data[:4096]
    if not head or b"\x00" in head:
        return False
    text = head.decode("utf-8", errors="replace")
    shown = sum(c.isprintable() or c in "\r\n\t" for c in text)
    return shown > 0.95 * len(text) and any(d in text.split("\n", 1)[0] for d in ",;\t|")


def _read(file: SourceFile, options: ReadOptions, kind: str) -> ReadResult:
    import pyreadstat

    sniff = sniff_sav if kind == "sav" else sniff_dta
    if not sniff(file.content[:64]) and _looks_like_text(file.content):
        # a CSV export renamed (or misnamed) .sav: say so rather than quote pyreadstat
        raise DataError.from_catalogue("io.stat_is_text", where=file.display,
                                       format=_FORMAT_NAMES[kind])
    read = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    try:
        data, meta = read(io.BytesIO(file.content), user_missing=True,
                          encoding=options.encoding)
    except Exception as error:  # pyreadstat raises its own and generic errors alike
        raise DataError.from_catalogue("io.stat_unreadable", where=file.display,
                                       format=_FORMAT_NAMES[kind],
                                       reason=f"{type(error).__name__}: {error}") from None
    for column in data.columns:
        if pd.api.types.is_string_dtype(data[column].dtype):
            # an empty string is how SPSS and Stata store a missing text value
            data[column] = data[column].mask(data[column] == "")
    result = ReadResult(data=data, lines=np.arange(1, len(data) + 1, dtype=np.int64))
    result.value_labels = {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    result.variable_labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    result.missing_codes = _missing_codes(data, meta)
    result.setting("encoding", options.encoding or meta.file_encoding,
                   declared=options.encoding is not None)
    result.settings["header_rows"] = 0
    if not len(data):
        result.warn("io.no_rows")
    return result


def read_sav(file: SourceFile, options: ReadOptions) -> ReadResult:
    """Read an SPSS file with value labels and user-missing values."""
    return _read(file, options, "sav")


def read_dta(file: SourceFile, options: ReadOptions) -> ReadResult:
    """Read a Stata file with value labels and extended missing values (``.a``-``.z``)."""
    return _read(file, options, "dta")
