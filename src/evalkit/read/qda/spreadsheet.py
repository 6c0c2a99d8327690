"""Read coded segments kept in a spreadsheet (CSV or XLSX), for teams that code without a QDA tool.

One row per coding: the document, who said it (participant, site, group), the code, the coder,
optionally the character offsets, and the coded text. The result is the shared segments frame.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import ArgumentError, DataError
from evalkit.read.qda import frames as _frames
from evalkit.read.qda._messages import catalogue_error
from evalkit.read.qda._safe import mebibytes
from evalkit.read.qda._text import guess_decode

__all__ = ["read_coded_segments"]

REQUIRED = ("document", "code", "coder", "text")
OPTIONAL = ("participant", "site", "group", "start", "end", "code_path", "unit", "segment_id")

#: French (and a few English) headers accepted for each column; accents and case are ignored.
ALIASES = {
    "document": "document", "doc": "document", "entrevue": "document", "entretien": "document",
    "interview": "document", "transcript": "document", "transcription": "document",
    "participant": "participant", "participante": "participant", "respondent": "participant",
    "repondant": "participant", "site": "site", "groupe": "group", "group": "group",
    "code": "code", "codeur": "coder", "codeuse": "coder", "coder": "coder",
    "start": "start", "debut": "start", "end": "end", "fin": "end",
    "text": "text", "texte": "text", "extrait": "text", "segment": "text", "quote": "text",
    "code_path": "code_path", "chemin": "code_path", "unit": "unit", "unite": "unit",
    "tour": "unit", "turn": "unit", "segment_id": "segment_id",
}
_DELIMITERS = ",;\t|"
_MAX_BYTES = 256 * 1024**2


def read_coded_segments(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a spreadsheet of coded segments (CSV or XLSX) into the segments frame.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (any common encoding; delimiter ``,``, ``;``, tab or ``|`` detected) or
        ``.xlsx`` file whose first row holds the column names: ``document``, ``code``,
        ``coder`` and ``text`` are required; ``participant``, ``site``, ``group``, ``start``,
        ``end``, ``code_path``, ``unit`` and ``segment_id`` are optional. French headers are
        accepted (``codeur``, ``groupe``, ``début``, ``fin``, ``texte``, ``extrait``, ...).
    sheet : str or int, optional
        The worksheet of an XLSX file (name or 0-based position); the first by default.

    Returns
    -------
    DataFrame
        The segments frame (:data:`~evalkit.SEGMENT_COLUMNS`), sorted by document,
        start, end, code and coder. ``code_path`` is the ``code_path`` column when given;
        otherwise a code written ``Theme/Code`` gives ``code_path`` "Theme/Code" and
        ``code`` "Code", and a plain code is its own path. ``segment_id`` is the given one,
        else derived from the row's content (stable from one reading to the next).

    Raises
    ------
    DataError
        A required column is missing, a required cell is empty, or an offset is not a
        whole number ``>= 0`` with ``end >= start`` (both given or both empty). The message
        names the row as the user sees it (the header is row 1) and the column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "codage.csv"
    ...     _ = path.write_text("document;codeur;code;texte\\n"
    ...                         "ENT-01;codeur_A;Tokénisme/Consultation sans effet;"
    ...                         "On nous consulte mais rien ne change.\\n", encoding="utf-8")
    ...     read_coded_segments(path)[["code", "code_path", "coder"]].to_dict("records")
    [{'code': 'Consultation sans effet', 'code_path': 'Tokénisme/Consultation sans effet',
      'coder': 'codeur_A'}]
    """
    if not isinstance(path, str | Path):
        raise ArgumentError(f"path must be a str or a Path, got {type(path).__name__}",
                            where="path")
    path = Path(path)
    if not path.is_file():
        raise DataError.from_catalogue("qual.error.not_found", where=str(path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise ArgumentError("sheet applies to XLSX files only, got sheet="
                                f"{sheet!r} for {path.name}", where="sheet")
        header, rows = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        header, rows = _xlsx_rows(path, sheet)
    else:
        raise DataError.from_catalogue("qual.error.sheet_format", where=str(path),
                                       suffix=suffix or "-")
    return _segments(header, rows, str(path))


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    raw = path.read_bytes() if path.stat().st_size <= _MAX_BYTES else None
    if raw is None:
        raise DataError.from_catalogue("qual.error.member_too_large", where=str(path),
                                       member=path.name, size=mebibytes(path.stat().st_size),
                                       limit=mebibytes(_MAX_BYTES))
    text = _decode(raw)
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], _DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not records:
        raise DataError.from_catalogue("qual.error.sheet_empty", where=str(path))
    # csv.reader yields one record per row of the sheet (a quoted line break stays inside
    # its cell), so the record number is the row number a spreadsheet program shows.
    return records[0], [(i, r) for i, r in enumerate(records[1:], start=2) if any(
        str(c).strip() for c in r)]


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return guess_decode(raw)[0]


def _xlsx_rows(path: Path, sheet: str | int | None
               ) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on damaged files
        raise DataError.from_catalogue("qual.error.sheet_unreadable", where=str(path),
                                       reason=str(error)) from None
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book[names[0]]
        elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
            ws = book[names[sheet]]
        elif isinstance(sheet, str) and sheet in names:
            ws = book[sheet]
        else:
            raise ArgumentError.from_catalogue("qual.error.sheet_name", where="sheet",
                                               value=repr(sheet), names=", ".join(names))
        rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    if not rows:
        raise DataError.from_catalogue("qual.error.sheet_empty", where=str(path))
    header = ["" if c is None else str(c) for c in rows[0][1]]
    return header, [(i, r) for i, r in rows[1:] if any(
        c is not None and str(c).strip() for c in r)]


def _canonical(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    key = plain.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(key, key)


def _segments(header: list[str], rows: list[tuple[int, list[Any]]], where: str
              ) -> pd.DataFrame:
    columns = [_canonical(str(h)) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataError.from_catalogue("qual.error.sheet_columns", where=f"{where}, row 1",
                                       missing=", ".join(missing),
                                       required=", ".join(REQUIRED),
                                       found=", ".join(map(str, header)) or "-")
    position = {c: columns.index(c) for c in (*REQUIRED, *OPTIONAL) if c in columns}
    original = {c: str(header[i]) for c, i in position.items()}
    records, seen = [], {}
    for number, cells in rows:
        value = {c: _cell(cells, i) for c, i in position.items()}
        for c in REQUIRED:
            if value[c] is None:
                raise catalogue_error(
                    DataError, "qual.error.sheet_value", where=f"{where}, row {number}, "
                    f"column {original[c]}", column=original[c], value="–",
                    nested={"rule": "qual.rule.required"})
        start, end = _offsets(value, number, where, original)
        code, code_path = _code(value)
        key = (value["document"], start, end, code_path, value["coder"], value["text"])
        seen[key] = seen.get(key, 0) + 1
        records.append({
            "segment_id": value.get("segment_id") or _frames.derived_id("segment", *key,
                                                                         seen[key]),
            "document": value["document"], "participant": value.get("participant"),
            "site": value.get("site"), "group": value.get("group"), "code": code,
            "code_path": code_path, "coder": value["coder"], "start": start, "end": end,
            "text": value["text"], "unit": value.get("unit")})
    frame = _frames.frame_from_records(records, _frames.SEGMENT_COLUMNS, ints=("start", "end"))
    if frame.empty:
        return _frames.empty_segments()
    dup = frame["segment_id"].duplicated()
    if dup.any():
        number = rows[int(dup.to_numpy().nonzero()[0][0])][0]
        raise catalogue_error(
            DataError, "qual.error.sheet_value", where=f"{where}, row {number}, column "
            f"{original['segment_id']}", column=original["segment_id"],
            value=repr(frame["segment_id"][dup].iloc[0]), nested={"rule": "qual.rule.unique"})
    return _frames.sort_segments(_frames.check_segments(frame))


def _cell(cells: list[Any], index: int) -> str | None:
    if index >= len(cells) or cells[index] is None:
        return None
    value = cells[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if text.strip() else None


def _offsets(value: dict, number: int, where: str, original: dict
             ) -> tuple[int | None, int | None]:
    parsed = {}
    for name in ("start", "end"):
        raw = value.get(name)
        if raw is None:
            parsed[name] = None
            continue
        text = raw.strip()
        number_value = None
        try:
            as_float = float(text.replace(",", "."))
            if as_float.is_integer() and as_float >= 0:
                number_value = int(as_float)
        except ValueError:
            pass
        if number_value is None:
            raise catalogue_error(
                DataError, "qual.error.sheet_value", where=f"{where}, row {number}, column "
                f"{original[name]}", column=original[name], value=repr(raw),
                nested={"rule": "qual.rule.offset"})
        parsed[name] = number_value
    start, end = parsed["start"], parsed["end"]
    if (start is None) != (end is None):
        name = "end" if end is None else "start"
        label = original.get(name, name)
        raise catalogue_error(
            DataError, "qual.error.sheet_value", where=f"{where}, row {number}, column {label}",
            column=label, value="–", nested={"rule": "qual.rule.both_offsets"})
    if start is not None and end < start:
        raise catalogue_error(
            DataError, "qual.error.sheet_value", where=f"{where}, row {number}, column "
            f"{original['end']}", column=original["end"], value=repr(value["end"]),
            start=start, nested={"rule": "qual.rule.end_after_start"})
    return start, end


def _code(value: dict) -> tuple[str, str]:
    code = value["code"].strip()
    given = value.get("code_path")
    if given:
        return code, given.strip()
    if "/" in code:
        parts = [part.strip() for part in code.split("/")]
        return parts[-1], "/".join(parts)
    return code, code
