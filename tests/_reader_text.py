"""What a reader of a run's pages reads, and the raw names a reader should never meet there.

The text a person reads on a page is its visible text without the code a researcher may copy
(``<code>``, ``<pre>``, the folded "how this was computed" blocks) and without the parts for the
other language. A raw name is a snake_case identifier (a column, a table, a measure of the
study), an identifier of the table catalogue or the codebook; on a French page, also a table
cell or a label that is an English word of the catalogue's key values (``red``, ``item``,
``group``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
