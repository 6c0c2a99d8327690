"""The release check: scan every file of a run for identifiers, the key and small counts.

Tables, spreadsheets, HTML, Word documents, executed notebooks, SVG and PNG figures are read the
way their formats store text (cells, paragraphs, attributes, outputs, metadata chunks); what is
found is reported with its file and place, masked.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import csv
import io
import json
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._files import sha256_file, write_bytes_atomic
from evalkit.errors import ConfigError
from evalkit.prepare.keys import PseudonymKey, as_key
from evalkit.prepare.scrub import _fold, find_identifiers
from evalkit.release._parallel import ordered_map
from evalkit.release.audit import audit_tables, read_released, run_record
from evalkit.release.bundle import BUNDLE_SUFFIX, bundle_path, extracted
from evalkit.release.shown import shown_findings
from evalkit.release.suppress import DisclosurePolicy, as_policy

__all__ = ["FINDING_COLUMNS", "FINDING_KINDS", "audit_summary", "check_disclosure",
           "scan_summary"]

#: Columns of the findings frame.
FINDING_COLUMNS: tuple[str, ...] = ("file", "place", "kind", "excerpt")
#: What the scan looks for, most serious first.
FINDING_KINDS: tuple[str, ...] = (
    "key", "identifier", "name", "email", "phone", "postal_code", "sin", "health_card",
    "machine_path", "unlisted", "recoverable", "shown_hidden", "shown_differs",
    "shown_unreleased", "small_count", "unreadable",
)
_PATTERN_KINDS = frozenset({"email", "phone", "postal_code", "sin", "health_card"})
# What a run writes from the machine's clock (``machine``, never reported): a respondent
# ``100440`` is not disclosed by the run ``20261204-100440``. First among overlapping finds.
_PRIORITY = {"machine": -1, **{kind: i for i, kind in enumerate(FINDING_KINDS)}}
#: The shape of a run's id (``YYYYMMDD-HHMMSS``, :func:`evalkit.run.rundir.new_run_id`).
_RUN_ID = re.compile(r"\d{8}-\d{6}")
#: Keys under which a manifest records the clock: times, and seconds taken.
_CLOCK_KEYS = frozenset({"run_id", "started", "finished", "at", "duration"})
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".md", ".json", ".yaml", ".yml", ".log", ".tex",
                  ".rst", ".xml", ".css", ".js", ".py", ".r", ".qmd", ".rmd", ".bib", ".ris"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_OFFICE_SUFFIXES = {".docx", ".docm", ".dotx", ".pptx", ".odt", ".ods", ".odp"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# SVG attributes that hold geometry or references, not words.
_GEOMETRY = {"d", "points", "transform", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r",
             "rx", "ry", "width", "height", "viewBox", "style", "clip-path", "id", "class",
             "stroke-dasharray", "stroke-width", "font-size", "offset", "version",
             "preserveAspectRatio", "fill", "stroke", "opacity", "fill-opacity"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Between texts searched at once (:meth:`_Detector.find_many`): no identifier pattern matches
# a NUL, and the line breaks around it end words as a text's own end does.
_SEPARATOR = "\n\x00\n"
_WORD = re.compile(r"\w+")
# The one character that case-folds into one character of the other class (word or not):
# a text without it, whose case-folding keeps its length, has the same words at the same places
# case-folded as a whole as word by word (case-folding maps no character to nothing).
_FOLDS_INTO_A_WORD = "\u0345"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Identifiers shorter than this (letters and digits) are not searched: they would match
# ordinary numbers and words.
MIN_IDENTIFIER_CHARS = 4

Finding = tuple[str, str, str]  # (place, kind, excerpt)


# -- what is looked for -----------------------------------------------------------------------
def _mask(text: str) -> str:
    """Keep the first character of each run of letters or digits, star the rest."""
    return re.sub(r"\w+", lambda m: m.group()[0] + "*" * (len(m.group()) - 1), text)[:60]


def _words(text: str) -> list[str]:
    return _WORD.findall(_fold(unicodedata.normalize("NFC", text)).casefold())


class _Detector:
    """Everything the scan looks for in a text, prepared once."""

    def __init__(self, identifiers: Iterable[Any], names: Iterable[str],
                 key: PseudonymKey | None, paths: Iterable[str] = ()) -> None:
        self.sequences: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        seen: set[tuple[str, ...]] = set()
        for kind, values in (("identifier", identifiers), ("name", names)):
            for value in values:
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    continue
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                words = tuple(_words(str(value)))
                if sum(map(len, words)) < MIN_IDENTIFIER_CHARS or words in seen:
                    continue
                seen.add(words)
                self.sequences.setdefault(words[0], []).append((words, kind))
        for candidates in self.sequences.values():
            candidates.sort(key=lambda c: -len(c[0]))
        self.first_words = frozenset(self.sequences)
        self.kinds = {words: kind for candidates in self.sequences.values()
                      for words, kind in candidates}
        self.lengths = {first: sorted({len(words) for words, _ in candidates}, reverse=True)
                        for first, candidates in self.sequences.items()}
        self.key_forms = key.text_forms() if key is not None else ()
        self.key_bytes = key.secret if key is not None else b""
        # Absolute paths of the analyst's machine, longest first (a study folder in the home
        # folder is reported as the study folder).
        self.path_forms = sorted({p for p in paths if p}, key=len, reverse=True)
        self.clock_forms: tuple[str, ...] = ()

    def written_by_the_clock(self, forms: Iterable[str]) -> None:
        """Texts the run wrote from the machine's clock (its id, its times and durations):
        where one of them stands as whole words, no identifier is found inside it."""
        self.clock_forms = tuple(sorted({f for f in forms if f}, key=len, reverse=True))

    def find(self, text: str, *, patterns: bool = True) -> list[tuple[int, int, str]]:
        """Spans ``(start, end, kind)`` in ``text`` (NFC), overlapping ones removed."""
        text = unicodedata.normalize("NFC", text)
        spans = [(start, end, "key") for start, end in _occurrences(text, self.key_forms)]
        # a whole path component: /home/ann is not found in /home/anna
        spans += [(start, end, "machine_path")
                  for start, end in _occurrences(text, self.path_forms)
                  if end == len(text) or not (text[end].isalnum() or text[end] in "_-.")]
        if self.sequences:
            spans += self._sequence_spans(text)
        if patterns:
            spans += [(f.start, f.end, f.kind)
                      for f in find_identifiers(text, kinds=_PATTERN_KINDS)]
        if not spans:
            return spans  # what the clock wrote only ever hides a find
        spans += [(start, end, "machine")
                  for start, end in _occurrences(text, self.clock_forms)
                  if not ((start and text[start - 1].isalnum())
                          or (end < len(text) and text[end].isalnum()))]
        # Overlapping finds: the longest wins (an e-mail address made of a name is an e-mail
        # address), then the most serious kind; the key always wins.
        spans.sort(key=lambda s: (s[0], s[0] - s[1], _PRIORITY[s[2]]))
        kept: list[tuple[int, int, str]] = []
        for span in spans:
            if kept and span[0] < kept[-1][1]:
                if span[2] == "key" and kept[-1][2] != "key":
                    kept[-1] = span
                continue
            kept.append(span)
        return [span for span in kept if span[2] != "machine"]

    def _sequence_spans(self, text: str) -> list[tuple[int, int, str]]:
        """The identifiers and names of the study in ``text``, as whole words."""
        folded = _fold(text)
        lowered = folded.casefold()
        if len(lowered) == len(folded) and _FOLDS_INTO_A_WORD not in folded:
            searched, words = lowered, _WORD.findall(lowered)
        else:
            # Words are case-folded one by one: folding may change lengths, spans must not move.
            searched, words = folded, [word.casefold() for word in _WORD.findall(folded)]
        # Most texts hold no first word of any identifier: one set test says so.
        if self.first_words.isdisjoint(words):
            return []
        found = []  # (first word, last word, kind)
        for i, word in enumerate(words):
            lengths = self.lengths.get(word)
            if lengths is None:
                continue
            # The longest sequence starting here (thousands of identifiers may share their
            # first word: each length is one look-up, not one comparison each).
            for length in lengths:
                if i + length > len(words):
                    continue  # a shorter tuple at the end could be another identifier
                kind = self.kinds.get(tuple(words[i:i + length]))
                if kind is not None:
                    found.append((i, i + length - 1, kind))
                    break
        if not found:
            return []
        places = [match.span() for match in _WORD.finditer(searched)]
        return [(places[first][0], places[last][1], kind) for first, last, kind in found]

    def find_many(self, texts: list[str], *, patterns: bool = True
                  ) -> list[list[tuple[int, int, str]]]:
        """:meth:`find` of each text (NFC), searched at once: the texts are joined by a
        separator no pattern crosses, and the few whose finds straddle a separator are
        searched again alone. Same result as one :meth:`find` per text, without its cost per
        call (a page has thousands of short texts)."""
        texts = [unicodedata.normalize("NFC", text) for text in texts]
        if len(texts) < 2:
            return [self.find(text, patterns=patterns) for text in texts]
        starts, at = [], 0
        for text in texts:
            starts.append(at)
            at += len(text) + len(_SEPARATOR)
        out: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        again: set[int] = set()
        for start, end, kind in self.find(_SEPARATOR.join(texts), patterns=patterns):
            i = bisect.bisect_right(starts, start) - 1
            if end <= starts[i] + len(texts[i]):
                out[i].append((start - starts[i], end - starts[i], kind))
            else:  # across texts: each text it touches is searched on its own
                again.update(range(i, bisect.bisect_right(starts, end - 1)))
        for i in again:
            out[i] = self.find(texts[i], patterns=patterns)
        return out

    def findings(self, place: str, text: str, *, patterns: bool = True) -> list[Finding]:
        text = unicodedata.normalize("NFC", _ANSI.sub("", text))
        return [(place, kind, "<key>" if kind == "key" else _mask(text[start:end]))
                for start, end, kind in self.find(text, patterns=patterns)]

    def binary_findings(self, place: str, data: bytes) -> list[Finding]:
        """In bytes of unknown format: only the key (raw or written)."""
        found = []
        if self.key_bytes and self.key_bytes in data:
            found.append((place, "key", "<key>"))
        text = data.decode("latin-1")
        found += [(place, "key", "<key>") for form in self.key_forms if form in text][:1]
        return found


def _occurrences(text: str, forms: Iterable[str]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every occurrence of each form in ``text``, overlapping ones too."""
    for form in forms:
        start = text.find(form)
        while start >= 0:
            yield start, start + len(form)
            start = text.find(form, start + 1)


# -- readers: (place, text) pairs of each format ------------------------------------------------
def _line_places(text: str, detector: _Detector) -> list[Finding]:
    """Findings in a plain text, placed as ``line:column`` (1-based)."""
    text = unicodedata.normalize("NFC", text)
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out = []
    for start, end, kind in detector.find(text):
        line = bisect.bisect_right(starts, start)
        column = start - starts[line - 1] + 1
        out.append((f"{line}:{column}", kind,
                    "<key>" if kind == "key" else _mask(text[start:end])))
    return out


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _png_texts(data: bytes) -> Iterator[tuple[str, str]]:
    """The text chunks of a PNG (tEXt, zTXt, iTXt) as ``(chunk:keyword, text)``."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    position = len(_PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"tEXt":
            keyword, _, text = body.partition(b"\x00")
            yield f"tEXt:{keyword.decode('latin-1')}", keyword.decode("latin-1") + " " + \
                text.decode("latin-1")
        elif kind == b"zTXt":
            keyword, _, rest = body.partition(b"\x00")
            text = zlib.decompress(rest[1:]).decode("latin-1")
            yield f"zTXt:{keyword.decode('latin-1')}", keyword.decode("latin-1") + " " + text
        elif kind == b"iTXt":
            keyword, _, rest = body.partition(b"\x00")
            compressed, rest = rest[0], rest[2:]
            language, _, rest = rest.partition(b"\x00")
            translated, _, text = rest.partition(b"\x00")
            if compressed:
                text = zlib.decompress(text)
            yield (f"iTXt:{keyword.decode('latin-1')}",
                   " ".join([keyword.decode("latin-1"), language.decode("latin-1"),
                             translated.decode("utf-8", "replace"),
                             text.decode("utf-8", "replace")]))
        elif kind == b"eXIf":
            yield "eXIf", body.decode("latin-1")
        elif kind == b"IEND":
            break


def _scan_png(data: bytes, detector: _Detector, prefix: str = "") -> list[Finding]:
    found = []
    for place, text in _png_texts(data):
        found += detector.findings(prefix + place, text)
    return found


def _xml_parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           remove_blank_text=False)


def _data_uri(value: str, detector: _Detector, place: str) -> list[Finding]:
    """Embedded images: PNG metadata and SVG text are scanned; other payloads are not text."""
    header, _, payload = value.partition(",")
    if ";base64" not in header:
        return detector.findings(place, payload)
    try:
        data = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return []
    if "image/png" in header:
        return _scan_png(data, detector, f"{place}/png:")
    if "svg" in header:
        return _scan_svg_bytes(data, detector, f"{place}/svg:")
    return detector.binary_findings(place, data)


def _scan_xml_tree(root: Any, detector: _Detector, prefix: str, *,
                   skip_attributes: set[str] = frozenset(), words_only: set[str] = frozenset(),
                   path_of: Callable[[Any], str] | None = None) -> list[Finding]:
    """Text, tails, comments and attributes of every element of an XML/HTML tree, in the
    order of the document."""
    tree = root.getroottree()

    def place_of(element: Any) -> str:
        return prefix + (path_of(element) if path_of else tree.getpath(element))

    # Findings by position in the document. The texts are searched at once for each setting
    # of ``patterns``; an element's place is only worked out for what is found in it.
    found: list[tuple[int, list[Finding]]] = []
    texts: dict[bool, list[tuple[int, Any, str, str]]] = {True: [], False: []}
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else "comment"
        local = tag.rsplit("}", 1)[-1].lower()
        if element.text and element.text.strip():
            texts[local not in words_only].append((len(found), element, "", element.text))
            found.append((len(found), []))
        if element.tail and element.tail.strip():
            texts[True].append((len(found), element, "/following-text()", element.tail))
            found.append((len(found), []))
        if isinstance(element.tag, str):
            for name, value in element.attrib.items():
                local_name = name.rsplit("}", 1)[-1]
                if local_name in skip_attributes and not value.startswith("data:"):
                    continue
                if value.startswith("data:"):
                    found.append((len(found), _data_uri(
                        value, detector, f"{place_of(element)}/@{local_name}")))
                elif local_name == "href" and value.startswith("#"):
                    continue
                else:
                    texts[True].append((len(found), element, f"/@{local_name}", value))
                    found.append((len(found), []))
    for patterns, entries in texts.items():
        cleaned = [unicodedata.normalize("NFC", _ANSI.sub("", e[3])) for e in entries]
        for (position, element, what, _), text, spans in zip(
                entries, cleaned, detector.find_many(cleaned, patterns=patterns), strict=True):
            if spans:
                place = place_of(element) + what
                found[position] = (position, [
                    (place, kind, "<key>" if kind == "key" else _mask(text[start:end]))
                    for start, end, kind in spans])
    return [finding for _, findings in found for finding in findings]


def _scan_svg_bytes(data: bytes, detector: _Detector, prefix: str = "") -> list[Finding]:
    from lxml import etree

    root = etree.fromstring(data, parser=_xml_parser())
    return _scan_xml_tree(root, detector, prefix, skip_attributes=_GEOMETRY,
                          words_only={"style", "script"})


_CHARSET = re.compile(rb"<meta[^>]*charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _scan_html(data: bytes, detector: _Detector, prefix: str = "") -> list[Finding]:
    from lxml import html

    root = html.document_fromstring(data)
    # Style sheets and scripts are code: searched for the key and the study's identifiers,
    # not for phone-like numbers.
    found = _scan_xml_tree(root, detector, prefix, skip_attributes={"class", "style", "id"},
                           words_only={"style", "script"})
    # The parser drops what follows the end of the document, which a browser still shows.
    end = data.lower().rfind(b"</html")
    after = data[data.find(b">", end) + 1:] if end >= 0 and data.find(b">", end) >= 0 else b""
    if after.strip():
        # Read with the document's characters: as bytes, lxml would take them for Latin-1.
        declared = _CHARSET.search(data[:max(end, 0)])
        try:
            text = after.decode(declared.group(1).decode("ascii")) if declared else \
                _decode(after)
        except (LookupError, UnicodeDecodeError):
            text = _decode(after)
        tail = html.fragment_fromstring(text, create_parent="div")
        found += _scan_xml_tree(tail, detector, f"{prefix}after-html:",
                                skip_attributes={"class", "style", "id"},
                                words_only={"style", "script"})
    return found


_WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# Attributes of Office parts that hold words a reader sees (alt texts, tooltips, link targets).
_OFFICE_ATTRIBUTES = frozenset({"Target", "descr", "title", "tooltip", "alt", "text", "action",
                                "name", "display"})


def _scan_office_zip(archive: zipfile.ZipFile, detector: _Detector,
                     skip: Callable[[str], bool] = lambda name: False) -> list[Finding]:
    """Every XML part of an Office file: paragraphs (joined runs) of Word parts, text of the
    others (properties), attributes that hold words, relationship targets, embedded PNGs.
    Styles, themes and settings hold colours and codes, not words: their other attributes are
    not read."""
    from lxml import etree

    found = []
    for name in sorted(archive.namelist()):
        if skip(name):
            continue
        data = archive.read(name)
        lower = name.lower()
        if lower.endswith(".png"):
            found += _scan_png(data, detector, f"{name}:")
        elif lower.endswith(".svg"):
            found += _scan_svg_bytes(data, detector, f"{name}:")
        elif lower.endswith((".xml", ".rels")):
            root = etree.fromstring(data, parser=_xml_parser())
            found += _scan_office_part(root, detector, name)
        else:
            found += detector.binary_findings(name, data)
    return found


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else "comment"


def _scan_office_part(root: Any, detector: _Detector, name: str) -> list[Finding]:
    found = []
    paragraphs = list(root.iter(f"{_WORD_NS}p"))
    for i, paragraph in enumerate(paragraphs, 1):
        text = "".join(t.text or "" for t in paragraph.iter(f"{_WORD_NS}t",
                                                             f"{_WORD_NS}instrText"))
        found += detector.findings(f"{name}:p[{i}]", text)
    for element in root.iter():
        tag = _local(element.tag)
        if not paragraphs and element.text and element.text.strip():
            found += detector.findings(f"{name}:{tag}", element.text)
        if not isinstance(element.tag, str):
            continue
        for key, value in element.attrib.items():
            attribute = _local(key)
            if attribute in _OFFICE_ATTRIBUTES and value.strip():
                found += detector.findings(f"{name}:{tag}/@{attribute}", value)
    return found


def _scan_xlsx(path: Path, detector: _Detector) -> list[Finding]:
    from openpyxl import load_workbook

    found = []
    book = load_workbook(path, read_only=False, data_only=False)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                value = cell.value
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                found += detector.findings(f"{sheet.title}!{cell.coordinate}", str(value))
                if cell.comment is not None:
                    found += detector.findings(f"{sheet.title}!{cell.coordinate}/comment",
                                               cell.comment.text)
    book.close()
    with zipfile.ZipFile(path) as archive:
        found += _scan_office_zip(archive, detector, skip=lambda n: n.startswith(
            ("xl/worksheets/sheet", "xl/sharedStrings", "xl/comments")))
    return found


def _notebook_text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


#: What papermill writes of an execution's timing: machine numbers, never the study's data (a
#: duration of 0.100095 s is not the identifier 100095).
_TIMINGS = ("duration", "start_time", "end_time")


def _without_timings(metadata: Any) -> Any:
    papermill = metadata.get("papermill") if isinstance(metadata, dict) else None
    if not isinstance(papermill, dict):
        return metadata
    return {**metadata, "papermill": {k: v for k, v in papermill.items() if k not in _TIMINGS}}


def _scan_notebook(data: bytes, detector: _Detector) -> list[Finding]:
    notebook = json.loads(data.decode("utf-8"))
    found = detector.findings("metadata", json.dumps(
        _without_timings(notebook.get("metadata", {})), ensure_ascii=False))
    for i, cell in enumerate(notebook.get("cells", [])):
        found += detector.findings(f"cell[{i}]:source", _notebook_text(cell.get("source", "")))
        if cell.get("metadata"):
            found += detector.findings(f"cell[{i}]:metadata", json.dumps(
                _without_timings(cell["metadata"]), ensure_ascii=False))
        for name, attachment in (cell.get("attachments") or {}).items():
            for mime, payload in attachment.items():
                found += _notebook_data(f"cell[{i}]:attachment[{name}]:{mime}", mime, payload,
                                        detector)
        for j, output in enumerate(cell.get("outputs", [])):
            place = f"cell[{i}]:output[{j}]"
            if "text" in output:
                found += detector.findings(place, _notebook_text(output["text"]))
            for mime, payload in (output.get("data") or {}).items():
                found += _notebook_data(f"{place}:{mime}", mime, payload, detector)
            if "traceback" in output or "evalue" in output:
                found += detector.findings(place + ":error", "\n".join(
                    [output.get("ename", ""), output.get("evalue", ""),
                     *output.get("traceback", [])]))
            if output.get("metadata"):
                found += detector.findings(place + ":metadata",
                                           json.dumps(output["metadata"], ensure_ascii=False))
    return found


def _notebook_data(place: str, mime: str, payload: Any, detector: _Detector) -> list[Finding]:
    if mime == "image/png":
        try:
            return _scan_png(base64.b64decode(_notebook_text(payload)), detector, place + ":")
        except (binascii.Error, ValueError):
            return [(place, "unreadable", "")]
    if "svg" in mime:
        return _scan_svg_bytes(_notebook_text(payload).encode("utf-8"), detector, place + ":")
    if mime.startswith("image/"):
        return detector.binary_findings(place, _notebook_text(payload).encode())
    if mime == "text/html" and _notebook_text(payload).strip():
        # As an HTML file: embedded images are decoded and scanned, not read as words.
        return _scan_html(_notebook_text(payload).encode("utf-8"), detector, place + ":")
    text = payload if isinstance(payload, str | list) else json.dumps(payload,
                                                                       ensure_ascii=False)
    return detector.findings(place, _notebook_text(text))


def _scan_or_unreadable(path: Path, detector: _Detector) -> list[Finding]:
    try:
        return _scan_file(path, detector)
    except Exception as error:  # any parsing failure means the file cannot be checked
        return [("", "unreadable", type(error).__name__)]


def _scan_file(path: Path, detector: _Detector) -> list[Finding]:
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES:
        return _scan_xlsx(path, detector)
    data = path.read_bytes()
    if suffix == ".ipynb":
        return _scan_notebook(data, detector)
    if suffix in _HTML_SUFFIXES:
        return _scan_html(data, detector)
    if suffix == ".svg":
        return _scan_svg_bytes(data, detector)
    if suffix == ".png" or data.startswith(_PNG_SIGNATURE):
        return _scan_png(data, detector)
    if suffix in _OFFICE_SUFFIXES:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _scan_office_zip(archive, detector)
    if suffix in _TEXT_SUFFIXES or b"\x00" not in data[:8192]:
        return _line_places(_decode(data), detector)
    return detector.binary_findings("bytes", data)


# -- counts under the threshold in declared count tables ----------------------------------------
def _record_file(run_dir: Path, record_path: str, files: list[Path]) -> Path | None:
    """The file of a manifest record: relative to the run, or the file whose path within the
    run ends the recorded path (runs are written elsewhere and moved into place)."""
    recorded = Path(record_path)
    if not recorded.is_absolute() and (run_dir / recorded).is_file():
        return run_dir / recorded
    parts = recorded.parts
    matches = [f for f in files if parts[-len(f.relative_to(run_dir).parts):]
               == f.relative_to(run_dir).parts]
    return min(matches, key=lambda f: len(f.parts)) if matches else None


def _small_counts(path: Path, columns: list[str], policy: DisclosurePolicy) -> list[Finding]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    def small(value: Any) -> bool:
        try:
            number = float(str(value).replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except ValueError:
            return False
        return 0 < number < policy.min_cell or (number == 0 and
                                                policy.zero_counts == "suppress")

    found = []
    if path.suffix.lower() in _XLSX_SUFFIXES:
        book = load_workbook(path, read_only=True, data_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        book.close()
        header = [str(c).lstrip("'") if c is not None else "" for c in (rows[0] if rows else [])]
        for column in columns:
            if column in header:
                k = header.index(column)
                for r, row in enumerate(rows[1:], start=2):
                    if k < len(row) and row[k] not in (None, "") and small(row[k]):
                        found.append((f"{book.worksheets[0].title}!{get_column_letter(k + 1)}{r}",
                                      "small_count", f"{column} = {row[k]}"))
        return found
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text))
    header = [h.lstrip("'") for h in next(reader, [])]
    wanted = [(header.index(c), c) for c in columns if c in header]
    for line, row in enumerate(reader, start=2):
        for k, column in wanted:
            if k < len(row) and row[k].strip() and small(row[k]):
                found.append((f"{line}:{column}", "small_count", f"{column} = {row[k]}"))
    return found


def _manifest(run_dir: Path) -> dict | None:
    path = run_dir / "manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _clock_forms(run_dir: Path, name: str) -> set[str]:
    """What the run in ``run_dir`` wrote from the clock: its id (the name of its folder or
    bundle, and its manifest's ``run_id``), and the times and durations its manifest records,
    as the manifest writes them (``2026-12-04T10:04:39+00:00``, ``20.704``), but never a bare
    number."""
    forms = {match.group() for match in _RUN_ID.finditer(name)}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _CLOCK_KEYS and isinstance(item, str | int | float) \
                        and not isinstance(item, bool):
                    forms.add(item if isinstance(item, str) else json.dumps(item))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(_manifest(run_dir))
    # A bare number (a duration of whole seconds) could be an identifier written in a table.
    return {form for form in forms if not form.isdigit()}


# -- the check ----------------------------------------------------------------------------------
def scan_summary(findings: pd.DataFrame, *, scanned_files: int) -> dict[str, Any]:
    """The result of a scan as recorded in ``manifest.json`` under ``disclosure_scan``."""
    counts = findings["kind"].value_counts()
    summary = {
        "status": "failed" if len(findings) else "passed",
        "n_findings": int(len(findings)),
        "by_kind": {kind: int(counts[kind]) for kind in FINDING_KINDS if kind in counts},
        "scanned_files": int(scanned_files),
    }
    if findings.attrs.get("audit") is not None:
        summary["audit"] = findings.attrs["audit"]
    if findings.attrs.get("bundle"):
        summary["bundle"] = findings.attrs["bundle"]
    return summary


def audit_summary(audit: pd.DataFrame) -> dict[str, Any]:
    """The attacker's audit as the manifest records it: the protection level, how many hidden
    counts of people were attacked, and each one disclosed with its interval and the
    relations that pin it."""
    disclosed = audit[audit["disclosed"]]
    return {
        "protection": int(audit.attrs.get("protection", 0)),
        "hidden_counts": int(len(audit)),
        "disclosed": [{"table": r.table, "row": r.row, "column": r.column,
                       "lower": float(r.lower), "upper": float(r.upper),
                       "relations": r.relations} for r in disclosed.itertuples(index=False)],
    }


def _write_manifest(run_dir: Path, summary: dict[str, Any]) -> None:

    manifest = _manifest(run_dir)
    if manifest is None:
        return
    manifest["disclosure_scan"] = summary
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    write_bytes_atomic(run_dir / "manifest.json", text.encode("utf-8"))


def check_disclosure(run_dir: str | Path, *, identifiers: Iterable[Any] = (),
                     names: Iterable[str] = (), key: Any = None, policy: Any = None,
                     update_manifest: bool = True, exclude: Iterable[str] = (),
                     machine_paths: Iterable[str | Path] | None = None,
                     checked: Mapping[str, str] | None = None, jobs: int = 1) -> pd.DataFrame:
    """Scan what a run shares for what must not leave: the release check.

    What is shared is the run's release bundle (``<run_id>.release.zip``, next to the run
    folder) when it has one: then its members are scanned, not the folder. Otherwise, every
    file of the folder.

    Parameters
    ----------
    run_dir : str or Path
        The run directory (``reports/<study>/<run_id>``), a release bundle, or any folder to
        release.
    identifiers : iterable, optional
        Raw values of the study's identifying columns (respondent IDs before pseudonymisation,
        contact names, e-mail addresses...).
    names : iterable of str, optional
        Names of people known to the study (``privacy.names``).
    key : PseudonymKey or bytes, optional
        The study's pseudonymisation key, searched in hex and base64 forms (and raw bytes).
    policy : DisclosurePolicy or the study's privacy section, optional
        ``min_cell`` and ``zero_counts`` for the count tables (default: 5, zeros shown).
    update_manifest : bool, default True
        Record the result under ``disclosure_scan`` in the run's ``manifest.json``, when there
        is one (rewritten atomically).
    exclude : iterable of str, optional
        Paths relative to ``run_dir`` (files or folders, e.g. a run's private ``.work``) that
        are not released and so not scanned.
    machine_paths : iterable of str or Path, optional
        Absolute paths of the machine that must not appear in what is released (the study's
        folder...); the user's home folder is always searched.
    checked : mapping of str to str, optional
        Files already checked, by path relative to the run and SHA-256 (a run's manifest
        ``files`` when its check passed): a file with the same bytes is not read again, and
        the tables are not attacked again when none of them changed. For the check of a final
        bundle whose manifest and index were rewritten after the full check.
    jobs : int, default 1
        Processes that read the files (at most the cores this process may use): a run passes
        its ``--jobs``. The findings are the same, in the same order, with any number.

    Returns
    -------
    pandas.DataFrame
        One row per finding: ``file`` (path within the run), ``place`` (``sheet!cell``,
        ``line:column``, ``cell[i]:output[j]:mime``, an element path, a PNG chunk...),
        ``kind`` (see below) and ``excerpt`` (masked: the first character of each word; never
        any part of the key). ``attrs["scanned_files"]`` holds the number of files read,
        ``attrs["rescanned"]`` their paths when ``checked`` is given, and
        ``attrs["bundle_sha256"]`` the SHA-256 of the bundle scanned, when a bundle was.

    Notes
    -----
    Kinds of finding:

    - ``key``: the pseudonymisation key (hex, base64, base32 or raw bytes);
    - ``identifier`` / ``name``: a value of an identifying column / a listed name, ignoring
      case and accents, as whole words (values shorter than 4 letters or digits are not
      searched: they would match ordinary numbers), except inside what the run wrote from the
      clock: its id (the folder's or bundle's name, the manifest's ``run_id``) and the times
      and durations its manifest records, as written there (never a bare number);
    - ``email``, ``phone``, ``postal_code``, ``sin``, ``health_card``: as
      :func:`~evalkit.find_identifiers` finds them (not in style sheets and scripts of
      HTML pages);
    - ``machine_path``: an absolute path of the analyst's machine (the home folder, the
      study's folder): released files name their places relative to the run or the study;
    - ``unlisted``: a member of a release bundle that its ``manifest.json`` does not list
      among the released files;
    - ``recoverable``: a hidden count of people in ``tables/*.csv`` whose value an attacker
      can narrow, from every relation the released tables carry, to an interval narrower
      than the protection level (:func:`evalkit.release.audit.audit_tables`; the place is
      ``row:column``, the excerpt the interval); :func:`audit_summary` of the audit is in
      ``findings.attrs["audit"]``;
    - ``shown_hidden``, ``shown_differs``, ``shown_unreleased``: a table of an HTML page, a
      Word document or a notebook output shows a number where its released table has the
      suppression marker, a count of people other than the released one, or a count of
      people the tables do not release (:func:`evalkit.release.shown.shown_findings`; the
      place is the cell). Shown numbers that match add no relation: the attack on the
      tables covers them;
    - ``small_count``: in a table the manifest declares (``tables`` records with ``counts``),
      a count of people from 1 to ``min_cell − 1`` (an empty, suppressed cell is fine);
    - ``unreadable``: a file that claims a format it does not have (it cannot be checked, so it
      cannot be released).

    What is read: CSV and other text files (whole text), XLSX (every cell of every sheet,
    comments, document properties), HTML (text, attributes, embedded images' metadata), DOCX
    (paragraphs of the body, tables, headers, footers, notes and comments, properties,
    relationship targets, embedded PNGs), executed notebooks (sources, outputs, errors,
    metadata and parameters, embedded PNGs), SVG (text, comments, metadata, attributes other
    than geometry), PNG (``tEXt``, ``zTXt``, ``iTXt`` and ``eXIf`` chunks). Other binary files
    are searched for the key only.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "quotes.txt").write_text("Appelez Émilie au 819 555-0142.\\n")
    >>> check_disclosure(run, names=["Émilie Tremblay"])
             file place   kind       excerpt
    0  quotes.txt  1:19  phone  8** 5**-0***
    """
    run_dir = Path(run_dir).absolute()  # "." has a name: its folder's
    bundle = run_dir if run_dir.is_file() and run_dir.name.endswith(BUNDLE_SUFFIX) else \
        bundle_path(run_dir) if run_dir.is_dir() and bundle_path(run_dir).is_file() else None
    if bundle is None and not run_dir.is_dir():
        raise ConfigError.from_catalogue("privacy.scan_not_a_folder", where=str(run_dir))
    paths = [str(Path.home())] if len(Path.home().parts) > 1 else []
    paths += [str(Path(p)) for p in machine_paths or ()]
    detector = _Detector(identifiers, names, None if key is None else as_key(key), paths)
    if bundle is not None:
        digest = sha256_file(bundle)
        with extracted(bundle) as (folder, unlisted):
            detector.written_by_the_clock(_clock_forms(folder, bundle.name))
            findings = _check_folder(folder, detector, policy=policy, exclude=(),
                                     checked=checked, jobs=jobs)
        extra = pd.DataFrame([(member, "", "unlisted", "") for member in unlisted],
                             columns=list(FINDING_COLUMNS))
        attrs = findings.attrs
        findings = pd.concat([findings, extra], ignore_index=True) if len(extra) else findings
        findings = findings.sort_values("file", kind="stable").reset_index(drop=True)
        findings.attrs = {**attrs, "bundle": bundle.name, "bundle_sha256": digest}
    else:
        detector.written_by_the_clock(_clock_forms(run_dir, run_dir.name))
        findings = _check_folder(run_dir, detector, policy=policy, exclude=exclude,
                                 checked=checked, jobs=jobs)
    if update_manifest and run_dir.is_dir():
        _write_manifest(run_dir, scan_summary(findings,
                                              scanned_files=findings.attrs["scanned_files"]))
    return findings


def _check_folder(run_dir: Path, detector: _Detector, *, policy: Any,
                  exclude: Iterable[str], checked: Mapping[str, str] | None = None,
                  jobs: int = 1) -> pd.DataFrame:
    """The scan of the files of ``run_dir`` (``exclude`` aside, and the files of
    ``checked`` whose bytes did not change)."""
    if policy is None:  # the policy the run recorded, else the defaults
        recorded = run_record(run_dir).get("policy")
        policy = DisclosurePolicy(**recorded) if isinstance(recorded, dict) else \
            DisclosurePolicy()
    policy = as_policy(policy)
    skipped = [run_dir / part for part in exclude]
    files = sorted(p for p in run_dir.rglob("*") if p.is_file()
                   and not any(p == s or s in p.parents for s in skipped))
    every = files
    if checked is not None:
        files = [p for p in files
                 if checked.get(p.relative_to(run_dir).as_posix()) != sha256_file(p)]
    rows = []
    for path, found in zip(files, ordered_map(_scan_or_unreadable, files, detector, jobs=jobs),
                           strict=True):
        relative = path.relative_to(run_dir).as_posix()
        rows += [(relative, *finding) for finding in found]
    manifest = _manifest(run_dir) or {}
    for record in manifest.get("tables", []) if isinstance(manifest, dict) else []:
        columns = [*record.get("counts", []), *([record["n"]] if record.get("n") else [])]
        path = _record_file(run_dir, str(record.get("path", "")), files) if columns else None
        if path is not None:
            relative = path.relative_to(run_dir).as_posix()
            if path in files:
                rows += [(relative, *finding) for finding in
                         _small_counts(path, list(dict.fromkeys(columns)), policy)]
    study = run_record(run_dir).get("study_parameters") or {}
    released = read_released(run_dir)
    attack = checked is None or any(p.parent == run_dir / "tables" for p in files)
    audit = audit_tables(released, policy=policy, study=study) if attack else None
    for row in audit[audit["disclosed"]].itertuples(index=False) if attack else ():
        rows.append((f"tables/{row.table}.csv", f"{row.row}:{row.column}", "recoverable",
                     f"{row.lower:g}–{row.upper:g}"))
    # a table changed: every page is held against it again
    rows += shown_findings(run_dir, every if attack else files, released, study=study,
                           jobs=jobs)
    findings = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    findings = findings.sort_values("file", kind="stable").reset_index(drop=True)
    findings.attrs["scanned_files"] = len(files)
    findings.attrs["audit"] = audit_summary(audit) if audit is not None else None
    if checked is not None:
        findings.attrs["rescanned"] = [p.relative_to(run_dir).as_posix() for p in files]
    return findings
