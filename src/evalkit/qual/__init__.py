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

__all__ = [
    "DOCUMENT_COLUMNS",
    "SEGMENT_COLUMNS",
    "UNIT_COLUMNS",
    "assign_units",
    "check_documents",
    "check_segments",
    "units_from_turns",
]
