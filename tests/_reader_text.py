"""What a reader of a run's pages, figures and Word documents reads, and the raw names a reader
should never meet there.

The text a person reads on a page is its visible text without the code a researcher may copy
(``<code>``, ``<pre>``, the folded "how this was computed" blocks) and without the parts for the
other language. A raw name is a snake_case identifier (a column, a table, a measure of the
study), an identifier of the table catalogue or the codebook; on a French page, also a table
cell or a label that is an English word of the catalogue's key values (``red``, ``item``,
``group``...).

A figure's words are read from its PNG, where the run records every visible text of the figure
(a ``Description`` text chunk tagged with the figure's language); a Word document's from its
body, headers and footers. :func:`scan_run` applies the same rules to all three.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

#: A snake_case identifier: lower-case words joined by underscores (a file's name, with its
#: extension, is a file's name).
SNAKE = re.compile(r"(?<![\w./#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/]|\.[a-z]{2,4}\b)")
#: English words that are key values or column names in the results; in a French table cell
#: or label they are raw names.
ENGLISH_VALUES = frozenset({
    "red", "green", "amber", "item", "group", "all", "user", "users", "staff", "carer",
    "carers", "yes", "no", "true", "false", "none", "nan", "mean", "rate", "share", "count",
    "level", "low", "high", "baseline", "follow up", "follow-up", "improved", "worse", "same",
    "web page", "download", "downloads", "site profiles", "analyses", "figures", "tables",
    "above", "below", "within", "converge", "diverge", "estimate", "term", "outcome",
    "ci low", "ci high", "n paired", "mean follow up", "share improved", "code path",
})
#: Blocks that show code or machine text, not prose: left out of what a reader reads.
CODE_TAGS = ("code", "pre", "script", "style", "template")


@dataclass(frozen=True)
class Finding:
    """A raw name found: the file, the name and the text around it."""

    where: str
    name: str
    context: str


def reader_soup(html: str, lang: str) -> BeautifulSoup:
    """The page without code, hidden parts and the other language's parts."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(CODE_TAGS):
        tag.decompose()
    for tag in soup.select("details.ek-method, [hidden], [data-evalkit-lang]"):
        if tag.name == "details" or tag.has_attr("hidden") \
                or tag.get("data-evalkit-lang") not in (None, lang):
            tag.decompose()
    return soup


def reader_text(html: str, lang: str) -> str:
    """The text a reader reads on a page, one line per block."""
    soup = reader_soup(html, lang)
    body = soup.body or soup
    text = body.get_text("\n")
    alts = [img.get("alt", "") for img in body.find_all("img")]
    title = soup.title.get_text() if soup.title else ""
    return "\n".join([title, text, *alts])


def raw_names(text: str, *, where: str, lang: str, identifiers: Iterable[str] = (),
              cells: Iterable[str] = ()) -> list[Finding]:
    """Raw names in ``text`` (prose) and ``cells`` (table cells, legend entries, labels)."""
    found = []
    names = {n for n in identifiers if "_" in n}
    for match in SNAKE.finditer(text):
        found.append(Finding(where, match.group(0), _around(text, match.start())))
    for name in names:
        for match in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)", text):
            if not SNAKE.fullmatch(name):
                found.append(Finding(where, name, _around(text, match.start())))
    if lang == "fr":
        for cell in cells:
            value = " ".join(cell.split()).strip()  # raw values are lower-case
            if value in ENGLISH_VALUES:
                found.append(Finding(where, value, cell))
    return found


def page_cells(html: str, lang: str) -> list[str]:
    """The header and body cells of a page's tables, and its captions."""
    soup = reader_soup(html, lang)
    return [c.get_text(" ") for c in soup.find_all(["th", "td", "caption", "figcaption"])]


def _around(text: str, at: int, width: int = 40) -> str:
    return " ".join(text[max(0, at - width):at + width].split())


# -- figures and Word documents ---------------------------------------------------------------
#: The PNG text chunk where a figure's visible text is recorded (one element a line).
FIGURE_TEXT_KEY = "Description"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def figure_lines(png: Path) -> tuple[list[str], str]:
    """The visible text recorded in a figure's PNG, one element a line, and its language tag
    (a PNG without its text is an error: its words cannot be checked)."""
    from PIL import Image

    with Image.open(png) as image:
        text = image.text.get(FIGURE_TEXT_KEY)
    if text is None:
        raise AssertionError(f"{png.name}: no {FIGURE_TEXT_KEY!r} text chunk")
    return text.splitlines(), str(getattr(text, "lang", "") or "")


def docx_lines(docx: Path) -> tuple[list[str], list[str]]:
    """The paragraphs of a Word document's body, headers and footers, and its table cells."""
    from defusedxml import ElementTree

    paragraphs, cells = [], []
    with zipfile.ZipFile(docx) as archive:
        parts = [n for n in archive.namelist()
                 if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
        for part in sorted(parts):
            root = ElementTree.fromstring(archive.read(part))
            paragraphs += [_runs(p) for p in root.iter(f"{_W}p")]
            cells += [" ".join(_runs(p) for p in cell.iter(f"{_W}p"))
                      for cell in root.iter(f"{_W}tc")]
    return [p for p in paragraphs if p.strip()], cells


def _runs(paragraph) -> str:
    return "".join(node.text or "" for node in paragraph.iter(f"{_W}t"))


def _lang_of(path: Path) -> str:
    return "en" if ".en." in path.name or path.name.endswith(".en.html") else "fr"


def run_pages(run_dir: Path) -> list[Path]:
    """The HTML pages of a run: notebooks and site profiles, the brief, the index."""
    return [*sorted((run_dir / "html").glob("*.html")),
            *sorted((run_dir / "brief").glob("*.html")), *sorted(run_dir.glob("index*.html"))]


def scan_run(run_dir: Path, identifiers: Iterable[str]) -> dict[str, list[Finding]]:
    """Raw names on every page, figure and Word document a run writes, by kind of file.

    Pages are read as a reader reads them (:func:`reader_text`); a figure's text is the one
    recorded in its PNG, each line a label; a Word document's text is its body, headers and
    footers, each paragraph and table cell a label. A figure whose language tag is not its
    file's language is a finding too.
    """
    identifiers = list(identifiers)
    found: dict[str, list[Finding]] = {"pages": [], "figures": [], "docx": []}
    for page in run_pages(run_dir):
        html = page.read_text(encoding="utf-8")
        lang = _lang_of(page)
        found["pages"] += raw_names(reader_text(html, lang), where=page.name, lang=lang,
                                    identifiers=identifiers, cells=page_cells(html, lang))
    for png in sorted((run_dir / "figures").glob("*.png")):
        lines, tag = figure_lines(png)
        lang = _lang_of(png)
        if tag != lang:
            found["figures"].append(Finding(png.name, f"lang={tag!r}", "language tag"))
        found["figures"] += raw_names("\n".join(lines), where=png.name, lang=lang,
                                      identifiers=identifiers, cells=lines)
    for docx in sorted(run_dir.rglob("*.docx")):
        paragraphs, cells = docx_lines(docx)
        lang = _lang_of(docx)
        found["docx"] += raw_names("\n".join(paragraphs), where=docx.name, lang=lang,
                                   identifiers=identifiers, cells=[*paragraphs, *cells])
    return found
