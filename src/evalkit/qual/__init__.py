"""Coded interviews: read and write REFI-QDA projects and coded-segment sheets, as tidy frames.

Every reader returns the shared segments frame (one row per coding) and documents frame, which
the analyses of coded interviews take as input.
"""

from evalkit.qual._frames import (
    DOCUMENT_COLUMNS,
    SEGMENT_COLUMNS,
    UNIT_COLUMNS,
    assign_units,
    check_documents,
    check_segments,
    units_from_turns,
)
from evalkit.qual.refi import QdaCodebook, QdaProject, ReadWarning, read_qdc, read_qdpx
from evalkit.qual.refi_write import write_qdpx
from evalkit.qual.spreadsheet import read_coded_segments
from evalkit.qual.validation import SchemaProblem, validate_qde

__all__ = [
    "DOCUMENT_COLUMNS",
    "SEGMENT_COLUMNS",
    "UNIT_COLUMNS",
    "QdaCodebook",
    "QdaProject",
    "ReadWarning",
    "SchemaProblem",
    "assign_units",
    "check_documents",
    "check_segments",
    "read_coded_segments",
    "read_qdc",
    "read_qdpx",
    "units_from_turns",
    "validate_qde",
    "write_qdpx",
]
