"""Numbers of people in running text that carry no origin: what the release check could not
read back. A number followed by a word for people (``473 usagers``, ``48 interviews``) in a
sentence of a page, of a notebook output or of a Word document must be marked with the
released cell it comes from, or with how it is derived from released cells (see
``evalkit.release.shown``)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

#: The words for people the reports use after a count, in French and English. A threshold
#: of the disclosure policy (``moins de 5 personnes``, ``fewer than 10 people``) is a
#: parameter, not a count read from data.
PEOPLE = re.compile(
    r"(?<!moins de )(?<!fewer than )(?<![\w#])\d[\d\u00a0\u202f\u2009 ]*\s+"
    r"(?:usagers?|personnes?|proches?|personnel|"
    r"entrevues?|participants?|participantes?|répondants?|répondantes?|users?|people|persons?|"
    r"carers?|staff|interviews?|respondents?)\b", re.IGNORECASE)
#: The attributes that say where a number of running text comes from.
MARKS = ("data-column", "data-sum", "data-distinct")
#: Blocks that are not sentences: tables (their cells carry their own origin) and code.
NOT_PROSE = {"table", "code", "pre", "script", "style", "template"}


def _text(element) -> str:
    """The element's text with each marked number replaced by ``#``."""
    if any(element.get(a) is not None for a in MARKS):
        return "#"
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag.lower() in NOT_PROSE:
            parts.append(" ")
        elif isinstance(child.tag, str):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def html_unmarked(html: str) -> list[str]:
    """The numbers of people without an origin in the sentences of an HTML page or fragment."""
    from lxml import etree

    root = etree.fromstring(html, etree.HTMLParser(huge_tree=True))
    if root is None:
        return []
    found = []
    for block in root.iter("p", "li", "figcaption", "blockquote"):
        if any(a.tag in NOT_PROSE for a in block.iterancestors()):
            continue
        if any(a.tag in ("p", "li") for a in block.iterancestors()):
            continue  # read with the block around it
        found += [m.group(0) for m in PEOPLE.finditer(_text(block))]
    return found


def docx_unmarked(path: Path) -> list[str]:
    """The numbers of people without an origin in the paragraphs of a Word document (out of
    its tables): the text between a bookmark ``_ek_text_<k>`` and its end is marked."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
    found = []
    for paragraph in body.iter(f"{w}p"):
        if any(a.tag == f"{w}tbl" for a in paragraph.iterancestors()):
            continue
        inside: set[str] = set()
        parts = []
        for element in paragraph.iter(f"{w}bookmarkStart", f"{w}bookmarkEnd", f"{w}t"):
            if element.tag == f"{w}bookmarkStart":
                if element.get(f"{w}name", "").startswith("_ek_text_"):
                    inside.add(element.get(f"{w}id"))
                    parts.append("#")
            elif element.tag == f"{w}bookmarkEnd":
                inside.discard(element.get(f"{w}id"))
            elif not inside:
                parts.append(element.text or "")
        found += [m.group(0) for m in PEOPLE.finditer("".join(parts))]
    return found


def notebook_unmarked(path: Path) -> list[str]:
    """The numbers of people without an origin in the HTML outputs of an executed notebook."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            html = (output.get("data") or {}).get("text/html")
            if html:
                found += html_unmarked("".join(html) if isinstance(html, list) else html)
    return found


def run_unmarked(folder: Path) -> dict[str, list[str]]:
    """Every file of a run folder (HTML, Word, executed notebooks) with numbers of people
    that carry no origin."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if any(p.startswith(".") for p in path.relative_to(folder).parts):
            continue
        suffix = path.suffix.lower()
        if suffix == ".html":
            found = html_unmarked(path.read_text(encoding="utf-8"))
        elif suffix == ".docx":
            found = docx_unmarked(path)
        elif suffix == ".ipynb":
            found = notebook_unmarked(path)
        else:
            continue
        if found:
            out[path.relative_to(folder).as_posix()] = found
    return out
