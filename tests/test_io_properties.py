"""Property tests: any small table written by the csv module reads back equal, lines right."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.read import read_source

PIECES = ["a", "Z", "é", "è", "à", "ç", "œ", "Œ", "«", "»", "’", "É", "0", "7", "12,5", "3.25",
          " ", ",", ";", "\t", '"', '""', "\n", "\r\n", "x y", "Ça", "l’été"]
NAME_PIECES = ["q", "id", "é", "site", "_", "1", "à", "note", "Ç"]
TERMINATORS = re.compile(r"\r\n|\r|\n")


def cell_text(pieces: list[str]) -> str | None:
    text = "".join(pieces)
    # a cell of only spaces on a line of its own reads as a blank line: kept out of the property
    return text if text.strip(" \t") else None


cells = st.lists(st.sampled_from(PIECES), min_size=0, max_size=6).map(cell_text)


@st.composite
def tables(draw):
    n_cols = draw(st.integers(1, 4))
    names = draw(st.lists(st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=3)
                          .map("".join), min_size=n_cols, max_size=n_cols, unique=True))
    rows = draw(st.lists(st.lists(cells, min_size=n_cols, max_size=n_cols), max_size=8))
    blank_lines = draw(st.lists(st.integers(0, 2), min_size=len(rows), max_size=len(rows)))
    return names, rows, blank_lines


def write(names, rows, blank_lines, *, delimiter, quoting, terminator,
          encoding) -> tuple[bytes, list[int]]:
    """The file's bytes and the line where each non-empty row starts.

    ``blank_lines[i]`` empty lines follow row ``i``, as hand-edited files have.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    writer.writerow(names)
    line = 1 + len(TERMINATORS.findall(buffer.getvalue()))
    starts = []
    for row, blanks in zip(rows, blank_lines, strict=True):
        before = buffer.tell()
        writer.writerow(["" if v is None else v for v in row])
        buffer.write(terminator * blanks)
        written = buffer.getvalue()[before:]
        if any(v is not None for v in row):
            starts.append(line)
        line += len(TERMINATORS.findall(written))
    return buffer.getvalue().encode(encoding), starts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), delimiter=st.sampled_from([",", ";", "\t"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
       terminator=st.sampled_from(["\n", "\r\n"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       declare_delimiter=st.booleans())
def test_tables_read_back_equal_with_their_lines(table, delimiter, quoting, terminator, encoding,
                                                  declare_delimiter):
    names, rows, blank_lines = table
    text_of = "".join(names) + "".join(v or "" for row in rows for v in row)
    if encoding == "cp1252":
        try:
            legacy = text_of.encode("cp1252")
            # "éœœ" in Windows-1252 happens to be valid UTF-8 ("霜"): UTF-8 is tried first, as it
            # should be; real files are long enough for this never to happen (docs/formats.md)
            legacy.decode("utf-8")
            encoding = "utf-8"
        except UnicodeEncodeError:
            encoding = "utf-8"
        except UnicodeDecodeError:
            pass
    content, starts = write(names, rows, blank_lines, delimiter=delimiter, quoting=quoting,
                            terminator=terminator, encoding=encoding)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_bytes(content)
        # a single column gives the sniffer nothing to count: such files declare their delimiter
        declared = delimiter if declare_delimiter or len(names) == 1 else None
        source = read_source(path, delimiter=declared)
        assert path.read_bytes() == content

    expected = pd.DataFrame([r for r in rows if any(v is not None for v in r)], columns=names,
                            dtype="object")
    got = source.data
    assert got.columns.tolist() == names
    assert source.provenance.delimiter == delimiter
    assert [[None if pd.isna(v) else v for v in row] for row in got.itertuples(index=False)] \
        == [[None if v is None else v for v in row] for row in expected.itertuples(index=False)]
    assert source.lines.tolist() == starts
