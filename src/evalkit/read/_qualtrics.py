"""Qualtrics response exports (CSV or TSV with three header rows).

Row 1 holds the column names, row 2 the question texts (kept as variable labels), row 3 the
``{"ImportId": ...}`` JSON of each column. Preview, test and spam responses are left out and
counted; metadata columns that identify respondents are left out and listed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import DataError
from evalkit.read._core import ReadOptions, ReadResult, SourceFile
from evalkit.read._delimited import finish_columns, number_format, parse_delimited, sniff_csv_head

__all__ = ["IDENTIFYING_COLUMNS", "read_qualtrics", "sniff_qualtrics"]

#: Qualtrics metadata columns that identify a respondent (compared without case, spaces or
#: underscores): network address, contact-list name, e-mail and phone, and the geolocation
#: derived from the address.
IDENTIFYING_COLUMNS: frozenset[str] = frozenset({
    "ipaddress", "recipientlastname", "recipientfirstname", "recipientemail",
    "recipientphonenumber", "locationlatitude", "locationlongitude",
})

# Values of the "Status" (Response Type) column, as text or as numeric codes, and of
# "DistributionChannel", that mark responses which are not real ones. Source: Qualtrics Support,
# "Understanding Your Dataset" (Status: "IP Address" for a normal response, "Survey Preview",
# "Survey Test", "Spam", "Imported", "Offline"; numeric exports code them 0, 1, 2, 8, 4, 16 and
# add codes for combinations, e.g. 9 = preview flagged as spam), and the distribution channels
# "preview" and "test".
_STATUS_TEXT = {"survey preview": "preview", "survey test": "test", "spam": "spam"}
_STATUS_BITS = (("preview", 1), ("test", 2), ("spam", 8))
_CHANNELS = {"preview": "preview", "test": "test"}
_REASONS = ("preview", "test", "spam")


def sniff_qualtrics(head: bytes) -> bool:
    """Whether a file's first bytes are a Qualtrics export: a third row of ``{"ImportId"...}``."""
    records = sniff_csv_head(head)
    if len(records) < 3:
        return False
    cells = [cell.strip() for cell in records[2] if cell.strip()]
    return bool(cells) and all(cell.startswith('{"ImportId"') for cell in cells)


def _normalise(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _flags(data: pd.DataFrame) -> dict[str, np.ndarray]:
    """For each reason (``preview``, ``test``, ``spam``), which responses it applies to."""
    by_name = {_normalise(c): c for c in data.columns}
    flags = {reason: np.zeros(len(data), dtype=bool) for reason in _REASONS}
    if "distributionchannel" in by_name:
        channel = data[by_name["distributionchannel"]].astype("str").str.strip().str.lower()
        for value, reason in _CHANNELS.items():
            flags[reason] |= (channel == value).to_numpy(dtype=bool)
    if "status" in by_name:
        status = data[by_name["status"]].astype("str").str.strip().str.lower()
        for value, reason in _STATUS_TEXT.items():
            flags[reason] |= (status == value).to_numpy(dtype=bool)
        numeric = status.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
        codes = np.zeros(len(data), dtype=np.int64)
        codes[numeric] = status[numeric].astype(np.int64).to_numpy()
        for reason, bit in _STATUS_BITS:
            flags[reason] |= (codes & bit) > 0
    return flags


def _drop_reasons(data: pd.DataFrame) -> np.ndarray:
    """Why each response is not a real one (``preview``, ``test``, ``spam``), or ``None``.

    A response with several reasons gets the first in the order preview, test, spam.
    """
    flags = _flags(data)
    return np.select([flags[r] for r in _REASONS], list(_REASONS), default=None)


def read_qualtrics(file: SourceFile, options: ReadOptions) -> ReadResult:
    """Read a Qualtrics CSV/TSV export: question texts as labels, non-responses left out."""
    result = ReadResult(data=pd.DataFrame(), lines=np.empty(0, dtype=np.int64))
    table = parse_delimited(file, options, result)
    records = table.records
    if len(records) < 3:
        raise DataError.from_catalogue("io.qualtrics_headers", where=file.display)
    header = records.iloc[0].tolist()
    questions = records.iloc[1].tolist()
    data, lines, positions = finish_columns(header, records.iloc[3:], table.lines[3:], result)
    result.variable_labels = {
        name: questions[position] for name, position in zip(data.columns, positions, strict=True)
        if isinstance(questions[position], str) and questions[position].strip()}
    reasons = _drop_reasons(data)
    for reason in _REASONS:
        n = int((reasons == reason).sum())
        if n:
            result.count_dropped(reason, n)
            result.warn(f"io.qualtrics_dropped_{reason}", n=n)
    keep = pd.isna(reasons)
    data, lines = data.loc[keep].reset_index(drop=True), lines[keep]
    identifying = [c for c in data.columns if _normalise(c) in IDENTIFYING_COLUMNS]
    if identifying:
        data = data.drop(columns=identifying)
        result.dropped_columns.extend(identifying)
        result.variable_labels = {k: v for k, v in result.variable_labels.items()
                                  if k not in identifying}
        result.warn("io.qualtrics_identifying_dropped", columns=", ".join(identifying))
    if not len(data):
        result.warn("io.no_rows")
    number_format(data, options, table.delimiter, result)
    result.settings["header_rows"] = 3
    result.data, result.lines = data, lines
    return result

