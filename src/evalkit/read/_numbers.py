"""Numbers written as text: French and English decimal marks, thousands separators, signs.

:func:`parse_numbers` turns a column of text into numbers (vectorised) and says which cells are
not numbers; :func:`detect_number_format` finds a file's decimal mark and thousands separator.
"""

from __future__ import annotations

import numbers
import re
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from evalkit._checks import check_choice
from evalkit.errors import ArgumentError

__all__ = ["ParsedNumbers", "detect_number_format", "parse_numbers"]

#: Spaces used between groups of thousands: space, no-break space, narrow no-break space.
SPACES = " \u00a0\u202f"
#: Thousands separators :func:`parse_numbers` accepts (the spaces are always accepted).
THOUSANDS = (None, " ", "\u00a0", "\u202f", ".", ",", "'")
_EXPONENT = r"(?:[eE][+-]?\d+)?"


class ParsedNumbers(NamedTuple):
    """What :func:`parse_numbers` returns: the numbers and the cells that are not numbers.

    Attributes
    ----------
    values : pandas.Series
        float64, same index and name as the input; missing where the cell was empty or not a
        number.
    failed : pandas.Series
        bool, True where a non-empty cell is not a number.
    """

    values: pd.Series
    failed: pd.Series


def _patterns(decimal: str, thousands: str | None) -> tuple[str, str, str]:
    dec = re.escape(decimal)
    plain = rf"[+-]?(?:\d+(?:{dec}\d*)?|{dec}\d+){_EXPONENT}"
    separators = SPACES + (thousands if thousands and thousands not in SPACES else "")
    sep_class = "[" + "".join(re.escape(c) for c in separators) + "]"
    grouped = rf"[+-]?\d{{1,3}}(?:{sep_class}\d{{3}})+(?:{dec}\d*)?{_EXPONENT}"
    return plain, grouped, sep_class


def _check_format(decimal: Any, thousands: Any) -> None:
    check_choice(decimal, (".", ","), "decimal")
    check_choice(thousands, THOUSANDS, "thousands")
    if thousands == decimal:
        raise ArgumentError(f"thousands must differ from decimal, got {thousands!r} for both",
                            where="thousands")


def _parse_text(text: pd.Series, decimal: str, thousands: str | None) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Numbers and failures for a column of text (no missing values in ``text``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    stripped = text.str.strip(SPACES + "\t").str.replace("\u2212", "-", regex=False)
    plain, grouped, sep_class = _patterns(decimal, thousands)
    ok = np.array(stripped.str.fullmatch(plain), dtype=bool)
    normalised = stripped
    if not ok.all():
        maybe_grouped = ~ok
        is_grouped = np.array(stripped[maybe_grouped].str.fullmatch(grouped), dtype=bool)
        if is_grouped.any():
            rows = np.flatnonzero(maybe_grouped)[is_grouped]
            normalised = stripped.copy()
            normalised.iloc[rows] = stripped.iloc[rows].str.replace(sep_class, "", regex=True)
            ok[rows] = True
    if decimal == ",":
        normalised = normalised.str.replace(",", ".", regex=False)
    empty = np.array(stripped == "", dtype=bool)
    keep = ok & ~empty
    array = pa.array(normalised.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = pc.if_else(pa.array(keep), array, pa.scalar(None, array.type))
    values = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64), ~ok & ~empty


def parse_numbers(data: pd.Series, *, decimal: str = ".",
                  thousands: str | None = None) -> ParsedNumbers:
    """Convert a column of numbers written as text to floats, and flag the cells that are not.

    Parameters
    ----------
    data : pandas.Series
        Text (as read from a CSV file), numbers (as read from a workbook or an SPSS file), or a
        mix of both. Not modified.
    decimal : {'.', ','}, default '.'
        The decimal mark (``','`` for French files: ``12,5``).
    thousands : {None, ' ', '\\u00a0', '\\u202f', '.', ',', "'"}, default None
        A thousands separator accepted besides the spaces.

    Returns
    -------
    ParsedNumbers
        A named tuple ``(values, failed)``, both with the index and name of ``data``:

        - ``values``: float64 numbers, missing where the cell was empty or not a number;
        - ``failed``: bool, True where a non-empty cell is not a number.

    Notes
    -----
    A number is an optional sign (``+``, ``-`` or the minus sign U+2212), digits with at most
    one ``decimal`` mark, and an optional exponent (``1,5E+03``), after leading and trailing
    spaces are removed. Groups of thousands may be separated by a space, a no-break space
    (U+00A0) or a narrow no-break space (U+202F), as French typography and Excel write them, or
    by ``thousands`` when declared; the groups must then be of exactly three digits
    (``1 234 567,5``), so that a separator is never mistaken for a decimal mark.

    Missing data: empty cells (or only spaces) and missing values are missing in ``values``
    and not ``failed``. Cells that already hold numbers are kept as they are; booleans,
    dates and any other objects are ``failed``.

    Examples
    --------
    >>> cells = pd.Series(["12,5", "1\\u202f234,5", "-3", "", "n.d.", "8"])
    >>> values, failed = parse_numbers(cells, decimal=",")
    >>> values.tolist()
    [12.5, 1234.5, -3.0, nan, nan, 8.0]
    >>> failed.tolist()
    [False, False, False, False, True, False]
    """
    if not isinstance(data, pd.Series):
        raise ArgumentError(f"data must be a pandas Series, got {type(data).__name__}",
                            where="data")
    _check_format(decimal, thousands)
    values = np.full(len(data), np.nan)
    failed = np.zeros(len(data), dtype=bool)
    if pd.api.types.is_bool_dtype(data.dtype):
        failed = np.array(data.notna(), dtype=bool)
    elif pd.api.types.is_numeric_dtype(data.dtype):
        values = data.to_numpy(dtype=np.float64, na_value=np.nan)
    elif data.dtype == object:
        kinds = data.map(_kind, na_action="ignore").to_numpy(dtype=object)
        is_number = kinds == "number"
        values[is_number] = data[is_number].to_numpy(dtype=np.float64)
        failed |= kinds == "other"
        is_text = kinds == "text"
        if is_text.any():
            values[is_text], failed[is_text] = _parse_cells(data[is_text].astype("str"),
                                                            decimal, thousands)
    else:  # text (and categories, dates...: written out as text, which dates are not)
        values, failed = _parse_cells(data.astype("str"), decimal, thousands)
    return ParsedNumbers(pd.Series(values, index=data.index, name=data.name),
                         pd.Series(failed, index=data.index, name=data.name))


def _parse_cells(text: pd.Series, decimal: str, thousands: str | None) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """Numbers and failures of a text column, each distinct text parsed once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(text.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    uniques = encoded.dictionary.to_pandas(types_mapper=lambda _: text_dtype)
    unique_values, unique_failed = _parse_text(uniques, decimal, thousands)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    present = codes >= 0
    values = np.full(len(text), np.nan)
    values[present] = unique_values[codes[present]]
    failed = np.zeros(len(text), dtype=bool)
    failed[present] = unique_failed[codes[present]]
    return values, failed


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return "number"
    return "other"


def _count(cells: pd.Series, pattern: str) -> int:
    return int(cells.str.fullmatch(pattern).sum()) if len(cells) else 0


def detect_number_format(cells: pd.Series, *, delimiter: str | None) -> tuple[str, str | None]:
    """The decimal mark and thousands separator of numbers written as text in ``cells``.

    ``12,5`` and ``0,125`` are decimal commas; ``1,234`` is ambiguous and not counted; ``1.234,5``
    says comma decimal and dot thousands. The more frequent unambiguous mark wins; with no
    evidence, a file delimited by ``;`` (French Excel) gets ``,``, any other ``.``. The
    thousands separator is the space-like character (or the ``.``/``,``) found between groups
    of three digits, ``None`` if none is.
    """
    text = pd.Series(pd.unique(cells.dropna().astype("str").str.strip(" \t")), dtype="str")
    text = text[text.str.contains(r"\d", regex=True)]
    amb_comma = r"[+-]?[1-9]\d{0,2}(?:,\d{3})+"
    amb_dot = r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+"
    comma = _count(text, rf"[+-]?\d*,\d+{_EXPONENT}") - _count(text, amb_comma)
    dot = _count(text, rf"[+-]?\d*\.\d+{_EXPONENT}") - _count(text, amb_dot)
    dot_thousands = _count(text, r"[+-]?\d{1,3}(?:\.\d{3})+,\d+")
    comma_thousands = _count(text, r"[+-]?\d{1,3}(?:,\d{3})+\.\d+")
    comma += dot_thousands
    dot += comma_thousands
    if comma != dot:
        decimal = "," if comma > dot else "."
    else:
        decimal = "," if delimiter == ";" else "."
    thousands: str | None = None
    if decimal == "," and dot_thousands:
        thousands = "."
    elif decimal == "." and comma_thousands:
        thousands = ","
    else:
        best = 0
        for space in SPACES:
            n = _count(text, rf"[+-]?\d{{1,3}}(?:{space}\d{{3}})+(?:[.,]\d+)?")
            if n > best:
                thousands, best = space, n
    return decimal, thousands
