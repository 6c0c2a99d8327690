"""Excel workbooks (.xlsx) through openpyxl: one sheet, cell values with their own types.

Numbers stay numbers, text stays text and dates stay dates; each row keeps its Excel row number.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, DataError
from evalkit.read._core import ReadOptions, ReadResult, SourceFile
from evalkit.read._delimited import finish_columns

__all__ = ["read_xlsx", "sniff_xlsx"]

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, or an encrypted workbook


def sniff_xlsx(head: bytes) -> bool:
    """Whether a file's first bytes are an Office Open XML workbook (a zip holding ``xl/``)."""
    return head.startswith(_ZIP) and b"xl/" in head


def _open_workbook(file: SourceFile) -> Any:
    import openpyxl

    if file.content.startswith(_OLE):
        raise DataError.from_catalogue("io.xlsx_encrypted", where=file.display)
    try:
        return openpyxl.load_workbook(io.BytesIO(file.content), read_only=True, data_only=True)
    except Exception as error:  # zipfile, XML and openpyxl errors alike mean a damaged file
        raise DataError.from_catalogue("io.xlsx_unreadable", where=file.display,
                                       reason=f"{type(error).__name__}: {error}") from None


def _choose_sheet(workbook: Any, file: SourceFile, sheet: str | int | None,
                  result: ReadResult) -> Any:
    names = list(workbook.sheetnames)
    listing = ", ".join(f"{i}: {name!r}" for i, name in enumerate(names))
    if sheet is None:
        if len(names) > 1:
            result.warn("io.several_sheets", n=len(names), sheets=", ".join(names),
                        sheet=names[0])
        chosen = names[0]
    elif isinstance(sheet, str):
        if sheet not in names:
            raise ConfigError.from_catalogue("io.sheet_not_found", where=file.display,
                                             sheet=repr(sheet), sheets=listing)
        chosen = sheet
    else:
        if not 0 <= sheet < len(names):
            raise ConfigError.from_catalogue("io.sheet_not_found", where=file.display,
                                             sheet=str(sheet), sheets=listing)
        chosen = names[sheet]
    result.setting("sheet", chosen, declared=sheet is not None)
    return workbook[chosen]


def _rows(worksheet: Any, file: SourceFile) -> list[tuple]:
    try:
        return [tuple(row) for row in worksheet.iter_rows(min_row=1, values_only=True)]
    except Exception as error:
        raise DataError.from_catalogue("io.xlsx_unreadable", where=file.display,
                                       reason=f"{type(error).__name__}: {error}") from None


def _column(values: tuple) -> pd.Series:
    """Cell values of a column (an empty string is an empty cell), types not inferred yet."""
    return pd.Series([None if v == "" else v for v in values], dtype="object")


def read_xlsx(file: SourceFile, options: ReadOptions) -> ReadResult:
    """Read one sheet of a workbook: the first non-empty row is the header."""
    result = ReadResult(data=pd.DataFrame(), lines=np.empty(0, dtype=np.int64))
    workbook = _open_workbook(file)
    try:
        worksheet = _choose_sheet(workbook, file, options.sheet, result)
        rows = _rows(worksheet, file)
    finally:
        workbook.close()
    filled = [i for i, row in enumerate(rows) if any(_has_value(v) for v in row)]
    if not filled:
        raise DataError.from_catalogue("io.empty_sheet", where=file.display,
                                       sheet=result.settings["sheet"])
    top = filled[0]
    width = max(len(row) for row in rows[top:])
    padded = [row + (None,) * (width - len(row)) for row in rows[top:]]
    header = list(padded[0])
    body = padded[1:]
    columns = list(zip(*body, strict=True)) if body else [()] * width
    data = pd.DataFrame({i: _column(col) for i, col in enumerate(columns)})
    lines = np.arange(top + 2, top + 2 + len(body), dtype=np.int64)  # Excel rows count from 1
    data, lines, _ = finish_columns(header, data, lines, result)
    # each column takes the type its cells share (numbers, text, dates), once empty rows are gone
    data = data.infer_objects()
    if not len(data):
        result.warn("io.no_rows")
    result.settings["header_rows"] = top + 1
    result.data, result.lines = data, lines
    return result


def _has_value(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
