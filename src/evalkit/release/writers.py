"""Release writers: the single place tables leave, after disclosure control.

Tables are written as CSV or XLSX, byte for byte the same for the same inputs, atomically, with
cells that a spreadsheet would run as formulas neutralised; each write returns its manifest
record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_frame
from evalkit._files import write_bytes_atomic
from evalkit.errors import ArgumentError
from evalkit.release.suppress import apply_disclosure_control, as_policy, suppression_note

__all__ = ["FORMULA_STARTS", "neutralise_formulas", "write_table"]

#: A text cell starting with one of these may be run as a formula by a spreadsheet.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_FORMATS = {".csv": "csv", ".xlsx": "xlsx"}
# The date written into XLSX files instead of the time of writing (same inputs, same bytes).
_FIXED_TIME = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _is_text_column(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
                or pd.api.types.is_datetime64_any_dtype(series))


# A formula after a line break inside a cell: a reader that splits lines sees it start a cell.
_AFTER_BREAK = re.compile(r"([\r\n])(?=[=+\-@\t])")


def _neutral(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = _AFTER_BREAK.sub(r"\1'", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot run as formulas.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    ``'`` (OWASP, "CSV injection"), and so does such a character that follows a carriage
    return or a line feed inside a cell; numbers, negative ones included, are left as numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "ok"], "b": [-1, 2]})).to_dict("list")
    {'a': ["'=1+1", 'ok'], 'b': [-1, 2]}
    >>> neutralise_formulas(pd.DataFrame({"a": ["ok\\n=HYPERLINK(1)"]}))["a"].tolist()
    ["ok\\n'=HYPERLINK(1)"]
    """
    check_frame(frame, "frame")
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _is_text_column(column):
            out.isetitem(position, column.map(_neutral, na_action="ignore").astype(object))
    out.columns = [_neutral(c) for c in out.columns]
    return out


def _format_float(x: float) -> str:
    """Floats with 12 significant digits, no negative zero: stable across runs and platforms."""
    if x != x:  # NaN
        return ""
    text = format(x, ".12g")
    return "0" if text == "-0" else text


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_float_dtype(column):
            values = column.astype("float64").to_numpy(na_value=np.nan)
            out.isetitem(position, pd.Series([_format_float(v) for v in values],
                                             index=out.index, dtype=object))
    return out.to_csv(index=False, lineterminator="\n", na_rep="").encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _xlsx_bytes(frame: pd.DataFrame, *, note: str = "") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "table"
    sheet.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
    if note:
        notes = book.create_sheet("notes")
        notes.append([note])
        notes["A1"].data_type = "s"
    book.properties.creator = "evalkit"
    book.properties.lastModifiedBy = "evalkit"
    book.properties.created = _FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times and document dates (openpyxl stamps 'now')."""
    stamp = _FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                                 rb"\g<1>" + stamp.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return buffer.getvalue()


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Tables are written without an index: a named or labelled index becomes columns, an
    unnamed integer index (row numbers) is dropped."""
    index = frame.index
    if any(name is not None for name in index.names) or not (
            pd.api.types.is_integer_dtype(index) or len(index) == 0):
        return frame.reset_index()
    return frame.reset_index(drop=True)


def _format_of(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ArgumentError(f"path must end in .csv or .xlsx, got {path.name!r}", where="path")
    return fmt


def write_frame(frame: pd.DataFrame, path: str | Path, *, note: str = "") -> dict[str, Any]:
    """Write ``frame`` as it is (no disclosure control) as CSV or XLSX; return its record."""
    path = Path(path)
    fmt = _format_of(path)
    safe = neutralise_formulas(frame)
    data = _csv_bytes(safe) if fmt == "csv" else _xlsx_bytes(safe, note=note)
    write_bytes_atomic(path, data)
    return {"path": path.as_posix(), "format": fmt, "sha256": hashlib.sha256(data).hexdigest(),
            "rows": int(frame.shape[0]), "columns": [str(c) for c in frame.columns]}


def write_table(frame: pd.DataFrame, path: str | Path, *, counts: Sequence[str] | str = (),
                estimates: Sequence[str] | str = (), n: str | None = None, policy: Any,
                lang: str | None = None,
                numerators: Sequence[str] | Mapping[str, str] | None = None) -> dict[str, Any]:
    """Write a table of results after disclosure control: the single place tables leave.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table. A named or labelled index is written as columns; an unnamed integer
        index (row numbers) is not written.
    path : str or Path
        Where to write; ``.csv`` (UTF-8, ``\\n`` line ends) or ``.xlsx``.
    counts, estimates, n, policy
        As in :func:`~evalkit.apply_disclosure_control`.
    numerators : list or mapping, optional
        As in :func:`~evalkit.apply_disclosure_control`.
    lang : {'fr', 'en'}, optional
        When given, the suppression footnote in that language goes into the record (``note``)
        and, for XLSX, onto a ``notes`` sheet.

    Returns
    -------
    dict
        The manifest record: ``path``, ``format``, ``sha256``, ``rows``, ``columns`` (names),
        ``counts``, ``estimates``, ``n`` and ``suppressed_cells`` (missing cells of the declared
        columns in suppressed rows), plus ``note`` when ``lang`` is given.

    Notes
    -----
    - Disclosure control: :func:`~evalkit.apply_disclosure_control`; the written table has
      its ``suppressed`` column (the row has a hidden cell) and no reason per cell: a hidden
      cell is empty, whatever hid it.
    - Formula injection: text cells (and column names) starting with ``=``, ``+``, ``-``, ``@``,
      a tab or a carriage return get a leading ``'``; numbers stay numbers. In XLSX every text
      cell is stored as text, never as a formula.
    - Same inputs, same bytes: floats in CSV are written with 12 significant digits (``-0``
      as ``0``, missing as an empty field); XLSX files carry fixed dates (2000-01-01) and fixed
      archive times instead of the time of writing.
    - Atomic: the file is written under a temporary name in the same folder and renamed into
      place, so an interrupted write never leaves a half-written table.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from evalkit import DisclosurePolicy
    >>> table = pd.DataFrame({"site": ["A", "B"], "n": [40, 3], "rate": [0.25, 1.0]})
    >>> record = write_table(table, pathlib.Path(tempfile.mkdtemp()) / "rates.csv",
    ...                      estimates=["rate"], n="n", policy=DisclosurePolicy())
    >>> record["suppressed_cells"], record["rows"]
    (2, 2)
    """
    check_frame(frame, "frame")
    path = Path(path)
    _format_of(path)
    policy = as_policy(policy)
    table = _tidy(frame)
    controlled = apply_disclosure_control(table, counts=counts, estimates=estimates, n=n,
                                          policy=policy, numerators=numerators)
    declared = list(dict.fromkeys(
        [*([counts] if isinstance(counts, str) else counts),
         *([estimates] if isinstance(estimates, str) else estimates),
         *([n] if n is not None else [])]))
    hidden = (controlled[declared].isna().to_numpy(dtype=bool)
              & controlled["suppressed"].to_numpy(dtype=bool)[:, None])
    note = suppression_note(controlled, lang=lang, policy=policy) if lang else ""
    # One marker for a hidden cell (an empty cell, its row flagged): no reason per cell.
    record = write_frame(controlled.drop(columns=["suppression"]), path, note=note)
    record.update({"counts": [str(c) for c in ([counts] if isinstance(counts, str) else counts)],
                   "estimates": [str(c) for c in
                                 ([estimates] if isinstance(estimates, str) else estimates)],
                   "n": None if n is None else str(n),
                   "suppressed_cells": int(hidden.sum())})
    if lang:
        record["note"] = note
    return record
