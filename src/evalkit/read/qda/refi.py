"""Read coded qualitative projects (REFI-QDA ``.qdpx``) and codebooks (``.qdc``) into tidy frames.

The reader follows the REFI-QDA 1.5 standard and tolerates what real exports from NVivo,
ATLAS.ti, MAXQDA, QualCoder and others do differently, recording one warning per deviation.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree.ElementTree import Element

import numpy as np
import pandas as pd

from evalkit._checks import check_choice
from evalkit.errors import ArgumentError, DataError
from evalkit.read._core import ReaderWarning
from evalkit.read.qda import _offsets, _safe
from evalkit.read.qda import frames as _frames
from evalkit.read.qda._safe import (
    CheckedArchive,
    Member,
    inner_archive_size,
    local_name,
    mebibytes,
    namespace_of,
    open_checked_zip,
    parse_xml,
    strip_namespaces,
    unsafe_member_reason,
)
from evalkit.read.qda._text import (
    UNITS,
    Counting,
    DecodedText,
    crlf_newlines,
    decode_text,
    docx_text,
    non_bmp_positions,
)

__all__ = ["QdaCodebook", "QdaProject", "read_qdc", "read_qdpx"]

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
#: Largest ``.qdc`` (or bare XML) file read (bytes).
MAX_XML_BYTES = 256 * 1024**2
#: Deepest nesting of codes read (a top-level code has depth 0).
MAX_CODE_DEPTH = 10_000
#: Largest total length of the code paths ("Parent/Child"), which grows with depth squared.
MAX_CODE_PATH_CHARS = 64 * 1024**2
#: The selections' texts are copies (one per selection, however they overlap): their total
#: length is at most this many times the length of the sources' texts...
SELECTED_PER_TEXT = 20
#: ...or this many characters when that is more, and never more than :data:`MAX_SELECTED_CHARS`.
SELECTED_FLOOR_CHARS = 64 * 1024**2
#: Largest total length of the selections' texts.
MAX_SELECTED_CHARS = 256 * 1024**2
#: Most digits of a start or end position (offsets beyond 10**15 mean nothing in a text).
MAX_POSITION_DIGITS = 15

CODE_COLUMNS = ("code_id", "name", "parent_id", "path", "depth", "color", "description",
                "is_codable")
SOURCE_COLUMNS = ("source_id", "name", "kind", "path", "text", "n_chars", "origin", "document",
                  "offsets")
_READ_SOURCE_COLUMNS = tuple(c for c in SOURCE_COLUMNS if c != "document")
SELECTION_COLUMNS = ("selection_id", "source_id", "start", "end", "text")
CODING_COLUMNS = ("coding_id", "selection_id", "code_id", "coder")
USER_COLUMNS = ("user_id", "name")
CASE_COLUMNS = ("case_id", "name", "description")
CASE_VARIABLE_COLUMNS = ("case_id", "variable", "value")
CASE_SOURCE_COLUMNS = ("case_id", "source_id")
CASE_SELECTION_COLUMNS = ("case_id", "selection_id")
SOURCE_VARIABLE_COLUMNS = ("source_id", "variable", "value")
NOTE_COLUMNS = ("note_id", "name", "text", "target_id")
SET_COLUMNS = ("set_id", "name", "description", "code_id")

_KINDS = {"TextSource": "text", "PDFSource": "pdf", "PictureSource": "picture",
          "AudioSource": "audio", "VideoSource": "video"}
_OTHER_SELECTIONS = ("PictureSelection", "PDFSelection", "AudioSelection", "VideoSelection",
                     "TranscriptSelection")
_VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue",
               "DateTimeValue")
_MAX_EXAMPLES = 3
_POSITION = re.compile(rf"\s*[+-]?[0-9]{{1,{MAX_POSITION_DIGITS}}}\s*", re.ASCII)


class _Warnings:
    """Collects deviations by kind and turns each kind into one warning with a count."""

    def __init__(self) -> None:
        self._events: dict[str, list[str]] = defaultdict(list)
        self._params: dict[str, dict[str, Any]] = {}

    def add(self, key: str, example: str = "", **params: Any) -> None:
        """Record one occurrence of ``key``; integer parameters add up across occurrences."""
        self._events[key].append(example)
        self.bump(key, **params)

    def bump(self, key: str, **params: Any) -> None:
        """Add to the parameters of ``key`` without counting an occurrence."""
        store = self._params.setdefault(key, {})
        for name, value in params.items():
            summed = isinstance(value, int) and not isinstance(value, bool) and name in store
            store[name] = store[name] + value if summed else value

    def records(self) -> list[ReaderWarning]:
        out = []
        for key, examples in self._events.items():
            shown = [e for e in dict.fromkeys(examples) if e][:_MAX_EXAMPLES]
            params = {"n": len(examples), "examples": ", ".join(shown) or "-",
                      **self._params.get(key, {})}
            out.append(ReaderWarning(key, **params))
        return out


@dataclass(repr=False)
class QdaCodebook:
    """A REFI-QDA codebook (``.qdc``) as tidy frames.

    Attributes
    ----------
    codes : DataFrame
        ``code_id``, ``name``, ``parent_id``, ``path`` ("Parent/Child"), ``depth`` (0 for a
        top-level code), ``color``, ``description``, ``is_codable``.
    sets : DataFrame
        ``set_id``, ``name``, ``description``, ``code_id``: one row per member code of a set.
    warnings : list of ReaderWarning
        One per tolerated deviation from the standard.
    provenance : dict
        ``path``, ``sha256``, ``origin`` (the exporting tool).
    """

    codes: pd.DataFrame
    sets: pd.DataFrame
    warnings: list[ReaderWarning] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"QdaCodebook(origin={self.provenance.get('origin')!r}, codes={len(self.codes)},"
                f" sets={self.sets['set_id'].nunique()}, warnings={len(self.warnings)})")


@dataclass(repr=False)
class QdaProject:
    """A REFI-QDA project (``.qdpx``) as tidy frames; see :func:`read_qdpx`.

    Attributes
    ----------
    codes : DataFrame
        ``code_id``, ``name``, ``parent_id``, ``path`` ("Parent/Child"), ``depth`` (0 for a
        top-level code), ``color``, ``description``, ``is_codable``.
    sources : DataFrame
        ``source_id``, ``name``, ``kind`` (text, pdf, picture, audio, video), ``path`` (as
        written in the file), ``text`` (plain text, ``\\n`` line endings), ``n_chars``,
        ``origin`` (``txt``, ``docx``, ``inline``, or missing when no text was found),
        ``document`` (the name, made unique when names repeat).
    selections : DataFrame
        ``selection_id``, ``source_id``, ``start``, ``end`` (character offsets in the
        source's ``text``, end exclusive), ``text``. A coding applied to a whole source is
        given a selection whose id is the source's id and which spans the whole text.
    codings : DataFrame
        ``coding_id``, ``selection_id``, ``code_id``, ``coder`` (the user's name, or the
        user's guid when the user has no name, or ``unknown``).
    users : DataFrame
        ``user_id``, ``name``.
    cases : DataFrame
        ``case_id``, ``name``, ``description``.
    case_variables : DataFrame
        ``case_id``, ``variable``, ``value`` (as text).
    case_sources : DataFrame
        ``case_id``, ``source_id``.
    case_selections : DataFrame
        ``case_id``, ``selection_id`` (cases attached to single selections).
    source_variables : DataFrame
        ``source_id``, ``variable``, ``value`` (variables attached to sources).
    notes : DataFrame
        ``note_id``, ``name``, ``text``, ``target_id`` (one row per object the note is
        attached to; missing for notes on the whole project or on nothing).
    warnings : list of ReaderWarning
        One per tolerated deviation from the standard.
    provenance : dict
        ``path``, ``sha256``, ``origin`` (the exporting tool), ``name``, ``base_path``,
        ``created``, ``modified``, ``qde_member``.
    roles : dict
        The case variables that hold ``site``, ``group`` and ``participant``.

    Identifiers (GUIDs) are lower-cased and stripped of braces.
    """

    codes: pd.DataFrame
    sources: pd.DataFrame
    selections: pd.DataFrame
    codings: pd.DataFrame
    users: pd.DataFrame
    cases: pd.DataFrame
    case_variables: pd.DataFrame
    case_sources: pd.DataFrame
    case_selections: pd.DataFrame
    source_variables: pd.DataFrame
    notes: pd.DataFrame
    warnings: list[ReaderWarning] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    roles: dict[str, str | None] = field(default_factory=dict)

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(getattr(self, name))}" for name in
                           ("codes", "sources", "selections", "codings", "users", "cases",
                            "notes", "warnings"))
        return f"QdaProject(origin={self.provenance.get('origin')!r}, {counts})"

    def documents(self) -> pd.DataFrame:
        """The documents frame: one row per text or PDF source.

        Returns
        -------
        DataFrame
            ``document``, ``participant``, ``site``, ``group``, ``language`` (from a case or
            source variable named ``language``), ``text``, ``n_chars``.
        """
        roles = self._source_roles()
        sources = self.sources[self.sources["kind"].isin(["text", "pdf"])]
        out = sources[["source_id", "document", "text"]].merge(roles, on="source_id",
                                                               how="left")
        out = out[["document", "participant", "site", "group", "language", "text"]]
        return _frames.check_documents(out)

    def segments(self, *, units: str | pd.DataFrame | None = None) -> pd.DataFrame:
        """The segments frame: one row per coding of a text selection.

        Parameters
        ----------
        units : {None, "lines"} or DataFrame
            How to fill the ``unit`` column: None leaves it missing; ``"lines"`` uses one
            unit per non-empty line (:func:`~evalkit.units_from_turns`); a units frame
            is used as given. Units are assigned by :func:`~evalkit.assign_units`.

        Returns
        -------
        DataFrame
            The columns of :data:`~evalkit.SEGMENT_COLUMNS`: ``segment_id`` (the
            coding's guid), ``document``, ``participant``, ``site``, ``group`` (from the
            selection's case, else the source's case, else source variables), ``code``,
            ``code_path``, ``coder``, ``start``, ``end``, ``text``, ``unit``; sorted by
            document, start, end, code and coder.
        """
        if not (units is None or isinstance(units, pd.DataFrame) or units == "lines"):
            raise ArgumentError.from_catalogue("qual.error.units_argument", where="units",
                                               value=repr(units))
        frame = self._segments_frame()
        if units is None:
            return frame
        table = _frames.units_from_turns(self.documents()) if isinstance(units, str) else units
        return _frames.assign_units(frame, table)

    def _segments_frame(self) -> pd.DataFrame:
        if self.codings.empty:
            return _frames.empty_segments()
        sel = self.selections.merge(self.sources[["source_id", "document"]], on="source_id")
        out = (self.codings.merge(sel, on="selection_id")
               .merge(self.codes[["code_id", "name", "path"]], on="code_id"))
        roles = self._source_roles()
        out = out.merge(roles, on="source_id", how="left")
        out = _override_with_selection_cases(out, self._selection_roles())
        out = out.rename(columns={"coding_id": "segment_id", "name": "code",
                                  "path": "code_path"})
        out["unit"] = pd.Series([None] * len(out), dtype="str")
        return _frames.sort_segments(_frames.check_segments(out[list(_frames.SEGMENT_COLUMNS)]))

    def _case_table(self) -> pd.DataFrame:
        """One row per case: participant, site, group, language from its name and variables."""
        wide = {case: {} for case in self.cases["case_id"]}
        for case, var, value in self.case_variables.itertuples(index=False):
            wide.setdefault(case, {}).setdefault(var, value)
        names = dict(zip(self.cases["case_id"], self.cases["name"], strict=True))
        rows = []
        for case, values in wide.items():
            participant = (names.get(case) if self.roles.get("participant") is None
                           else values.get(self.roles["participant"]))
            rows.append({"case_id": case, "participant": participant,
                         "site": values.get(self.roles.get("site") or ""),
                         "group": values.get(self.roles.get("group") or ""),
                         "language": values.get("language")})
        return _frames.frame_from_records(rows, ["case_id", *_ROLE_COLUMNS])

    def _source_roles(self) -> pd.DataFrame:
        cases = self._case_table().set_index("case_id")
        linked = self.case_sources.merge(cases, left_on="case_id", right_index=True)
        # The first linked case (file order) that has a value gives it.
        first = linked.groupby("source_id", sort=False)[list(_ROLE_COLUMNS)].first()
        svars = _source_variable_roles(self.source_variables, self.roles)
        out = pd.DataFrame({"source_id": self.sources["source_id"]})
        out = out.merge(first, left_on="source_id", right_index=True, how="left")
        out = out.merge(svars, on="source_id", how="left", suffixes=("", "_src"))
        for name in _ROLE_COLUMNS:
            if name != "participant":
                out[name] = out[name].fillna(out[f"{name}_src"])
            out[name] = _frames._as_str(out[name])
        return out[["source_id", *_ROLE_COLUMNS]]

    def _selection_roles(self) -> pd.DataFrame:
        if self.case_selections.empty:
            return pd.DataFrame(columns=["selection_id", *_ROLE_COLUMNS])
        cases = self._case_table().set_index("case_id")
        linked = self.case_selections.merge(cases, left_on="case_id", right_index=True)
        return (linked.groupby("selection_id", sort=False)[list(_ROLE_COLUMNS)].first()
                .reset_index())


_ROLE_COLUMNS = ("participant", "site", "group", "language")


def _source_variable_roles(svars: pd.DataFrame, roles: Mapping[str, str | None]) -> pd.DataFrame:
    names = {"site": roles.get("site"), "group": roles.get("group"), "language": "language"}
    out = pd.DataFrame({"source_id": svars["source_id"].drop_duplicates()})
    for role, variable in names.items():
        values = svars[svars["variable"] == variable].drop_duplicates("source_id")
        out = out.merge(values[["source_id", "value"]].rename(columns={"value": f"{role}_src"}),
                        on="source_id", how="left")
        if f"{role}_src" not in out.columns:
            out[f"{role}_src"] = None
    out["participant_src"] = None
    return out


def _override_with_selection_cases(frame: pd.DataFrame, by_selection: pd.DataFrame
                                   ) -> pd.DataFrame:
    if by_selection.empty:
        return frame
    merged = frame.merge(by_selection, on="selection_id", how="left", suffixes=("", "_sel"))
    for name in _ROLE_COLUMNS:
        merged[name] = merged[f"{name}_sel"].fillna(merged[name])
    return merged.drop(columns=[f"{n}_sel" for n in _ROLE_COLUMNS])


# --------------------------------------------------------------------------- public readers


def read_qdpx(path: str | Path, *, site: str | None = "site", group: str | None = "group",
              participant: str | None = None, external_sources: str | Path | None = None,
              offsets: str | None = None) -> QdaProject:
    """Read a REFI-QDA project (``.qdpx``) exported by NVivo, ATLAS.ti, MAXQDA, QualCoder...

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` file (a zip archive holding ``project.qde`` and a ``sources`` folder).
    site, group : str or None
        Names of the case variables (or, failing that, source variables) that hold each
        document's site and respondent group, used by :meth:`QdaProject.segments`.
    participant : str or None
        Name of the case variable that identifies the participant; None (the default) uses
        the name of the case.
    external_sources : str, Path or None
        The folder that holds the sources the project names with ``relative://`` paths when
        they are not in the archive (the project's ``basePath`` on this computer). None (the
        default): nothing outside the archive is read.
    offsets : {None, "code_points", "utf16"}
        How the exporting tool counted selection offsets: characters (Unicode code points,
        the standard) or UTF-16 code units (NVivo). None (the default) decides for each
        source from the tool and the evidence in the file (see Notes).

    Returns
    -------
    QdaProject
        Tidy frames (codes, sources, selections, codings, users, cases, case variables,
        case–source links, notes), the tolerated deviations (``warnings``) and the
        ``provenance`` of the file. ``project.segments()`` gives the segments frame.

    Raises
    ------
    DataError
        The file cannot be read: not found, empty, not a zip archive, an unsafe member (path
        traversal, a repeated name, a zip bomb), no ``project.qde``, malformed or unsafe XML
        (the message gives the line), a root element other than ``Project``, or more than the
        reader's limits (sizes, XML elements, code depth, selected text).
    ArgumentError
        ``external_sources`` is not a folder, or ``offsets`` is not one of the values above.

    Notes
    -----
    Offsets. REFI-QDA counts the characters (Unicode code points) of the plain text as
    stored, from 0; ``end`` is exclusive, so ``text[start:end]`` is the coded text. Not every
    tool follows it: NVivo counts UTF-16 code units (a character outside the Basic
    Multilingual Plane, such as an emoji, counts two; a Windows line end ``\\r\\n`` counts
    as stored), some tools count line ends once, or the byte-order mark. For each text
    source, the reader reads the offsets under every convention that gives different
    positions and keeps the one the evidence supports: selection names that quote the text
    (as ATLAS.ti and evalkit write them), selections that start at line starts and end at line
    ends, offsets that would fall outside the text or inside a character. Without clear
    evidence, the exporting tool's convention is kept (``origin``: UTF-16 for NVivo, code
    points otherwise); a warning says when the evidence overrules it. The convention of each
    source is in the ``offsets`` column of ``sources`` and in ``provenance["offsets"]``.
    Texts are returned with ``\\n`` line endings and offsets as positions in that text; a
    UTF-8 byte-order mark is removed. When a source's plain text is missing or blank and a
    ``.docx`` accompanies it, the text is taken from the ``.docx`` (body paragraphs joined by
    ``\\n``). A selection whose start lies after its end is left out, with its codings.

    Safety. Members are checked for path traversal, repeated names, size and compression
    ratio before any is decompressed; members are decompressed as a stream into memory
    (nothing is extracted), and reading stops at the limits of
    :mod:`evalkit.read.qda._safe` whatever the archive declares; XML with a DTD, entities or
    external references is refused. Sources outside the archive (``relative://``) are read
    only from ``external_sources``, never from above it, never hidden files or folders;
    ``absolute://`` paths and ``basePath`` are recorded but never opened.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evalkit.datasets.interviews import make_demo_interviews
    >>> from evalkit import write_qdpx
    >>> docs, segs, truth = make_demo_interviews(sites=["A", "B"], seed=1, n_per_site=2)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "interviews.qdpx"
    ...     _ = write_qdpx(path, documents=docs, segments=segs)
    ...     project = read_qdpx(path)
    >>> len(project.segments()) == len(segs)
    True
    >>> project.sources["offsets"].unique().tolist()
    ['code_points']
    """
    path = _existing(path)
    folder = _external_folder(external_sources)
    check_choice(offsets, (None, *UNITS), "offsets")
    with open_checked_zip(path) as archive:
        reader = _ProjectReader(path, archive, external=folder, unit=offsets)
        return reader.read({"site": site, "group": group, "participant": participant})


def read_qdc(path: str | Path) -> QdaCodebook:
    """Read a REFI-QDA codebook (``.qdc``): the codes, their hierarchy and sets.

    Returns
    -------
    QdaCodebook
        ``codes`` (``code_id``, ``name``, ``parent_id``, ``path``, ``depth``, ``color``,
        ``description``, ``is_codable``), ``sets``, ``warnings`` and ``provenance``.

    Raises
    ------
    DataError
        Not found, empty, too large, malformed or unsafe XML, a root other than
        ``CodeBook``, or codes nested beyond the reader's limits.

    Notes
    -----
    A set names its member codes with ``MemberCode guid="..."`` in the codebook schema
    (REFI-QDA 1.5, §5.2; ATLAS.ti writes it so) and with ``targetGUID`` in the project
    schema; both are read, the second with a warning.
    """
    path = _existing(path)
    size = path.stat().st_size
    if size == 0:
        raise DataError.from_catalogue("qual.error.empty_file", where=str(path))
    if size > MAX_XML_BYTES:
        raise DataError.from_catalogue("qual.error.member_too_large", where=str(path),
                                       member=path.name, size=mebibytes(size),
                                       limit=mebibytes(MAX_XML_BYTES))
    raw = path.read_bytes()
    warnings = _Warnings()
    root = parse_xml(raw, str(path))
    _check_root(root, "CodeBook", CODEBOOK_NAMESPACE, str(path), warnings)
    strip_namespaces(root)
    ids = _Ids(warnings)
    codes = _read_codes(_child(root, "Codes"), ids, warnings, str(path))
    known = set(codes["code_id"])
    sets = []
    for s in _children(_child(root, "Sets"), "Set"):
        set_id = ids.of(s)
        for member in _children(s, "MemberCode"):
            code_id = _gid(member.get("guid"))
            if code_id is None and member.get("targetGUID") is not None:
                code_id = _gid(member.get("targetGUID"))
                warnings.add("qual.warn.set_member_target", s.get("name") or set_id)
            if code_id not in known:
                warnings.add("qual.warn.set_unknown_code", code_id or set_id)
                continue
            sets.append({"set_id": set_id, "name": s.get("name"),
                         "description": _text(_child(s, "Description")), "code_id": code_id})
    provenance = {"path": str(path), "sha256": hashlib.sha256(raw).hexdigest(),
                  "origin": root.get("origin")}
    return QdaCodebook(codes=codes, sets=_frames.frame_from_records(sets, SET_COLUMNS),
                       warnings=warnings.records(), provenance=provenance)


def _external_folder(folder: str | Path | None) -> Path | None:
    if folder is None:
        return None
    if not isinstance(folder, str | Path) or not Path(folder).is_dir():
        raise ArgumentError(
            f"external_sources must be a folder that exists or None, got {folder!r}",
            where="external_sources")
    return Path(folder).resolve()


def _existing(path: str | Path) -> Path:
    if not isinstance(path, str | Path):
        raise ArgumentError(f"path must be a str or a Path, got {type(path).__name__}",
                            where="path")
    path = Path(path)
    if not path.is_file():
        raise DataError.from_catalogue("qual.error.not_found", where=str(path))
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024**2), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- XML helpers


def _child(element: Element | None, tag: str) -> Element | None:
    if element is None:
        return None
    return element.find(tag)


def _children(element: Element | None, tag: str) -> list[Element]:
    return [] if element is None else element.findall(tag)


def _text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _gid(value: str | None) -> str | None:
    return None if value is None else value.strip().strip("{}").lower()


def _position(value: str | None) -> int | None:
    """A start or end position as an integer, or None when it is not a whole number of at
    most :data:`MAX_POSITION_DIGITS` digits (a bounded integer attribute)."""
    if value is None or not _POSITION.fullmatch(value):
        return None
    return int(value)


def _tool_unit(root: Element) -> str:
    """The unit the exporting tool counts offsets in: UTF-16 code units for NVivo (named in
    ``origin``, or without ``origin`` recognised by its users' initials in ``id`` and its
    ``basePath``), code points otherwise (the standard)."""
    origin = (root.get("origin") or "").lower()
    if "nvivo" in origin:
        return "utf16"
    users = _children(_child(root, "Users"), "User")
    if not origin and root.get("basePath") is not None and any(u.get("id") for u in users):
        return "utf16"
    return "code_points"


def _external_file(folder: Path, rel: str) -> Path | None:
    """``rel`` inside ``folder``, or None when it would leave the folder or is hidden.

    Refused: absolute paths, drive letters, ``..``, NUL characters, any part of the path
    that starts with a dot (hidden files and folders), and links that lead outside the folder
    or to a hidden file.
    """
    parts = PurePosixPath(rel).parts
    if (not parts or unsafe_member_reason(rel) is not None
            or any(part.startswith(".") for part in parts)):
        return None
    candidate = folder.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return candidate  # missing: reported as such
    if not resolved.is_relative_to(folder):
        return None
    if any(part.startswith(".") for part in resolved.relative_to(folder).parts):
        return None
    return resolved


class _Ids:
    """GUIDs of elements, normalised; missing ones derived from position (with a warning)."""

    def __init__(self, warnings: _Warnings) -> None:
        self._warnings = warnings
        self._seen: set[str] = set()
        self._count = 0

    def of(self, element: Element) -> str:
        self._count += 1
        guid = _gid(element.get("guid"))
        if not guid:
            guid = _frames.derived_id("missing-guid", element.tag, self._count)
            self._warnings.add("qual.warn.missing_guid", element.tag)
        elif guid in self._seen:
            self._warnings.add("qual.warn.duplicate_guid", guid)
        self._seen.add(guid)
        return guid


def _check_root(root: Element, expected: str, namespace: str, where: str,
                warnings: _Warnings) -> None:
    name = local_name(root.tag)
    if name != expected:
        key = "qual.error.not_project" if expected == "Project" else "qual.error.not_codebook"
        raise DataError.from_catalogue(key, where=where, root=name)
    found = namespace_of(root.tag)
    if found is None:
        warnings.add("qual.warn.no_namespace", expected, expected=namespace)
    elif found != namespace:
        warnings.add("qual.warn.other_namespace", found, namespace=found, expected=namespace)


def _read_codes(codes_el: Element | None, ids: _Ids, warnings: _Warnings,
                where: str) -> pd.DataFrame:
    """The code tree, depth first in file order, walked with a stack (no recursion limit)."""
    rows: list[dict[str, Any]] = []
    path_chars = 0
    # (element, parent id, parent path, depth), the next sibling on top
    stack = [(code, None, None, 0) for code in reversed(_children(codes_el, "Code"))]
    while stack:
        code, parent, parent_path, depth = stack.pop()
        if depth > MAX_CODE_DEPTH:
            raise DataError.from_catalogue("qual.error.code_depth", where=where,
                                           limit=MAX_CODE_DEPTH)
        code_id = ids.of(code)
        name = code.get("name")
        if name is None:
            warnings.add("qual.warn.code_name", code_id)
            name = code_id
        codable = code.get("isCodable")
        if codable is None:
            warnings.add("qual.warn.codable_missing", name)
        path = name if parent_path is None else f"{parent_path}/{name}"
        path_chars += len(path)
        if path_chars > MAX_CODE_PATH_CHARS:
            raise DataError.from_catalogue("qual.error.code_paths", where=where,
                                           limit=MAX_CODE_PATH_CHARS)
        rows.append({"code_id": code_id, "name": name, "parent_id": parent, "path": path,
                     "depth": depth, "color": code.get("color"),
                     "description": _text(_child(code, "Description")),
                     "is_codable": (codable or "true").strip().lower() in ("true", "1")})
        stack.extend((child, code_id, path, depth + 1)
                     for child in reversed(_children(code, "Code")))
    out = _frames.frame_from_records(rows, CODE_COLUMNS, ints=("depth",))
    out["is_codable"] = out["is_codable"].astype(bool)
    return out


# --------------------------------------------------------------------------- project reader


@dataclass
class _SourceText:
    text: str
    origin: str | None
    decoded: DecodedText | None


class _ProjectReader:
    def __init__(self, path: Path, archive: CheckedArchive, *, external: Path | None,
                 unit: str | None) -> None:
        self.path = path
        self.where = str(path)
        self.archive = archive
        self.external = external
        self.unit = unit
        self.members = {m.name: m for m in archive.members}
        self.lower = defaultdict(list)
        for m in archive.members:
            self.lower[m.name.lower()].append(m.name)
        self.warnings = _Warnings()
        self.ids = _Ids(self.warnings)
        self.prefix = ""
        self.base_path: str | None = None
        self.origin: str | None = None
        self.prior = Counting()
        self.selections: list[dict[str, Any]] = []
        self.codings: list[dict[str, Any]] = []
        self.users: dict[str, str | None] = {}
        self.offsets: dict[str, str] = {}
        self.selected_chars = 0
        self.text_chars = 0
        self._folder_warned: set[str] = set()

    # -- the archive

    def _find_project(self) -> Member:
        if "project.qde" in self.members:
            return self.members["project.qde"]
        candidates = sorted((m for m in self.members.values()
                             if m.name.lower().endswith(".qde")),
                            key=lambda m: (m.name.count("/"),
                                           PurePosixPath(m.name).name.lower() != "project.qde",
                                           m.name))
        if not candidates:
            shown = ", ".join(sorted(self.members)[:8]) or "-"
            raise DataError.from_catalogue("qual.error.no_project", where=self.where,
                                           members=shown)
        chosen = candidates[0]
        self.warnings.add("qual.warn.qde_name", chosen.name, member=chosen.name)
        return chosen

    def _member(self, name: str) -> Member | None:
        """The member called ``name`` (letter case ignored), warning about folder/file case."""
        exact = self.members.get(name)
        if exact is not None:
            return exact
        found = self.lower.get(name.lower())
        if not found:
            return None
        actual = found[0]
        wanted, got = PurePosixPath(name), PurePosixPath(actual)
        if str(wanted.parent) != str(got.parent) and str(got.parent) not in self._folder_warned:
            self._folder_warned.add(str(got.parent))
            self.warnings.add("qual.warn.sources_folder", str(got.parent),
                              folder=str(got.parent))
        if wanted.name != got.name:
            self.warnings.add("qual.warn.member_case", got.name)
        return self.members[actual]

    def _load(self, path_attr: str, label: str) -> bytes | None:
        """The bytes a source path points to (inside the archive, or in the folder given for
        sources outside it), or None."""
        scheme, separator, rest = path_attr.partition("://")
        if not separator:
            scheme, rest = "", path_attr
        rest = rest.replace("\\", "/")
        scheme = scheme.lower()
        sources = f"{self.prefix}sources/"
        if scheme == "internal":
            member = self._member(sources + rest.lstrip("/"))
            if member is None:
                member = self._member(self.prefix + rest.lstrip("/"))
                if member is not None:
                    self.warnings.add("qual.warn.outside_sources", member.name)
        elif scheme == "":
            member = self._member(sources + rest) or self._member(self.prefix + rest)
            self.warnings.add("qual.warn.bare_path", path_attr)
        elif scheme == "relative":
            rel = rest.lstrip("/")
            member = (self._member(sources + rel)
                      or self._member(sources + PurePosixPath(rel).name)
                      or self._member(self.prefix + rel))
            self.warnings.add("qual.warn.relative_path", path_attr,
                              base_path=self.base_path or "")
            if member is None:
                return self._load_external(rel, path_attr, label)
        elif scheme == "absolute":
            member = self._member(sources + PurePosixPath(rest).name)
            self.warnings.add("qual.warn.absolute_path", path_attr)
        else:
            member = None
            self.warnings.add("qual.warn.unknown_scheme", path_attr)
        if member is None:
            self.warnings.add("qual.warn.source_missing", f"{label} ({path_attr})")
            return None
        return self.archive.read(member)

    def _load_external(self, rel: str, path_attr: str, label: str) -> bytes | None:
        """A ``relative://`` source read from the folder the caller gave, never outside it."""
        if self.external is None:
            self.warnings.add("qual.warn.external_not_allowed", path_attr)
            return None
        found = _external_file(self.external, rel)
        if found is None:
            self.warnings.add("qual.warn.external_refused", path_attr)
            return None
        if not found.is_file():
            self.warnings.add("qual.warn.source_missing", f"{label} ({path_attr})")
            return None
        size = found.stat().st_size
        if size > _safe.MAX_MEMBER_BYTES:
            raise DataError.from_catalogue("qual.error.member_too_large", where=str(found),
                                           member=rel, size=mebibytes(size),
                                           limit=mebibytes(_safe.MAX_MEMBER_BYTES))
        self.archive.charge(size, rel, compressed=False)
        with found.open("rb") as stream:
            data = stream.read(size)  # a file that grew since is read up to its size then
        self.warnings.add("qual.warn.read_external", found.relative_to(self.external).as_posix())
        return data

    # -- reading

    def read(self, roles: dict[str, str | None]) -> QdaProject:
        member = self._find_project()
        self.prefix = member.name[: -len(PurePosixPath(member.name).name)]
        raw = self.archive.read(member)
        root = parse_xml(raw, f"{self.where}: {member.name}")
        _check_root(root, "Project", PROJECT_NAMESPACE, self.where, self.warnings)
        strip_namespaces(root)
        self.base_path = root.get("basePath")
        self.origin = root.get("origin")
        self.prior = Counting(self.unit or _tool_unit(root))
        users = self._read_users(_child(root, "Users"))
        codes = _read_codes(_child(_child(root, "CodeBook"), "Codes"), self.ids, self.warnings,
                            f"{self.where}: {member.name}")
        variables = {self.ids.of(v): v.get("name") or "" for v in
                     _children(_child(root, "Variables"), "Variable")}
        sources, source_vars = self._read_sources(_child(root, "Sources"), variables)
        cases, case_vars, case_sources, case_sels = self._read_cases(
            _child(root, "Cases"), variables)
        notes = self._read_notes(root)
        codings = self._finish_codings(set(codes["code_id"]))
        self._check_case_links(sources, case_sources)
        provenance = {
            "path": str(self.path), "sha256": _sha256(self.path), "origin": root.get("origin"),
            "name": root.get("name"), "base_path": self.base_path,
            "created": root.get("creationDateTime"), "modified": root.get("modifiedDateTime"),
            "qde_member": member.name, "offsets": dict(self.offsets),
        }
        return QdaProject(
            codes=codes, sources=sources,
            selections=_frames.frame_from_records(self.selections, SELECTION_COLUMNS,
                                                  ints=("start", "end")),
            codings=codings, users=users, cases=cases, case_variables=case_vars,
            case_sources=case_sources, case_selections=case_sels,
            source_variables=source_vars, notes=notes, warnings=self.warnings.records(),
            provenance=provenance, roles=dict(roles))

    def _read_users(self, users_el: Element | None) -> pd.DataFrame:
        rows = []
        for user in _children(users_el, "User"):
            user_id = self.ids.of(user)
            name = user.get("name") or None
            self.users[user_id] = name
            rows.append({"user_id": user_id, "name": name})
        return _frames.frame_from_records(rows, USER_COLUMNS)

    def _coder(self, *elements: Element) -> str:
        for element in elements:
            guid = _gid(element.get("creatingUser"))
            if guid:
                if guid not in self.users:
                    self.warnings.add("qual.warn.unknown_user", guid)
                return self.users.get(guid) or guid
        self.warnings.add("qual.warn.no_user", elements[0].get("guid") or "")
        return "unknown"

    def _read_sources(self, sources_el: Element | None, variables: dict[str, str]
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
        rows, svars = [], []
        for element in list(sources_el) if sources_el is not None else []:
            kind = _KINDS.get(element.tag)
            if kind is None:
                self.warnings.add("qual.warn.unknown_element", element.tag)
                continue
            source_id = self.ids.of(element)
            name = element.get("name")
            text_el = element if kind == "text" else _child(element, "Representation")
            path_attr = (element.get("plainTextPath") or element.get("richTextPath")
                         if kind == "text" else element.get("path"))
            label = name or source_id
            found = (self._source_text(text_el, label) if text_el is not None
                     else _SourceText("", None, None))
            self.text_chars += len(found.text)
            if text_el is not None:
                self.offsets[source_id] = self.prior.name
                self._read_selections(text_el, source_id, found, label, element)
            rows.append({"source_id": source_id, "name": name, "kind": kind, "path": path_attr,
                         "text": found.text, "n_chars": len(found.text),
                         "origin": found.origin, "offsets": self.offsets.get(source_id)})
            self._read_whole_source_codings(element, source_id, found.text)
            skipped = sum(len(element.findall(tag)) for tag in _OTHER_SELECTIONS)
            if skipped:
                self.warnings.add("qual.warn.non_text_selection", label)
            for value in _children(element, "VariableValue"):
                var, val = self._variable_value(value, variables)
                svars.append({"source_id": source_id, "variable": var, "value": val})
        sources = _frames.frame_from_records(rows, _READ_SOURCE_COLUMNS, ints=("n_chars",))
        sources.insert(len(_READ_SOURCE_COLUMNS) - 1, "document",
                       self._document_names(sources))
        return sources, _frames.frame_from_records(svars, SOURCE_VARIABLE_COLUMNS)

    def _document_names(self, sources: pd.DataFrame) -> pd.Series:
        fallback = [path.rsplit("/", 1)[-1] if isinstance(path, str) else source_id
                    for path, source_id in zip(sources["path"], sources["source_id"],
                                               strict=True)]
        names = sources["name"].astype("str").fillna(pd.Series(fallback, dtype="str"))
        dup = names.duplicated(keep=False)
        for name in names[dup].unique():
            self.warnings.add("qual.warn.duplicate_source_name", str(name))
        rank = names.groupby(names).cumcount() + 1
        return names.where(~dup, names + " (" + rank.astype(str) + ")")

    def _source_text(self, element: Element, label: str) -> _SourceText:
        inline = _child(element, "PlainTextContent")
        plain, rich = element.get("plainTextPath"), element.get("richTextPath")
        found = None
        if plain:
            if inline is not None:
                self.warnings.add("qual.warn.inline_and_path", label)
            raw = self._load(plain, label)
            if raw is not None:
                decoded = decode_text(raw)
                self._note_decoding(decoded, label)
                found = _SourceText(decoded.text, "txt", decoded)
        if found is None and inline is not None:
            found = _SourceText(inline.text or "", "inline", None)
        if (found is None or not found.text.strip()) and rich and \
                rich.lower().endswith(".docx"):
            raw = self._load(rich, label)
            if raw is not None:
                inner = inner_archive_size(raw, f"{self.where}: {rich}")
                if inner is not None:  # what python-docx will unpack counts in the budget
                    self.archive.charge(inner, rich)
                try:
                    found = _SourceText(docx_text(raw), "docx", None)
                    self.warnings.add("qual.warn.text_from_docx", label)
                except Exception:  # python-docx raises many kinds on damaged files
                    self.warnings.add("qual.warn.docx_unreadable", label)
        if found is None:
            if not (plain or rich or inline is not None):
                self.warnings.add("qual.warn.no_text", label)
            found = _SourceText("", None, None)
        return found

    def _note_decoding(self, decoded: DecodedText, label: str) -> None:
        if decoded.bom:
            self.warnings.add("qual.warn.bom", label)
        if decoded.guessed or decoded.encoding != "utf-8":
            self.warnings.add("qual.warn.encoding", f"{label} ({decoded.encoding})")
        if decoded.crlf.size or decoded.lone_cr:
            self.warnings.add("qual.warn.crlf", label, moved=0)

    def _read_selections(self, text_el: Element, source_id: str, found: _SourceText,
                         label: str, source_el: Element) -> None:
        elements, starts, ends = [], [], []
        for sel in _children(text_el, "PlainTextSelection"):
            start, end = _position(sel.get("startPosition")), _position(sel.get("endPosition"))
            if start is None or end is None:
                self.warnings.add("qual.warn.bad_position", sel.get("guid") or label)
                continue
            if start > end:
                self.warnings.add("qual.warn.reversed_selection", sel.get("guid") or label)
                continue
            elements.append(sel)
            starts.append(start)
            ends.append(end)
        if not elements:
            return
        start_arr, end_arr = self._settle_offsets(
            np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64),
            [sel.get("name") for sel in elements], found, label, source_id)
        text = found.text
        for sel, start, end in zip(elements, start_arr.tolist(), end_arr.tolist(), strict=True):
            selection_id = self.ids.of(sel)
            self._count_selected(end - start)
            self.selections.append({"selection_id": selection_id, "source_id": source_id,
                                    "start": start, "end": end, "text": text[start:end]})
            for coding in _children(sel, "Coding"):
                self._add_coding(coding, selection_id, sel, source_el)

    def _count_selected(self, n: int) -> None:
        """Selected text is copied per selection: bound its total (overlaps can multiply it)."""
        self.selected_chars += n
        limit = min(MAX_SELECTED_CHARS,
                    max(SELECTED_FLOOR_CHARS, SELECTED_PER_TEXT * self.text_chars))
        if self.selected_chars > limit:
            raise DataError.from_catalogue("qual.error.selected_too_large", where=self.where,
                                           limit=limit)

    def _read_whole_source_codings(self, element: Element, source_id: str, text: str) -> None:
        codings = _children(element, "Coding")
        if not codings:
            return
        self._count_selected(len(text))
        self.selections.append({"selection_id": source_id, "source_id": source_id,
                                "start": 0, "end": len(text), "text": text})
        for coding in codings:
            self._add_coding(coding, source_id, element)

    def _add_coding(self, coding: Element, selection_id: str, *owners: Element) -> None:
        ref = _child(coding, "CodeRef")
        code_id = _gid(ref.get("targetGUID")) if ref is not None else None
        self.codings.append({"coding_id": self.ids.of(coding), "selection_id": selection_id,
                             "code_id": code_id, "coder": self._coder(coding, *owners)})

    def _settle_offsets(self, starts: np.ndarray, ends: np.ndarray, names: list[str | None],
                        found: _SourceText, label: str, source_id: str
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Choose the offset convention the evidence supports, then clip to the text."""
        text, decoded = found.text, found.decoded
        stored_crlf = (crlf_newlines(decoded.crlf) if decoded is not None
                       else np.empty(0, dtype=np.int64))
        non_bmp = non_bmp_positions(text)
        options = _offsets.candidates(
            prior=self.prior, origin=found.origin, has_crlf=stored_crlf.size > 0,
            has_bom=decoded is not None and decoded.bom, has_non_bmp=non_bmp.size > 0,
            has_newline="\n" in text, unit=self.unit)
        choice = _offsets.choose(starts, ends, names, text, options=options,
                                 stored_crlf=stored_crlf, non_bmp=non_bmp)
        counting = choice.counting
        self.offsets[source_id] = counting.name
        self._note_counting(counting, choice, label, starts, ends, stored_crlf,
                            bool(non_bmp.size))
        s, e = choice.starts, choice.ends
        n = len(text)
        outside = (s < 0) | (e > n)
        if outside.any():
            self.warnings.add("qual.warn.offset_range", label, n_outside=int(outside.sum()))
        s = np.clip(s, 0, n)
        e = np.clip(np.maximum(e, s), 0, n)
        return s, e

    def _note_counting(self, counting: Counting, choice: _offsets.Choice, label: str,
                       starts: np.ndarray, ends: np.ndarray, stored_crlf: np.ndarray,
                       has_non_bmp: bool) -> None:
        """The warnings that say how a source's offsets were read."""
        if counting.unit == "utf16" and has_non_bmp:
            self.warnings.add("qual.warn.utf16_offsets", label)
        tool = self.origin or ("NVivo" if self.prior.unit == "utf16" else None)
        if tool and has_non_bmp and choice.overruled and counting.unit != self.prior.unit:
            self.warnings.add("qual.warn.offsets_tool", f"{label} ({counting.unit})",
                              origin=tool, expected=self.prior.unit)
        if counting.line_ends == "lf":
            self.warnings.add("qual.warn.crlf_kept", label)
        elif counting.line_ends == "crlf":
            self.warnings.add("qual.warn.crlf_counted", label)
        elif stored_crlf.size:
            # the moves that the stored line ends alone make
            extra = stored_crlf + np.arange(1, stored_crlf.size + 1)
            moved = np.count_nonzero(np.searchsorted(extra, starts, side="right"))
            moved += np.count_nonzero(np.searchsorted(extra, ends, side="right"))
            self.warnings.bump("qual.warn.crlf", moved=int(moved))
        if counting.bom:
            self.warnings.add("qual.warn.bom_counted", label)
        if choice.n_checked and choice.n_matched < choice.n_checked:
            self.warnings.add("qual.warn.offset_mismatch", label, n_checked=choice.n_checked,
                              n_bad=choice.n_checked - choice.n_matched)

    def _finish_codings(self, code_ids: set[str]) -> pd.DataFrame:
        kept = []
        for row in self.codings:
            if row["code_id"] is None:
                self.warnings.add("qual.warn.no_code_ref", row["coding_id"])
            elif row["code_id"] not in code_ids:
                self.warnings.add("qual.warn.unknown_code", row["code_id"])
            else:
                kept.append(row)
        return _frames.frame_from_records(kept, CODING_COLUMNS)

    def _variable_value(self, element: Element, variables: dict[str, str]
                        ) -> tuple[str, str | None]:
        ref = _child(element, "VariableRef")
        var_id = _gid(ref.get("targetGUID")) if ref is not None else None
        if var_id not in variables:
            self.warnings.add("qual.warn.unknown_variable", var_id or "")
        name = variables.get(var_id, var_id or "")
        for tag in _VALUE_TAGS:
            value = _child(element, tag)
            if value is not None:
                return name, (value.text or "").strip()
        return name, None

    def _read_cases(self, cases_el: Element | None, variables: dict[str, str]):
        cases, values, sources, selections = [], [], [], []
        for case in _children(cases_el, "Case"):
            case_id = self.ids.of(case)
            cases.append({"case_id": case_id, "name": case.get("name"),
                          "description": _text(_child(case, "Description"))})
            for value in _children(case, "VariableValue"):
                var, val = self._variable_value(value, variables)
                values.append({"case_id": case_id, "variable": var, "value": val})
            for ref in _children(case, "SourceRef"):
                sources.append({"case_id": case_id, "source_id": _gid(ref.get("targetGUID"))})
            for ref in _children(case, "SelectionRef"):
                selections.append({"case_id": case_id,
                                   "selection_id": _gid(ref.get("targetGUID"))})
        return (_frames.frame_from_records(cases, CASE_COLUMNS),
                _frames.frame_from_records(values, CASE_VARIABLE_COLUMNS),
                _frames.frame_from_records(sources, CASE_SOURCE_COLUMNS),
                _frames.frame_from_records(selections, CASE_SELECTION_COLUMNS))

    def _check_case_links(self, sources: pd.DataFrame, case_sources: pd.DataFrame) -> None:
        known = set(sources["source_id"])
        for source_id in case_sources["source_id"]:
            if source_id not in known:
                self.warnings.add("qual.warn.unknown_source_ref", str(source_id))
        several = case_sources["source_id"].value_counts()
        names = dict(zip(sources["source_id"], sources["document"], strict=True))
        for source_id in several[several > 1].index:
            self.warnings.add("qual.warn.several_cases", str(names.get(source_id, source_id)))

    def _read_notes(self, root: Element) -> pd.DataFrame:
        targets: dict[str, list[str | None]] = defaultdict(list)
        for parent in root.iter():
            for child in parent:
                if child.tag == "NoteRef":
                    owner = None if parent is root else _gid(parent.get("guid"))
                    targets[_gid(child.get("targetGUID")) or ""].append(owner)
        rows = []
        for note in _children(_child(root, "Notes"), "Note"):
            note_id = self.ids.of(note)
            name = note.get("name")
            text = self._source_text(note, name or note_id).text
            for target in targets.get(note_id) or [None]:
                rows.append({"note_id": note_id, "name": name, "text": text,
                             "target_id": target})
        return _frames.frame_from_records(rows, NOTE_COLUMNS)
