"""Safe reading of untrusted archives and XML: zip bombs, path traversal, entity expansion.

A ``.qdpx`` file comes from another tool or another person. Its members are checked (names,
duplicates, encryption, declared sizes and compression ratios) before anything is decompressed;
members are then decompressed as a stream, in memory, and reading stops at the per-member, total
and ratio limits whatever the headers declare. XML is parsed by defusedxml with DTDs, entities
and external references refused, after its elements have been counted.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from evalkit.errors import DataError
from evalkit.read.qda._messages import catalogue_error

#: Largest number of bytes decompressed in one read of an archive (all members read together).
MAX_TOTAL_BYTES = 2 * 1024**3
#: Largest uncompressed size of one member that evalkit reads (bytes).
MAX_MEMBER_BYTES = 512 * 1024**2
#: Largest number of members of an archive.
MAX_MEMBERS = 100_000
#: Largest compression ratio (bytes out ÷ bytes in), per member and for the whole archive; text
#: compresses about 3 to 20 times, zip bombs a thousand times.
MAX_RATIO = 200
#: Below this many bytes out, ratios are not checked (a short run of spaces compresses very
#: well and is harmless): one read never yields more than ``max(RATIO_FLOOR_BYTES,
#: MAX_RATIO × size of the file)`` bytes.
RATIO_FLOOR_BYTES = 1024**2
#: Largest number of XML elements parsed: a project of some 330,000 codings. Reading takes
#: about 1 KiB of memory per element (the tree, then the frames built from it).
MAX_XML_ELEMENTS = 1_000_000

_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 1024**2
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


@dataclass(frozen=True)
class Member:
    """A member of a checked archive: its name, declared sizes and compression method."""

    name: str
    size: int
    compressed: int
    method: int = zipfile.ZIP_DEFLATED


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


class CheckedArchive:
    """A zip archive whose members were checked; members are read through one byte budget.

    Use as a context manager; :attr:`members` lists the files (not folders) of the archive.
    """

    def __init__(self, archive: zipfile.ZipFile, members: list[Member], where: str,
                 size: int) -> None:
        self._archive = archive
        self.members = members
        self.where = where
        self.size = size
        self.read_bytes = 0
        self.outside_bytes = 0

    def __enter__(self) -> CheckedArchive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    @property
    def budget(self) -> int:
        """How many bytes one read of this archive may decompress in all."""
        return min(MAX_TOTAL_BYTES, max(RATIO_FLOOR_BYTES, MAX_RATIO * self.size))

    def charge(self, n: int, member: str, *, compressed: bool = True) -> None:
        """Count ``n`` more bytes against the limits: decompressed from the archive
        (``compressed``), or read from a file beside it (only the total limit applies)."""
        if compressed:
            self.read_bytes += n
        else:
            self.outside_bytes += n
        if self.read_bytes + self.outside_bytes > MAX_TOTAL_BYTES:
            raise DataError.from_catalogue("qual.error.zip_too_large", where=self.where,
                                           limit=mebibytes(MAX_TOTAL_BYTES))
        if self.read_bytes > self.budget:
            raise DataError.from_catalogue(
                "qual.error.zip_ratio_total", where=self.where, member=member,
                size=mebibytes(self.read_bytes), file=_kibibytes(self.size), limit=MAX_RATIO)

    def read(self, member: Member, limit: int | None = None) -> bytes:
        """The bytes of ``member``, decompressed as a stream with hard caps.

        Reading stops as soon as the member passes ``limit`` (default
        :data:`MAX_MEMBER_BYTES`) or its compression ratio passes :data:`MAX_RATIO`, or the
        archive's budget is spent, whatever sizes the member's headers declare.
        """
        limit = MAX_MEMBER_BYTES if limit is None else limit
        where = self.where
        if member.method not in _METHODS:
            raise DataError.from_catalogue("qual.error.zip_method", where=where,
                                           member=member.name, method=member.method)
        if member.size > limit:
            raise DataError.from_catalogue("qual.error.member_too_large", where=where,
                                           member=member.name, size=mebibytes(member.size),
                                           limit=mebibytes(limit))
        cap = min(limit, member.size)
        compressed = max(1, min(member.compressed, self.size))
        out = io.BytesIO()
        read = 0
        try:
            with self._archive.open(member.name) as stream:
                while True:
                    chunk = stream.read(min(_CHUNK, cap + 1 - read))
                    if not chunk:
                        break
                    read += len(chunk)
                    if read > cap:
                        raise DataError.from_catalogue(
                            "qual.error.member_too_large", where=where, member=member.name,
                            size=mebibytes(read), limit=mebibytes(cap))
                    if read > RATIO_FLOOR_BYTES and read / compressed > MAX_RATIO:
                        raise DataError.from_catalogue(
                            "qual.error.zip_ratio", where=where, member=member.name,
                            ratio=f"{read / compressed:.0f}", limit=MAX_RATIO)
                    self.charge(len(chunk), member.name)
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
                ValueError, RuntimeError) as error:
            # zipfile lets zlib.error through on damaged compressed data
            raise DataError.from_catalogue("qual.error.bad_member", where=where,
                                           member=member.name, reason=str(error)) from None
        return out.getvalue()


def open_checked_zip(path: Path | BinaryIO, where: str | None = None) -> CheckedArchive:
    """Open ``path`` (a file or a binary stream) as a zip archive after checking every member.

    Nothing is decompressed before all member names, sizes and ratios have been checked.

    Raises
    ------
    DataError
        An empty file, not a zip archive, too many members, a member name that is unsafe or
        repeated, an encrypted member, or declared sizes beyond the ratio limits.
    """
    where = where or str(path)
    size = _size_of(path)
    if size == 0:
        raise DataError.from_catalogue("qual.error.empty_file", where=where)
    if not zipfile.is_zipfile(path):
        raise DataError.from_catalogue("qual.error.not_zip", where=where)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise DataError.from_catalogue("qual.error.bad_zip", where=where,
                                       reason=str(error)) from None
    try:
        members = _check_members(archive, where, size)
    except BaseException:
        archive.close()
        raise
    return CheckedArchive(archive, members, where, size)


def inner_archive_size(data: bytes, where: str) -> int | None:
    """How many bytes a zip archive held in ``data`` (a Word document) declares it unpacks to.

    The archive gets the checks of :func:`open_checked_zip`, and any member that is neither
    stored nor deflated is refused: the library that reads it next (python-docx, through
    zipfile) stops at the declared sizes but would inflate other methods without a bound.
    None when ``data`` is not a readable zip archive (the reader then reports it unreadable).
    """
    stream = io.BytesIO(data)
    if not data or not zipfile.is_zipfile(stream):
        return None
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    with archive:
        members = _check_members(archive, where, len(data))
    for member in members:
        if member.method not in _METHODS:
            raise DataError.from_catalogue("qual.error.zip_method", where=where,
                                           member=member.name, method=member.method)
    return sum(member.size for member in members)


def _size_of(path: Path | BinaryIO) -> int:
    if isinstance(path, str | Path):
        return Path(path).stat().st_size
    position = path.tell()
    end = path.seek(0, io.SEEK_END)
    path.seek(position)
    return end


def _check_members(archive: zipfile.ZipFile, where: str, size: int) -> list[Member]:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise DataError.from_catalogue("qual.error.zip_members", where=where, n=len(infos),
                                       limit=MAX_MEMBERS)
    members: list[Member] = []
    seen: set[str] = set()
    declared = 0
    for info in infos:
        reason = unsafe_member_reason(info.filename)
        if reason:
            raise catalogue_error(DataError, "qual.error.zip_traversal", where=where,
                                  member=repr(info.filename), nested={"reason": reason})
        if info.filename in seen:
            raise DataError.from_catalogue("qual.error.zip_duplicate", where=where,
                                           member=info.filename)
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise DataError.from_catalogue("qual.error.zip_encrypted", where=where,
                                           member=info.filename)
        ratio = info.file_size / max(min(info.compress_size, size), 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise DataError.from_catalogue("qual.error.zip_ratio", where=where,
                                           member=info.filename, ratio=f"{ratio:.0f}",
                                           limit=MAX_RATIO)
        declared += info.file_size
        if not info.is_dir():
            members.append(Member(info.filename, info.file_size, info.compress_size,
                                  info.compress_type))
    # Many members, each under the floor, can still unpack to far more than the file holds.
    if declared > max(RATIO_FLOOR_BYTES, MAX_RATIO * size):
        raise DataError.from_catalogue(
            "qual.error.zip_ratio_total", where=where, member=f"{len(infos)} members",
            size=mebibytes(declared), file=_kibibytes(size), limit=MAX_RATIO)
    return members


def mebibytes(size: int) -> int:
    """A size in bytes as whole mebibytes, rounded up (for messages)."""
    return -(-size // 1024**2)


def _kibibytes(size: int) -> int:
    return -(-size // 1024)


def count_elements(data: bytes) -> int:
    """An upper bound on the number of XML elements in ``data`` (start and empty-element tags).

    In well-formed XML a ``<`` opens a tag, a comment, a CDATA section or a processing
    instruction; ``<`` inside comments and CDATA sections only make the bound larger.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.count(b"<") - data.count(b"</") - data.count(b"<?") - data.count(b"<!")


def parse_xml(data: bytes, where: str) -> Element:
    """Parse untrusted XML: no DTD, no entity declarations, no external references.

    Raises
    ------
    DataError
        The XML is not well formed (the message gives the line and column), declares a DTD
        or entities (refused for safety), or has more than :data:`MAX_XML_ELEMENTS` elements.
    """
    n = count_elements(data)
    if n > MAX_XML_ELEMENTS:
        raise DataError.from_catalogue("qual.error.xml_elements", where=where,
                                       n=n, limit=MAX_XML_ELEMENTS)
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
    except (LookupError, UnicodeError) as error:  # an encoding Python does not know
        raise DataError.from_catalogue("qual.error.xml_syntax", where=f"{where}, line 1",
                                       line=1, column=0, reason=str(error)) from None


def refuse_unsafe_xml(data: bytes, where: str) -> None:
    """Raise :class:`DataError` if the XML declares a DTD, entities or external references.

    Syntax errors are not reported here (a validator reports them as problems).
    """
    n = count_elements(data)
    if n > MAX_XML_ELEMENTS:
        raise DataError.from_catalogue("qual.error.xml_elements", where=where, n=n,
                                       limit=MAX_XML_ELEMENTS)
    try:
        DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise DataError.from_catalogue("qual.error.xml_unsafe", where=where,
                                       reason=type(error).__name__) from None
    except (ParseError, LookupError, UnicodeError):
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
