"""The Framework Method matrix: cases × themes, each cell a short summary with its quotes.

:func:`framework_matrix` builds the matrix (pure); :func:`write_framework_xlsx` exports it for
the analysis team, one sheet per theme group.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_column, check_frame, check_int
from evalkit.analyse.qual._segments import (
    PATH_SEP,
    case_column,
    centrality,
    excerpt,
    require_columns,
    select_coder,
    sentences,
)
from evalkit.analyse.qual.quotes import _redact
from evalkit.errors import ArgumentError
from evalkit.i18n import LANGUAGES, format_integer, t

__all__ = ["FRAMEWORK_COLUMNS", "framework_matrix", "write_framework_xlsx"]

#: The columns of :func:`framework_matrix`'s output.
FRAMEWORK_COLUMNS = ["case", "theme_group", "theme", "n_segments", "summary", "quote_refs",
                     "summary_source"]

# Excel would evaluate a cell starting with these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def framework_matrix(segments: pd.DataFrame, *, case: str = "participant", coder: Any = None,
                     max_chars: int = 240, n_quotes: int = 2,
                     summaries: pd.DataFrame | None = None, lang: str = "fr",
                     names: Iterable[str] = ()) -> pd.DataFrame:
    """The Framework matrix: one cell per case and theme, with a summary and quote references.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segments frame (``segment_id``, ``document``, ``code_path``, ``coder``, ``start``,
        ``text`` and the ``case`` column).
    case : str, default "participant"
        The column whose values are the rows of the matrix: ``participant`` (the document when
        missing), ``site``, ``document``...
    coder : str, optional
        Whose codings to summarise; needed when ``segments`` holds several coders (summaries
        quote the text one coder marked).
    max_chars : int, default 240
        Length limit of a summary.
    n_quotes : int, default 2
        At most this many segments are quoted in a summary.
    summaries : pandas.DataFrame, optional
        The analysts' own summaries, which replace the rule's: columns ``case``,
        ``theme_group``, ``theme`` and ``summary`` (e.g. ``pd.read_csv("summaries.csv",
        dtype=str)``, edited from a previous output). Blank summaries are ignored.
    lang : {"fr", "en"}
        Language of the summaries' fixed words and of the scrubber's tokens.
    names : iterable of str
        Names of people known to the study, scrubbed from the quoted sentences.

    Returns
    -------
    pandas.DataFrame
        One row per case and theme (all combinations, empty cells included), sorted by theme
        group, theme and case, with the columns:

        - ``case``: the case;
        - ``theme_group``: the first level of the code path (a sheet of the matrix);
        - ``theme``: the rest of the path (the column of the sheet); the group itself for a
          code at the first level;
        - ``n_segments``: distinct segments of that case coded with that theme;
        - ``summary``: the summary (empty when there is no segment);
        - ``quote_refs``: the cell's segment ids, most representative first, joined by "; ";
        - ``summary_source``: ``"rule"`` or ``"analyst"`` (from ``summaries``).

    Notes
    -----
    The summary rule is deterministic: the number of segments, then the first sentence of
    each of the ``n_quotes`` most representative segments, in quotation marks, within
    ``max_chars`` (a sentence that does not fit is left out; a first one too long is cut at a
    word and marked "…"). A segment's representativeness is the cosine similarity between its
    word counts (words of four letters or more, lowercased) and those of the cell's other
    segments; ties, and cells of one segment, follow the order of the transcripts (document,
    then position). The matrix charts what was coded; the analysts' reading belongs in the
    ``summaries`` they supply, in keeping with the Framework Method's charting step (Gale et
    al. 2013). The quoted sentences are scrubbed like the quote bank's
    (:func:`~evalkit.quote_bank`), since the matrix is shared with the team, users included.

    References
    ----------
    Ritchie, J., & Spencer, L. (1994). Qualitative data analysis for applied policy research.
    In A. Bryman & R. G. Burgess (Eds.), *Analyzing qualitative data* (pp. 173–194).
    Routledge. https://doi.org/10.4324/9780203413081-14

    Gale, N. K., Heath, G., Cameron, E., Rashid, S., & Redwood, S. (2013). Using the framework
    method for the analysis of qualitative data in multi-disciplinary health research. *BMC
    Medical Research Methodology*, 13, 117. https://doi.org/10.1186/1471-2288-13-117

    Examples
    --------
    >>> import pandas as pd
    >>> segments = pd.DataFrame({
    ...     "segment_id": ["s1", "s2", "s3"], "document": ["d1", "d1", "d2"],
    ...     "participant": ["P1", "P1", "P2"], "code_path": ["Voice/Asked"] * 3,
    ...     "coder": "ana", "start": [0, 50, 0],
    ...     "text": ["They asked our opinion. Then nothing.", "Nobody asked us anything.",
    ...              "We were asked about the schedule."]})
    >>> matrix = framework_matrix(segments, lang="en")
    >>> matrix[["case", "theme", "n_segments", "quote_refs"]]
      case  theme  n_segments quote_refs
    0   P1  Asked           2     s1; s2
    1   P2  Asked           1         s3
    >>> print(matrix["summary"].iloc[0])
    2 segments: “They asked our opinion.” “Nobody asked us anything.”
    """
    require_columns(segments, ("segment_id", "document", "code_path", "coder", "start", "text"))
    check_column(segments, case, "case")
    check_int(max_chars, "max_chars", minimum=20)
    check_int(n_quotes, "n_quotes", minimum=1)
    check_choice(lang, LANGUAGES, "lang")
    chosen, _ = select_coder(segments, coder, allow_consensus=False)
    cells = _cells(chosen, case)
    cells["text"] = _redact(cells["text"], lang=lang, names=names)
    ranked = _rank(cells)
    out = _summarise(ranked, max_chars=max_chars, n_quotes=n_quotes, lang=lang)
    grid = _grid(cells)
    out = grid.merge(out, on=["case", "theme_group", "theme"], how="left")
    out["n_segments"] = out["n_segments"].fillna(0).astype("int64")
    out[["summary", "quote_refs"]] = out[["summary", "quote_refs"]].fillna("")
    out["summary_source"] = "rule"
    if summaries is not None:
        out = _override(out, summaries)
    return out[FRAMEWORK_COLUMNS]


def write_framework_xlsx(matrix: pd.DataFrame, path: str | os.PathLike, *,
                         lang: str = "fr") -> Path:
    """Write the Framework matrix to an Excel workbook, one sheet per theme group.

    Parameters
    ----------
    matrix : pandas.DataFrame
        The output of :func:`framework_matrix` (possibly edited).
    path : str or path-like
        The ``.xlsx`` file to write (replaced if it exists).
    lang : {"fr", "en"}
        Language of the headers and fixed words.

    Returns
    -------
    pathlib.Path
        The path written.

    Notes
    -----
    Cases are rows, themes columns; a cell holds the summary and, on a new line, the
    references of its quotes. The header row and the case column are frozen, text is wrapped,
    widths are set. Any cell text that Excel would read as a formula (starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe, so
    that it stays text (OWASP's advice against formula injection).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> matrix = pd.DataFrame({"case": ["P1"], "theme_group": ["Voice"], "theme": ["Asked"],
    ...                        "n_segments": [1], "summary": ["=1+1"], "quote_refs": ["s1"],
    ...                        "summary_source": ["rule"]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_framework_xlsx(matrix, pathlib.Path(folder) / "m.xlsx", lang="en")
    ...     import openpyxl
    ...     sheet = openpyxl.load_workbook(written)["Voice"]
    ...     print(sheet["A1"].value, "|", sheet["B1"].value, "|", sheet["B2"].value)
    Case | Asked | '=1+1
    Quotes: s1
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    check_frame(matrix, "matrix")
    for column in ("case", "theme_group", "theme", "summary", "quote_refs"):
        check_column(matrix, column, "matrix")
    check_choice(lang, LANGUAGES, "lang")
    workbook = Workbook()
    workbook.remove(workbook.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    names: set[str] = set()
    for group, part in matrix.groupby("theme_group", sort=False):
        sheet = workbook.create_sheet(_sheet_name(str(group), names))
        wide = _wide(part, lang)
        sheet.append([_safe(t("qual.framework.case", lang))] + [_safe(c) for c in wide.columns])
        for case, row in wide.iterrows():
            sheet.append([_safe(case)] + [_safe(v) for v in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = wrap
        _set_sizes(sheet, wide)
        sheet.freeze_panes = "B2"
    path = Path(path)
    workbook.save(path)
    return path


# --- helpers of the matrix ----------------------------------------------------------------------


def _cells(segments: pd.DataFrame, case: str) -> pd.DataFrame:
    parts = segments["code_path"].astype(str).str.split(PATH_SEP, n=1)
    cases = case_column(segments) if case == "participant" else segments[case]
    cells = pd.DataFrame({
        "case": cases.astype(str).to_numpy(),
        "theme_group": parts.str[0].to_numpy(),
        "theme": parts.str[1].fillna(parts.str[0]).to_numpy(),
        "segment_id": segments["segment_id"].astype(str).to_numpy(),
        "document": segments["document"].astype(str).to_numpy(),
        "start": pd.to_numeric(segments["start"]).to_numpy(dtype=float, na_value=np.nan),
        "text": segments["text"].astype(object).to_numpy(),
    })
    cells = cells.loc[segments["code_path"].notna().to_numpy() & cases.notna().to_numpy()]
    return cells.drop_duplicates(["case", "theme_group", "theme", "segment_id"])


def _rank(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells' segments with their representativeness, best first within each cell."""
    cells = cells.sort_values(["theme_group", "theme", "case", "document", "start",
                               "segment_id"], kind="stable").reset_index(drop=True)
    cell_id = cells.groupby(["theme_group", "theme", "case"], sort=False).ngroup().to_numpy()
    cells["score"] = centrality(cells["text"], cell_id)
    cells["position"] = np.arange(len(cells))
    return cells.sort_values(["theme_group", "theme", "case", "score", "position"],
                             ascending=[True, True, True, False, True], kind="stable")


def _summarise(ranked: pd.DataFrame, *, max_chars: int, n_quotes: int,
               lang: str) -> pd.DataFrame:
    rows = []
    for (group, theme, case), cell in ranked.groupby(["theme_group", "theme", "case"],
                                                     sort=False):
        rows.append((case, group, theme, len(cell),
                     _summary(cell["text"].tolist(), len(cell), max_chars, n_quotes, lang),
                     "; ".join(cell["segment_id"])))
    return pd.DataFrame(rows, columns=["case", "theme_group", "theme", "n_segments", "summary",
                                       "quote_refs"])


def _summary(texts: list, n: int, max_chars: int, n_quotes: int, lang: str) -> str:
    key = "qual.framework.summary_one" if n == 1 else "qual.framework.summary_many"
    head = t(key, lang, n=format_integer(n, lang), quotes="")
    quotes: list[str] = []
    for text in texts:
        first = next(iter(sentences(text)), "")
        if not first or len(quotes) == n_quotes:
            continue
        quoted = t("qual.framework.quote", lang, text=first)
        if len(head) + len(" ".join([*quotes, quoted])) <= max_chars:
            quotes.append(quoted)
        elif not quotes:  # the best segment's sentence alone is too long: cut it
            room = max_chars - len(head) - len(t("qual.framework.quote", lang, text=""))
            if room >= 10:
                quotes.append(t("qual.framework.quote", lang, text=excerpt(first, room)))
            break
    return t(key, lang, n=format_integer(n, lang), quotes=" ".join(quotes)).rstrip(" :")


def _grid(cells: pd.DataFrame) -> pd.DataFrame:
    themes = cells[["theme_group", "theme"]].drop_duplicates()
    cases = pd.DataFrame({"case": sorted(cells["case"].unique())})
    grid = themes.merge(cases, how="cross")
    return grid.sort_values(["theme_group", "theme", "case"], kind="stable").reset_index(
        drop=True)[["case", "theme_group", "theme"]]


def _override(matrix: pd.DataFrame, summaries: Any) -> pd.DataFrame:
    check_frame(summaries, "summaries")
    key = ["case", "theme_group", "theme"]
    for column in [*key, "summary"]:
        check_column(summaries, column, "summaries")
    given = summaries.loc[summaries["summary"].notna(), [*key, "summary"]].astype(str)
    given = given.loc[given["summary"].str.strip() != ""]
    if given.duplicated(key).any():
        raise ArgumentError(f"summaries gives two summaries for the cell "
                            f"{tuple(given.loc[given.duplicated(key)].iloc[0][key])}",
                            where="summaries")
    merged = matrix.merge(given.rename(columns={"summary": "given"}), on=key, how="left",
                          indicator=True)
    unknown = given.merge(matrix[key], on=key, how="left", indicator=True)
    if (unknown["_merge"] == "left_only").any():
        cell = tuple(unknown.loc[unknown["_merge"] == "left_only"].iloc[0][key])
        raise ArgumentError(f"summaries names a cell the matrix does not have: {cell}",
                            where="summaries")
    has = merged["_merge"] == "both"
    merged.loc[has, "summary"] = merged.loc[has, "given"]
    merged.loc[has, "summary_source"] = "analyst"
    return merged.drop(columns=["given", "_merge"])


# --- helpers of the workbook --------------------------------------------------------------------


def _safe(value: Any) -> Any:
    """Cell text Excel will not evaluate: a leading apostrophe before a formula sign."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "_"
    base = base[:31]
    candidate, k = base, 2
    while candidate.lower() in taken:
        suffix = f" ({k})"
        candidate, k = base[:31 - len(suffix)] + suffix, k + 1
    taken.add(candidate.lower())
    return candidate


def _wide(part: pd.DataFrame, lang: str) -> pd.DataFrame:
    refs = part["quote_refs"].fillna("").astype(str)
    label = refs.map(lambda r: t("qual.framework.quote_refs", lang, refs=r) if r else "")
    text = part["summary"].fillna("").astype(str)
    content = (text + np.where((text != "") & (label != ""), "\n", "") + label).str.strip()
    cells = part.assign(content=content)
    wide = cells.pivot(index="case", columns="theme", values="content")
    themes = list(dict.fromkeys(part["theme"]))
    return wide.reindex(columns=themes).fillna("")


def _set_sizes(sheet: Any, wide: pd.DataFrame) -> None:
    from openpyxl.utils import get_column_letter

    first = max([len(str(c)) for c in wide.index] + [12])
    sheet.column_dimensions["A"].width = min(first + 2, 30)
    width = 50
    for j in range(len(wide.columns)):
        sheet.column_dimensions[get_column_letter(j + 2)].width = width
    for i, (_, row) in enumerate(wide.iterrows(), start=2):
        lines = max([sum(math.ceil(max(len(part), 1) / (width - 2)) for part in str(v).split("\n"))
                     for v in row] + [1])
        sheet.row_dimensions[i].height = min(15 * lines + 4, 400)
