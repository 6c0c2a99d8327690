"""Reading a study's sources: one registry of readers, raw data with provenance.

Every kind of source goes through the registry. Survey, population and partners tables (CSV,
French Excel included, Qualtrics exports, Excel workbooks, SPSS and Stata files) become a raw
DataFrame plus where each row came from; coded interviews (REFI-QDA projects, coded-segment
sheets) become the shared segments and documents frames. Typing against the codebook happens in
validation.
"""

from evalkit.read._core import (
    Provenance,
    ReaderWarning,
    ReadOptions,
    ReadResult,
    ReadWarning,
    SourceData,
    SourceFile,
)
from evalkit.read._numbers import ParsedNumbers, parse_numbers
from evalkit.read._population import population_margins, read_population
from evalkit.read._read import read_source
from evalkit.read._registry import (
    SOURCE_KINDS,
    ReaderSpec,
    detect_format,
    register_reader,
    registered_formats,
    unregister_reader,
)
from evalkit.read._stack import stack_sources

__all__ = [
    "SOURCE_KINDS",
    "ParsedNumbers",
    "Provenance",
    "ReadOptions",
    "ReadResult",
    "ReaderSpec",
    "ReadWarning",
    "ReaderWarning",
    "SourceData",
    "SourceFile",
    "detect_format",
    "parse_numbers",
    "population_margins",
    "read_population",
    "read_source",
    "register_reader",
    "registered_formats",
    "stack_sources",
    "unregister_reader",
]

# The built-in formats, registered like any other (functions are imported on first use, so that
# importing evalkit does not import openpyxl or pyreadstat). Plain CSV has no sniffer: it is
# the generic format of its extensions, used when no other reader recognises the file.
register_reader("csv", extensions=(".csv", ".tsv", ".tab", ".txt"), sniff=None,
                read="evalkit.read._delimited:read_csv")
register_reader("qualtrics", extensions=(".csv", ".tsv"),
                sniff="evalkit.read._qualtrics:sniff_qualtrics",
                read="evalkit.read._qualtrics:read_qualtrics")
register_reader("xlsx", extensions=(".xlsx", ".xlsm"), sniff="evalkit.read._excel:sniff_xlsx",
                read="evalkit.read._excel:read_xlsx")
register_reader("sav", extensions=(".sav", ".zsav"), sniff="evalkit.read._statfiles:sniff_sav",
                read="evalkit.read._statfiles:read_sav")
register_reader("dta", extensions=(".dta",), sniff="evalkit.read._statfiles:sniff_dta",
                read="evalkit.read._statfiles:read_dta")
# Coded interviews: a REFI-QDA project, or a sheet of coded segments (CSV or workbook).
register_reader("qdpx", extensions=(".qdpx",), sniff=None,
                read="evalkit.read._interviews:read_project", kinds=("interviews",))
register_reader("segments", extensions=(".csv", ".tsv", ".txt", ".xlsx", ".xlsm"), sniff=None,
                read="evalkit.read._interviews:read_segment_sheet", kinds=("interviews",))
