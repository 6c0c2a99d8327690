"""The blocks a report is made of, shared by the HTML and the Word writers.

A report is a list of parts (the brief has three: main messages, executive summary, report);
each part is a list of blocks. The writers only lay the blocks out: every sentence in a block
has already been drawn from the catalogues and every number formatted for the locale.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

__all__ = ["Block", "Bullets", "Figure", "Heading", "Origin", "Paragraph", "Part", "Quote",
           "Table"]


@dataclass(frozen=True)
class Heading:
    """A heading; ``level`` 1 is a section of a part, 2 and 3 its subsections."""

    text: str
    level: int = 1
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``kind`` is ``body``, ``lead`` (first paragraph), ``note`` (a boxed note)
    or ``non_validated`` (the label of the tokenism index)."""

    text: str
    kind: str = "body"


@dataclass(frozen=True)
class Bullets:
    """A list; ``details`` (same length as ``items``, may be empty) are smaller lines under
    each item (the evidence a main message rests on)."""

    items: tuple[str, ...]
    ordered: bool = False
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Origin:
    """Where the numbers of a table come from: each row's keys (``origin_key`` text), each
    column's released columns (space-separated, empty for a column of words) and its further
    keys (``origin_key`` text of a pivoted column, else empty)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    wheres: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A real table: formatted text cells, a caption above and notes below.

    ``numeric`` says which columns are right-aligned; ``notes`` hold the suppression footnote
    and the source; ``non_validated`` adds the label of the tokenism index. ``name`` is the
    released table shown; ``origin`` says where each number comes from, for the release
    check (:mod:`evalkit.release.shown`).
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()
    notes: tuple[str, ...] = ()
    non_validated: bool = False
    name: str = ""
    origin: Origin | None = None


@dataclass(frozen=True)
class Figure:
    """A figure as PNG bytes with its caption and the text alternative for screen readers."""

    png: bytes
    caption: str
    alt: str
    width: int = 0
    height: int = 0
    non_validated: bool = False
    name: str = ""

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Quote:
    """A quote from an interview (already scrubbed), attributed by role and site, with the
    language it is in (None when unknown: shown as in the page's language)."""

    text: str
    attribution: str
    language: str | None = None


Block = Heading | Paragraph | Bullets | Table | Figure | Quote


@dataclass
class Part:
    """One part of a report: ``key`` (``main``, ``summary``, ``report``), its title, its page
    budget (0: none) and its blocks."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    budget: int = 0
    label: str = ""

    def add(self, *blocks: Block | None) -> None:
        self.blocks.extend(b for b in blocks if b is not None)
