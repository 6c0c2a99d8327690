"""What notebooks show: released result tables and figures, with their titles, the suppression
footnote, the non-validated label of the tokenism index and the markers the page exporter
reads (:mod:`evalkit.present.notebook_page`). Each function returns an object that Jupyter displays
as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from evalkit._files import write_bytes_atomic
from evalkit.analyse.results import table_title
from evalkit.i18n import has_key, t
from evalkit.present._text import count_text, number_text, percent_text, typography
from evalkit.present.figures import figure_block
from evalkit.present.html import non_validated_html
from evalkit.release.suppress import suppression_note
from evalkit.release.tables import released_table

__all__ = ["HTML", "mark_methods", "show_figure", "show_table"]


@dataclass(frozen=True)
class HTML:
    """A piece of HTML that Jupyter displays (and the exporter keeps as it is)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


_HIDDEN = ("suppressed", "suppression", "non_validated")
_NUM = " class='num'"


def _cell(value: Any, column: str, kind: str, lang: str, suppressed: bool) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return t("reports.suppressed_symbol", lang) if suppressed else "–"
    if kind == "count":
        return count_text(value, lang)
    if kind == "percent":
        return percent_text(value, lang, decimals=1)
    if isinstance(value, float):
        return number_text(value, lang, decimals=3)
    return str(value)


def _kinds(table: Any, frame: pd.DataFrame) -> dict[str, str]:
    proportions = any(("rate" in c or "share" in c) for c in table.estimates)
    kinds = {}
    for column in frame.columns:
        if column in table.counts or column == table.n:
            kinds[column] = "count"
        elif column in table.estimates and proportions and (
                "rate" in column or "share" in column or column.startswith(("ci_", "shrunken"))
                or column == "estimate"):
            kinds[column] = "percent"
        else:
            kinds[column] = "other"
    return kinds


def show_table(results: Any, name: str, *, lang: str, policy: Any,
               site: str | None = None, columns: list[str] | None = None) -> HTML:
    """The released table ``name`` as HTML: title, table, suppression footnote and, for the
    tokenism index, the non-validated label and its marker.

    Parameters
    ----------
    results : evalkit.analyse.results.Results
    name : str
        A table of ``results`` (see ``docs/tables.md``).
    lang : {'fr', 'en'}
    policy : DisclosurePolicy or the study's privacy section
    site : str, optional
        Keep the rows of one site (site reports).
    columns : list of str, optional
        The columns to show (default: all but the release flags).
    """

    table = results[name]
    frame = released_table(results, name, policy=policy)
    if site is not None:
        key = "site" if "site" in frame.columns else frame.columns[0]
        frame = frame[frame[key].astype(str) == str(site)]
    shown = columns or [c for c in frame.columns if c not in _HIDDEN]
    kinds = _kinds(table, frame)
    flags = (frame["suppressed"].fillna(False).astype(bool).tolist() if "suppressed" in frame
             else [False] * len(frame))
    note = typography(suppression_note(frame, lang=lang, policy=policy), lang)
    note_html = f"<p class='ek-table-note'>{escape(note)}</p>" if note else ""
    marker = " data-evalkit-index='tokenism'" if table.non_validated else ""
    label = non_validated_html(lang) if table.non_validated else ""
    title = typography(table_title(name, lang), lang)
    chunks = _chunks(frame, shown)
    parts = []
    for i, chunk in enumerate(chunks):
        caption = title if len(chunks) == 1 else t("reports.table.part", lang, title=title,
                                                   i=i + 1, k=len(chunks))
        parts.append(_table_html(frame, chunk, kinds, flags, caption, lang))
    return HTML(f"<div class='ek-table-wrap' data-table='{escape(name)}'{marker}>{label}"
                f"{''.join(parts)}{note_html}</div>")


#: Tables wider than this many columns are split into several (identifiers repeated), so that
#: each fits the width of an A4 page.
MAX_COLUMNS = 8


def _chunks(frame: pd.DataFrame, shown: list[str]) -> list[list[str]]:
    ids = [c for c in shown if not pd.api.types.is_numeric_dtype(frame[c])
           or pd.api.types.is_bool_dtype(frame[c])][:3]
    values = [c for c in shown if c not in ids]
    if len(shown) <= MAX_COLUMNS:
        return [shown]
    room = max(1, MAX_COLUMNS - len(ids))
    return [ids + values[i:i + room] for i in range(0, len(values), room)]


def _header(column: str, lang: str) -> str:
    """A column's label from the catalogues, else its name with spaces (so that it wraps)."""

    key = f"reports.col.{column}"
    return t(key, lang) if has_key(key) else str(column).replace("_", " ")


def _table_html(frame: pd.DataFrame, shown: list[str], kinds: dict[str, str],
                flags: list[bool], caption: str, lang: str) -> str:
    head = "".join(f"<th scope='col'>{escape(_header(c, lang))}</th>" for c in shown)
    rows = "".join(
        "<tr>" + "".join(
            f"<td{_NUM if kinds[c] != 'other' else ''}>"
            f"{escape(_cell(row[c], c, kinds[c], lang, flag))}</td>" for c in shown) + "</tr>"
        for (_, row), flag in zip(frame.iterrows(), flags, strict=True))
    return (f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def show_figure(fig: Any, *, caption: str, lang: str, alt: str | None = None,
                non_validated: bool = False, method: str | None = None,
                save_to: str | None = None) -> HTML:
    """A matplotlib figure as an embedded PNG with its caption (the figure is closed);
    ``non_validated`` adds the label of the tokenism index, ``method`` the marker of the
    method note the page's footer should carry; ``save_to`` also writes the same PNG to that
    path (drawn once: the page and the file hold the same bytes)."""

    block = figure_block(fig, caption=caption, alt=alt or caption,
                         non_validated=non_validated)
    if save_to is not None:

        write_bytes_atomic(save_to, block.png)
    marker = " data-evalkit-index='tokenism'" if non_validated else ""
    method_attr = f" data-evalkit-method='{escape(method)}'" if method else ""
    label = non_validated_html(lang) if non_validated else ""
    return HTML(f"<figure{marker}{method_attr}>{label}<img src='{block.data_uri()}' "
                f"alt='{escape(block.alt)}' width='{block.width}' height='{block.height}'>"
                f"<figcaption>{escape(typography(caption, lang))}</figcaption></figure>")


def mark_methods(*keys: str) -> HTML:
    """An invisible marker asking the page's footer for the method notes ``keys``."""
    return HTML("".join(f"<span hidden data-evalkit-method='{escape(k)}'></span>"
                        for k in keys))
