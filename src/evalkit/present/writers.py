"""Writers of the evidence brief: one self-contained HTML page (the shared style sheet inline,
figures as data URIs) and one editable Word document (real styles, real tables, figures with
captions, a page break between the 1, 3 and 25 parts), in the brief's language.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path
from typing import Any

from evalkit.i18n import t
from evalkit.present._text import other_language, plain, spans, typography
from evalkit.present.brief import build_brief, write_budget_json
from evalkit.present.document import Bullets, Figure, Heading, Paragraph, Quote, Table
from evalkit.present.html import blocks_html, nav_html, page_html, slug, toc_html
from evalkit.release.shown import (
    DOCX_BOOKMARK,
    DOCX_TEXT_BOOKMARK,
    DOCX_TEXT_VARIABLE,
    DOCX_VARIABLE,
)

__all__ = ["DOCX_TABLE_STYLE", "brief_html", "write_brief_docx", "write_brief_html", "write_briefs"]

#: The Word table style of the brief's tables (from python-docx's default template).
DOCX_TABLE_STYLE = "Light List Accent 1"


def _meta(brief: Any) -> list[str]:
    return [f"{t('reports.brief.title', brief.lang)} · "
            f"{t('reports.brief.run_date', brief.lang, date=brief.date_text)}"]


def brief_html(brief: Any, *, nav: str = "") -> str:
    """The brief as one HTML page (a string); ``nav``: the way around (see
    :func:`evalkit.present.html.nav_html`)."""
    lang = brief.lang
    taken: set[str] = set()
    sections = []
    for part in brief.parts:
        anchor = slug(part.title, taken)
        body, toc = blocks_html(part.blocks, lang, base_level=3, taken=taken)
        contents = toc_html(toc, lang) if part.key == "report" else ""
        label = (f"<p class='ek-part-label'>{escape(typography(part.label, lang))}</p>"
                 if part.label else "")
        sections.append(f"<section class='ek-part' data-part='{escape(part.key)}'>{label}"
                        f"<h2 id='{anchor}'>{escape(typography(part.title, lang))}</h2>"
                        f"\n{contents}\n{body}\n</section>")
    return page_html(lang=lang, title=brief.title, subtitle=brief.subtitle, meta=_meta(brief),
                     body="\n".join(sections),
                     head_title=f"{brief.title} – {t('reports.brief.title', lang)}", nav=nav)


def write_brief_html(brief: Any, path: str | Path, *, nav: str = "") -> Path:
    """Write the brief as a self-contained HTML page (UTF-8) to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(brief_html(brief, nav=nav), encoding="utf-8")
    return path


# -- Word ---------------------------------------------------------------------------------------
def _docx_text(value: str, lang: str, *, marks: bool = False) -> str:
    """``value`` with the typography of ``lang``; the marks of numbers that carry their
    origin are kept only for :func:`_add_text` (``marks``), which writes them as bookmarks."""
    text = typography(value, lang)
    return text if marks else plain(text)


#: An interval or a range between two numbers (``0,07 à 0,12``, ``65 % to 88 %``): its spaces
#: become no-break spaces so that a narrow column never wraps it.
_RANGE = re.compile(r"(?<=\d)(\u00a0%)? (à|to) (?=[\u2212-]?\d)")


def _cell_text(value: str, lang: str) -> str:
    text = _RANGE.sub(lambda m: f"{m.group(1) or ''}\u00a0{m.group(2)}\u00a0",
                      _docx_text(value, lang))
    return text.replace("IC à ", "IC\u00a0à\u00a0").replace(" CI:", "\u00a0CI:")


#: A web address in running text (a DOI): it becomes a link a reader can click.
_URL = re.compile(r"https?://[^\s<>()]+[^\s<>().,;:]")


def _add_text(paragraph: Any, text: str) -> None:
    """``text`` into ``paragraph``, each web address as a clickable link (style Hyperlink) and
    each number that carries its origin in a run of its own between the bookmark
    ``_ek_text_<k>`` and its end, the origin in the document variable ``evalkit_text_<k>``."""
    for piece, where in spans(text):
        if where is None:
            _add_words(paragraph, piece)
            continue
        run = paragraph.add_run(piece)
        _bookmark(paragraph, run._r, run._r, where)


def _add_words(paragraph: Any, text: str) -> None:
    """Words into ``paragraph``, each web address as a clickable link (style Hyperlink)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    at = 0
    for match in _URL.finditer(text):
        if match.start() > at:
            paragraph.add_run(text[at:match.start()])
        url = match.group(0)
        rel = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), rel)
        run = paragraph.add_run(url, style="Hyperlink")
        link.append(run._r)
        paragraph._p.append(link)
        at = match.end()
    if at < len(text):
        paragraph.add_run(text[at:])


def _bookmark(paragraph: Any, first: Any, last: Any, where: dict) -> None:
    """A hidden bookmark ``_ek_text_<k>`` around the runs ``first`` to ``last`` of
    ``paragraph`` and the document variable ``evalkit_text_<k>`` holding ``where``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    variables = _variables(paragraph.part.document)
    k = len(variables) + 1
    variable = OxmlElement("w:docVar")
    variable.set(qn("w:name"), f"{DOCX_TEXT_VARIABLE}{k}")
    variable.set(qn("w:val"), json.dumps(where, ensure_ascii=False, separators=(",", ":"),
                                         sort_keys=True))
    variables.append(variable)
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(9000 + k))
    start.set(qn("w:name"), f"{DOCX_TEXT_BOOKMARK}{k}")
    end.set(qn("w:id"), str(9000 + k))
    first.addprevious(start)
    last.addnext(end)


def _add_table(doc: Any, table: Table, lang: str) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    if table.non_validated:
        _non_validated(doc, lang)
    caption = doc.add_paragraph(_docx_text(table.caption, lang), style="Caption")
    caption.paragraph_format.keep_with_next = True
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    styles = [s.name for s in doc.styles]
    grid.style = DOCX_TABLE_STYLE if DOCX_TABLE_STYLE in styles else "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    # python-docx lists every cell of the table for each cell, row or column asked for, and
    # looks the default style up for each paragraph styled: the cells are listed once here and
    # the style's identifier is set directly (the same XML, without the quadratic cost).
    n_cols = len(table.columns)
    cells = grid._cells
    widths = _column_widths(table)
    for j, (column, width) in enumerate(zip(grid.columns, widths, strict=True)):
        column.width = width  # the table grid (LibreOffice) and each cell (Word)
        for cell in cells[j::n_cols]:
            cell.width = width
    style_id = doc.styles["Table Text"].style_id
    numeric = table.numeric or (False,) * n_cols
    for i, row in enumerate((table.columns, *table.rows)):
        for j, value in enumerate(row):
            cell = cells[i * n_cols + j]
            cell.text = _cell_text(value, lang)
            for paragraph in cell.paragraphs:
                paragraph._p.style = style_id
                if numeric[j] and i > 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # The header row repeats on each page a table spans.
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    _mark_origin(doc, grid, table)
    for note in table.notes:
        doc.add_paragraph(_docx_text(note, lang), style="Table Note")


#: What follows ``w:docVars`` in ``w:settings`` (the schema's order of CT_Settings).
_AFTER_DOCVARS = ("rsids", "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping",
                  "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade",
                  "captions", "readModeInkLockDown", "smartTagType", "schemaLibrary",
                  "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")


def _variables(doc: Any) -> Any:
    """The document's ``w:docVars`` element, made in its place in the settings if need be."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = doc.settings.element
    variables = settings.find(qn("w:docVars"))
    if variables is None:
        variables = OxmlElement("w:docVars")
        after = [child for child in settings
                 if any(child.tag == qn(f"w:{name}") for name in _AFTER_DOCVARS)]
        if after:
            after[0].addprevious(variables)
        else:
            settings.append(variables)
    return variables


def _mark_origin(doc: Any, grid: Any, table: Table) -> None:
    """Say where the numbers of ``table`` come from, for the release check
    (:mod:`evalkit.release.shown`): a hidden bookmark ``_ek_table_<k>`` in its first cell and
    the document variable ``evalkit_table_<k>`` (invisible; Word keeps both)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    origin = table.origin
    if origin is None or not table.name:
        return
    variables = _variables(doc)
    k = len(variables) + 1
    value = {"table": table.name, "rows": [json.loads(r) for r in origin.rows],
             "columns": list(origin.columns),
             "wheres": [json.loads(w) if w else {} for w in origin.wheres]}
    variable = OxmlElement("w:docVar")
    variable.set(qn("w:name"), f"{DOCX_VARIABLE}{k}")
    variable.set(qn("w:val"), json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    variables.append(variable)
    paragraph = grid.cell(0, 0).paragraphs[0]._p
    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(9000 + k))
    start.set(qn("w:name"), f"{DOCX_BOOKMARK}{k}")
    end.set(qn("w:id"), str(9000 + k))
    if paragraph.pPr is not None:
        paragraph.pPr.addnext(start)
    else:
        paragraph.insert(0, start)
    paragraph.append(end)


def _column_widths(table: Table, text_width_cm: float = 17.0) -> list:
    """Column widths in proportion to their content, as a browser sets them: each column gets
    at least its longest word (no word is broken across lines) and long texts share the rest.
    Word gives every column the same width otherwise."""
    from docx.shared import Cm

    rows = (table.columns, *table.rows)
    n_cols = len(table.columns)
    numeric = table.numeric or (False,) * n_cols
    longest = [max(len(r[j]) for r in rows) for j in range(n_cols)]

    def longest_word(cells: Iterable[str]) -> int:
        return max([len(w) for c in cells for w in c.split()] or [0])

    # A character of 9 pt text is about 0.19 cm wide (0.21 in the bold header); cells have
    # 0.4 cm of padding. Numbers (and intervals such as "0,07 à 0,12") are never wrapped.
    floor = [max(0.21 * longest_word([table.columns[j]]),
                 0.19 * (max(len(r[j]) for r in table.rows) if numeric[j] and table.rows
                         else longest_word(r[j] for r in table.rows))) + 0.4
             for j in range(n_cols)]
    if sum(floor) >= text_width_cm:
        return [Cm(text_width_cm * f / sum(floor)) for f in floor]
    wish = [max(f, 0.19 * n + 0.4) for f, n in zip(floor, longest, strict=True)]
    if sum(wish) <= text_width_cm:
        spare = text_width_cm - sum(wish)
        return [Cm(w + spare * w / sum(wish)) for w in wish]
    # Share what is left after the floors in proportion to how much more each column wants.
    spare = text_width_cm - sum(floor)
    more = [w - f for w, f in zip(wish, floor, strict=True)]
    return [Cm(f + spare * m / sum(more)) for f, m in zip(floor, more, strict=True)]


def _non_validated(doc: Any, lang: str) -> None:
    doc.add_paragraph(_docx_text(t("reports.non_validated_label", lang), lang),
                      style="Non-validated")


def _add_figure(doc: Any, figure: Figure, lang: str) -> None:
    from docx.shared import Cm

    if figure.non_validated:
        _non_validated(doc, lang)
    width = Cm(16) if not figure.width or figure.width >= 560 else Cm(16 * figure.width / 600)
    doc.add_picture(io.BytesIO(figure.png), width=width)
    picture = doc.inline_shapes[-1]
    picture._inline.docPr.set("descr", figure.alt)
    doc.add_paragraph(_docx_text(figure.caption, lang), style="Caption")


def _add_blocks(doc: Any, blocks: list, lang: str) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            doc.add_heading(_docx_text(block.text, lang), level=min(block.level, 3))
        elif isinstance(block, Paragraph):
            if block.kind == "non_validated":
                _non_validated(doc, lang)
            else:
                style = "Lead" if block.kind == "lead" else None
                _add_text(doc.add_paragraph(style=style),
                          _docx_text(block.text, lang, marks=True))
        elif isinstance(block, Bullets):
            style = "List Number" if block.ordered else "List Bullet"
            for i, item in enumerate(block.items):
                paragraph = doc.add_paragraph(style=style)
                _add_text(paragraph, _docx_text(item, lang, marks=True))
                detail = block.details[i] if i < len(block.details) else ""
                if detail:
                    paragraph.add_run("\n" + _docx_text(detail, lang), style="Evidence")
        elif isinstance(block, Table):
            _add_table(doc, block, lang)
        elif isinstance(block, Figure):
            _add_figure(doc, block, lang)
        elif isinstance(block, Quote):
            _add_quote(doc, block, lang)


#: The Word language tag of each report language; another language is written as declared.
_WORD_LANGUAGE = {"fr": "fr-CA", "en": "en-CA"}


def _add_quote(doc: Any, quote: Quote, lang: str) -> None:
    """A quote and its attribution; a quote in another language than the brief is set in the
    character style of that language (its language tag: spelling, hyphenation, screen
    readers) and says so in words after its attribution, e.g. ``(en anglais)``."""
    quoted = _docx_text(t("reports.quote", lang, text=quote.text), lang)
    other = other_language(quote.language, lang)
    if other is None:
        doc.add_paragraph(quoted, style="Quote")
        doc.add_paragraph("— " + _docx_text(quote.attribution, lang))
        return
    code, tag = other
    doc.add_paragraph(style="Quote").add_run(quoted, style=_language_style(doc, code))
    doc.add_paragraph("— " + _docx_text(f"{quote.attribution} {tag}", lang))


def _language_style(doc: Any, code: str) -> str:
    """The character style of text in ``code`` (``Language en-CA``): no formatting of its
    own, only the language tag; made on first use."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tag = _WORD_LANGUAGE.get(code, code)
    name = f"Language {tag}"
    if name not in [style.name for style in doc.styles]:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        rpr = style.element.get_or_add_rPr()
        lang_el = OxmlElement("w:lang")
        lang_el.set(qn("w:val"), tag)
        rpr.append(lang_el)
    return name


def _properties(doc: Any, brief: Any) -> None:
    """Document properties from the brief only, so that the same run gives the same file."""
    stamp = dt.datetime.combine(brief.run_date, dt.time(0, 0))
    props = doc.core_properties
    props.title = brief.title
    props.subject = t("reports.brief.title", brief.lang)
    props.author = brief.subtitle or "evalkit"
    props.last_modified_by = "evalkit"
    props.language = {"fr": "fr-CA", "en": "en-CA"}[brief.lang]
    props.keywords = brief.study
    props.comments = ""
    props.category = ""
    props.identifier = brief.study
    props.revision = 1
    props.created = stamp
    props.modified = stamp
    props.last_printed = stamp


#: Word styles set to match the printed HTML (evalkit.css at 10.5 pt): name -> (size in points,
#: space before, space after, line spacing). Word's own defaults (26 pt titles, 10 pt after
#: every paragraph) would push the one-page main messages onto a second page.
DOCX_STYLES: dict[str, tuple[float, float, float, float]] = {
    "Normal": (10.5, 0, 4, 1.15),
    "Title": (20, 0, 4, 1.0),
    "Subtitle": (10.5, 0, 2, 1.0),
    "Heading 1": (15, 10, 4, 1.0),
    "Heading 2": (12.5, 10, 3, 1.0),
    "Heading 3": (11, 8, 2, 1.0),
    "Caption": (8.5, 2, 8, 1.0),
    "List Number": (10.5, 0, 3, 1.1),
    "List Bullet": (10.5, 0, 3, 1.1),
    "Quote": (10.5, 4, 2, 1.1),
    "Intense Quote": (9.5, 4, 4, 1.0),
}


def _set_styles(doc: Any) -> None:
    """Sizes and spacing of the brief's paragraph styles (they stay styles: a user who edits
    the document changes them in one place)."""
    from docx.shared import Cm, Pt

    names = {s.name for s in doc.styles}
    for name, (size, before, after, spacing) in DOCX_STYLES.items():
        if name not in names:
            continue
        style = doc.styles[name]
        style.font.size = Pt(size)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        fmt.line_spacing = spacing
    if "Intense Quote" in names:
        fmt = doc.styles["Intense Quote"].paragraph_format
        fmt.left_indent = fmt.right_indent = Cm(0.5)
    for level in range(1, 4):  # a heading never ends a page: it stays with what follows
        if f"Heading {level}" in names:
            doc.styles[f"Heading {level}"].paragraph_format.keep_with_next = True
    _add_own_styles(doc)


def _add_own_styles(doc: Any) -> None:
    """The brief's own styles, so that no run carries direct formatting: table text, table
    notes, the lead question, the non-validated notice, the evidence under a message and
    links."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Cm, Pt, RGBColor

    names = {s.name for s in doc.styles}

    def paragraph(name: str, size: float, *, bold: bool = False, base: str = "Normal") -> Any:
        style = doc.styles[name] if name in names else doc.styles.add_style(
            name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles[base]
        style.font.size, style.font.bold = Pt(size), bold
        return style

    if "Header" in names:  # the running header holds on one line
        doc.styles["Header"].font.size = Pt(8)
    paragraph("Table Text", 9)  # Normal's spacing: the page estimate counts on it
    paragraph("Table Note", 8.5).paragraph_format.space_after = Pt(6)
    paragraph("Lead", 10.5, bold=True)
    notice = paragraph("Non-validated", 9.5, bold=True)
    notice.font.color.rgb = RGBColor(0xA4, 0x16, 0x1A)
    notice.paragraph_format.left_indent = Cm(0.5)
    notice.paragraph_format.keep_with_next = True
    for name, italic, size, colour, underline in (("Evidence", True, 8.5, None, False),
                                                  ("Hyperlink", False, None, (0x0B, 0x4F, 0x9C),
                                                   True)):
        style = doc.styles[name] if name in names else doc.styles.add_style(
            name, WD_STYLE_TYPE.CHARACTER)
        style.font.italic = italic or None
        if size:
            style.font.size = Pt(size)
        if colour:
            style.font.color.rgb = RGBColor(*colour)
        style.font.underline = underline or None


def _set_language(doc: Any, lang: str) -> None:
    """Spelling and hyphenation in the brief's language (fr-CA or en-CA) for every style."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    code = _WORD_LANGUAGE[lang]
    rpr_default = doc.styles.element.find(qn("w:docDefaults"))
    if rpr_default is None:
        return
    rpr = rpr_default.find(qn("w:rPrDefault"))
    if rpr is None:
        return
    r = rpr.find(qn("w:rPr"))
    if r is None:
        return
    lang_el = r.find(qn("w:lang"))
    if lang_el is None:
        lang_el = OxmlElement("w:lang")
        r.append(lang_el)
    lang_el.set(qn("w:val"), code)


def write_brief_docx(brief: Any, path: str | Path) -> Path:
    """Write the brief as an editable Word document to ``path``; returns the path.

    Headings use Word's Title and Heading 1–3 styles, text Normal, captions Caption, tables
    the :data:`DOCX_TABLE_STYLE` table style; a page break separates the parts. Document
    properties come from the brief (title, organisation, run date), and the file's entries are
    dated with the run date, so that the same run gives the same bytes.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(2.0)
    _set_styles(doc)
    _set_language(doc, brief.lang)
    lang = brief.lang
    doc.add_heading(_docx_text(brief.title, lang), level=0)
    if brief.subtitle:
        doc.add_paragraph(_docx_text(brief.subtitle, lang), style="Subtitle")
    doc.add_paragraph(_docx_text(_meta(brief)[0], lang))
    _header_and_footer(section, brief)
    for i, part in enumerate(brief.parts):
        if i:
            doc.add_page_break()
        if part.label:
            doc.add_paragraph(_docx_text(part.label, lang), style="Subtitle")
        doc.add_heading(_docx_text(part.title, lang), level=1)
        if part.key == "report":
            _table_of_contents(doc, lang)
        _add_blocks(doc, _shift(part.blocks), lang)
    _properties(doc, brief)
    buffer = io.BytesIO()
    doc.save(buffer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buffer.getvalue(), brief.run_date))
    return path


def _field(paragraph: Any, instruction: str, shown: str) -> None:
    """A Word field (``PAGE``, ``TOC ...``) with the text shown until it is updated."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        run = OxmlElement("w:r")
        mark = OxmlElement("w:fldChar")
        mark.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            mark.set(qn("w:dirty"), "true")  # Word and LibreOffice update it on opening
        run.append(mark)
        return run

    code = OxmlElement("w:r")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    code.append(text)
    result = OxmlElement("w:r")
    value = OxmlElement("w:t")
    value.text = shown
    result.append(value)
    for element in (char("begin"), code, char("separate"), result, char("end")):
        paragraph._p.append(element)


def _header_and_footer(section: Any, brief: Any) -> None:
    """A running header (the study's title, the brief) and the page number in the footer."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    header = section.header.paragraphs[0]
    header.text = _docx_text(brief.title, brief.lang)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(_docx_text(t("reports.docx.page", brief.lang), brief.lang) + " ")
    _field(footer, "PAGE", "1")


def _table_of_contents(doc: Any, lang: str) -> None:
    """A table of contents of the headings (a field Word and LibreOffice fill in)."""
    doc.add_paragraph(_docx_text(t("reports.docx.toc", lang), lang), style="Subtitle")
    _field(doc.add_paragraph(), 'TOC \\o "2-3" \\h \\z \\u',
           _docx_text(t("reports.docx.toc_update", lang), lang))


def _shift(blocks: list) -> list:
    """Headings of a part sit one level below the part's own Heading 1."""
    return [Heading(b.text, b.level + 1, b.anchor) if isinstance(b, Heading) else b
            for b in blocks]


def _fixed_zip(data: bytes, date: dt.date) -> bytes:
    """The same archive with every entry dated ``date`` (zip entries carry the time of
    writing otherwise)."""
    out = io.BytesIO()
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_briefs(results: Any, study: Any, folder: str | Path, *,
                 run_date: dt.date | str, policy: Any = None,
                 languages: list[str] | None = None,
                 briefs: Mapping[str, Any] | None = None,
                 index: Mapping[str, str] | None = None,
                 drawn: str | Path | None = None) -> dict:
    """Write the run's ``brief/`` folder: ``brief.<lang>.html`` and ``brief.<lang>.docx`` for
    each of the study's languages, and ``budget.json``.

    ``briefs`` (language -> :class:`~evalkit.present.brief.Brief`, built with their figures)
    are written as they are instead of being built again; languages they lack are built.
    Each page links to its twins in the other languages and, with ``index`` (language → link
    relative to ``folder``), to the run's index. ``drawn``: a run's folder of figures drawn
    once (see :func:`evalkit.present.brief.build_brief`).

    Returns
    -------
    dict
        ``files`` (paths relative to ``folder``) and ``budget`` (``{lang: {part:
        [estimated_pages, budget, ok]}}``), for the run's manifest.
    """

    folder = Path(folder)
    given = briefs or {}
    briefs = {}
    files = []
    languages = list(languages or study.languages)
    twins = {g: f"brief.{g}.html" for g in languages}
    for lang in languages:
        brief = given.get(lang) or build_brief(results, study, lang=lang, run_date=run_date,
                                               policy=policy, drawn=drawn)
        briefs[lang] = brief
        nav = nav_html(lang, index=(index or {}).get(lang), twins=twins)
        files += [write_brief_html(brief, folder / f"brief.{lang}.html", nav=nav),
                  write_brief_docx(brief, folder / f"brief.{lang}.docx")]
    files.append(write_budget_json(briefs, folder / "budget.json"))
    return {"files": [p.relative_to(folder).as_posix() for p in files],
            "budget": {lang: {part: list(v) for part, v in b.budget.items()}
                       for lang, b in briefs.items()}}
