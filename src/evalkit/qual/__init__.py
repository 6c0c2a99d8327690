"""Qualitative analyses of coded interviews: code frequencies, co-occurrence, the Framework matrix,
inter-coder agreement and a privacy-safe quote bank.
"""

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

__all__ = [
    "NO_CODE",
    "agreement_table",
    "attribution",
    "case_code_matrix",
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
    "write_framework_xlsx",
]
