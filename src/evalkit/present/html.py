"""Self-contained HTML pages: the shared style sheet inline, images as data URIs, a title
block, a table of contents built from the headings and a footer of method notes.

Used by the evidence brief and by the code-free pages of notebooks, so that every page evalkit
writes looks the same and opens offline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from evalkit.i18n import t
from evalkit.present._text import marked_html, other_language, typography, typography_html
from evalkit.present.document import (
    Block,
    Bullets,
    Figure,
    Heading,
    Paragraph,
    Part,
    Quote,
    Table,
)
from evalkit.present.style import stylesheet

__all__ = ["TocEntry", "blocks_html", "nav_html", "non_validated_html", "page_html", "slug",
           "toc_html"]


@dataclass(frozen=True)
class TocEntry:
    """A heading listed in the table of contents (``level`` 1 or 2)."""

    anchor: str
    text: str
    level: int


def slug(text: str, taken: set[str] | None = None) -> str:
    """An ASCII anchor for ``text`` (accents dropped), unique within ``taken``.

    Examples
    --------
    >>> slug("Résultats : tokénisme")
    'resultats-tokenisme'
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "section"
    anchor, i = base, 2
    while taken is not None and anchor in taken:
        anchor, i = f"{base}-{i}", i + 1
    if taken is not None:
        taken.add(anchor)
    return anchor


_NUM = " class='num'"


def _text(value: str, lang: str) -> str:
    """``value`` as HTML text: typography, escaped, each number that carries its origin in a
    ``<span>`` naming it (see :func:`evalkit.present._text.marked`)."""
    return marked_html(escape(typography(value, lang), quote=False))


def quote_html(text: str, attribution: str, lang: str, *, language: str | None = None) -> str:
    """A quote as a page shows it: the quote in the page's quotation marks, then its
    attribution; a quote in another language than the page carries that language
    (``lang="en"``, for screen readers and spelling) and a visible tag, e.g. ``(en anglais)``.

    Examples
    --------
    >>> quote_html("It changed nothing.", "Carer, site B", "fr", language="en") == (
    ...     "<blockquote><p lang='en'>«\u00a0It changed nothing.\u00a0»</p><footer>Carer, "
    ...     "site B <span class='ek-quote-language'>(en anglais)</span></footer></blockquote>")
    True
    """
    quoted = _text(t("reports.quote", lang, text=text), lang)
    other = other_language(language, lang)
    if other is None:
        return f"<blockquote><p>{quoted}</p><footer>{_text(attribution, lang)}</footer></blockquote>"
    code, tag = other
    return (f"<blockquote><p lang='{escape(code)}'>{quoted}</p><footer>{_text(attribution, lang)}"
            f" <span class='ek-quote-language'>{_text(tag, lang)}</span></footer></blockquote>")


def non_validated_html(lang: str) -> str:
    """The bilingual label of the tokenism index, as the pages show it."""
    return (f"<p class='ek-non-validated' data-evalkit='non-validated-label'>"
            f"{_text(t('reports.non_validated_label', lang), lang)}</p>")


def scroll_region(name: str, lang: str) -> str:
    """The attributes of a box that scrolls sideways when its table is wider than the page: a
    keyboard reaches it (``tabindex``) and a screen reader names it after its table. It is a
    group, not a region: the brief shows a table in its summary and again in its report, and
    landmarks must have names of their own.

    Examples
    --------
    >>> scroll_region("Taux", "fr")
    " tabindex='0' role='group' aria-label='Taux'"
    """
    return f" tabindex='0' role='group' aria-label='{escape(typography(name, lang))}'"


def _row_origin(table: Table, i: int) -> str:
    """The ``data-row`` of row ``i`` (see :mod:`evalkit.release.shown`)."""
    if table.origin is None or i >= len(table.origin.rows):
        return ""
    return f" data-row='{escape(table.origin.rows[i])}'"


def _cell_origin(table: Table, j: int) -> str:
    """The ``data-column`` (and ``data-where``) of the cells of column ``j``."""
    origin = table.origin
    if origin is None or j >= len(origin.columns) or not origin.columns[j]:
        return ""
    where = origin.wheres[j] if j < len(origin.wheres) else ""
    return (f" data-column='{escape(origin.columns[j])}'"
            + (f" data-where='{escape(where)}'" if where else ""))


def _table_html(table: Table, lang: str) -> str:
    numeric = table.numeric or (False,) * len(table.columns)
    align = [_NUM if num else "" for num in numeric]
    head = "".join(f"<th scope='col'{a}>{_text(c, lang)}</th>"
                   for c, a in zip(table.columns, align, strict=True))
    body = "".join(
        f"<tr{_row_origin(table, i)}>" + "".join(
            f"<td{a}{_cell_origin(table, j)}>{_text(v, lang)}</td>"
            for j, (v, a) in enumerate(zip(row, align, strict=True))) + "</tr>"
        for i, row in enumerate(table.rows))
    notes = "".join(f"<p class='ek-table-note'>{_text(n, lang)}</p>" for n in table.notes if n)
    label = non_validated_html(lang) if table.non_validated else ""
    name = f" data-table='{escape(table.name)}'" if table.name else ""
    return (f"<div class='ek-table-wrap'{name}{scroll_region(table.caption, lang)}>{label}"
            f"<table><caption>{_text(table.caption, lang)}"
            f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{notes}</div>")


def _figure_html(figure: Figure, lang: str) -> str:
    size = (f" width='{figure.width}' height='{figure.height}'"
            if figure.width and figure.height else "")
    label = non_validated_html(lang) if figure.non_validated else ""
    return (f"<figure>{label}<img src='{figure.data_uri()}' alt='{escape(figure.alt)}'{size}>"
            f"<figcaption>{_text(figure.caption, lang)}</figcaption></figure>")


def blocks_html(blocks: Iterable[Block], lang: str, *, base_level: int = 2,
                taken: set[str] | None = None) -> tuple[str, list[TocEntry]]:
    """The HTML of ``blocks`` and the headings found (for the table of contents).

    A :class:`Heading` of level 1 becomes ``<h{base_level}>``.
    """
    taken = set() if taken is None else taken
    out: list[str] = []
    toc: list[TocEntry] = []
    for block in blocks:
        if isinstance(block, Heading):
            level = min(block.level + base_level - 1, 6)
            anchor = block.anchor or slug(block.text, taken)
            out.append(f"<h{level} id='{anchor}'>{_text(block.text, lang)}</h{level}>")
            if block.level <= 2:
                toc.append(TocEntry(anchor, block.text, block.level))
        elif isinstance(block, Paragraph):
            if block.kind == "non_validated":
                out.append(non_validated_html(lang))
            else:
                css = {"lead": " class='ek-lead'", "note": " class='ek-note'"}.get(block.kind, "")
                out.append(f"<p{css}>{_text(block.text, lang)}</p>")
        elif isinstance(block, Bullets):
            tag = "ol" if block.ordered else "ul"
            css = " class='ek-messages'" if block.details else ""
            items = []
            for i, item in enumerate(block.items):
                detail = block.details[i] if i < len(block.details) else ""
                evidence = (f"<span class='ek-evidence'>{_text(detail, lang)}</span>"
                            if detail else "")
                items.append(f"<li>{_text(item, lang)}{evidence}</li>")
            out.append(f"<{tag}{css}>{''.join(items)}</{tag}>")
        elif isinstance(block, Table):
            out.append(_table_html(block, lang))
        elif isinstance(block, Figure):
            out.append(_figure_html(block, lang))
        elif isinstance(block, Quote):
            out.append(quote_html(block.text, block.attribution, lang, language=block.language))
        else:
            raise TypeError(f"unknown block {type(block).__name__}")
    return "\n".join(out), toc


def toc_html(entries: Sequence[TocEntry], lang: str) -> str:
    """A nested table of contents (levels 1 and 2) linking to the headings' anchors."""
    if not entries:
        return ""
    html, open_sub = [], False
    for entry in entries:
        link = f"<a href='#{entry.anchor}'>{_text(entry.text, lang)}</a>"
        if entry.level <= 1:
            if open_sub:
                html.append("</ol></li>")
                open_sub = False
            elif html:
                html.append("</li>")
            html.append(f"<li>{link}")
        else:
            if not html:
                html.append("<li>")
            if not open_sub:
                html.append("<ol>")
                open_sub = True
            html.append(f"<li>{link}</li>")
    html.append("</ol></li>" if open_sub else "</li>")
    title = _text(t("reports.contents", lang), lang)
    return f"<nav class='ek-toc' aria-label='{escape(title)}'><h2>{title}</h2><ol>{''.join(html)}</ol></nav>"


def parts_html(parts: Sequence[Part], lang: str) -> tuple[str, list[TocEntry]]:
    """The HTML of a report's parts, each in its own ``<section>`` (printed from a new page)."""
    taken: set[str] = set()
    html, toc = [], []
    for part in parts:
        anchor = slug(part.title, taken)
        body, entries = blocks_html(part.blocks, lang, base_level=3, taken=taken)
        label = (f"<p class='ek-part-label'>{_text(part.label, lang)}</p>" if part.label else "")
        html.append(f"<section class='ek-part' data-part='{escape(part.key)}'>{label}"
                    f"<h2 id='{anchor}'>{_text(part.title, lang)}</h2>\n{body}</section>")
        toc.append(TocEntry(anchor, part.title, 1))
        toc += [TocEntry(e.anchor, e.text, 2) for e in entries if e.level == 1]
    return "\n".join(html), toc


def nav_html(lang: str, *, index: str | None = None,
             twins: Mapping[str, str] | None = None) -> str:
    """The way around a page: a link to the run's index (``index``, relative to the page)
    and to the same page in each other language (``twins``: language → relative link), each
    named in its own language. Empty when there is nowhere to go.

    Examples
    --------
    >>> nav_html("fr", index="../index.html", twins={"en": "x.en.html"}).count("<a ")
    2
    """
    links = []
    if index:
        links.append(f"<a href='{escape(index)}' rel='index'>"
                     f"{_text(t('nav.index', lang), lang)}</a>")
    for other, href in (twins or {}).items():
        if other != lang:
            links.append(f"<a href='{escape(href)}' hreflang='{escape(other)}' "
                         f"lang='{escape(other)}' rel='alternate'>"
                         f"{_text(t('nav.twin', other), other)}</a>")
    if not links:
        return ""
    return (f"<nav class='ek-nav' aria-label='{escape(t('nav.label', lang))}'>"
            f"{' · '.join(links)}</nav>")


def page_html(*, lang: str, title: str, body: str, subtitle: str = "", meta: Sequence[str] = (),
              toc: Sequence[TocEntry] = (), footer: str = "", head_title: str = "",
              nav: str = "") -> str:
    """A whole page: ``<!DOCTYPE html>``, the style sheet inline, the way around (``nav``,
    see :func:`nav_html`), the title block, the table of contents, ``body`` (already HTML)
    and ``footer`` (already HTML); French typography over all its text, notebook prose
    included."""
    meta_html = "".join(f"<p class='ek-meta'>{_text(m, lang)}</p>" for m in meta if m)
    sub = f"<p class='ek-subtitle'>{_text(subtitle, lang)}</p>" if subtitle else ""
    foot = f"<footer class='ek-footer'>{footer}</footer>" if footer else ""
    return typography_html(
        "<!DOCTYPE html>\n"
        f"<html lang='{escape(lang)}'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        "<meta name='generator' content='evalkit'>\n"
        f"<title>{_text(head_title or title, lang)}</title>\n"
        f"<style>\n{stylesheet()}\n</style>\n</head>\n<body>\n{nav}\n"
        f"<header class='ek-header'><h1>{_text(title, lang)}</h1>{sub}{meta_html}</header>\n"
        f"{toc_html(toc, lang)}\n<main>\n{body}\n</main>\n{foot}\n</body>\n</html>\n", lang)
