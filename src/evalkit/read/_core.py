"""The records every reader fills in: the raw data, where each row came from, how the file was read.

:class:`SourceData` is what :func:`evalkit.read.read_source` returns; readers build a
:class:`ReadResult` from a :class:`SourceFile` and the declared :class:`ReadOptions`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.i18n import format_integer, t

__all__ = [
    "HEAD_BYTES",
    "Provenance",
    "ReadOptions",
    "ReadResult",
    "ReadWarning",
    "ReaderWarning",
    "SourceData",
    "SourceFile",
]

#: How many leading bytes of a file the format sniffers see.
HEAD_BYTES = 65_536


def _format_param(value: Any, lang: str) -> str:

    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return format_integer(int(value), lang)
    return str(value)


def _rebuild_warning(key: str, params: dict[str, Any]) -> ReaderWarning:
    return ReaderWarning(key, **params)


class ReaderWarning(str):
    """A warning about how a file was read: an English sentence that also knows its catalogue key.

    It *is* the English message (a ``str``), so lists of warnings print and compare as text;
    :meth:`render` gives the same warning in French for the command line. Every reader uses it:
    survey and population files (keys ``io.*``) and coded interviews (REFI-QDA projects and
    codebooks, keys ``qual.warn.*``).

    Parameters
    ----------
    key : str
        The key of the sentence in the message catalogues (``io.*``, ``qual.warn.*``).
    **params
        The values of the sentence's placeholders. Integers are formatted in the reader's
        language by :meth:`render` (``1 234`` in French).

    Examples
    --------
    >>> w = ReaderWarning("io.empty_rows_dropped", n=2)
    >>> w
    ReaderWarning('io.empty_rows_dropped', 'Empty rows left out: 2.')
    >>> w.key, w.params
    ('io.empty_rows_dropped', {'n': 2})
    >>> w.render("fr")
    'Lignes vides écartées : 2.'
    """

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, /, **params: Any) -> ReaderWarning:

        message = t(key, "en", **{k: _format_param(v, "en") for k, v in params.items()})
        self = super().__new__(cls, message)
        self.key = key
        self.params = dict(params)
        return self

    @property
    def message(self) -> str:
        """The English sentence."""
        return str.__str__(self)

    def render(self, lang: str = "en") -> str:
        """The warning in ``lang`` (``'fr'`` or ``'en'``)."""

        return t(self.key, lang, **{k: _format_param(v, lang) for k, v in self.params.items()})

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "params", "message"}``, ready for JSON."""
        return {"key": self.key, "message": self.message,
                "params": {k: _json_ready(v) for k, v in sorted(self.params.items())}}

    def __repr__(self) -> str:
        return f"ReaderWarning({self.key!r}, {self.message!r})"

    def __reduce__(self) -> tuple:
        return (_rebuild_warning, (self.key, self.params))


#: The name the REFI-QDA reader's warnings had; the same type.
ReadWarning = ReaderWarning


@dataclass(frozen=True)
class ReadOptions:
    """What the study declares about a file; ``None`` lets the reader detect it.

    Attributes
    ----------
    encoding : str or None
        Text encoding (``utf-8``, ``utf-8-sig``, ``cp1252``...), for text files; passed on to
        pyreadstat for SPSS and Stata files.
    delimiter : str or None
        Field separator of a text file (``,``, ``;``, a tab...).
    decimal : str or None
        Decimal mark of numbers written in a text file (``.`` or ``,``).
    thousands : str or None
        Thousands separator of numbers written in a text file.
    sheet : str, int or None
        Worksheet of a workbook: its name, or its position counted from 0.
    site, group : str or None
        Coded interviews: the case variables that hold each document's site and respondent
        group (a REFI-QDA project names them as the study does, or ``site`` and ``group``).
    external_sources : pathlib.Path or None
        A REFI-QDA project: the folder of its ``relative://`` sources that are not in the
        archive (nothing outside the archive is read without it).
    """

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | int | None = None
    site: str | None = None
    group: str | None = None
    external_sources: Path | None = None


@dataclass(frozen=True)
class SourceFile:
    """A file's bytes, read once (read-only), with the name messages give it.

    Attributes
    ----------
    path : pathlib.Path
        Where the file is.
    display : str
        How messages and provenance name it (relative to ``study.yaml`` in a study).
    content : bytes
        Every byte of the file.
    """

    path: Path
    display: str
    content: bytes = field(repr=False)

    @property
    def head(self) -> bytes:
        """The first :data:`HEAD_BYTES` bytes, which format sniffers look at."""
        return self.content[:HEAD_BYTES]

    @property
    def extension(self) -> str:
        """The file name's extension in lower case, with its dot (``'.csv'``)."""
        return self.path.suffix.lower()


@dataclass
class ReadResult:
    """What a reader hands back to :func:`~evalkit.read.read_source` (which adds the provenance).

    Attributes
    ----------
    data : pandas.DataFrame
        One row per record of the file, columns named as in the file (coded interviews: the
        segments frame).
    lines : numpy.ndarray
        For each row of ``data``, its row number as the user sees it in the file.
    documents : pandas.DataFrame or None
        Coded interviews: the documents frame (None for tables, and for coded-segment sheets,
        which hold no transcripts).
    value_labels, missing_codes, variable_labels : dict
        See :class:`SourceData`.
    warnings : list of ReaderWarning
        What the user should know about how the file was read.
    dropped_columns : list of str
        Columns read but left out of ``data``.
    dropped_rows : dict
        Reason -> number of records left out of ``data``.
    settings : dict
        How the file was read: any of ``encoding``, ``delimiter``, ``decimal``, ``thousands``,
        ``sheet``, ``header_rows``.
    detected : dict
        Setting -> ``"detected"`` or ``"declared"``.
    offsets : dict
        A REFI-QDA project: offset convention -> how many of its sources were read under it.
    """

    data: pd.DataFrame
    lines: np.ndarray
    documents: pd.DataFrame | None = None
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing_codes: dict[str, dict[Any, str | None]] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)
    warnings: list[ReaderWarning] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    dropped_rows: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    detected: dict[str, str] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)

    def warn(self, key: str, /, **params: Any) -> None:
        """Add the warning ``key`` (a catalogue key) with its parameters."""
        self.warnings.append(ReaderWarning(key, **params))

    def count_dropped(self, reason: str, n: int) -> None:
        """Record that ``n`` records were left out for ``reason``."""
        if n:
            self.dropped_rows[reason] = self.dropped_rows.get(reason, 0) + int(n)

    def setting(self, name: str, value: Any, *, declared: bool) -> None:
        """Record how setting ``name`` was chosen."""
        self.settings[name] = value
        self.detected[name] = "declared" if declared else "detected"


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@dataclass(frozen=True)
class Provenance:
    """Where a data set came from and how it was read: what a run's manifest records.

    Attributes
    ----------
    path : str
        The file as the study names it.
    sha256 : str
        SHA-256 of the file's bytes (hex).
    size_bytes : int
        Size of the file.
    format : str
        The reader used (``csv``, ``qualtrics``, ``xlsx``, ``sav``, ``dta``...).
    rows, columns : int
        Size of the data read (after dropped rows and columns).
    encoding, delimiter, decimal, thousands : str or None
        How a text file was read (``None`` where it does not apply).
    sheet : str or None
        The worksheet read from a workbook.
    header_rows : int or None
        Rows above the data (1 for CSV and XLSX, 3 for Qualtrics exports).
    dropped_rows : dict
        Reason -> number of records left out.
    dropped_columns : tuple of str
        Columns left out.
    detected : dict
        Setting -> ``"detected"`` or ``"declared"``.
    offsets : dict
        A REFI-QDA project: offset convention -> how many of its sources were read under it
        (empty for other formats).
    """

    path: str
    sha256: str
    size_bytes: int
    format: str
    rows: int
    columns: int
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | None = None
    header_rows: int | None = None
    dropped_rows: dict[str, int] = field(default_factory=dict)
    dropped_columns: tuple[str, ...] = ()
    detected: dict[str, str] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Every field, ready for ``json.dumps``, keys sorted (nested mappings too)."""
        raw = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {key: _json_ready(raw[key]) for key in sorted(raw)}


@dataclass(frozen=True, eq=False)  # compared by identity: its DataFrame has no truth value
class SourceData:
    """A file's raw data, as faithful to the file as possible, with its provenance.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per record, columns as named in the file. Text files give text (``str``)
        columns, an empty cell being missing; workbooks and SPSS/Stata files give the cells'
        own types (numbers, text, dates).
    provenance : Provenance
        Where the data came from and how the file was read.
    lines : numpy.ndarray
        For each row of ``data``, its row number as the user sees it in the file: the physical
        line where the record starts in a text file (header on line 1), the Excel row number in a
        workbook, the case number (from 1) in an SPSS or Stata file, the position (from 1) of
        a coding in a coded-interview file.
    documents : pandas.DataFrame or None
        Coded interviews: the documents (transcripts) the segments in ``data`` come from;
        None for tables and for coded-segment sheets.
    value_labels : dict
        Column -> {value: label} (SPSS and Stata).
    missing_codes : dict
        Column -> {value: label or None}: user-defined missing values (SPSS user-missing codes
        such as 8 "don't know" and 9 "refused", Stata extended missing values ``a``-``z``). The
        values stay in ``data``; this says they are missing codes.
    variable_labels : dict
        Column -> label (question text of a Qualtrics export, variable label in SPSS/Stata).
    warnings : list of ReaderWarning
        English sentences (each also carries its catalogue key for other languages).
    dropped_columns : list of str
        Columns left out (identifying Qualtrics metadata, empty unnamed columns).
    dropped_rows : dict
        Reason -> number of records left out (``empty_row``, ``preview``, ``test``, ``spam``).
    """

    data: pd.DataFrame
    provenance: Provenance
    lines: np.ndarray
    documents: pd.DataFrame | None = None
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing_codes: dict[str, dict[Any, str | None]] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)
    warnings: list[ReaderWarning] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    dropped_rows: dict[str, int] = field(default_factory=dict)


def sha256_hex(content: bytes) -> str:
    """SHA-256 of ``content``, in hexadecimal."""
    return hashlib.sha256(content).hexdigest()


def finish(file: SourceFile, fmt: str, result: ReadResult) -> SourceData:
    """Turn a reader's result into :class:`SourceData` with its :class:`Provenance`."""
    data = result.data.reset_index(drop=True)
    lines = np.asarray(result.lines, dtype=np.int64).copy()
    lines.flags.writeable = False
    settings = result.settings
    provenance = Provenance(
        path=file.display,
        sha256=sha256_hex(file.content),
        size_bytes=len(file.content),
        format=fmt,
        rows=int(data.shape[0]),
        columns=int(data.shape[1]),
        encoding=settings.get("encoding"),
        delimiter=settings.get("delimiter"),
        decimal=settings.get("decimal"),
        thousands=settings.get("thousands"),
        sheet=settings.get("sheet"),
        header_rows=settings.get("header_rows"),
        dropped_rows=dict(result.dropped_rows),
        dropped_columns=tuple(result.dropped_columns),
        detected=dict(result.detected),
        offsets=dict(sorted(result.offsets.items())),
    )
    return SourceData(
        data=data,
        provenance=provenance,
        lines=lines,
        documents=result.documents,
        value_labels=result.value_labels,
        missing_codes=result.missing_codes,
        variable_labels=result.variable_labels,
        warnings=list(result.warnings),
        dropped_columns=list(result.dropped_columns),
        dropped_rows=dict(result.dropped_rows),
    )
