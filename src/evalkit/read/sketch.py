"""What a data file says about itself, for drafting a study: each column's label, kind, value
labels, missing codes and distinct values, plus a sample of rows; and data dictionaries
(REDCap, a spreadsheet of variables) read into per-variable metadata.

SPSS and Stata files are read for their metadata and a sample spread through the file, then only
for the distinct values of the columns that may be categories, so that a file of hundreds of
thousands of rows is sketched in seconds. Other files are read whole, by the readers a run uses.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import DataError
from evalkit.read._numbers import parse_numbers
from evalkit.read._read import read_source
from evalkit.read._registry import detect_format

__all__ = [
    "ColumnSketch",
    "DictionaryVariable",
    "DataDictionary",
    "SourceSketch",
    "dictionary_kind",
    "read_data_dictionary",
    "sketch_source",
]

#: Columns with more distinct values than this are not listed value by value.
MAX_DISTINCT = 60
#: Rows kept as a sample for guessing (spread through large statistics files).
SAMPLE_ROWS = 4000
#: Names of columns that may be a site, a wave or a respondent group: in a statistics file their
#: distinct values are read from every row (a file sorted by site shows few sites in a sample).
ROLE_HINT = re.compile(r"site|territ|region|centre|center|csss|clsc|rls|quartier|secteur|wave|"
                       r"vague|temps|time|phase|round|visit|event|periode|type|group|profil|"
                       r"statut|role|categ|repond|respond", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class ColumnSketch:
    """One column of a data file, as drafting needs it.

    Attributes
    ----------
    name, label : str
        The column and its label (SPSS/Stata variable label, Qualtrics question text).
    kind : {'number', 'text', 'date', 'empty'}
        What the non-missing values are.
    integer : bool
        Numbers that are all whole.
    distinct : tuple or None
        Every distinct non-missing value (sorted), None when there are more than
        :data:`MAX_DISTINCT`.
    n_present : int
        Non-missing values read.
    unique : bool
        No value repeats among those read.
    value_labels, missing_codes : dict
        From the file (SPSS/Stata): ``{value: label}``, user-missing codes ``{value: label}``.
    measure : str or None
        The SPSS measure level (``nominal``, ``ordinal``, ``scale``).
    """

    name: str
    label: str | None
    kind: str
    integer: bool
    distinct: tuple | None
    n_present: int
    unique: bool
    value_labels: dict = field(default_factory=dict)
    missing_codes: dict = field(default_factory=dict)
    measure: str | None = None


@dataclass(frozen=True, eq=False)
class SourceSketch:
    """A data file sketched for drafting: its format, size, columns and a sample of rows."""

    path: Path
    format: str
    n_rows: int
    columns: tuple[ColumnSketch, ...]
    sample: pd.DataFrame = field(repr=False)
    sheet: str | None = None

    def column(self, name: str) -> ColumnSketch:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class DictionaryVariable:
    """A variable as a data dictionary describes it.

    ``kind`` is a hint (``category``, ``likert``, ``number``, ``integer``, ``text``, ``date``,
    ``id``, ``checkbox``) or None; ``choices`` maps codes to labels; ``condition`` is the
    question's display condition (skip logic), as written in the dictionary.
    """

    name: str
    label: str | None = None
    kind: str | None = None
    choices: dict = field(default_factory=dict)
    identifying: bool = False
    minimum: float | None = None
    maximum: float | None = None
    condition: str | None = None
    form: str | None = None


@dataclass(frozen=True)
class DataDictionary:
    """Variables described by a data dictionary file (REDCap, or a spreadsheet of variables)."""

    path: Path
    kind: str
    variables: dict[str, DictionaryVariable]


# -- data files -------------------------------------------------------------------------------

def sketch_source(path: str | Path, *, sheet: str | int | None = None) -> SourceSketch:
    """Sketch a data file: its columns with labels, kinds, value labels, missing codes and
    distinct values, and a sample of rows.

    Parameters
    ----------
    path : str or Path
        A CSV, Qualtrics, XLSX, SPSS or Stata file (read-only, never written).
    sheet : str or int, optional
        The worksheet of a workbook.

    Returns
    -------
    SourceSketch

    Raises
    ------
    DataError
        The file cannot be read (as :func:`evalkit.read.read_source` says).
    """
    path = Path(path)
    fmt = detect_format(path)
    if fmt in ("sav", "dta"):
        return _sketch_statfile(path, fmt)
    if fmt == "xlsx" and sheet is None:
        sheet = _largest_sheet(path)
    source = read_source(path, sheet=sheet)
    data = source.data
    decimal = source.provenance.decimal or "."
    thousands = source.provenance.thousands
    columns = tuple(_column(data[c], str(c), label=source.variable_labels.get(c),
                            value_labels=source.value_labels.get(c, {}),
                            missing=source.missing_codes.get(c, {}), decimal=decimal,
                            thousands=thousands) for c in data.columns)
    return SourceSketch(path=path, format=fmt, n_rows=len(data), columns=columns,
                        sample=data.head(SAMPLE_ROWS).copy(), sheet=source.provenance.sheet)


def _largest_sheet(path: Path) -> str | None:
    """The worksheet with the most cells: where a workbook's data are when its first sheet is
    a note or a cover page."""
    import openpyxl  # here: importing evalkit must not import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sizes = {ws.title: (ws.max_row or 0) * (ws.max_column or 0) for ws in book.worksheets}
    finally:
        book.close()
    return max(sizes, key=sizes.get) if len(sizes) > 1 else None


def _sketch_statfile(path: Path, fmt: str) -> SourceSketch:
    import pyreadstat  # here: importing evalkit must not import pyreadstat

    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    try:
        _, meta = read(str(path), metadataonly=True)
        n_rows = int(meta.number_rows or 0)
        sample = _spread_sample(read, path, n_rows)
    except Exception as error:  # pyreadstat raises its own and generic errors alike
        raise DataError.from_catalogue("io.stat_unreadable", where=str(path),
                                       format="SPSS" if fmt == "sav" else "Stata",
                                       reason=f"{type(error).__name__}: {error}") from None
    labels = meta.variable_value_labels or {}
    missing = _stat_missing(meta)
    measures = getattr(meta, "variable_measure", None) or {}
    # Labelled columns are known from their labels and the sample. The distinct values of the
    # unlabelled columns that may be categories (text with few values, or a possible site,
    # wave or group) are read from the whole file, those columns only.
    names_to_labels = meta.column_names_to_labels or {}
    few = [c for c in sample.columns
           if not labels.get(c) and _distinct_count(sample[c]) <= MAX_DISTINCT
           and not _is_dates(sample[c])
           and (not pd.api.types.is_numeric_dtype(sample[c])
                or ROLE_HINT.search(f"{c} {names_to_labels.get(c) or ''}"))]
    full = read(str(path), usecols=few, user_missing=True)[0] if few and n_rows > len(sample) \
        else sample[few]
    columns = []
    for name in sample.columns:
        values = full[name] if name in full.columns else sample[name]
        sketch = _column(values, name, label=names_to_labels.get(name),
                         value_labels=labels.get(name, {}), missing=missing.get(name, {}),
                         measure=measures.get(name))
        if name not in full.columns:  # judged from the sample: many values, none repeated?
            sketch = _with(sketch, unique=sketch.unique and len(sample) >= min(n_rows, 50))
        columns.append(sketch)
    return SourceSketch(path=path, format=fmt, n_rows=n_rows, columns=tuple(columns),
                        sample=sample)


def _spread_sample(read, path: Path, n_rows: int) -> pd.DataFrame:
    """Up to :data:`SAMPLE_ROWS` rows in four blocks spread through the file."""
    if n_rows <= SAMPLE_ROWS:
        return read(str(path), user_missing=True)[0]
    block = SAMPLE_ROWS // 4
    parts = [read(str(path), user_missing=True, row_offset=int(start), row_limit=block)[0]
             for start in np.linspace(0, n_rows - block, 4)]
    return pd.concat(parts, ignore_index=True)


def _stat_missing(meta: Any) -> dict[str, dict]:
    codes: dict[str, dict] = {}
    labels = meta.variable_value_labels or {}
    for column, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        for spec in ranges:
            lo, hi = spec["lo"], spec["hi"]
            found = [lo] if lo == hi else [v for v in labels.get(column, {})
                                          if isinstance(v, int | float) and lo <= v <= hi]
            for code in found:
                codes.setdefault(column, {})[code] = labels.get(column, {}).get(code)
    for column, values in (getattr(meta, "missing_user_values", None) or {}).items():
        for code in values:
            codes.setdefault(column, {})[code] = labels.get(column, {}).get(code)
    return codes


def _with(sketch: ColumnSketch, **changes: Any) -> ColumnSketch:
    values = {f: getattr(sketch, f) for f in sketch.__dataclass_fields__}
    return ColumnSketch(**{**values, **changes})


def _distinct_count(values: pd.Series) -> int:
    if pd.api.types.is_numeric_dtype(values):
        return int(values.nunique(dropna=True))
    return int(values.dropna().astype(str).str.strip().replace("", np.nan).dropna().nunique())


def _is_dates(values: pd.Series) -> bool:
    present = values.dropna()
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    return bool(len(present)) and all(isinstance(v, dt.date) for v in present.head(50))


def _text_dates(text: pd.Series) -> bool:
    """Dates written as text the way validation reads them: ISO (with or without a time), or
    day first as French Excel writes them."""
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")
    dmy = text.str.fullmatch(r"\d{2}[/-]\d{2}[/-]\d{4}")
    if not (iso.all() or dmy.all()):
        return False
    fmt = "ISO8601" if iso.all() else ("%d/%m/%Y" if text.str.contains("/").all() else "%d-%m-%Y")
    return bool(pd.to_datetime(text, format=fmt, errors="coerce").notna().all())


def _column(values: pd.Series, name: str, *, label: Any = None, value_labels: dict | None = None,
            missing: dict | None = None, measure: str | None = None, decimal: str = ".",
            thousands: str | None = None) -> ColumnSketch:
    kind, integer, distinct, unique = "empty", False, (), True
    label = str(label).strip() if isinstance(label, str) and label.strip() else None
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric:  # numbers as the file stores them (SPSS, Stata, workbooks): no text detour
        text = None
        present = values.notna().to_numpy()
    else:
        text = values.astype("string").str.strip()
        present = values.notna().to_numpy() & (text != "").fillna(False).to_numpy()
    if present.any() and numeric:
        kind = "number"
        keys = values[present].astype("float64")
        integer = bool((np.abs(keys - np.round(keys)) < 1e-9).all())
    elif present.any():
        kept = values[present]
        if _is_dates(kept):
            kind = "date"
            keys = pd.to_datetime(kept).dt.normalize()
        else:
            numbers, failed = parse_numbers(kept, decimal=decimal, thousands=thousands)
            if not failed.any():
                kind = "number"
                keys = numbers
                integer = bool((np.abs(numbers - np.round(numbers)) < 1e-9).all())
            elif _text_dates(text[present]):
                kind = "date"
                keys = text[present]
            else:
                kind = "text"
                keys = text[present]
    if present.any():
        counts = keys.value_counts(dropna=True)
        unique = bool((counts <= 1).all())
        if len(counts) <= MAX_DISTINCT:
            distinct = tuple(sorted(_plain(v, integer) for v in counts.index))
        else:
            distinct = None
    return ColumnSketch(name=name, label=label, kind=kind, integer=integer, distinct=distinct,
                        n_present=int(present.sum()), unique=unique,
                        value_labels={_plain(k, True): str(v)
                                      for k, v in (value_labels or {}).items()},
                        missing_codes={_plain(k, True): (None if v is None else str(v))
                                       for k, v in (missing or {}).items()},
                        measure=measure)


def _plain(value: Any, integer: bool) -> Any:
    """A value as YAML will write it: whole numbers as int, other numbers as float, text."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return int(value) if value.is_integer() and (integer or math.isfinite(value)) else value
    return str(value)


# -- data dictionaries ------------------------------------------------------------------------

_REDCAP = "variable / field name"
_SHEET_NAME = ("variable", "variable name", "nom", "name", "field", "champ", "nom de variable",
               "variable_name")
_SHEET_LABEL = ("label", "libellé", "libelle", "question", "label_fr", "label_en", "libellé fr",
                "description", "texte", "intitulé", "field label")
_SHEET_VALUES = ("values", "valeurs", "codes", "choices", "modalités", "modalites", "value labels",
                 "étiquettes")
_SHEET_TYPE = ("type", "field type", "format")


def dictionary_kind(path: str | Path) -> str | None:
    """``'redcap'``, ``'evalkit'`` (a codebook in evalkit's spreadsheet form), ``'sheet'`` (a
    spreadsheet of variables) or None when the file is data, judged from its header."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".txt", ".xlsx", ".xlsm"):
        return None
    try:
        header = [str(c).strip().lower() for c in _header(path)]
    except DataError:
        return None
    if _REDCAP in header and "field type" in header:
        return "redcap"
    if "variable" in header and "type" in header and {"label_fr", "label_en"} <= set(header):
        return "evalkit"
    names = [h for h in header if h in _SHEET_NAME]
    if names and (any(h in _SHEET_LABEL for h in header) or any(h in _SHEET_VALUES
                                                                 for h in header)) \
            and len(header) <= 12:
        return "sheet"
    return None


def _header(path: Path) -> list:
    return list(read_source(path).data.columns)


def read_data_dictionary(path: str | Path) -> DataDictionary:
    """Read a REDCap data dictionary or a spreadsheet of variables (name, label, values...).

    A REDCap dictionary gives each field's label, type (radio, dropdown, checkbox, yesno,
    text with its validation, notes, calc...), choices, identifier flag, range and branching
    logic. A spreadsheet of variables needs a name column and a label or values column; values
    are written ``1 = Oui; 2 = Non`` or ``1, Oui | 2, Non``.

    Raises
    ------
    DataError
        The file is not a data dictionary.
    """
    path = Path(path)
    kind = dictionary_kind(path)
    frame = read_source(path).data
    frame = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})
    if kind == "redcap":
        variables = _redcap_variables(frame)
    elif kind == "sheet":
        variables = _sheet_variables(frame)
    else:
        raise DataError.from_catalogue("draft.not_a_dictionary", where=str(path))
    return DataDictionary(path=path, kind=kind, variables=variables)


_REDCAP_TYPES = {"radio": "category", "dropdown": "category", "checkbox": "checkbox",
                 "yesno": "category", "truefalse": "category", "notes": "text", "calc": "number",
                 "slider": "number", "text": "text", "sql": "category"}
_REDCAP_VALIDATION = {"integer": "integer", "number": "number", "number_1dp": "number",
                      "number_2dp": "number", "date_ymd": "date", "date_dmy": "date",
                      "date_mdy": "date", "datetime_ymd": "date", "datetime_dmy": "date",
                      "datetime_mdy": "date", "datetime_seconds_ymd": "date"}


def _cell(row: pd.Series, column: str) -> str | None:
    value = row.get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _number(text: str | None) -> float | None:
    try:
        return float(str(text).replace(",", ".")) if text else None
    except ValueError:
        return None


def _redcap_variables(frame: pd.DataFrame) -> dict[str, DictionaryVariable]:
    out = {}
    for _, row in frame.iterrows():
        name = _cell(row, _REDCAP)
        field_type = (_cell(row, "field type") or "").lower()
        if not name or field_type in ("descriptive", "file"):
            continue
        kind = _REDCAP_TYPES.get(field_type, "text")
        validation = (_cell(row, "text validation type or show slider number") or "").lower()
        if field_type == "text" and validation in _REDCAP_VALIDATION:
            kind = _REDCAP_VALIDATION[validation]
        choices = _choices(_cell(row, "choices, calculations, or slider labels"))
        if field_type == "yesno":
            choices = {1: "Yes", 0: "No"}
        elif field_type == "truefalse":
            choices = {1: "True", 0: "False"}
        elif field_type in ("calc", "slider"):
            choices = {}
        identifying = (_cell(row, "identifier?") or "").lower() in ("y", "yes", "oui", "1")
        if validation in ("email", "phone", "zipcode", "postalcode_canada", "postalcode"):
            identifying = True
        out[name] = DictionaryVariable(
            name=name, label=_strip_html(_cell(row, "field label")), kind=kind,
            choices=choices, identifying=identifying,
            minimum=_number(_cell(row, "text validation min")),
            maximum=_number(_cell(row, "text validation max")),
            condition=_cell(row, "branching logic (show field only if...)"),
            form=_cell(row, "form name"))
    return out


def _sheet_variables(frame: pd.DataFrame) -> dict[str, DictionaryVariable]:
    def first(options: Sequence[str]) -> str | None:
        return next((c for c in frame.columns if c in options), None)

    name_col, label_col = first(_SHEET_NAME), first(_SHEET_LABEL)
    values_col, type_col = first(_SHEET_VALUES), first(_SHEET_TYPE)
    out = {}
    for _, row in frame.iterrows():
        name = _cell(row, name_col)
        if not name:
            continue
        kind = (_cell(row, type_col) or "").lower() if type_col else None
        out[name] = DictionaryVariable(
            name=name, label=_cell(row, label_col) if label_col else None,
            kind=kind or None, choices=_choices(_cell(row, values_col)) if values_col else {})
    return out


def _choices(text: str | None) -> dict:
    """``1, Oui | 2, Non`` (REDCap) or ``1 = Oui; 2 = Non`` into ``{1: 'Oui', 2: 'Non'}``."""
    if not text:
        return {}
    parts = [p for p in re.split(r"\s*[|;\n]\s*", text) if p.strip()]
    out = {}
    for part in parts:
        match = re.match(r"^\s*([^,=:]+?)\s*[,=:]\s*(.+?)\s*$", part)
        if not match:
            return {}
        code, label = match.groups()
        out[_plain(_number(code), True) if _number(code) is not None else code] = label
    return out


def _strip_html(text: str | None) -> str | None:
    if text is None:
        return None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip() or None
