"""Delimited text exports (CSV, TSV): values kept as text, each record with its line in the file.

pyarrow's parser (or pandas', or the ``csv`` module's for irregular files) reads the records;
the line where each record starts is found from the bytes (newlines outside quotes) and checked
against the parser's record count.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import DataError, Place
from evalkit.read._core import ReadOptions, ReadResult, SourceFile
from evalkit.read._numbers import detect_number_format
from evalkit.read._text import DecodedText, decode_head, decode_text, head_records, sniff_delimiter

__all__ = ["Table", "finish_columns", "parse_delimited", "read_csv"]

_SEP_LINE = re.compile(r"sep=(.)\r?\n|sep=(.)\r")
_SAMPLE_ROWS = 2000
HEAD_CHARS = 1_048_576


@dataclass
class Table:
    """Every non-blank record of a delimited file (header rows included), as text."""

    records: pd.DataFrame
    lines: np.ndarray
    decoded: DecodedText
    delimiter: str


# -- line numbers ------------------------------------------------------------------------------

def _record_lines(buf: bytes, delimiter: str) -> np.ndarray | None:
    """The line where each non-blank record of ``buf`` starts, or None if quoting is irregular.

    A newline ends a record when an even number of double quotes precede it (an escaped quote
    ``""`` counts twice, so parity is kept). That holds when every quote opens or closes a
    quoted field or belongs to an escaped pair; otherwise (a stray ``5" screen``) None.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    n = arr.size
    if n == 0:
        return np.empty(0, dtype=np.int64)
    quotes = np.flatnonzero(arr == 34)
    if quotes.size:
        delim = ord(delimiter)
        prev = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], 10)
        nxt = np.where(quotes < n - 1, arr[np.minimum(quotes + 1, n - 1)], 10)
        boundary = (10, 13, delim, 34)
        regular = np.isin(prev, boundary) | np.isin(nxt, boundary)
        if not regular.all():
            return None
    lf = np.flatnonzero(arr == 10)
    cr = np.flatnonzero(arr == 13)
    if cr.size:
        lone = cr[(cr == n - 1) | (arr[np.minimum(cr + 1, n - 1)] != 10)]
        ends = np.sort(np.concatenate((lf, lone)))  # disjoint positions
    else:
        ends = lf
    record_ends = ends[np.searchsorted(quotes, ends) % 2 == 0]
    starts = np.concatenate(([0], record_ends + 1))
    starts = starts[starts < n]
    line_numbers = np.searchsorted(ends, starts) + 1
    first = arr[starts]
    blank = (first == 10) | (first == 13)
    blank_chars = {32, 9} - {ord(delimiter)}
    for i in np.flatnonzero(np.isin(first, list(blank_chars))):
        stop = record_ends[np.searchsorted(record_ends, starts[i])] if (
            np.searchsorted(record_ends, starts[i]) < record_ends.size) else n
        if set(buf[starts[i]:stop].rstrip(b"\r")) <= blank_chars:
            blank[i] = True
    return line_numbers[~blank].astype(np.int64)


def _csv_module_records(text: str, delimiter: str) -> tuple[list[list[str]], np.ndarray]:
    """Records and their starting lines with the ``csv`` module (slower; irregular quoting)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    records, lines = [], []
    previous = 0
    for record in reader:
        start = previous + 1
        previous = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip(" \t".replace(delimiter, ""))):
            continue
        records.append(record)
        lines.append(start)
    return records, np.asarray(lines, dtype=np.int64)


def _frame_from_records(records: list[list[str]]) -> pd.DataFrame:
    width = max((len(r) for r in records), default=0)
    columns = list(zip(*(r + [""] * (width - len(r)) for r in records), strict=True))
    frame = pd.DataFrame({i: pd.Series(col, dtype="str") for i, col in enumerate(columns)})
    return frame.replace("", np.nan) if len(frame) else frame


# -- parsing -----------------------------------------------------------------------------------

def _parser_error(file: SourceFile, text: str, delimiter: str, error: Exception,
                  skip: int = 0) -> DataError:
    """A clear error for a record that could not be tokenised, located with the ``csv`` module.

    ``text`` starts after the ``skip`` lines that are not records (Excel's ``sep=`` line).
    """
    message = str(error)
    records, lines = _csv_module_records(text, delimiter)
    lines = lines + skip
    if "EOF inside string" in message or not records:
        line = int(lines[-1]) if len(lines) else 1
        return DataError.from_catalogue("io.unclosed_quote", where=Place(file.display, line=line))
    width = len(records[0])
    for record, line in zip(records, lines, strict=True):
        if len(record) > width:
            return DataError.from_catalogue(
                "io.too_many_fields", where=Place(file.display, line=line), found=len(record),
                expected=width, delimiter=_delimiter_name(delimiter))
    return DataError.from_catalogue("io.unparsable", where=file.display, format="CSV",
                                    reason=message.replace("Error tokenizing data. ", ""))


def _delimiter_name(delimiter: str) -> str:
    return {"\t": "tab", " ": "space"}.get(delimiter, delimiter)


def _arrow_records(buf: bytes, delimiter: str, skip: int, width: int) -> pd.DataFrame | None:
    """Records as text with pyarrow's multi-threaded parser; None if it refuses the file.

    pyarrow refuses records with fewer fields than the header and lines of spaces; the
    pandas parser, which accepts them, then takes over.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    string = pa.large_string()
    try:
        table = pcsv.read_csv(
            io.BytesIO(buf),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, skip_rows=skip),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                            double_quote=True, newlines_in_values=True,
                                            ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(
                column_types={f"f{i}": string for i in range(width)}, strings_can_be_null=True,
                null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_columns != width or any(t != string for t in table.schema.types):
        return None
    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    return table.to_pandas(types_mapper={string: text_dtype}.get)


def _pandas_records(file: SourceFile, buf: bytes, body: str, delimiter: str,
                    skip: int) -> pd.DataFrame:
    """Records as text with pandas' C parser; a clear DataError where it fails."""
    try:
        return pd.read_csv(
            io.BytesIO(buf), sep=delimiter, header=None, dtype="str", keep_default_na=False,
            na_values=[""], quotechar='"', engine="c", skip_blank_lines=True, skiprows=skip,
            encoding="utf-8", skipinitialspace=False, low_memory=False,
        )
    except pd.errors.EmptyDataError:
        raise DataError.from_catalogue("io.no_header", where=file.display) from None
    except pd.errors.ParserError as error:
        raise _parser_error(file, body, delimiter, error, skip) from None


def parse_delimited(file: SourceFile, options: ReadOptions, result: ReadResult) -> Table:
    """Decode and tokenise a delimited text file; records as text, with their lines.

    Records the encoding and delimiter in ``result`` (declared or detected) and adds the
    decoding warnings to it.

    Notes
    -----
    The line where each record starts is computed from the bytes (newlines outside quotes).
    pyarrow parses the records; if it refuses the file (short records, lines of spaces) or
    finds another number of records, pandas' C parser does; if the quoting is irregular (a
    quote inside an unquoted field) or the counts still differ, Python's ``csv`` module reads
    records and lines together.
    """
    decoded = decode_text(file, options.encoding)
    result.warnings.extend(decoded.warnings)
    result.setting("encoding", decoded.encoding, declared=not decoded.detected)
    text, buf = decoded.text, decoded.utf8
    if not text or text.isspace():
        raise DataError.from_catalogue("io.no_header", where=file.display)
    sep_line = _SEP_LINE.match(text)
    skip = 1 if sep_line else 0  # Excel's "sep=;" first line names the delimiter
    delimiter = options.delimiter
    if delimiter is None:
        if sep_line:
            delimiter = sep_line.group(1) or sep_line.group(2)
        else:
            delimiter = sniff_delimiter(text)
    result.setting("delimiter", delimiter, declared=options.delimiter is not None)
    body = text[sep_line.end():] if sep_line else text
    lines = _record_lines(buf, delimiter)
    records = None
    if lines is not None:
        lines = lines[skip:]
        if buf.count(b'"') % 2:
            where = Place(file.display, line=int(lines[-1]) if len(lines) else 1)
            raise DataError.from_catalogue("io.unclosed_quote", where=where)
        first = head_records(body[:HEAD_CHARS], delimiter, limit=1)
        if first:
            records = _arrow_records(buf, delimiter, skip, len(first[0]))
    if records is None or lines is None or len(records) != len(lines):
        records = _pandas_records(file, buf, body, delimiter, skip)
    if lines is None or len(lines) != len(records):
        rows, lines = _csv_module_records(body, delimiter)
        lines = lines + skip
        if rows and max(len(r) for r in rows) > len(rows[0]):
            raise _parser_error(file, body, delimiter, ValueError("too many fields"), skip)
        records = _frame_from_records(rows)
    if not len(records):
        raise DataError.from_catalogue("io.no_header", where=file.display)
    records.columns = range(records.shape[1])
    cut = _cut_off_last_record(body, int(lines[-1]) - skip, delimiter)
    if cut is not None:  # a line number is not grouped like a count: str
        result.warn("io.truncated_last_row", line=str(lines[-1]), found=cut[0], expected=cut[1])
    return Table(records=records, lines=lines, decoded=decoded, delimiter=delimiter)


def _cut_off_last_record(body: str, last_line: int, delimiter: str) -> tuple[int, int] | None:
    """(fields, header fields) when the file looks cut off: it does not end with a line break
    and its last record (starting at line ``last_line`` of ``body``) is shorter than the
    header: the parsers pad it with empty values."""
    if last_line < 2 or not body or body.endswith(("\n", "\r")):
        return None
    head = head_records(body[:HEAD_CHARS], delimiter, limit=1)
    # the record may span several lines (quoted line breaks): keep its lines only
    spans = body.count("\n") + 1 - last_line + 1
    if spans < 1:
        return None
    tail = "\n".join(body.rsplit("\n", spans)[-spans:])
    try:
        last = next(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return None
    if head and 0 < len(last) < len(head[0]):
        return len(last), len(head[0])
    return None


# -- columns and rows --------------------------------------------------------------------------

def finish_columns(header: list, data: pd.DataFrame, lines: np.ndarray,
                   result: ReadResult) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    """Name the columns from ``header`` and leave out empty rows and empty unnamed columns.

    Names are stripped of surrounding spaces (warning), a blank name becomes ``unnamed_<n>``
    (``n`` the column's position from 1; warning, unless the whole column is empty and is left
    out), a repeated name gets ``.1``, ``.2``... (warning). Rows whose cells are all empty are
    left out and counted under ``empty_row``. Returns the data, their lines, and the position
    in ``header`` of each column kept.
    """
    names: list[str] = []
    stripped: list[str] = []
    keep = np.ones(len(header), dtype=bool)
    for position, value in enumerate(header, start=1):
        name = "" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        name = _header_text(name)
        if name != name.strip():
            stripped.append(name.strip())
            name = name.strip()
        if not name:
            name = f"unnamed_{position}"
            column = data.iloc[:, position - 1]
            if column.isna().all():
                keep[position - 1] = False
                result.dropped_columns.append(name)
            else:
                result.warn("io.unnamed_column", position=position, name=name)
        names.append(name)
    if stripped:
        result.warn("io.header_whitespace", columns=", ".join(stripped))
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if not keep[i]:
            continue
        if name in seen:
            seen[name] += 1
            new = f"{name}.{seen[name]}"
            while new in names:
                seen[name] += 1
                new = f"{name}.{seen[name]}"
            result.warn("io.duplicate_column", column=name, renamed=new)
            names[i] = new
        else:
            seen[name] = 0
    data = data.iloc[:, np.flatnonzero(keep)].copy()
    data.columns = [n for n, k in zip(names, keep, strict=True) if k]
    if data.shape[1]:
        empty = data.isna().all(axis=1).to_numpy()
    else:
        empty = np.ones(len(data), dtype=bool)
    if empty.any():
        result.count_dropped("empty_row", int(empty.sum()))
        result.warn("io.empty_rows_dropped", n=int(empty.sum()))
        data, lines = data.loc[~empty], lines[~empty]
    return data.reset_index(drop=True), lines, [int(i) for i in np.flatnonzero(keep)]


def _header_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def number_format(data: pd.DataFrame, options: ReadOptions, delimiter: str | None,
                  result: ReadResult) -> None:
    """Record the decimal mark and thousands separator, declared or detected from a sample."""
    if options.decimal is not None and options.thousands is not None:
        decimal, thousands = options.decimal, options.thousands
    else:
        step = max(1, len(data) // _SAMPLE_ROWS)
        sample = data.iloc[::step].stack() if data.shape[1] else pd.Series([], dtype="str")
        decimal, thousands = detect_number_format(sample, delimiter=delimiter)
        if options.decimal is not None:
            decimal = options.decimal
            if thousands == decimal:
                thousands = None
        if options.thousands is not None:
            thousands = options.thousands
    result.setting("decimal", decimal, declared=options.decimal is not None)
    result.setting("thousands", thousands, declared=options.thousands is not None)


# -- the CSV reader ----------------------------------------------------------------------------

def read_csv(file: SourceFile, options: ReadOptions) -> ReadResult:
    """Read a delimited text file (one header row) with every value as text."""
    result = ReadResult(data=pd.DataFrame(), lines=np.empty(0, dtype=np.int64))
    table = parse_delimited(file, options, result)
    records = table.records
    header = records.iloc[0].tolist()
    data, lines, _ = finish_columns(header, records.iloc[1:], table.lines[1:], result)
    if not len(data):
        result.warn("io.no_rows")
    number_format(data, options, table.delimiter, result)
    result.settings["header_rows"] = 1
    result.data, result.lines = data, lines
    return result


def sniff_csv_head(head: bytes) -> list[list[str]]:
    """The first records of a delimited file's head (for other sniffers)."""
    text = decode_head(head)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    return head_records(text, delimiter, limit=3)
