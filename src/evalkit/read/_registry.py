"""The registry of file readers: each format has a name, extensions, a sniffer, a read function
and the kinds of source it holds.

A study's sources have a kind (``survey``, ``population``, ``partners``: tables; ``interviews``:
coded interviews). :func:`detect_format` chooses a reader among the formats of a kind, from the
file's extension, then from what its first bytes look like; :func:`register_reader` adds a
format (the built-in ones are registered the same way), and ``study.yaml`` accepts every
registered format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from evalkit._files import read_bytes
from evalkit.errors import ArgumentError, DataError
from evalkit.read._core import HEAD_BYTES, ReadOptions, ReadResult, SourceFile

__all__ = ["SOURCE_KINDS", "TABLE_KINDS", "ReaderSpec", "detect_format", "get_reader",
           "register_reader", "registered_formats"]

#: The kinds of source a study has, in the order ``study.yaml`` lists them.
SOURCE_KINDS: tuple[str, ...] = ("survey", "interviews", "population", "partners")
#: The kinds held in tables (one row per record): what a table format reads by default.
TABLE_KINDS: tuple[str, ...] = ("survey", "population", "partners")

Sniffer = Callable[[bytes], bool]
ReadFunction = Callable[[SourceFile, ReadOptions], ReadResult]

#: Extensions evalkit knows but does not read, with the catalogue key of the advice to give.
_UNSUPPORTED: dict[str, str] = {
    ".xls": "io.unsupported_xls.hint",
    ".ods": "io.unsupported_ods.hint",
    ".numbers": "io.unsupported_ods.hint",
}


def _resolve(target: Any) -> Any:
    """A callable, or a ``'package.module:function'`` string imported on first use."""
    if callable(target) or target is None:
        return target
    module, _, name = str(target).partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class ReaderSpec:
    """One registered format.

    Attributes
    ----------
    name : str
        The format's name, as ``format:`` declares it (``'csv'``, ``'xlsx'``...).
    extensions : tuple of str
        File extensions in lower case with their dot (``'.csv'``).
    sniff : callable, str or None
        ``sniff(head: bytes) -> bool``: whether the first bytes of a file are of this format.
        ``None`` for a generic format chosen from its extension alone (plain CSV).
    read : callable or str
        ``read(file: SourceFile, options: ReadOptions) -> ReadResult``.
    kinds : tuple of str
        The kinds of source the format holds (:data:`SOURCE_KINDS`).
    """

    name: str
    extensions: tuple[str, ...]
    sniff: Sniffer | str | None
    read: ReadFunction | str
    kinds: tuple[str, ...] = TABLE_KINDS

    def sniffs(self, head: bytes) -> bool:
        """Whether this format's sniffer recognises ``head`` (False without a sniffer)."""
        sniffer = _resolve(self.sniff)
        return bool(sniffer(head)) if sniffer is not None else False

    def reader(self) -> ReadFunction:
        """The read function (imported now if it was registered as a string)."""
        return _resolve(self.read)


_READERS: dict[str, ReaderSpec] = {}


def _check_target(value: Any, param: str, *, optional: bool) -> Any:
    ok = callable(value) or (isinstance(value, str) and ":" in value) or (optional and value is None)
    if not ok:
        allowed = "a function, 'module:function'" + (" or None" if optional else "")
        raise ArgumentError(f"{param} must be {allowed}, got {value!r}", where=param)
    return value


def _check_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in kinds if k not in SOURCE_KINDS]
    if not kinds or unknown:
        raise ArgumentError(f"kinds must list kinds of source among {', '.join(SOURCE_KINDS)}, "
                            f"got {kinds!r}", where="kinds")
    return kinds


def register_reader(name: str, *, extensions: Iterable[str], sniff: Sniffer | str | None,
                    read: ReadFunction | str, kinds: Iterable[str] = TABLE_KINDS,
                    replace: bool = False) -> ReaderSpec:
    """Add a file format to the registry that :func:`read_source` consults.

    Parameters
    ----------
    name : str
        The format's name (what ``format=`` declares), e.g. ``'qdpx'``.
    extensions : iterable of str
        File extensions the format claims (``'.qdpx'``; case and the leading dot do not matter).
    sniff : callable, str or None
        ``sniff(head: bytes) -> bool`` says whether the first 64 KiB of a file are of this format.
        Formats sharing an extension are told apart by their sniffers (a Qualtrics export is a
        ``.csv`` whose third row holds ``{"ImportId": ...}``); ``None`` marks the generic format
        of its extensions, used when no sniffer recognises the file.
    read : callable or str
        ``read(file: SourceFile, options: ReadOptions) -> ReadResult``. Either may be given as a
        ``'package.module:function'`` string, imported on first use (keeps ``import evalkit``
        light and avoids import cycles).
    kinds : iterable of str, default ("survey", "population", "partners")
        The kinds of source the format holds. A table format's reader returns one row per
        record; an ``interviews`` format's reader returns the segments frame as ``data`` and
        the documents frame as ``documents`` (see :mod:`evalkit.read.qda.frames`).
    replace : bool, default False
        Allow replacing a format already registered under ``name``.

    Returns
    -------
    ReaderSpec
        The registered format.

    Examples
    --------
    >>> spec = register_reader("demo-notes", extensions=[".notes"], sniff=None,
    ...                        read="evalkit.read._delimited:read_csv")
    >>> spec.extensions
    ('.notes',)
    >>> detect_format("interviews.notes", head=b"")
    'demo-notes'
    >>> "demo-notes" in registered_formats("survey")
    True
    >>> unregister_reader("demo-notes")
    """
    if not isinstance(name, str) or not name.strip():
        raise ArgumentError(f"name must be a non-empty string, got {name!r}", where="name")
    if name in _READERS and not replace:
        raise ArgumentError(f"a reader named {name!r} is already registered; "
                            "pass replace=True to replace it", where="name")
    if isinstance(extensions, str):
        extensions = [extensions]
    exts = tuple(dict.fromkeys("." + str(e).lower().lstrip(".") for e in extensions))
    if not exts or any(e == "." for e in exts):
        raise ArgumentError(f"extensions must list at least one extension such as '.csv', got "
                            f"{extensions!r}", where="extensions")
    spec = ReaderSpec(name=name, extensions=exts,
                      sniff=_check_target(sniff, "sniff", optional=True),
                      read=_check_target(read, "read", optional=False),
                      kinds=_check_kinds(kinds))
    _READERS[name] = spec
    return spec


def unregister_reader(name: str) -> None:
    """Remove format ``name`` from the registry (mainly for tests and plug-in authors)."""
    _READERS.pop(name, None)


def registered_formats(kind: str | None = None) -> tuple[str, ...]:
    """The names of the registered formats (those holding sources of ``kind``, when given), in
    registration order."""
    return tuple(name for name, spec in _READERS.items() if kind is None or kind in spec.kinds)


def get_reader(name: str, *, kind: str | None = None, where: str | None = None) -> ReaderSpec:
    """The registered format ``name`` (one that holds sources of ``kind``, when given).

    Raises :class:`~evalkit.errors.ArgumentError` when no such format is registered.
    """
    spec = _READERS.get(name) if isinstance(name, str) else None
    if spec is None or (kind is not None and kind not in spec.kinds):
        raise ArgumentError.from_catalogue(
            "io.unknown_format", where=where, format=repr(name),
            formats=", ".join(registered_formats(kind)))
    return spec


def _read_head(path: Path, display: str) -> bytes:

    return read_bytes(path, display, limit=HEAD_BYTES)


def detect_format(path: str | PathLike, *, head: bytes | None = None,
                  kind: str | None = "survey", display_path: str | None = None) -> str:
    """The name of the format a file is in, from its extension and then its first bytes.

    Parameters
    ----------
    path : str or path-like
        The file.
    head : bytes, optional
        The file's first bytes, when already read (otherwise the first 64 KiB are read).
    kind : str or None, default 'survey'
        Choose among the formats that hold this kind of source (``'interviews'``: a ``.csv``
        is a coded-segment sheet, not a survey); None: among every format.
    display_path : str, optional
        How messages name the file (default: ``path`` as given).

    Returns
    -------
    str
        A registered format name.

    Raises
    ------
    DataError
        When neither the extension nor the content says what the file is.

    Notes
    -----
    The formats that claim the file's extension are asked first, then the others: the first
    whose sniffer recognises the content wins (a ``.csv`` with Qualtrics header rows is
    ``'qualtrics'``, a workbook renamed ``.csv`` is ``'xlsx'``). When no sniffer recognises it,
    the generic format of the extension (one registered without a sniffer, such as ``'csv'``)
    is used, or else the first format claiming the extension, whose reader then says what is
    wrong with the file.

    Examples
    --------
    >>> detect_format("survey_w1.csv", head=b"id;site\\n1;A\\n")
    'csv'
    >>> detect_format("survey_w1.sav", head=b"$FL2@(#) IBM SPSS STATISTICS")
    'sav'
    """
    path = Path(path)
    display = display_path or str(path)
    if head is None:
        head = _read_head(path, display)
    ext = path.suffix.lower()
    readers = [spec for spec in _READERS.values() if kind is None or kind in spec.kinds]
    candidates = [spec for spec in readers if ext in spec.extensions]
    others = [spec for spec in readers if spec not in candidates]
    for spec in candidates + others:
        if spec.sniff is not None and spec.sniffs(head):
            return spec.name
    generic = [spec for spec in candidates if spec.sniff is None]
    if generic:
        return generic[0].name
    if candidates:
        # The extension is known but the content does not look like it: let that reader say
        # what is wrong (a truncated workbook, for instance).
        return candidates[0].name
    formats = ", ".join(registered_formats(kind))
    if ext in _UNSUPPORTED:
        raise DataError.from_catalogue("io.unsupported_extension", where=display,
                                       hint=_UNSUPPORTED[ext], extension=ext, formats=formats)
    raise DataError.from_catalogue("io.unknown_extension", where=display,
                                   extension=ext or "(none)", formats=formats)
