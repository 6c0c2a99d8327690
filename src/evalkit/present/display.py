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
from evalkit.present._records import row_records
from evalkit.present._text import count_text, number_text, percent_text, typography
from evalkit.present.figures import figure_block
from evalkit.present.html import non_validated_html, scroll_region
from evalkit.release.shown import origin_columns, origin_key
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
    spec = results.spec(name)  # the private table itself is not read
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
    marker = " data-evalkit-index='tokenism'" if spec.non_validated else ""
    label = non_validated_html(lang) if spec.non_validated else ""
    title = typography(spec.title(lang), lang)
    layout = _layout(shown, spec, lang)
    origins = _row_origins(results, name, frame, spec)
    part = _table_html(frame, layout, spec, flags, title, lang, codebook, origins)
    calls = method_html(results.calls(name), results.meta.get("frames", {}), lang=lang) \
        if method else ""
    return HTML(f"<div class='ek-table-wrap' data-table='{escape(name)}'{marker}"
                f"{scroll_region(title, lang)}>{label}"
                f"{part}{note_html}{calls}</div>")


#: A table wider than this many columns is reshaped to fit the width of an A4 page (and of a
#: phone's screen, scrolling): see :func:`_layout`.
MAX_COLUMNS = 7
#: Roles of the columns an interval can belong to.
_ESTIMATES = ("estimate", "share")


@dataclass(frozen=True)
class _Shown:
    """One column as a page shows it: one catalogue column, an estimate with its interval
    (``names`` = estimate, low, high) or the row's keys in one cell."""

    kind: str  # "cell", "interval" or "keys"
    names: tuple[str, ...]
    header: str


@dataclass(frozen=True)
class _Layout:
    columns: tuple[_Shown, ...]
    long: bool = False  # one row per row of the table and measure


def _layout(shown: list[str], spec: TableSpec, lang: str) -> _Layout:
    """How a table's columns are shown so that it is never split.

    A table of at most :data:`MAX_COLUMNS` columns is shown as it is. A wider one is made
    narrower in turn, until it fits: each interval joins its estimate in one cell
    (``0,12 [0,05 ; 0,19]``); the row's keys join in one cell; and, as a last resort, the
    table is shown long, one row per row of the table and measure.
    """
    plain = tuple(_Shown("cell", (c,), spec.column(c).text(lang)) for c in shown)
    if len(plain) <= MAX_COLUMNS:
        return _Layout(plain)
    columns = _with_intervals(shown, spec, lang)
    if len(columns) <= MAX_COLUMNS:
        return _Layout(columns)
    keys = [c for c in columns if c.kind == "cell" and spec.column(c.names[0]).role == "key"]
    values = tuple(c for c in columns if c not in keys)
    joined = (_Shown("keys", tuple(k.names[0] for k in keys),
                     t("reports.table.keys_joiner", lang).join(k.header for k in keys)),
              ) if keys else ()
    if len(joined) + len(values) <= MAX_COLUMNS:
        return _Layout(joined + values)
    return _Layout(joined + values, long=True)


def _with_intervals(shown: list[str], spec: TableSpec, lang: str) -> tuple[_Shown, ...]:
    """The columns with each pair of interval bounds joined to the estimate it belongs to."""
    pairs = _interval_pairs(shown, spec)
    bounds = {b for low_high in pairs.values() for b in low_high}
    columns = []
    for name in shown:
        if name in bounds:
            continue
        label = spec.column(name).text(lang)
        if name in pairs:
            columns.append(_Shown("interval", (name, *pairs[name]),
                                  t("reports.table.with_interval_header", lang, label=label)))
        else:
            columns.append(_Shown("cell", (name,), label))
    return tuple(columns)


def _interval_pairs(shown: list[str], spec: TableSpec) -> dict[str, tuple[str, str]]:
    """The interval bounds of the estimates in ``shown``, by estimate.

    ``X_ci_low`` and ``X_ci_high`` belong to the estimate named ``X`` or ending in ``_X``
    (``change_ci_low`` to ``mean_change``); ``ci_low`` and ``ci_high`` to the nearest
    estimate before them that is not a spread (``sd_…``, ``se``). Control limits (``lower``,
    ``upper``) belong to no estimate.
    """
    pairs: dict[str, tuple[str, str]] = {}
    for at, low in enumerate(shown):
        if spec.column(low).role != "interval_bound" or not low.endswith("ci_low"):
            continue
        high = low[:-3] + "high"
        if high not in shown:
            continue
        prefix = low[:-len("ci_low")].rstrip("_")
        candidates = [c for c in shown if c not in pairs
                      and spec.column(c).role in _ESTIMATES]
        if prefix:
            owner = next((c for c in candidates if c == prefix or c.endswith(f"_{prefix}")),
                         None)
        else:
            before = [c for c in shown[:at] if c in candidates
                      and not (c.startswith("sd_") or c == "sd" or c.startswith("se"))]
            owner = before[-1] if before else None
        if owner is not None:
            pairs[owner] = (low, high)
    return pairs


def _shown_text(shown: _Shown, record: Mapping[str, Any], spec: TableSpec, lang: str,
                suppressed: bool, codebook: Any) -> str:
    def text(name: str) -> str:
        return _cell(record[name], record, spec.column(name), spec, lang, suppressed, codebook)

    if shown.kind == "keys":
        return t("reports.table.keys_joiner", lang).join(text(n) for n in shown.names)
    estimate = text(shown.names[0])
    if shown.kind == "cell" or any(_blank(record[n]) for n in shown.names):
        return estimate
    return typography(t("reports.table.with_interval", lang, estimate=estimate,
                        low=text(shown.names[1]), high=text(shown.names[2])), lang)


def _blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _numeric(shown: _Shown, spec: TableSpec) -> bool:
    column = spec.column(shown.names[0])
    return shown.kind != "keys" and column.type in _NUMERIC and not column.values


def _row_origins(results: Results, name: str, frame: pd.DataFrame, spec: TableSpec
                 ) -> list[str]:
    """The origin attributes of each row (:mod:`evalkit.release.shown`): its keys, and the
    released table of the drawing grid a funnel's first rows come from."""
    keys = [k for k in spec.keys if k in frame.columns]
    grid = results.tables.get(FUNNEL_GRIDS[name]) if name in FUNNEL_GRIDS else None
    from_grid = len(grid.frame) if grid is not None else 0
    out = []
    for i, row in row_records(frame):  # the grid's rows come first (index kept by filters)
        table = f" data-table='{escape(FUNNEL_GRIDS[name])}'" if i < from_grid else ""
        out.append(f" data-row='{escape(origin_key({k: row[k] for k in keys}))}'{table}")
    return out


def _table_html(frame: pd.DataFrame, layout: _Layout, spec: TableSpec, flags: list[bool],
                caption: str, lang: str, codebook: Any, origins: list[str]) -> str:
    columns = layout.columns
    if layout.long:
        keys = [c for c in columns if c.kind == "keys"]
        headers = [*(c.header for c in keys), t("reports.table.measure", lang),
                   t("reports.table.value", lang)]
    else:
        headers = [c.header for c in columns]
    head = "".join(f"<th scope='col'>{escape(typography(h, lang))}</th>" for h in headers)
    rows = []
    for (_, record), flag, origin in zip(row_records(frame), flags, origins, strict=True):
        cells = [(_shown_text(c, record, spec, lang, flag, codebook), _numeric(c, spec), c)
                 for c in columns]
        if layout.long:
            key_cells = [_td(text, False) for text, _, c in cells if c.kind == "keys"]
            for text, numeric, c in cells:
                if c.kind != "keys":
                    rows.append(f"<tr{origin}>{''.join(key_cells)}"
                                f"{_td(typography(c.header, lang), False)}"
                                f"{_td(text, numeric, _source(c, spec))}</tr>")
        else:
            rows.append(f"<tr{origin}>"
                        f"{''.join(_td(text, numeric, _source(c, spec)) for text, numeric, c in cells)}"
                        "</tr>")
    return (f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _td(text: str, numeric: bool, source: str = "") -> str:
    return f"<td{_NUM if numeric else ''}{source}>{escape(text)}</td>"


def _source(shown: _Shown, spec: TableSpec) -> str:
    """The ``data-column`` of a cell showing numbers of the released table (an estimate with
    its interval names its three columns, in the order they are shown)."""
    if shown.kind == "keys":
        return ""
    names = [n for n in shown.names if spec.column(n).role != "key"
             and not spec.column(n).values and spec.column(n).type in _NUMERIC]
    return f" data-column='{escape(origin_columns(names))}'" if names else ""


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
                save_to: str | None = None, calls: str = "",
                layers: str | None = None, drawn: str | None = None) -> HTML:
    """A matplotlib figure as an embedded PNG with its caption (the figure is closed);
    ``non_validated`` adds the label of the tokenism index, ``method`` the marker of the
    method note the page's footer should carry, ``calls`` the block of
    :func:`method_html`; ``save_to`` also writes the same PNG to that path (drawn once: the
    page and the file hold the same bytes); ``layers`` and ``drawn``: see
    :func:`figure_block`."""

    block = figure_block(fig, caption=caption, alt=alt or caption, lang=lang,
                         non_validated=non_validated, layers=layers, drawn=drawn)
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
