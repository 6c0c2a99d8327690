"""Coded interviews through the reader registry: REFI-QDA projects and coded-segment sheets.

Both formats give the shared segments frame as ``data`` (one row per coding, a turn of speech as
the unit), and a REFI-QDA project also the documents frame; the readers themselves live in
:mod:`evalkit.read.qda`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from evalkit.read._core import ReadOptions, ReadResult, SourceFile
from evalkit.read.qda.refi import read_qdpx
from evalkit.read.qda.spreadsheet import read_coded_segments

__all__ = ["read_project", "read_segment_sheet"]


def _positions(n: int) -> np.ndarray:
    return np.arange(1, n + 1, dtype=np.int64)


def read_project(file: SourceFile, options: ReadOptions) -> ReadResult:
    """A REFI-QDA project (``.qdpx``): its codings as segments (a line of a transcript is a
    unit) and its documents.

    A case variable named like the study's site or group column (``options.site``,
    ``options.group``) gives each document's site or group; otherwise the case variables
    called ``site`` and ``group`` do.
    """
    project = read_qdpx(file.path, external_sources=options.external_sources)
    variables = set(project.case_variables["variable"])
    for role, column in (("site", options.site), ("group", options.group)):
        if column and column in variables:
            project.roles[role] = column
    segments = project.segments(units="lines")
    result = ReadResult(data=segments, lines=_positions(len(segments)),
                        documents=project.documents(), warnings=list(project.warnings))
    # how many sources' offsets were read under each convention
    result.offsets = dict(Counter(project.provenance["offsets"].values()))
    return result


def read_segment_sheet(file: SourceFile, options: ReadOptions) -> ReadResult:
    """A spreadsheet of coded segments (CSV or XLSX, one row per coding)."""
    segments = read_coded_segments(file.path, sheet=options.sheet)
    result = ReadResult(data=segments, lines=_positions(len(segments)))
    if options.sheet is not None:
        result.setting("sheet", options.sheet, declared=True)
    return result
