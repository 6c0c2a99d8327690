"""The numbers pages, the brief and notebooks show, read back and held against the released
tables: the part of the release check that reads what a person reads.

Every table evalkit renders says where its numbers come from. In HTML (pages, the brief,
notebook outputs) the box around a table names its released table (``data-table``), each row
its keys (``data-row``, JSON: ``{"site": "A"}``) and each cell the released columns it shows
(``data-column``, space-separated) with any further keys of its own (``data-where``, JSON:
the columns of a pivoted table). In a Word document a hidden bookmark ``_ek_table_<k>`` in the
first cell of a table points to the document variable ``evalkit_table_<k>`` holding the same
origin as JSON (``{"table": ..., "rows": [...], "columns": [...], "wheres": [...]}``).

Numbers of running text (the brief's sentences, the notebooks' sentences) carry their origin
too. In HTML a ``<span>`` around the number names its ``data-table``, ``data-row`` and
``data-column``; a number derived on the page says how instead: ``data-sum`` (JSON
``{"table", "column", "rows": [keys, ...]}``: the released cells added up) or
``data-distinct`` (JSON ``{"table", "column"}``: the number of distinct values of a key
column, such as the sites) or ``data-ratio`` (JSON ``{"table", "column", "denominator",
"rows"}``: a share, the sum of ``column`` over the rows divided by that of ``denominator``). In a Word document each such number is a run of its own between
a hidden bookmark ``_ek_text_<k>`` and its end, and the document variable
``evalkit_text_<k>`` holds its origin (``{"table", "row", "column"}``, ``{"sum": {...}}``,
``{"distinct": {...}}`` or ``{"ratio": {...}}``). One bookmark per number rather than one per paragraph: a bookmark
travels with its run when Word or LibreOffice edits the paragraph around it, and the reader
needs no offsets into the paragraph's text.

:func:`shown_findings` parses the shown numbers back (French and English formats, ``12,5 %``,
intervals ``[a ; b]``) and reports a cell that shows a number where the released table hides
it, a count of people that differs from the released one, and a count of people the tables do
not release at all; derived numbers are derived again from the released tables, and a rate or
an estimate of a sentence must be its released value as rounded. A shown number that matches
the released one adds no relation: the attacker's audit of the tables
(:mod:`evalkit.release.audit`) stays the attack.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analyse.catalogue import COUNT_ROLES, TableSpec, UnknownTableError, catalogue
from evalkit.release._parallel import ordered_map
from evalkit.release.audit import _key_text, _numbers

__all__ = ["DOCX_BOOKMARK", "DOCX_TEXT_BOOKMARK", "DOCX_TEXT_VARIABLE", "DOCX_VARIABLE",
           "ShownCell", "docx_cells", "html_cells", "origin_columns", "origin_key",
           "shown_findings", "shown_numbers"]

#: The name of a Word table's hidden bookmark (``_ek_table_<k>``) and of the document variable
#: holding its origin (``evalkit_table_<k>``).
DOCX_BOOKMARK = "_ek_table_"
DOCX_VARIABLE = "evalkit_table_"
#: The name of the hidden bookmark around a number of running text in a Word document
#: (``_ek_text_<k>``) and of the document variable holding its origin (``evalkit_text_<k>``).
DOCX_TEXT_BOOKMARK = "_ek_text_"
DOCX_TEXT_VARIABLE = "evalkit_text_"
#: The kinds of finding of this check (see :func:`shown_findings`).
SHOWN_KINDS: tuple[str, ...] = ("shown_hidden", "shown_differs", "shown_unreleased")


def origin_key(values: Mapping[str, Any]) -> str:
    """The keys of a rendered row (or a cell's further keys) as the ``data-row`` attribute
    holds them: JSON, values as the released CSV writes them.

    Examples
    --------
    >>> origin_key({"site": "A", "wave": 1.0})
    '{"site":"A","wave":"1"}'
    """
    return json.dumps({str(k): _key_text(v) for k, v in values.items()}, ensure_ascii=False,
                      separators=(",", ":"))


def origin_columns(columns: Iterable[str]) -> str:
    """The released columns a rendered cell shows, as ``data-column`` holds them.

    >>> origin_columns(["ci_low", "ci_high"])
    'ci_low ci_high'
    """
    return " ".join(str(c) for c in columns)


@dataclass(frozen=True)
class ShownCell:
    """One rendered cell (or number of running text) with its origin: ``place`` in its file,
    released ``table``, row ``key`` (column or role → value), released ``columns`` it shows,
    its ``text`` and the language of the page (None when the page does not say).

    A number derived from released cells has ``derived``: ``("sum", {"table", "column",
    "rows"})`` for a sum of cells, ``("distinct", {"table", "column"})`` for the number of
    distinct values of a key column. ``sentence``: a number of running text, not a cell."""

    place: str
    table: str
    key: dict[str, str | None]
    columns: tuple[str, ...]
    text: str
    lang: str | None = None
    derived: tuple[str, dict[str, Any]] | None = None
    sentence: bool = False


# -- reading numbers -------------------------------------------------------------------------
_NUMBER = re.compile(r"[-\u2212]?\d(?:[\d\u00a0\u202f\u2009 .,]*\d)?")


def shown_numbers(text: str, lang: str | None = None) -> list[float]:
    """The numbers a cell shows, in French or English formats.

    French writes ``1 234,5`` (spaces, often no-break, between thousands; a decimal comma),
    English ``1,234.5``; percentages keep their number (``12,5 %`` is 12.5); an interval
    ``[0,12 ; 0,45]`` gives two numbers. Without a language, a comma followed by exactly three
    digits is read as a thousands separator only when a point follows it.

    Examples
    --------
    >>> shown_numbers("12,5 %", "fr"), shown_numbers("1,234", "en"), shown_numbers("1 234", "fr")
    ([12.5], [1234.0], [1234.0])
    >>> shown_numbers("[0,12 ; 0,45]", "fr"), shown_numbers("x", "fr"), shown_numbers("–")
    ([0.12, 0.45], [], [])
    >>> shown_numbers("< 0.001", "en"), shown_numbers("\u22120,5", "fr")
    ([0.001], [-0.5])
    """
    found = []
    for match in _NUMBER.finditer(text):
        raw = re.sub(r"[\u00a0\u202f\u2009 ]", "", match.group()).replace("\u2212", "-")
        if lang == "fr" or (lang is None and "," in raw and "." not in raw
                            and not re.fullmatch(r"-?\d{1,3}(,\d{3})+", raw)):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
        try:
            found.append(float(raw))
        except ValueError:
            continue
    return found


# -- reading rendered tables -----------------------------------------------------------------
#: The kinds of number derived from released cells (``data-sum``, ``data-distinct``).
_DERIVED = ("sum", "distinct", "ratio")


def _ancestor(element: Any, attribute: str) -> Any:
    while element is not None and element.get(attribute) is None:
        element = element.getparent()
    return element


def _json(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def html_cells(text: str, *, prefix: str = "", lang: str | None = None) -> list[ShownCell]:
    """The cells with an origin of an HTML document (or fragment), and its numbers of running
    text with an origin, in document order.

    ``place`` is ``<table>:row[i]:<columns>``, ``i`` counting the rows of the table's box
    from 1 (its header row first).

    Examples
    --------
    >>> page = ("<div data-table='tokenism_rates'><table><tr><th>n</th></tr>"
    ...         "<tr data-row='{\\"site\\":\\"A\\"}'><td data-column='n_consulted'>12</td>"
    ...         "</tr></table></div>")
    >>> [(c.place, c.table, c.key, c.columns, c.text, c.lang, c.sentence)
    ...  for c in html_cells(page, lang="fr")]
    [('tokenism_rates:row[2]:n_consulted', 'tokenism_rates', {'site': 'A'}, ('n_consulted',), '12', 'fr', False)]

    A number of running text (``place`` ``text[i]:...``, ``i`` counting them from 1):

    >>> [(c.place, c.text, c.derived) for c in html_cells(
    ...     "<p>Nous avons interrogé <span data-sum='{\\"table\\":\\"response_counts\\","
    ...     "\\"column\\":\\"n\\",\\"rows\\":[{\\"site\\":\\"A\\"}]}'>40</span> personnes</p>")]
    [('text[1]:sum:response_counts:n', '40', ('sum', {'table': 'response_counts', 'column': 'n', 'rows': [{'site': 'A'}]}))]
    """
    if not any(f"data-{kind}" in text for kind in ("column", *_DERIVED)):
        return []
    from lxml import etree  # heavy: imported where used (a dependency of python-docx)

    root = etree.fromstring(text, etree.HTMLParser(huge_tree=True))
    if root is None:
        return []
    cells: list[ShownCell] = []
    rows: dict[Any, dict[Any, int]] = {}
    sentences = 0
    for cell in root.iter():
        if not isinstance(cell.tag, str):
            continue  # a comment or a processing instruction
        derived = next(((kind, _json(cell.get(f"data-{kind}"))) for kind in _DERIVED
                        if cell.get(f"data-{kind}") is not None), None)
        if derived is not None:
            sentences += 1
            kind, what = derived
            where = _ancestor(cell, "lang")
            cells.append(ShownCell(
                f"{prefix}text[{sentences}]:{kind}:{what.get('table')}:{what.get('column')}",
                str(what.get("table") or ""), {}, (str(what.get("column") or ""),),
                "".join(cell.itertext()).strip(),
                where.get("lang") if where is not None else lang, derived, True))
            continue
        if cell.get("data-column") is None:
            continue
        row = next((a for a in cell.iterancestors("tr")), None)
        if row is None:  # a number of running text: its own table, row and column
            if cell.get("data-table") is None:
                continue
            sentences += 1
            where = _ancestor(cell, "lang")
            columns = tuple(cell.get("data-column", "").split())
            cells.append(ShownCell(
                f"{prefix}text[{sentences}]:{cell.get('data-table')}:{'+'.join(columns)}",
                cell.get("data-table"), _json(cell.get("data-row")), columns,
                "".join(cell.itertext()).strip(),
                where.get("lang") if where is not None else lang, None, True))
            continue
        box = _ancestor(row if row is not None and row.get("data-table") else cell,
                        "data-table")
        if box is None:
            continue
        table = box.get("data-table")
        if box not in rows:
            rows[box] = {tr: i for i, tr in enumerate(box.iter("tr"), start=1)}
        where = _ancestor(cell, "lang")
        columns = tuple(cell.get("data-column", "").split())
        number = rows[box].get(row, 0)
        cells.append(ShownCell(
            f"{prefix}{table}:row[{number}]:{'+'.join(columns)}", table,
            {**_json(row.get("data-row") if row is not None else None),
             **_json(cell.get("data-where"))},
            columns, "".join(cell.itertext()).strip(),
            where.get("lang") if where is not None else lang))
    return cells


def docx_cells(path: str | Path, *, lang: str | None = None) -> list[ShownCell]:
    """The cells with an origin of a Word document: the tables whose first cell holds a
    bookmark ``_ek_table_<k>`` with a document variable ``evalkit_table_<k>``."""
    from lxml import etree  # heavy: imported where used (a dependency of python-docx)

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    def tag(name: str) -> str:
        return f"{{{w}}}{name}"

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        body = etree.fromstring(archive.read("word/document.xml"))
        settings = etree.fromstring(archive.read("word/settings.xml")) \
            if "word/settings.xml" in names else None
    origins, texts = {}, {}
    if settings is not None:
        for var in settings.iter(tag("docVar")):
            name = var.get(tag("name"), "")
            if name.startswith(DOCX_VARIABLE):
                origins[name[len(DOCX_VARIABLE):]] = _json(var.get(tag("val")))
            elif name.startswith(DOCX_TEXT_VARIABLE):
                texts[name[len(DOCX_TEXT_VARIABLE):]] = _json(var.get(tag("val")))
    cells: list[ShownCell] = _docx_text_numbers(body, texts, tag, lang)
    for number, table in enumerate(body.iter(tag("tbl")), start=1):
        marks = [b.get(tag("name"), "") for b in table.iter(tag("bookmarkStart"))]
        ids = [m[len(DOCX_BOOKMARK):] for m in marks if m.startswith(DOCX_BOOKMARK)]
        origin = origins.get(ids[0]) if ids else None
        if not origin or not origin.get("table"):
            continue
        rows = origin.get("rows") or []
        columns = origin.get("columns") or []
        wheres = origin.get("wheres") or []
        for r, row in enumerate(table.findall(tag("tr"))):
            if r == 0:
                continue  # the header
            key = rows[r - 1] if r - 1 < len(rows) and isinstance(rows[r - 1], dict) else {}
            for c, cell in enumerate(row.findall(tag("tc"))):
                source = str(columns[c]).split() if c < len(columns) and columns[c] else []
                if not source:
                    continue
                where = wheres[c] if c < len(wheres) and isinstance(wheres[c], dict) else {}
                text = "".join(t.text or "" for t in cell.iter(tag("t"))).strip()
                cells.append(ShownCell(
                    f"table[{number}]:row[{r + 1}]:cell[{c + 1}] ({origin['table']}:"
                    f"{'+'.join(source)})", str(origin["table"]), {**key, **where},
                    tuple(source), text, lang))
    return cells


def _docx_text_numbers(body: Any, origins: Mapping[str, dict[str, Any]], tag: Any,
                       lang: str | None) -> list[ShownCell]:
    """The numbers of running text of a Word document: the text between each bookmark
    ``_ek_text_<k>`` and its end, with the origin of the document variable
    ``evalkit_text_<k>``."""
    start, end, text = tag("bookmarkStart"), tag("bookmarkEnd"), tag("t")
    open_marks: dict[str, tuple[str, list[str]]] = {}
    found: list[tuple[str, str]] = []
    for element in body.iter(start, end, text):
        if element.tag == start:
            name = element.get(tag("name"), "")
            if name.startswith(DOCX_TEXT_BOOKMARK):
                open_marks[element.get(tag("id"), "")] = (name[len(DOCX_TEXT_BOOKMARK):], [])
        elif element.tag == end:
            closed = open_marks.pop(element.get(tag("id"), ""), None)
            if closed is not None:
                found.append((closed[0], "".join(closed[1]).strip()))
        else:
            for _, pieces in open_marks.values():
                pieces.append(element.text or "")
    cells = []
    for number, (k, shown) in enumerate(found, start=1):
        where = origins.get(k) or {}
        derived = next(((kind, where[kind]) for kind in _DERIVED
                        if isinstance(where.get(kind), dict)), None)
        if derived is not None:
            kind, what = derived
            cells.append(ShownCell(
                f"text[{number}]:{kind}:{what.get('table')}:{what.get('column')}",
                str(what.get("table") or ""), {}, (str(what.get("column") or ""),), shown,
                lang, derived, True))
        elif where.get("table") and where.get("column"):
            columns = tuple(str(where["column"]).split())
            row = where.get("row") if isinstance(where.get("row"), dict) else {}
            cells.append(ShownCell(f"text[{number}]:{where['table']}:{'+'.join(columns)}",
                                   str(where["table"]), row, columns, shown, lang, None, True))
    return cells


def notebook_cells(data: bytes) -> list[ShownCell]:
    """The cells with an origin of the HTML outputs of an executed notebook."""
    notebook = json.loads(data.decode("utf-8"))
    cells: list[ShownCell] = []
    for i, cell in enumerate(notebook.get("cells", [])):
        for j, output in enumerate(cell.get("outputs", []) or []):
            html = (output.get("data") or {}).get("text/html")
            if html:
                text = "".join(html) if isinstance(html, list) else str(html)
                cells += html_cells(text, prefix=f"cell[{i}]:output[{j}]:")
    return cells


def _file_lang(path: Path) -> str | None:
    parts = path.name.lower().split(".")
    return next((p for p in reversed(parts[:-1]) if p in ("fr", "en")), None)


def _page_lang(text: str) -> str | None:
    match = re.search(r"<html[^>]*\slang=['\"]?([a-zA-Z]{2})", text[:2000])
    return match.group(1).lower() if match else None


def file_cells(path: Path) -> list[ShownCell]:
    """The cells with an origin of one released file (HTML, DOCX or executed notebook)."""
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        text = path.read_text(encoding="utf-8", errors="replace")
        return html_cells(text, lang=_page_lang(text) or _file_lang(path))
    if suffix == ".docx":
        return docx_cells(path, lang=_file_lang(path))
    if suffix == ".ipynb":
        return notebook_cells(path.read_bytes())
    return []


# -- holding them against the released tables -------------------------------------------------
class _Released:
    """The released tables by name, with their bound specs and numbers."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], study: Mapping[str, Any]) -> None:
        self.frames = {name: frame.reset_index(drop=True) for name, frame in tables.items()}
        self.study = dict(study)
        self._specs: dict[str, TableSpec | None] = {}
        self._values: dict[tuple[str, str], np.ndarray] = {}
        self._index: dict[tuple[str, tuple[str, ...]], dict[tuple, list[int]]] = {}
        self._hidden: dict[str, np.ndarray] = {}
        self._columns: dict[str, set[str]] = {}
        self._people: dict[tuple[str, str], bool] = {}

    def spec(self, name: str) -> TableSpec | None:
        if name not in self._specs:
            try:
                self._specs[name] = catalogue().spec(name, study=self.study)
            except UnknownTableError:
                self._specs[name] = None
        return self._specs[name]

    def columns(self, name: str) -> set[str]:
        if name not in self._columns:
            self._columns[name] = set(self.frames[name].columns)
        return self._columns[name]

    def counts_people(self, name: str, column: str) -> bool:
        if (name, column) not in self._people:
            self._people[(name, column)] = _counts_people(self.spec(name), column)
        return self._people[(name, column)]

    def values(self, name: str, column: str) -> np.ndarray:
        if (name, column) not in self._values:
            self._values[(name, column)] = _numbers(self.frames[name], column)
        return self._values[(name, column)]

    def key_column(self, name: str, key: str) -> str | None:
        if key in self.columns(name):
            return key
        spec = self.spec(name)
        column = spec.key(key) if spec is not None else None
        return column if column in self.columns(name) else None

    def rows(self, name: str, key: Mapping[str, Any]) -> np.ndarray | None:
        """Positions of the rows of ``name`` with ``key``; None when a key is not a column."""
        columns = [self.key_column(name, wanted) for wanted in key]
        if any(c is None for c in columns):
            return None
        order = tuple(sorted(range(len(columns)), key=lambda i: str(columns[i])))
        names = tuple(str(columns[i]) for i in order)
        if (name, names) not in self._index:
            frame = self.frames[name]
            texts = [frame[c].map(_key_text).tolist() for c in names]
            index: dict[tuple, list[int]] = {}
            for position, values in enumerate(zip(*texts, strict=True) if names
                                              else [()] * len(frame)):
                index.setdefault(values, []).append(position)
            self._index[(name, names)] = index
        values = list(key.values())
        wanted = tuple(_key_text(values[i]) for i in order)
        return np.array(self._index[(name, names)].get(wanted, []), dtype=int)

    def hidden(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Whether each of ``rows`` is flagged ``suppressed`` (every row, without a flag)."""
        if name not in self._hidden:
            frame = self.frames[name]
            if "suppressed" not in frame.columns:
                self._hidden[name] = np.ones(len(frame), dtype=bool)
            else:
                flag = frame["suppressed"].map(_key_text).astype("string").str.casefold()
                self._hidden[name] = flag.isin(["true", "1", "vrai"]).to_numpy(dtype=bool)
        return self._hidden[name][rows]


def _counts_people(spec: TableSpec | None, column: str) -> bool:
    if spec is None or not spec.has_column(column):
        return False
    found = spec.column(column)
    return found.role in COUNT_ROLES and found.counts_people


def _derived_findings(cell: ShownCell, numbers: list[float],
                      released: _Released) -> list[tuple[str, str, str]]:
    """A number derived from released cells, derived again from the released tables."""
    kind, what = cell.derived or ("", {})
    table, column = cell.table, cell.columns[0]
    if table not in released.frames or column not in released.columns(table):
        if released.counts_people(table, column):
            return [(cell.place, "shown_unreleased",
                     f"{kind} of {column} ({table}): not in the released tables")]
        return []
    if kind == "distinct":
        values = released.frames[table][column].map(_key_text).dropna()
        expected = float(values[values != ""].nunique())
        if len(numbers) != 1 or abs(numbers[0] - expected) >= 0.5:
            return [(cell.place, "shown_differs",
                     f"distinct {column} ({table}): the table releases {expected:g}")]
        return []
    rows = [r for r in what.get("rows") or [] if isinstance(r, dict)]
    if kind == "ratio":
        return _ratio_findings(cell, numbers, released, rows, str(what.get("denominator")))
    positions = [released.rows(table, r) for r in rows]
    if any(p is None or not len(p) for p in positions):
        return [(cell.place, "shown_unreleased",
                 f"sum of {column} ({table}): a row summed is not in the released tables")]
    values = released.values(table, column)
    for key, found in zip(rows, positions, strict=True):
        if (np.isnan(values[found]) & released.hidden(table, found)).any():
            return [(cell.place, "shown_hidden",
                     f"sum of {column} ({table}) adds {_where(key)}, which the table hides")]
    total = float(sum(np.nansum(values[p]) for p in positions))
    if len(numbers) != 1 or abs(numbers[0] - total) >= 0.5:
        return [(cell.place, "shown_differs",
                 f"sum of {column} ({table}) over {len(rows)} rows: the table releases "
                 f"{total:g}")]
    return []


def _ratio_findings(cell: ShownCell, numbers: list[float], released: _Released,
                   rows: list[dict[str, Any]], denominator: str) -> list[tuple[str, str, str]]:
    """A share computed on the page (a sum over rows divided by another), computed again."""
    table, column = cell.table, cell.columns[0]
    if denominator not in released.columns(table):
        return [(cell.place, "shown_unreleased",
                 f"ratio of {column} to {denominator} ({table}): not in the released tables")]
    positions = [released.rows(table, r) for r in rows]
    if any(p is None or not len(p) for p in positions):
        return [(cell.place, "shown_unreleased",
                 f"ratio of {column} ({table}): a row is not in the released tables")]
    top, bottom = released.values(table, column), released.values(table, denominator)
    for key, found in zip(rows, positions, strict=True):
        if ((np.isnan(top[found]) | np.isnan(bottom[found])) &
                released.hidden(table, found)).any():
            return [(cell.place, "shown_hidden",
                     f"ratio of {column} ({table}) uses {_where(key)}, which the table hides")]
    total = float(sum(np.nansum(bottom[p]) for p in positions))
    share = float(sum(np.nansum(top[p]) for p in positions)) / total if total else np.nan
    if len(numbers) != 1 or not _as_rounded(cell, numbers[0], share):
        return [(cell.place, "shown_differs",
                 f"ratio of {column} to {denominator} ({table}): not the released cells' "
                 "ratio rounded")]
    return []


def _as_rounded(cell: ShownCell, shown: float, value: float) -> bool:
    """Whether ``shown`` (a number of ``cell.text``) is ``value`` rounded as the text writes
    it (a percentage stands for a proportion)."""
    percent = "%" in cell.text
    separator = {"fr": ",", "en": "."}.get(cell.lang or "")
    digits = re.findall(r"\d+", cell.text.split(separator)[-1]) \
        if separator and separator in cell.text else []
    decimals = len(digits[0]) if digits else 0
    tolerance = 0.5 * 10.0 ** -decimals * (0.01 if percent else 1.0) + 1e-9
    return abs((shown / 100 if percent else shown) - value) <= tolerance


def _cell_findings(cell: ShownCell, released: _Released) -> list[tuple[str, str, str]]:
    numbers = shown_numbers(cell.text, cell.lang)
    if not numbers:
        return []  # the marker, a dash, words: nothing to hold against the tables
    if cell.derived is not None:
        return _derived_findings(cell, numbers, released)
    spec = released.spec(cell.table)
    if spec is None and cell.table not in released.frames:
        return []  # not a table of the catalogue: nothing says what its cells count
    people = [c for c in cell.columns if released.counts_people(cell.table, c)]
    rows = released.rows(cell.table, cell.key) if cell.table in released.frames else None
    if rows is None or not len(rows) or \
            not set(cell.columns) <= released.columns(cell.table):
        if people:
            return [(cell.place, "shown_unreleased",
                     f"{'+'.join(people)} ({_where(cell.key)}): not in the released tables")]
        return []
    hidden = released.hidden(cell.table, rows)
    for column in cell.columns:
        values = released.values(cell.table, column)[rows]
        if (np.isnan(values) & hidden).any():
            return [(cell.place, "shown_hidden",
                     f"{column} ({_where(cell.key)}): a number where the table hides it")]
    if len(people) == 1 and len(cell.columns) == 1 and len(numbers) == 1:
        values = released.values(cell.table, people[0])[rows]
        known = values[~np.isnan(values)]
        expected = ({float(known[0])} if len(known) and (known == known[0]).all() else set())
        expected.add(float(known.sum()))
        if not any(abs(numbers[0] - e) < 0.5 for e in expected):
            return [(cell.place, "shown_differs",
                     f"{people[0]} ({_where(cell.key)}): the table releases "
                     f"{float(known.sum()):g}")]
    if cell.sentence and not people and len(cell.columns) == 1 and len(numbers) == 1:
        return _rounded_findings(cell, numbers[0], released, rows)
    return []


def _rounded_findings(cell: ShownCell, shown: float, released: _Released,
                      rows: np.ndarray) -> list[tuple[str, str, str]]:
    """A rate or an estimate a sentence shows, held against the released value rounded as
    the sentence writes it (``44 %`` stands for 0.435 to 0.445)."""
    values = released.values(cell.table, cell.columns[0])[rows]
    known = values[~np.isnan(values)]
    if len(known) != 1:
        return []  # several rows or none released: nothing single to hold it against
    if not _as_rounded(cell, shown, float(known[0])):
        return [(cell.place, "shown_differs",
                 f"{cell.columns[0]} ({_where(cell.key)}): not the released value rounded")]
    return []


def _where(key: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items()) or "-"


def shown_findings(folder: str | Path, files: Iterable[Path],
                   tables: Mapping[str, pd.DataFrame], *,
                   study: Mapping[str, Any] | None = None, jobs: int = 1
                   ) -> list[tuple[str, str, str, str]]:
    """Hold the numbers the HTML, DOCX and notebook ``files`` of ``folder`` show against the
    released ``tables``.

    Parameters
    ----------
    folder : str or Path
        The folder released (a run folder or an extracted bundle).
    files : iterable of Path
        Its files; HTML, DOCX and ``.ipynb`` files are read, others skipped.
    tables : mapping of str to DataFrame
        The released tables by name, as text (:func:`evalkit.release.audit.read_released`).
    study : mapping, optional
        The study's catalogue parameters (which columns hold site, wave and group).
    jobs : int, default 1
        Processes that read the files' cells (the cells are judged in this one): the same
        findings in the same order with any number.

    Returns
    -------
    list of (file, place, kind, excerpt)
        One finding per cell: ``shown_hidden`` (a number shown where the released table has
        the suppression marker), ``shown_differs`` (a count of people other than the
        released one: the page would carry a relation the tables do not) or
        ``shown_unreleased`` (a count of people the tables do not release). The place is the
        cell: ``table:row[i]:column`` in HTML (after ``cell[i]:output[j]:`` in a notebook),
        ``table[k]:row[i]:cell[j]`` in a Word document; a number of running text is
        ``text[i]:table:column`` (``text[i]:sum:table:column``, ``text[i]:distinct:...`` for
        a derived one), ``i`` counting the numbers of running text of the file.

    Notes
    -----
    A shown number that equals the released one adds no relation an attacker could use: the
    attack on the released tables (:func:`evalkit.release.audit.audit_tables`) covers it.
    A count of people shown in a cell of a pivoted table (its further keys in
    ``data-where``) may stand for several released rows: it must equal their sum, or the
    value they all hold.
    """
    folder = Path(folder)
    released = _Released(tables, study or {})
    out = []
    # The same cell is shown on several pages (a notebook, its pages in each language): it
    # is held against the tables once, its findings given at each place it is shown.
    judged: dict[tuple, list[tuple[str, str]]] = {}
    shown = [path for path in files
             if path.suffix.lower() in (".html", ".htm", ".xhtml", ".docx", ".ipynb")]
    for path, cells in zip(shown, ordered_map(file_cells, shown, jobs=jobs), strict=True):
        relative = path.relative_to(folder).as_posix()
        for cell in cells:
            what = _what_is_shown(cell)
            if what not in judged:
                judged[what] = [finding[1:] for finding in _cell_findings(cell, released)]
            out += [(relative, cell.place, *finding) for finding in judged[what]]
    return out


def _what_is_shown(cell: ShownCell) -> tuple:
    """Everything of ``cell`` its findings depend on: all but its place."""
    derived = None if cell.derived is None else json.dumps(cell.derived, sort_keys=True,
                                                           default=str)
    return (cell.table, tuple((str(k), None if v is None else str(v))
                              for k, v in cell.key.items()),
            cell.columns, cell.text, cell.lang, cell.sentence, derived)
