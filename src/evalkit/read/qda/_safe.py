"""Safe reading of untrusted archives and XML: zip bombs, path traversal, entity expansion.

A ``.qdpx`` file comes from another tool or another person: its members are checked (names,
sizes, compression ratios) before anything is decompressed, members are read into memory with
a hard cap, and XML is parsed by defusedxml with DTDs, entities and external references refused.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from evalkit.errors import DataError
from evalkit.read.qda._messages import catalogue_error

#: Largest total uncompressed size of an archive's members (bytes).
MAX_TOTAL_BYTES = 2 * 1024**3
#: Largest uncompressed size of one member that evalkit reads (bytes).
MAX_MEMBER_BYTES = 512 * 1024**2
#: Largest number of members of an archive.
MAX_MEMBERS = 100_000
#: Largest compression ratio (uncompressed ÷ compressed) of a member above
#: :data:`RATIO_FLOOR_BYTES`; text compresses about 3 to 20 times, zip bombs a thousand times.
MAX_RATIO = 200
#: Members smaller than this are not checked for their ratio (a short run of spaces
#: compresses very well and is harmless).
RATIO_FLOOR_BYTES = 1024**2

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Member:
    """A member of a checked archive: its name and declared sizes."""

    name: str
    size: int
    compressed: int


def unsafe_member_reason(name: str) -> str | None:
    """Why a member name is unsafe to extract, as a catalogue key, or None when it is safe.

    Unsafe: an absolute path, a drive letter, a ``..`` component (backslashes count as
    separators, as Windows tools write them), or a NUL character.
    """
    if "\x00" in name:
        return "qual.reason.nul"
    normal = name.replace("\\", "/")
    if normal.startswith("/"):
        return "qual.reason.absolute"
    if _DRIVE.match(normal):
        return "qual.reason.drive"
    if any(part == ".." for part in PurePosixPath(normal).parts):
        return "qual.reason.parent"
    return None


def open_checked_zip(path: Path | BinaryIO, where: str | None = None
                     ) -> tuple[zipfile.ZipFile, list[Member]]:
    """Open ``path`` (a file or a binary stream) as a zip archive after checking every member.

    Nothing is decompressed before all member names, sizes and ratios have been checked.

    Raises
    ------
    DataError
        Not a zip archive, too many members, an unsafe member name, a total size or a
        compression ratio beyond the limits.
    """
    where = where or str(path)
    if not zipfile.is_zipfile(path):
        raise DataError.from_catalogue("qual.error.not_zip", where=where)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise DataError.from_catalogue("qual.error.bad_zip", where=where,
                                       reason=str(error)) from None
    try:
        members = _check_members(archive, where)
    except BaseException:
        archive.close()
        raise
    return archive, members


def _check_members(archive: zipfile.ZipFile, where: str) -> list[Member]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise DataError.from_catalogue("qual.error.zip_members", where=where, n=len(infos),
                                       limit=MAX_MEMBERS)
    members: list[Member] = []
    total = 0
    for info in infos:
        reason = unsafe_member_reason(info.filename)
        if reason:
            raise catalogue_error(DataError, "qual.error.zip_traversal", where=where,
                                  member=repr(info.filename), nested={"reason": reason})
        if info.flag_bits & 0x1:
            raise DataError.from_catalogue("qual.error.zip_encrypted", where=where,
                                           member=info.filename)
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise DataError.from_catalogue("qual.error.zip_too_large", where=where,
                                           limit=mebibytes(MAX_TOTAL_BYTES))
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise DataError.from_catalogue("qual.error.zip_ratio", where=where,
                                           member=info.filename, ratio=f"{ratio:.0f}",
                                           limit=MAX_RATIO)
        if not info.is_dir():
            members.append(Member(info.filename, info.file_size, info.compress_size))
    return members


def mebibytes(size: int) -> int:
    """A size in bytes as whole mebibytes, rounded up (for messages)."""
    return -(-size // 1024**2)


def read_member(archive: zipfile.ZipFile, member: Member, where: str,
                limit: int | None = None) -> bytes:
    """The bytes of ``member``, read in memory with a hard cap (a lying header cannot pass it).

    ``limit`` defaults to :data:`MAX_MEMBER_BYTES`.
    """
    limit = MAX_MEMBER_BYTES if limit is None else limit
    cap = min(limit, member.size)
    if member.size > limit:
        raise DataError.from_catalogue("qual.error.member_too_large", where=where,
                                       member=member.name, size=mebibytes(member.size),
                                       limit=mebibytes(limit))
    chunks = []
    read = 0
    try:
        with archive.open(member.name) as stream:
            while True:
                chunk = stream.read(min(1024**2, cap + 1 - read))
                if not chunk:
                    break
                read += len(chunk)
                if read > cap:
                    raise DataError.from_catalogue("qual.error.member_too_large", where=where,
                                                   member=member.name, size=mebibytes(read),
                                                   limit=mebibytes(cap))
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise DataError.from_catalogue("qual.error.bad_member", where=where,
                                       member=member.name, reason=str(error)) from None
    return b"".join(chunks)


def parse_xml(data: bytes, where: str) -> Element:
    """Parse untrusted XML: no DTD, no entity declarations, no external references.

    Raises
    ------
    DataError
        The XML is not well formed (the message gives the line and column) or declares a
        DTD or entities (refused for safety).
    """
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    except DefusedXmlException as error:
        raise DataError.from_catalogue("qual.error.xml_unsafe", where=where,
                                       reason=type(error).__name__) from None
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise DataError.from_catalogue("qual.error.xml_syntax", where=f"{where}, line {line}",
                                       line=line, column=column,
                                       reason=str(error).split(":")[0]) from None


def refuse_unsafe_xml(data: bytes, where: str) -> None:
    """Raise :class:`DataError` if the XML declares a DTD, entities or external references.

    Syntax errors are not reported here (a validator reports them as problems).
    """
    try:
        DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise DataError.from_catalogue("qual.error.xml_unsafe", where=where,
                                       reason=type(error).__name__) from None
    except ParseError:
        pass


def local_name(tag: object) -> str:
    """The tag without its ``{namespace}``."""
    text = str(tag)
    return text.rsplit("}", 1)[-1] if text.startswith("{") else text


def namespace_of(tag: object) -> str | None:
    """The ``{namespace}`` of a tag, or None."""
    text = str(tag)
    return text[1:].split("}", 1)[0] if text.startswith("{") else None


def strip_namespaces(root: Element) -> None:
    """Replace every tag by its local name, in place (the reader then matches plain names)."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = local_name(element.tag)
