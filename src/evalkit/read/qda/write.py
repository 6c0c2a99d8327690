"""Write coded interviews as a REFI-QDA project (``.qdpx``) that other QDA tools can import.

The file is valid against the standard's schema, holds plain-text sources under ``sources/``,
and its bytes depend only on its content: GUIDs are derived from content (UUID version 5),
zip members are sorted and carry a fixed timestamp.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_frame
from evalkit._files import atomic_write
from evalkit.errors import ArgumentError, DataError
from evalkit.read.qda import frames as _frames
from evalkit.read.qda._text import UNITS, non_bmp_positions, to_counted_offsets
from evalkit.read.qda.refi import PROJECT_NAMESPACE
from evalkit.read.qda.xsd import validate_qde

__all__ = ["write_qdpx"]

_GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12}\}?$")
_RGB = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
#: The timestamp of every member (the earliest a zip file can hold), for reproducible bytes.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_NAME_LENGTH = 60
#: Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE, U+FFFF).
_XML_UNSAFE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write_qdpx(path: str | Path, *, documents: pd.DataFrame, segments: pd.DataFrame,
               codes: pd.DataFrame | None = None, users: pd.DataFrame | Sequence[str] | None = None,
               cases: pd.DataFrame | None = None, origin: str = "evalkit",
               offsets: str = "code_points") -> Path:
    """Write documents and their codings as a REFI-QDA project (``.qdpx``).

    Parameters
    ----------
    path : str or Path
        The file to write (extension ``.qdpx``); replaced if it exists, written atomically.
    documents : DataFrame
        A documents frame (at least ``document`` and ``text``; ``participant``, ``site``,
        ``group`` and ``language`` are used when present).
    segments : DataFrame
        A segments frame (:data:`~evalkit.SEGMENT_COLUMNS`) whose documents are in
        ``documents`` and whose ``start``/``end`` are given, with
        ``text == document_text[start:end]``.
    codes : DataFrame, optional
        The codebook: ``code_path`` (or ``path``) "Theme/Code", and optionally ``description``
        and ``color`` (``#RRGGBB``). Codes used by ``segments`` are added when missing; parent
        codes are added as folders (not codable unless used).
    users : DataFrame or sequence of str, optional
        The coders: names, or a frame with ``name`` (and optionally ``user_id``, a GUID).
        Coders of ``segments`` are added when missing.
    cases : DataFrame, optional
        Cases: ``case`` (the case name), ``document``, and one column per case variable.
        By default one case per participant, named after the participant, with the
        variables ``site`` and ``group`` when known (the first value when a participant's
        documents differ).
    origin : str
        The exporting tool, written in the project's ``origin`` attribute.
    offsets : {"code_points", "utf16"}
        How selection offsets are counted: in characters (Unicode code points), as the
        standard says, or in UTF-16 code units, for a tool that reads them so (NVivo: a
        character outside the Basic Multilingual Plane, such as an emoji, counts two).
        :func:`~evalkit.read_qdpx` reads either back (the selection names tell which).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    DataError
        A segment's document is unknown, its offsets are missing, or its text differs from
        the document's text at its offsets; a colour is not ``#RRGGBB``; or the project
        would not validate against the schema.

    Notes
    -----
    Each distinct span (document, start, end) becomes one ``PlainTextSelection`` holding one
    ``Coding`` per segment; its ``name`` holds the first characters of the text, as ATLAS.ti
    does. A segment whose ``segment_id`` is a GUID keeps it as the coding's GUID, so reading
    the file back gives the same segment ids. Each document's ``language`` is written as a
    source variable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evalkit.datasets.interviews import make_demo_interviews
    >>> from evalkit import read_qdpx
    >>> docs, segs, truth = make_demo_interviews(sites=["A"], seed=3, n_per_site=2)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_qdpx(pathlib.Path(tmp) / "demo.qdpx", documents=docs, segments=segs)
    ...     read_qdpx(path).documents()["document"].tolist() == docs["document"].tolist()
    True
    """
    path = Path(path)
    if path.suffix.lower() != ".qdpx":
        raise ArgumentError(f"path must end with .qdpx, got {path.name!r}", where="path")
    check_choice(offsets, UNITS, "offsets")
    docs = _frames.check_documents(documents)
    segs = _frames.check_segments(segments)
    _check_segment_texts(docs, segs)
    builder = _Builder(docs, segs, origin=str(origin), name=path.stem, unit=offsets)
    builder.codebook(codes)
    builder.users(users)
    builder.cases(cases)
    qde = builder.xml()

    problems = validate_qde(qde)
    if problems:
        raise DataError.from_catalogue("qual.error.write_invalid", where=str(path),
                                       problems="; ".join(map(str, problems[:3])))
    members = {"project.qde": qde, **builder.source_files()}
    _write_zip(path, members)
    return path


def _check_segment_texts(docs: pd.DataFrame, segs: pd.DataFrame) -> None:
    texts = dict(zip(docs["document"], docs["text"], strict=True))
    for row in segs.itertuples(index=False):
        where = f"segments, segment {row.segment_id}"
        if row.document not in texts:
            raise DataError.from_catalogue("qual.error.write_document", where=where,
                                           document=repr(row.document))
        if pd.isna(row.start):
            raise DataError.from_catalogue("qual.error.write_offsets", where=where)
        if texts[row.document][row.start:row.end] != row.text:
            raise DataError.from_catalogue(
                "qual.error.write_text", where=where, document=repr(row.document),
                start=int(row.start), end=int(row.end))


def _guid(kind: str, *parts: Any) -> str:
    return _frames.derived_id(kind, *parts)


class _Builder:
    def __init__(self, docs: pd.DataFrame, segs: pd.DataFrame, *, origin: str, name: str,
                 unit: str = "code_points"):
        self.docs = docs
        self.segs = segs
        self.origin = origin
        self.name = name
        self.unit = unit
        self.source_guid = {d: _guid("source", d, t) for d, t in
                            zip(docs["document"], docs["text"], strict=True)}
        self.code_rows: list[dict[str, Any]] = []
        self.code_guid: dict[str, str] = {}
        self.user_guid: dict[str, str] = {}
        self.case_rows: list[dict[str, Any]] = []
        self.variables: dict[str, str] = {}

    # -- the parts

    def codebook(self, codes: pd.DataFrame | None) -> None:
        given: dict[str, dict[str, Any]] = {}
        if codes is not None:
            check_frame(codes, "codes")
            column = "code_path" if "code_path" in codes.columns else "path"
            if column not in codes.columns:
                raise ArgumentError.from_catalogue(
                    "qual.error.frame_columns", where="codes", param="codes",
                    missing="code_path", expected="code_path, description, color")
            for row in codes.to_dict("records"):
                given[str(row[column])] = row
        used = dict(zip(self.segs["code_path"], self.segs["code"], strict=True))
        # the codebook's order, then the other codes in alphabetical order (not the order
        # of the segments, so that the bytes do not depend on how segments are sorted)
        order = list(dict.fromkeys([*given, *sorted(used)]))
        for code_path in order:
            parts = _split_path(code_path, used.get(code_path) or _name_of(given, code_path))
            for depth in range(1, len(parts) + 1):
                self._add_code(parts[:depth], given, used)

    def _add_code(self, parts: list[str], given: dict, used: dict) -> None:
        code_path = "/".join(parts)
        if code_path in self.code_guid:
            return
        row = given.get(code_path, {})
        color = row.get("color")
        color = None if color is None or pd.isna(color) else str(color)
        if color is not None and not _RGB.match(color):
            raise DataError.from_catalogue("qual.error.write_color", where="codes",
                                           code=code_path, value=repr(color))
        description = row.get("description")
        codable = row.get("is_codable")
        codable = code_path in used or (codable is not None and not pd.isna(codable)
                                        and bool(codable))
        self.code_guid[code_path] = _guid("code", code_path)
        self.code_rows.append({
            "path": code_path, "name": parts[-1], "parent": "/".join(parts[:-1]) or None,
            "color": color, "codable": codable,
            "description": None if description is None or pd.isna(description)
            else str(description)})

    def users(self, users: pd.DataFrame | Sequence[str] | None) -> None:
        rows: list[tuple[str, str | None]] = []
        if isinstance(users, pd.DataFrame):
            if "name" not in users.columns:
                raise ArgumentError.from_catalogue(
                    "qual.error.frame_columns", where="users", param="users", missing="name",
                    expected="name, user_id")
            ids = users["user_id"] if "user_id" in users.columns else [None] * len(users)
            rows = [(str(n), None if i is None or pd.isna(i) else str(i))
                    for n, i in zip(users["name"], ids, strict=True)]
        elif users is not None:
            if isinstance(users, str) or not isinstance(users, Sequence):
                raise ArgumentError(
                    f"users must be a DataFrame or a list of names, got {users!r}",
                    where="users")
            rows = [(str(n), None) for n in users]
        rows += [(c, None) for c in sorted(self.segs["coder"].unique())]
        for name, given in rows:
            if name not in self.user_guid:
                ok = given is not None and _GUID.match(given)
                self.user_guid[name] = given.strip("{}").lower() if ok else _guid("user", name)

    def cases(self, cases: pd.DataFrame | None) -> None:
        if cases is None:
            cases = self._default_cases()
        else:
            check_frame(cases, "cases")
            missing = [c for c in ("case", "document") if c not in cases.columns]
            if missing:
                raise ArgumentError.from_catalogue(
                    "qual.error.frame_columns", where="cases", param="cases",
                    missing=", ".join(missing), expected="case, document, <variables>")
        variables = [str(c) for c in cases.columns if c not in ("case", "document")]
        for name in [*variables, "language"]:
            self.variables.setdefault(name, _guid("variable", name))
        entries: dict[str, dict[str, Any]] = {}
        for row in cases.to_dict("records"):
            if _missing(row["case"]):
                continue
            name = str(row["case"])
            entry = entries.setdefault(name, {"name": name, "guid": _guid("case", name),
                                              "values": {}, "sources": []})
            for var in variables:  # the first value given for the case
                if not _missing(row[var]):
                    entry["values"].setdefault(var, str(row[var]))
            guid = self.source_guid.get(row["document"])
            if guid is not None and guid not in entry["sources"]:
                entry["sources"].append(guid)
        self.case_rows = list(entries.values())

    def _default_cases(self) -> pd.DataFrame:
        docs = self.docs[self.docs["participant"].notna()]
        return pd.DataFrame({"case": docs["participant"], "document": docs["document"],
                             "site": docs["site"], "group": docs["group"]})

    # -- the XML

    def xml(self) -> bytes:
        from lxml import etree

        ns = PROJECT_NAMESPACE

        def el(parent, tag: str, **attrs: Any):
            clean = {k: str(v) for k, v in attrs.items() if v is not None}
            try:
                return etree.SubElement(parent, f"{{{ns}}}{tag}", clean)
            except ValueError:
                bad = next(v for v in clean.values() if _XML_UNSAFE.search(v))
                raise DataError.from_catalogue("qual.error.write_characters", where=tag,
                                               value=repr(bad)) from None

        root = etree.Element(f"{{{ns}}}Project", {"name": self.name, "origin": self.origin},
                             nsmap={None: ns})
        users = el(root, "Users")
        for name, guid in self.user_guid.items():
            el(users, "User", guid=guid, name=name)
        self._xml_codes(el(el(root, "CodeBook"), "Codes"), el)
        self._xml_variables_and_cases(root, el)
        self._xml_sources(el(root, "Sources"), el)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def _xml_codes(self, codes_el, el) -> None:
        elements = {}
        for row in self.code_rows:
            parent = elements[row["parent"]] if row["parent"] else codes_el
            code = el(parent, "Code", guid=self.code_guid[row["path"]], name=row["name"],
                      isCodable="true" if row["codable"] else "false", color=row["color"])
            if row["description"]:
                el(code, "Description").text = row["description"]
            elements[row["path"]] = code

    def _xml_variables_and_cases(self, root, el) -> None:
        if not self.variables:
            return
        variables = el(root, "Variables")
        for name, guid in self.variables.items():
            el(variables, "Variable", guid=guid, name=name, typeOfVariable="Text")
        if not self.case_rows:
            return
        cases = el(root, "Cases")
        for row in self.case_rows:
            case = el(cases, "Case", guid=row["guid"], name=row["name"])
            for var, value in row["values"].items():
                _value(el, case, self.variables[var], value)
            for source in row["sources"]:
                el(case, "SourceRef", targetGUID=source)

    def _xml_sources(self, sources_el, el) -> None:
        ordered = self.segs.sort_values(["document", "start", "end", "code_path", "coder"],
                                        kind="mergesort")
        rows = zip(ordered["document"], ordered["start"].astype("int64"),
                   ordered["end"].astype("int64"), ordered["text"], ordered["segment_id"],
                   ordered["code_path"], ordered["coder"], strict=True)
        by_document: dict[str, list] = {}
        for (document, start, end), group in groupby(rows, key=lambda r: r[:3]):
            by_document.setdefault(document, []).append((int(start), int(end), list(group)))
        for document, text, language in zip(self.docs["document"], self.docs["text"],
                                            self.docs["language"], strict=True):
            guid = self.source_guid[document]
            source = el(sources_el, "TextSource", guid=guid, name=document,
                        plainTextPath=f"internal://{guid}.txt")
            spans = by_document.get(document, [])
            counted = self._counted(text, spans)
            for (start, end, group), (first, last) in zip(spans, counted, strict=True):
                selection = el(source, "PlainTextSelection",
                               guid=_guid("selection", guid, start, end),
                               name=_short(group[0][3]), startPosition=first,
                               endPosition=last)
                for *_, segment_id, code_path, coder in group:
                    coding = el(selection, "Coding", guid=_coding_guid(segment_id),
                                creatingUser=self.user_guid[coder])
                    el(coding, "CodeRef", targetGUID=self.code_guid[code_path])
            if isinstance(language, str):
                _value(el, source, self.variables["language"], language)

    def _counted(self, text: str, spans: list) -> list[tuple[int, int]]:
        """The spans' offsets as written: code points, or UTF-16 code units."""
        if self.unit == "code_points" or not spans:
            return [(start, end) for start, end, _ in spans]
        wide = non_bmp_positions(text)
        bounds = to_counted_offsets(np.array([[s, e] for s, e, _ in spans], dtype=np.int64),
                                    wide)
        return [(int(s), int(e)) for s, e in bounds]

    def source_files(self) -> dict[str, bytes]:
        return {f"sources/{self.source_guid[d]}.txt": t.encode("utf-8")
                for d, t in zip(self.docs["document"], self.docs["text"], strict=True)}


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _value(el, parent, variable_guid: str, value: str) -> None:
    holder = el(parent, "VariableValue")
    el(holder, "VariableRef", targetGUID=variable_guid)
    el(holder, "TextValue").text = value


def _coding_guid(segment_id: str) -> str:
    if _GUID.match(segment_id):
        return segment_id.strip("{}").lower()
    return _guid("coding", segment_id)


def _short(text: str) -> str:
    flat = " ".join(_XML_UNSAFE.sub(" ", text).split())
    return flat if len(flat) <= _NAME_LENGTH else flat[: _NAME_LENGTH - 1].rstrip() + "…"


def _name_of(given: dict, code_path: str) -> str | None:
    name = given.get(code_path, {}).get("name")
    return None if name is None or pd.isna(name) else str(name)


def _split_path(code_path: str, name: str | None) -> list[str]:
    """The names along a code path; ``name`` (the code's own name) may contain ``/``."""
    if name and code_path.endswith(name) and code_path != name:
        head = code_path[: -len(name)].rstrip("/")
        return [*head.split("/"), name] if head else [name]
    if name == code_path:
        return [name]
    return code_path.split("/")


def _write_zip(path: Path, members: dict[str, bytes]) -> None:
    with atomic_write(path, "wb") as stream, \
            zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name], compresslevel=6)
