"""Result tables as a reader sees them: released values, labels from the catalogues and the
codebook, numbers in the locale's formats, the suppression footnote and the non-validated
label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit.analyse.catalogue import UnknownTableError, codebook_value_label, table_spec
from evalkit.i18n import has_key, t
from evalkit.present._text import count_text, number_text, percent_text
from evalkit.present.document import Origin, Table
from evalkit.release.shown import origin_columns, origin_key

__all__ = ["Column", "Labels", "format_table", "suppressed_symbol"]


def suppressed_symbol(lang: str) -> str:
    """The symbol of a suppressed cell (``x``, as Statistics Canada prints it)."""
    return t("reports.suppressed_symbol", lang)


@dataclass(frozen=True)
class Labels:
    """Labels of the study's variables and values (from its codebook) in one language."""

    codebook: Any
    lang: str

    def variable(self, name: str) -> str:
        if self.codebook is not None and name in self.codebook:
            return self.codebook.label(name, self.lang) or name
        return str(name)

    def value(self, variable: str | None, value: Any) -> str:
        """The label of ``value`` of ``variable`` (``1.0`` matches a code ``1``)."""
        found = codebook_value_label(self.codebook, variable, value, self.lang)
        return str(value) if found is None else found

    def catalogue(self, prefix: str, name: str) -> str:
        """``prefix.name`` from the catalogues when it exists, else the codebook's label of
        ``name``, else ``name``."""
        key = f"{prefix}.{name}"
        return t(key, self.lang) if has_key(key) else self.variable(name)


@dataclass(frozen=True)
class Column:
    """How to show one column: its header (a catalogue key or text), a formatter of the row
    and whether it is numeric (right-aligned).

    ``source`` names the released columns the cells show (default: those the formatter reads,
    :func:`count`, :func:`pct`...); ``where`` holds further keys of a pivoted column (the wave
    and group a column of counts stands for).
    """

    header: str
    cell: Callable[[pd.Series, str], str]
    numeric: bool = True
    source: tuple[str, ...] | None = None
    where: Mapping[str, Any] | None = None

    def sources(self) -> tuple[str, ...]:
        return self.source if self.source is not None else getattr(self.cell, "columns", ())


def _is_missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def blank(row: pd.Series, columns: Sequence[str], lang: str) -> str | None:
    """The text of a missing value: the suppression symbol when the row was suppressed."""
    if any(_is_missing(row.get(c)) for c in columns):
        suppressed = bool(row.get("suppressed", False)) if not _is_missing(
            row.get("suppressed")) else False
        return suppressed_symbol(lang) if suppressed else "–"
    return None


def pct(column: str, decimals: int = 0) -> Callable[[pd.Series, str], str]:
    def cell(row: pd.Series, lang: str) -> str:
        return blank(row, [column], lang) or percent_text(row[column], lang, decimals=decimals)
    cell.columns = (column,)  # type: ignore[attr-defined]
    return cell


def num(column: str, decimals: int = 2) -> Callable[[pd.Series, str], str]:
    def cell(row: pd.Series, lang: str) -> str:
        return blank(row, [column], lang) or number_text(row[column], lang, decimals=decimals)
    cell.columns = (column,)  # type: ignore[attr-defined]
    return cell


def pvalue(column: str) -> Callable[[pd.Series, str], str]:
    """A p-value with three decimals, ``< 0.001`` below that."""
    def cell(row: pd.Series, lang: str) -> str:
        missing = blank(row, [column], lang)
        if missing:
            return missing
        if float(row[column]) < 0.001:
            return t("reports.p_below", lang, p=number_text(0.001, lang, decimals=3))
        return number_text(row[column], lang, decimals=3)
    cell.columns = (column,)  # type: ignore[attr-defined]
    return cell


def count(column: str) -> Callable[[pd.Series, str], str]:
    def cell(row: pd.Series, lang: str) -> str:
        return blank(row, [column], lang) or count_text(row[column], lang)
    cell.columns = (column,)  # type: ignore[attr-defined]
    return cell


def interval(low: str, high: str, *, percent: bool = False,
             decimals: int = 2) -> Callable[[pd.Series, str], str]:
    def cell(row: pd.Series, lang: str) -> str:
        missing = blank(row, [low, high], lang)
        if missing:
            return missing
        fmt = (lambda v: percent_text(v, lang)) if percent else (
            lambda v: number_text(v, lang, decimals=decimals))
        return t("reports.range", lang, low=fmt(row[low]), high=fmt(row[high]))
    cell.columns = (low, high)  # type: ignore[attr-defined]
    return cell


def text(column: str, mapping: Callable[[Any], str] | None = None
         ) -> Callable[[pd.Series, str], str]:
    def cell(row: pd.Series, lang: str) -> str:
        value = row[column]
        if _is_missing(value):
            return "–"
        return mapping(value) if mapping else str(value)
    return cell


def _origin(frame: pd.DataFrame, columns: Sequence[Column], name: str,
            keys: Sequence[str] | None) -> Origin | None:
    """Where the numbers of the table come from (None for a table the catalogue does not
    declare): the row keys, and the columns of the released table each column shows."""
    try:
        spec = table_spec(name)
    except UnknownTableError:
        return None
    if keys is None:  # the catalogue's keys; ``{site}`` is the study's site column, ``site``
        keys = [k.strip("{}") for k in spec.keys if k.strip("{}") in frame.columns]
    rows = tuple(origin_key({k: row[k] for k in keys}) for _, row in frame.iterrows())
    sources = []
    for column in columns:
        named = column.sources()
        declared = all(spec.has_column(c) or spec.has_column(f"{{{c}}}") for c in named)
        sources.append(origin_columns(named) if named and declared else "")
    wheres = tuple(origin_key(c.where) if c.where else "" for c in columns)
    return Origin(rows=rows, columns=tuple(sources), wheres=wheres)


def format_table(frame: pd.DataFrame, columns: Sequence[Column], *, caption: str, lang: str,
                 notes: Sequence[str] = (), suppression: str = "",
                 non_validated: bool = False, name: str = "",
                 keys: Sequence[str] | None = None) -> Table:
    """A document table from a released frame: one cell per column spec and row.

    ``suppression`` (the footnote of :func:`evalkit.suppression_note`) is added to the
    notes only when a cell shown is suppressed: a suppressed column that the table leaves out
    needs no footnote. ``name`` is the released table shown; ``keys`` the columns of
    ``frame`` that name its rows there (default: the catalogue's keys found in ``frame``).
    """
    headers = tuple(t(c.header, lang) if has_key(c.header) else c.header for c in columns)
    rows = tuple(tuple(c.cell(row, lang) for c in columns) for _, row in frame.iterrows())
    symbol = suppressed_symbol(lang)
    shown = suppression if any(symbol == cell for row in rows for cell in row) else ""
    return Table(caption=caption, columns=headers, rows=rows,
                 numeric=tuple(c.numeric for c in columns),
                 notes=tuple(n for n in (shown, *notes) if n), non_validated=non_validated,
                 name=name, origin=_origin(frame, columns, name, keys) if name else None)
