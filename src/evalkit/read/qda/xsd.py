"""Validate a REFI-QDA ``project.qde`` against the standard's XML Schema (QDA-XML 1.0).

The schema ships with evalkit (``evalkit/read/qda/schema/``, MIT licence); validation uses lxml and
never touches the network.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from evalkit.errors import ArgumentError, DataError
from evalkit.read.qda._safe import open_checked_zip, refuse_unsafe_xml

__all__ = ["SchemaProblem", "validate_qde"]

SCHEMA_FILE = "Project-mrt2019.xsd"


@dataclass(frozen=True)
class SchemaProblem:
    """One way a ``project.qde`` breaks the schema: where, and what (libxml2's message)."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@cache
def _schema():
    from lxml import etree

    data = resources.files("evalkit.read.qda").joinpath("schema", SCHEMA_FILE).read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(data, parser))


def validate_qde(path_or_bytes: str | Path | bytes) -> list[SchemaProblem]:
    """Check a ``project.qde`` against the REFI-QDA project schema (QDA-XML 1.0, 2019).

    Parameters
    ----------
    path_or_bytes : str, Path or bytes
        A ``.qdpx`` archive or a ``.qde`` file, or their bytes.

    Returns
    -------
    list of SchemaProblem
        Empty when the file is valid; otherwise one problem per schema violation or XML
        syntax error, with its line and column.

    Raises
    ------
    DataError
        The file is missing, an unsafe or damaged archive without ``project.qde``, or XML
        that declares a DTD or entities (refused for safety).

    Examples
    --------
    >>> validate_qde(b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>')
    []
    >>> [p.line for p in validate_qde(b'<Project xmlns="urn:QDA-XML:project:1.0"/>')]
    [1]
    """
    data, where = _qde_bytes(path_or_bytes)
    from lxml import etree

    refuse_unsafe_xml(data, where)  # DTDs and entities are refused before lxml sees them
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        document = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line, column = error.position
        return [SchemaProblem(int(line), int(column), error.msg)]
    schema = _schema()
    if schema.validate(document):
        return []
    return [SchemaProblem(e.line, e.column, e.message) for e in schema.error_log]


def _qde_bytes(source: str | Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        if data.startswith(b"PK"):
            return _from_archive(io.BytesIO(data), "project.qdpx")
        return data, "project.qde"
    if not isinstance(source, str | Path):
        raise ArgumentError(
            f"path_or_bytes must be a path or bytes, got {type(source).__name__}",
            where="path_or_bytes")
    path = Path(source)
    if not path.is_file():
        raise DataError.from_catalogue("qual.error.not_found", where=str(path))
    with path.open("rb") as stream:
        is_zip = stream.read(2) == b"PK"
    if is_zip:
        return _from_archive(path, str(path))
    return path.read_bytes(), str(path)


def _from_archive(path: Path | io.BytesIO, where: str) -> tuple[bytes, str]:
    with open_checked_zip(path, where) as archive:
        members = archive.members
        by_name = {m.name.lower(): m for m in members}
        member = by_name.get("project.qde") or next(
            (m for m in members if m.name.lower().endswith(".qde")), None)
        if member is None:
            shown = ", ".join(sorted(m.name for m in members)[:8]) or "-"
            raise DataError.from_catalogue("qual.error.no_project", where=where, members=shown)
        return archive.read(member), f"{where}: {member.name}"
