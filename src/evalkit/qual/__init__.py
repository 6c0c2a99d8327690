"""Coded interviews: read and write REFI-QDA projects and coded-segment sheets as tidy frames, and
analyse them: code frequencies, co-occurrence, the Framework matrix, inter-coder agreement and a
privacy-safe quote bank.

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
from evalkit.qual.agreement import (
    NO_CODE,
    agreement_table,
    coding_table,
    cohen_kappa,
    disagreement_table,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from evalkit.qual.framework import framework_matrix, write_framework_xlsx
from evalkit.qual.frequencies import (
    case_code_matrix,
    code_frequencies,
    cooccurrence,
    cooccurrence_matrix,
)
from evalkit.qual.quotes import attribution, quote_bank
from evalkit.qual.refi import QdaCodebook, QdaProject, ReadWarning, read_qdc, read_qdpx
from evalkit.qual.refi_write import write_qdpx
from evalkit.qual.spreadsheet import read_coded_segments
from evalkit.qual.validation import SchemaProblem, validate_qde

__all__ = [
    "DOCUMENT_COLUMNS",
    "NO_CODE",
    "SEGMENT_COLUMNS",
    "UNIT_COLUMNS",
    "QdaCodebook",
    "QdaProject",
    "ReadWarning",
    "SchemaProblem",
    "agreement_table",
    "assign_units",
    "attribution",
    "case_code_matrix",
    "check_documents",
    "check_segments",
    "code_frequencies",
    "coding_table",
    "cohen_kappa",
    "cooccurrence",
    "cooccurrence_matrix",
    "disagreement_table",
    "fleiss_kappa",
    "framework_matrix",
    "krippendorff_alpha",
    "percent_agreement",
    "quote_bank",
    "read_coded_segments",
    "read_qdc",
    "read_qdpx",
    "units_from_turns",
    "validate_qde",
    "write_framework_xlsx",
    "write_qdpx",
]
