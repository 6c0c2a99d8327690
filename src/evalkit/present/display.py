"""What notebooks show: released result tables and figures, with their titles, the suppression
footnote, the non-validated label of the tokenism index, the calls that made them and the
markers the page exporter reads (:mod:`evalkit.present.notebook_page`); and, for a table the
run did not compute, why. Each function returns an object that Jupyter displays as HTML.

Titles, column headers and the labels of key values come from the table catalogue
(:mod:`evalkit.analyse.catalogue`) and the study's codebook, in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from evalkit._files import write_bytes_atomic
from evalkit.analyse.catalogue import Column, TableSpec, table_spec
from evalkit.analyse.results import Absence, Call, Results
from evalkit.i18n import t
from evalkit.present._text import count_text, number_text, percent_text, typography
from evalkit.present.figures import figure_block
from evalkit.present.html import non_validated_html, scroll_region
from evalkit.release.shown import origin_key
from evalkit.release.suppress import suppression_note
from evalkit.release.tables import FUNNEL_GRIDS, released_table

__all__ = ["HTML", "absent_html", "mark_methods", "method_html", "show_figure", "show_table"]


@dataclass(frozen=True)
class HTML:
    """A piece of HTML that Jupyter displays (and the exporter keeps as it is)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


#: Columns added by disclosure control (the footnote says what they say).
_HIDDEN = ("suppressed", "suppression")
_NUM = " class='num'"
_NUMERIC = ("integer", "number", "proportion")


def _cell(value: Any, row: Mapping[str, Any], column: Column, spec: TableSpec, lang: str,
          suppressed: bool, codebook: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return t("reports.suppressed_symbol", lang) if suppressed else "–"
    if column.values:
        return spec.value_label(column.name, value, lang, codebook=codebook, row=row)
    if column.type == "boolean":
        return t("common.yes" if bool(value) else "common.no", lang)
    if column.type == "integer":
        return count_text(value, lang)
    if column.type == "proportion":
        return percent_text(value, lang, decimals=1 if column.decimals is None
                            else column.decimals)
    if column.type == "number":
        return number_text(value, lang, decimals=3 if column.decimals is None
                           else column.decimals)
    return str(value)


def show_table(results: Results, name: str, *, lang: str, policy: Any,
               site: str | None = None, columns: Sequence[str] | None = None,
               codebook: Any = None, method: bool = True) -> HTML:
    """The released table ``name`` as HTML: title, table, suppression footnote and, for the
    tokenism index, the non-validated label and its marker; the calls that made it; or, when
    the run did not compute it, why.

    Parameters
    ----------
    results : evalkit.analyse.results.Results
    name : str
        A table of the catalogue (see ``docs/tables.md``).
    lang : {'fr', 'en'}
    policy : DisclosurePolicy or the study's privacy section
    site : str, optional
        Keep the rows of one site (site reports).
    columns : list of str, optional
        The columns to show (default: all but the release flags and the columns written in
        another language); each must be a column the catalogue declares for the table
        (``site``, ``wave`` and ``group`` stand for the study's columns of these roles).
    codebook : Codebook, optional
        Labels of the study's variables and values.
    method : bool, default True
        Show the calls of evalkit's functions that made the table.
    """

    absence = results.absence(name)
    if absence is not None:
        return absent_html(absence, lang=lang)
    table = results[name]
    spec = table.spec
    frame = released_table(results, name, policy=policy)
    if site is not None:
        key = spec.key("site") or next(iter(frame.columns))
        frame = frame[frame[key].astype(str) == str(site)]
    if columns is not None:
        # ``site``, ``wave`` and ``group`` stand for the study's own columns of those roles.
        columns = [c if spec.has_column(c) else spec.key(c) or c for c in columns]
        for column in columns:
            spec.column(column)  # an undeclared column is an error, not a silent gap
        shown = [c for c in columns if c in frame.columns]
    else:
        shown = [c for c in frame.columns if c not in _HIDDEN and spec.has_column(c)
                 and spec.column(c).lang in (None, lang)]
    flags = (frame["suppressed"].fillna(False).astype(bool).tolist() if "suppressed" in frame
             else [False] * len(frame))
    note = typography(suppression_note(frame, lang=lang, policy=policy), lang)
    note_html = f"<p class='ek-table-note'>{escape(note)}</p>" if note else ""
    marker = " data-evalkit-index='tokenism'" if table.non_validated else ""
    label = non_validated_html(lang) if table.non_validated else ""
    title = typography(spec.title(lang), lang)
    chunks = _chunks(frame, shown, spec)
    origins = _row_origins(results, name, frame, spec)
    parts = []
    for i, chunk in enumerate(chunks):
        caption = title if len(chunks) == 1 else t("reports.table.part", lang, title=title,
                                                   i=i + 1, k=len(chunks))
        parts.append(_table_html(frame, chunk, spec, flags, caption, lang, codebook, origins))
    calls = method_html(table.calls, results.meta.get("frames", {}), lang=lang) \
        if method else ""
    return HTML(f"<div class='ek-table-wrap' data-table='{escape(name)}'{marker}"
                f"{scroll_region(title, lang)}>{label}"
                f"{''.join(parts)}{note_html}{calls}</div>")


#: Tables wider than this many columns are split into several (identifiers repeated), so that
#: each fits the width of an A4 page.
MAX_COLUMNS = 7


def _chunks(frame: pd.DataFrame, shown: list[str], spec: TableSpec) -> list[list[str]]:
    ids = [c for c in shown if spec.column(c).role == "key"][:3]
    values = [c for c in shown if c not in ids]
    if len(shown) <= MAX_COLUMNS:
        return [shown]
    room = max(1, MAX_COLUMNS - len(ids))
    return [ids + values[i:i + room] for i in range(0, len(values), room)]


def _row_origins(results: Results, name: str, frame: pd.DataFrame, spec: TableSpec
                 ) -> list[str]:
    """The origin attributes of each row (:mod:`evalkit.release.shown`): its keys, and the
    released table of the drawing grid a funnel's first rows come from."""
    keys = [k for k in spec.keys if k in frame.columns]
    grid = results.tables.get(FUNNEL_GRIDS[name]) if name in FUNNEL_GRIDS else None
    from_grid = len(grid.frame) if grid is not None else 0
    out = []
    for i, row in frame.iterrows():  # the grid's rows come first (index kept by filters)
        table = f" data-table='{escape(FUNNEL_GRIDS[name])}'" if i < from_grid else ""
        out.append(f" data-row='{escape(origin_key({k: row[k] for k in keys}))}'{table}")
    return out


def _table_html(frame: pd.DataFrame, shown: list[str], spec: TableSpec, flags: list[bool],
                caption: str, lang: str, codebook: Any, origins: list[str]) -> str:
    columns = [spec.column(c) for c in shown]
    head = "".join(f"<th scope='col'>{escape(typography(c.text(lang), lang))}</th>"
                   for c in columns)
    rows = []
    for (_, row), flag, origin in zip(frame.iterrows(), flags, origins, strict=True):
        record = row.to_dict()
        cells = "".join(
            f"<td{_NUM if c.type in _NUMERIC and not c.values else ''}"
            f"{_source(c)}>"
            f"{escape(_cell(record[c.name], record, c, spec, lang, flag, codebook))}</td>"
            for c in columns)
        rows.append(f"<tr{origin}>{cells}</tr>")
    return (f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _source(column: Column) -> str:
    """The ``data-column`` of a cell showing a number of the released table."""
    if column.role == "key" or column.values or column.type not in _NUMERIC:
        return ""
    return f" data-column='{escape(column.name)}'"


def absent_html(absence: Absence, *, lang: str, title: str | None = None) -> HTML:
    """The block a page shows instead of a table or figure the run did not compute: its
    title and ``Not computed: <reason>``."""
    if title is None and absence.table:
        title = table_spec(absence.table).title(lang)
    heading = f"<p class='ek-absent-title'>{escape(typography(title, lang))}</p>" \
        if title else ""
    text = typography(t("absent.block", lang, reason=absence.text(lang)), lang)
    table = f" data-table='{escape(absence.table)}'" if absence.table else ""
    return HTML(f"<div class='ek-absent' data-evalkit-absent='1'{table}>{heading}"
                f"<p>{escape(text)}</p></div>")


def method_html(calls: Sequence[Call], frames: Mapping[str, Mapping[str, Any]], *,
                lang: str) -> str:
    """The calls of evalkit's public functions that made a table, as code a researcher can
    copy, with what each data frame they read is (empty when there is none)."""
    if not calls:
        return ""
    code = "\n".join(escape(line) for line in dict.fromkeys(c.code() for c in calls))
    names = list(dict.fromkeys(n for c in calls for n in c.frames))
    where = []
    colon = typography(" : " if lang == "fr" else ": ", lang)
    for name in names:
        described = frames.get(name)
        if not described:
            continue
        text = t(described["key"], lang, **{k: _param(v) for k, v in
                                             (described.get("params") or {}).items()})
        where.append(f"<li><code>{escape(name)}</code>{escape(colon)}"
                     f"{escape(typography(text, lang))}</li>")
    listed = (f"<p>{escape(t('method.where', lang))}</p><ul>{''.join(where)}</ul>"
              if where else "")
    return (f"<details class='ek-method' data-evalkit-calls='1'><summary>"
            f"{escape(t('method.title', lang))}</summary><pre><code>{code}</code></pre>"
            f"{listed}</details>")


def _param(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "-" if value is None else value


def show_figure(fig: Any, *, caption: str, lang: str, alt: str | None = None,
                non_validated: bool = False, method: str | None = None,
                save_to: str | None = None, calls: str = "") -> HTML:
    """A matplotlib figure as an embedded PNG with its caption (the figure is closed);
    ``non_validated`` adds the label of the tokenism index, ``method`` the marker of the
    method note the page's footer should carry, ``calls`` the block of
    :func:`method_html`; ``save_to`` also writes the same PNG to that path (drawn once: the
    page and the file hold the same bytes)."""

    block = figure_block(fig, caption=caption, alt=alt or caption,
                         non_validated=non_validated)
    if save_to is not None:

        write_bytes_atomic(save_to, block.png)
    marker = " data-evalkit-index='tokenism'" if non_validated else ""
    method_attr = f" data-evalkit-method='{escape(method)}'" if method else ""
    label = non_validated_html(lang) if non_validated else ""
    return HTML(f"<figure{marker}{method_attr}>{label}<img src='{block.data_uri()}' "
                f"alt='{escape(block.alt)}' width='{block.width}' height='{block.height}'>"
                f"<figcaption>{escape(typography(caption, lang))}</figcaption>{calls}</figure>")


def mark_methods(*keys: str) -> HTML:
    """An invisible marker asking the page's footer for the method notes ``keys``."""
    return HTML("".join(f"<span hidden data-evalkit-method='{escape(k)}'></span>"
                        for k in keys))
