"""The one entry point for reading a data file: :func:`read_source`."""

from __future__ import annotations

import codecs
from os import PathLike
from pathlib import Path
from typing import Any

from evalkit._files import read_bytes
from evalkit.errors import ArgumentError
from evalkit.read._core import ReadOptions, SourceData, SourceFile, finish
from evalkit.read._numbers import THOUSANDS
from evalkit.read._registry import SOURCE_KINDS, detect_format, get_reader

__all__ = ["read_source"]


def _bad_option(param: str, allowed: str, value: Any, display: str) -> ArgumentError:
    return ArgumentError.from_catalogue("io.bad_option", where=display, param=param,
                                        allowed=allowed, value=repr(value))


def _check_options(options: ReadOptions, display: str) -> ReadOptions:
    if options.encoding is not None:
        try:
            codecs.lookup(options.encoding)
        except (LookupError, TypeError):
            raise ArgumentError.from_catalogue("io.unknown_encoding", where=display,
                                               encoding=repr(options.encoding)) from None
    delimiter = options.delimiter
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or not delimiter.isascii() or delimiter in '"\r\n'):
        raise _bad_option("delimiter", "one ASCII character such as ',', ';', '|' or a tab",
                          delimiter, display)
    if options.decimal not in (None, ".", ","):
        raise _bad_option("decimal", "'.' or ','", options.decimal, display)
    if options.thousands not in THOUSANDS:
        allowed = ", ".join(repr(t) for t in THOUSANDS)
        raise _bad_option("thousands", allowed, options.thousands, display)
    if options.thousands is not None and options.thousands == options.decimal:
        raise _bad_option("thousands", "a character other than the decimal mark",
                          options.thousands, display)
    sheet = options.sheet
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, str | int)
                              or (isinstance(sheet, int) and sheet < 0)):
        raise _bad_option("sheet", "a sheet name or a position counted from 0", sheet, display)
    return options


def read_source(path: str | PathLike, *, kind: str = "survey", format: str | None = None,
                encoding: str | None = None, delimiter: str | None = None,
                decimal: str | None = None, thousands: str | None = None,
                sheet: str | int | None = None, site: str | None = None,
                group: str | None = None, external_sources: str | PathLike | None = None,
                display_path: str | None = None) -> SourceData:
    """Read a study's source file (a survey, population or partners table, or coded
    interviews) into a raw DataFrame, with its provenance.

    Parameters
    ----------
    path : str or path-like
        The file. It is opened read-only and never written.
    kind : {'survey', 'population', 'partners', 'interviews'}, default 'survey'
        The kind of source: the reader is chosen among the formats that hold it.
    format : str, optional
        One of the registered formats of that kind: ``'csv'``, ``'qualtrics'``, ``'xlsx'``,
        ``'sav'``, ``'dta'`` for tables, ``'qdpx'`` and ``'segments'`` for coded interviews
        (and any added with :func:`register_reader`). Detected when omitted.
    encoding : str, optional
        Text encoding (``'utf-8'``, ``'cp1252'``...). Detected when omitted.
    delimiter : str, optional
        Field delimiter of a text file. Detected among ``,``, ``;`` and tab when omitted.
    decimal : {'.', ','}, optional
        Decimal mark of numbers in a text file. Detected when omitted.
    thousands : str, optional
        Thousands separator of numbers in a text file. Detected when omitted.
    sheet : str or int, optional
        The worksheet of a workbook, by name or by position counted from 0. The first sheet
        when omitted (with a warning if there are several).
    site, group : str, optional
        Coded interviews: the case variables that hold each document's site and respondent
        group (default ``site`` and ``group``).
    external_sources : str or path-like, optional
        A REFI-QDA project: the folder of its ``relative://`` sources that are not in the
        archive. Without it, nothing outside the archive is read.
    display_path : str, optional
        How messages and the provenance name the file (a study gives the path relative to
        ``study.yaml``). Default: ``path`` as given.

    Returns
    -------
    SourceData
        ``data`` (columns as in the file; coded interviews: the segments frame),
        ``provenance``, ``lines`` (each row's line or row number in the file), ``documents``
        (coded interviews), ``value_labels``, ``missing_codes``, ``variable_labels``,
        ``warnings``, ``dropped_columns``, ``dropped_rows``.

    Raises
    ------
    DataError
        The file is missing, empty, unreadable, of an unknown kind, or cannot be parsed; the
        message names the file (and line) and says what to do.
    ArgumentError
        An option is not valid (unknown format or encoding, a two-character delimiter...).
    ConfigError
        The declared sheet does not exist.

    Notes
    -----
    Declared options always win over detection; ``provenance.detected`` says which settings
    were detected and which declared. Text files are read with every value as text (an empty
    cell is missing), so that validation sees exactly what the file says; convert numbers with
    :func:`parse_numbers` using ``provenance.decimal`` and ``provenance.thousands``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "w1.csv").write_bytes("id;site;note\\n1;Estrie;12,5\\n2;Montréal;9\\n"
    ...                                      .encode("cp1252"))
    >>> source = read_source(folder / "w1.csv", display_path="w1.csv")
    >>> source.data
      id      site  note
    0  1    Estrie  12,5
    1  2  Montréal     9
    >>> source.lines.tolist()
    [2, 3]
    >>> p = source.provenance
    >>> p.encoding, p.delimiter, p.decimal, p.detected["encoding"]
    ('cp1252', ';', ',', 'detected')
    """
    path = Path(path)
    display = display_path or str(path)
    if kind not in SOURCE_KINDS:
        raise _bad_option("kind", ", ".join(repr(k) for k in SOURCE_KINDS), kind, display)
    options = _check_options(ReadOptions(encoding=encoding, delimiter=delimiter,
                                         decimal=decimal, thousands=thousands, sheet=sheet,
                                         site=site, group=group,
                                         external_sources=(None if external_sources is None
                                                           else Path(external_sources))),
                                  display)
    spec = get_reader(format, kind=kind, where=display) if format is not None else None
    file = SourceFile(path=path, display=display, content=read_bytes(path, display))
    if spec is None:
        spec = get_reader(detect_format(path, head=file.head, kind=kind, display_path=display))
    result = spec.reader()(file, options)
    declared = {"encoding": encoding, "delimiter": delimiter, "decimal": decimal,
                "thousands": thousands, "sheet": sheet}
    ignored = [name for name, value in declared.items()
               if value is not None and name not in result.settings]
    if ignored:
        result.warn("io.options_ignored", options=", ".join(ignored), format=spec.name)
    if format is None and file.extension not in spec.extensions:
        result.warn("io.extension_mismatch", extension=file.extension or "(none)",
                    format=spec.name)
    result.detected = {"format": "declared" if format is not None else "detected",
                       **result.detected}
    return finish(file, spec.name, result)
