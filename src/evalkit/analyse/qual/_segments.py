"""Shared helpers of the qualitative analyses: checks on the segments frame, code paths, units.

The segments frame has one row per coding (``segment_id``, ``document``, ``participant``, ``site``,
``group``, ``code``, ``code_path``, ``coder``, ``start``, ``end``, ``text``, ``unit``); the units
frame one row per turn (``document``, ``unit``, ``start``, ``end``, ``text``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_frame
from evalkit._lazy import lazy_module
from evalkit.errors import ArgumentError, DataError

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
sp = lazy_module("scipy.sparse")

#: The separator between the levels of a code path ("Theme/Code").
PATH_SEP = "/"

#: How codings of several coders are combined when no single coder is chosen.
CONSENSUS_RULES = ("any", "majority", "all")


def require_columns(segments: Any, columns: Iterable[str], param: str = "segments"
                    ) -> pd.DataFrame:
    """``segments`` must be a DataFrame holding ``columns`` of the segments frame."""
    check_frame(segments, param)
    missing = [c for c in columns if c not in segments.columns]
    if missing:
        raise ArgumentError(
            f"{param} lacks the column(s) {', '.join(map(repr, missing))} of the segments frame "
            f"(columns: {', '.join(map(str, segments.columns))})",
            where=param,
        )
    return segments


def check_units(units: Any, param: str = "units") -> pd.DataFrame:
    """``units`` must be a units frame (``document, unit, start, end``; ``text`` optional)."""
    return require_columns(units, ("document", "unit", "start", "end"), param)


def check_values(values: Any, param: str) -> list | None:
    """``values`` is None, one value, or an iterable of values used as a filter."""
    if values is None:
        return None
    if isinstance(values, str) or not isinstance(values, Iterable):
        return [values]
    values = list(values)
    if not values:
        raise ArgumentError(f"{param} must list at least one value, got an empty list",
                            where=param)
    return values


def filter_rows(data: pd.DataFrame, **filters: list | None) -> pd.DataFrame:
    """The rows of ``data`` whose columns take one of the given values (None keeps all)."""
    keep = np.ones(len(data), dtype=bool)
    for column, values in filters.items():
        if values is not None:
            keep &= data[column].isin(values).to_numpy()
    return data.loc[keep]


def ancestors(paths: pd.Series) -> pd.DataFrame:
    """Every path with each of its ancestors: ``path``, ``code_path`` (ancestor), ``depth``.

    ``"A/B/C"`` gives the rows (A/B/C, A, 1), (A/B/C, A/B, 2), (A/B/C, A/B/C, 3).
    """
    unique = pd.Series(pd.unique(paths.dropna()), dtype=object)
    parts = unique.str.split(PATH_SEP)
    rows = [(path, PATH_SEP.join(p[:k]), k)
            for path, p in zip(unique, parts, strict=True) for k in range(1, len(p) + 1)]
    return pd.DataFrame(rows, columns=["path", "code_path", "depth"]).astype(
        {"path": object, "code_path": object, "depth": "int64"})


def at_level(paths: pd.Series, level: str) -> pd.Series:
    """Code paths at ``level``: ``"code"`` keeps them, ``"theme"`` keeps their first part."""
    if level == "theme":
        return paths.str.split(PATH_SEP, n=1).str[0]
    return paths


def check_level(level: Any) -> str:
    return check_choice(level, ("code", "theme"), "level")


def case_column(segments: pd.DataFrame) -> pd.Series:
    """The participant of each row, or its document when the participant is unknown."""
    return segments["participant"].astype(object).where(
        segments["participant"].notna(), segments["document"])


def select_coder(segments: pd.DataFrame, coder: Any, *, allow_consensus: bool) -> tuple[
        pd.DataFrame, bool]:
    """The codings of ``coder`` (or of the only coder); whether a consensus rule must apply."""
    coders = pd.unique(segments["coder"].dropna())
    if coder is not None:
        if coder not in set(coders):
            raise ArgumentError(
                f"coder={coder!r} coded nothing in segments (coders: "
                f"{', '.join(map(repr, sorted(map(str, coders))))})", where="coder")
        return segments.loc[segments["coder"] == coder], False
    if len(coders) <= 1 or not allow_consensus:
        if len(coders) > 1:
            raise ArgumentError(
                f"segments hold the codings of several coders "
                f"({', '.join(map(repr, sorted(map(str, coders))))}): choose one with coder=",
                where="coder")
        return segments, False
    return segments, True


def unit_keys(segments: pd.DataFrame, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each coding with the unit(s) it falls in: the frame's rows repeated, plus ``unit_key``.

    A coding's unit is its ``unit`` column when given; otherwise, when ``units`` is given, every
    unit of the same document its span ``[start, end)`` overlaps (a coding across two turns
    counts in both); otherwise the coding's own span (``"@start-end"``).
    """
    if "unit" in segments.columns:
        has_unit = segments["unit"].notna().to_numpy()
        direct = segments.loc[has_unit]
        direct = direct.assign(unit_key=direct["unit"].astype(str).astype(object))
    else:
        has_unit = np.zeros(len(segments), dtype=bool)
        direct = segments.iloc[:0].assign(unit_key=pd.Series(dtype=object))
    rest = segments.loc[~has_unit]
    if units is not None and len(rest):
        mapped = overlapping_units(rest, units)
    else:
        span = ("@" + rest["start"].astype("string").fillna("?") + "-"
                + rest["end"].astype("string").fillna("?"))
        mapped = rest.assign(unit_key=span.astype(object))
    return pd.concat([direct, mapped], ignore_index=True)


def overlapping_units(segments: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``segments`` repeated once per unit of its document that its span overlaps."""
    docs = pd.Index(pd.unique(pd.concat([units["document"], segments["document"]])))
    order = np.lexsort((units["start"].to_numpy(np.int64), docs.get_indexer(units["document"])))
    u = units.iloc[order]
    u_doc = docs.get_indexer(u["document"]).astype(np.int64)
    u_start = u["start"].to_numpy(np.int64)
    u_end = u["end"].to_numpy(np.int64)
    same_doc = u_doc[1:] == u_doc[:-1]
    if np.any(same_doc & (u_start[1:] < u_end[:-1])):
        bad = u.iloc[1:].loc[same_doc & (u_start[1:] < u_end[:-1])].iloc[0]
        raise DataError.from_catalogue("qual.error.units_overlap", document=str(bad["document"]),
                                       unit=str(bad["unit"]))
    big = np.int64(max(int(u_end.max(initial=0)), int(segments["end"].max()), 0) + 1)
    s_doc = docs.get_indexer(segments["document"]).astype(np.int64)
    lo = np.searchsorted(u_doc * big + u_end, s_doc * big + segments["start"].to_numpy(np.int64),
                         side="right")
    hi = np.searchsorted(u_doc * big + u_start, s_doc * big + segments["end"].to_numpy(np.int64),
                         side="left")
    counts = np.maximum(hi - lo, 0)
    rows = np.repeat(np.arange(len(segments)), counts)
    starts = np.repeat(lo, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    unit_index = starts + within
    out = segments.iloc[rows].reset_index(drop=True)
    return out.assign(unit_key=u["unit"].astype(str).to_numpy()[unit_index])


def unit_codings(segments: pd.DataFrame, *, coder: Any, consensus: str,
                 units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The codings that count, each with its ``unit_key`` and the ``item`` it counts as.

    With one coder (chosen or alone), every coding counts and ``item`` is its segment id (a
    coding across two units appears once per unit). With several coders and no choice, a code
    counts in a unit when ``consensus`` of the coders who coded the document applied it (any,
    a strict majority, all); one row per agreed unit and code, and ``item`` is the unit.
    """
    check_choice(consensus, CONSENSUS_RULES, "consensus")
    chosen, pooled = select_coder(segments, coder, allow_consensus=True)
    keyed = unit_keys(chosen, units)
    if not pooled:
        return keyed.assign(item=keyed["segment_id"].astype(object))
    n_doc = chosen.groupby("document", sort=False)["coder"].nunique()
    key = ["document", "unit_key", "code_path"]
    votes = keyed.groupby(key, sort=False, dropna=False)["coder"].nunique().rename(
        "n_coders").reset_index()
    needed = votes["document"].map(n_doc)
    threshold = {"any": 1, "majority": needed // 2 + 1, "all": needed}[consensus]
    agreed = votes.loc[votes["n_coders"] >= threshold, key]
    first = keyed.drop_duplicates(key)
    out = agreed.merge(first, on=key, how="left", sort=False)
    return out.assign(item=out["document"].astype(str) + "\x1f" + out["unit_key"].astype(str))


def excerpt(text: Any, max_chars: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``max_chars`` (with "…")."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return ""
    flat = " ".join(str(text).split())
    if len(flat) <= max_chars:
        return flat
    cut = flat[: max_chars - 1]
    space = cut.rfind(" ")
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


# A sentence ends with . ! ? or … (and any closing quote or bracket), then white space.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”’)\]]*\s+")
#: The mark of a cut in a quotation, the same in French and English.
ELLIPSIS = "[…]"


def sentences(text: Any) -> list[str]:
    """The sentences of ``text`` (white space collapsed); abbreviations may split a sentence."""
    flat = excerpt(text, 10**9)
    if not flat:
        return []
    pieces, start = [], 0
    for match in _SENTENCE_END.finditer(flat):
        pieces.append(flat[start:match.end()].strip())
        start = match.end()
    pieces.append(flat[start:].strip())
    return [p for p in pieces if p]


def trim_sentences(text: Any, max_chars: int) -> str:
    """``text`` cut after its last whole sentence within ``max_chars`` (marked " […]"); a
    first sentence longer than that is cut at a word boundary (marked "…")."""
    flat = excerpt(text, 10**9)
    if len(flat) <= max_chars:
        return flat
    kept: list[str] = []
    budget = max_chars - len(ELLIPSIS) - 1
    for sentence in sentences(flat):
        if len(" ".join([*kept, sentence])) > budget:
            break
        kept.append(sentence)
    if kept:
        return " ".join(kept) + " " + ELLIPSIS
    return excerpt(flat, max_chars)


# Words of four letters or more carry the content of a segment (a crude, language-free filter of
# function words such as "les", "the", "and").
_WORD = re.compile(r"[^\W\d_]{4,}")


def centrality(texts: pd.Series, groups: np.ndarray) -> np.ndarray:
    """How representative each text is of its group: the cosine similarity between its word
    counts (words of four letters or more, lowercased) and the summed counts of the other texts
    of its group (0 for a group of one, or without shared words)."""
    words = [_WORD.findall(text.lower()) if isinstance(text, str) else [] for text in texts]
    vocab: dict[str, int] = {}
    rows = np.repeat(np.arange(len(words)), [len(w) for w in words])
    cols = np.fromiter((vocab.setdefault(w, len(vocab)) for ws in words for w in ws),
                       dtype=np.int64, count=len(rows))
    counts = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(words), len(vocab)))
    groups = np.asarray(groups, dtype=np.int64)
    summer = sp.csr_matrix((np.ones(len(groups)), (groups, np.arange(len(groups)))),
                           shape=(int(groups.max(initial=-1)) + 1, len(groups)))
    totals = (summer @ counts)[groups]
    own = np.asarray(counts.multiply(counts).sum(1)).ravel()
    cross = np.asarray(counts.multiply(totals).sum(1)).ravel()
    total_sq = np.asarray(totals.multiply(totals).sum(1)).ravel()
    others_sq = total_sq - 2 * cross + own
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (cross - own) / np.sqrt(own * others_sq)
    return np.where(np.isfinite(score), score, 0.0)
