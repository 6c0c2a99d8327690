"""How often codes occur: frequencies by site and group, co-occurrence within units, and the
case × code matrix that joins interviews to survey data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_column, check_frame
from evalkit._lazy import lazy_module
from evalkit.analyse.qual._segments import (
    PATH_SEP,
    ancestors,
    at_level,
    case_column,
    check_level,
    check_units,
    check_values,
    filter_rows,
    require_columns,
    select_coder,
    unit_codings,
)
from evalkit.errors import ArgumentError

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
sp = lazy_module("scipy.sparse")

__all__ = ["case_code_matrix", "code_frequencies", "cooccurrence", "cooccurrence_matrix"]

_COOCCURRENCE_COLUMNS = ["code_a", "code_b", "n_units_both", "n_units_a", "n_units_b", "jaccard"]


def code_frequencies(segments: pd.DataFrame, *, site: str | None = "site",
                     group: str | None = "group", coder: Any = None, consensus: str = "any",
                     documents: pd.DataFrame | None = None,
                     units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Segments and participants per code, by site and group, with the hierarchy rolled up.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segments frame (one row per coding).
    site, group : str or None, default "site", "group"
        Columns to break the counts down by; None for no breakdown by that role.
    coder : str, optional
        Count this coder's codings only. Needed neither with a single coder nor with a
        ``consensus`` rule.
    consensus : {"any", "majority", "all"}
        With several coders and no ``coder``: a code counts in a unit when any coder, a strict
        majority or all the coders of the document applied it.
    documents : pandas.DataFrame, optional
        The documents frame: its participants (by site and group) are the denominators, so that
        participants who never mention a code count as not mentioning it. Without it, the
        denominators are the participants present in the (chosen coder's) codings.
    units : pandas.DataFrame, optional
        The units frame, to place codings without a ``unit`` in their turn(s) under a
        consensus rule.

    Returns
    -------
    pandas.DataFrame
        One row per site, group and code path (every code and every ancestor theme, zeros
        included), sorted by site, group and path, with the columns:

        - ``site``, ``group`` (when requested);
        - ``code_path``, ``theme`` (its first level) and ``depth`` (1 for a theme);
        - ``n_segments``: coded segments (with a consensus rule: agreed units);
        - ``n_participants``: participants with at least one of them;
        - ``n_participants_total``: the participants of that site and group (the denominator);
        - ``share_participants``: ``n_participants / n_participants_total``.

    Notes
    -----
    A theme counts a segment or a participant once when any of its codes applies (a segment
    coded with two codes of the same theme is one segment of the theme). A participant is the
    ``participant`` column, or the document when it is missing (an interview with no
    participant id counts as one participant). Double coding is never counted twice: either one
    coder's codings count, or one decision per unit under the consensus rule.

    Examples
    --------
    >>> import pandas as pd
    >>> segments = pd.DataFrame({
    ...     "segment_id": ["s1", "s2", "s3", "s4"], "document": ["d1", "d1", "d2", "d3"],
    ...     "participant": ["P1", "P1", "P2", "P3"], "site": ["A", "A", "A", "B"],
    ...     "group": "user", "code_path": ["Voice/Asked", "Voice/Heard", "Voice/Asked",
    ...                                    "Power/Staff"],
    ...     "coder": "ana", "start": [0, 10, 0, 0], "end": [5, 20, 5, 5]})
    >>> freq = code_frequencies(segments, group=None)
    >>> freq.loc[freq["site"] == "A", ["code_path", "n_segments", "n_participants",
    ...                                "share_participants"]]
         code_path  n_segments  n_participants  share_participants
    0        Power           0               0                 0.0
    1  Power/Staff           0               0                 0.0
    2        Voice           3               2                 1.0
    3  Voice/Asked           2               2                 1.0
    4  Voice/Heard           1               1                 0.5
    """
    roles = _check_roles(segments, site=site, group=group)
    require_columns(segments, ("segment_id", "document", "participant", "code_path", "coder"))
    if documents is not None:
        require_columns(documents, ("document", "participant", *roles), "documents")
    if units is not None:
        check_units(units)
    codings = unit_codings(segments, coder=coder, consensus=consensus, units=units)
    codings = codings.assign(case=case_column(codings))
    tree = ancestors(codings["code_path"])
    rolled = codings.rename(columns={"code_path": "path"}).merge(tree, on="path", how="inner")
    keys = [*roles, "code_path"]
    counts = rolled.groupby(keys, dropna=False, sort=False).agg(
        n_segments=("item", "nunique"), n_participants=("case", "nunique"))
    totals = _denominators(segments, coder, documents, roles)
    paths = tree.drop_duplicates("code_path")[["code_path", "depth"]]
    grid = totals.merge(paths, how="cross") if roles else paths.assign(
        n_participants_total=int(totals["n_participants_total"].iloc[0]))
    out = grid.merge(counts.reset_index(), on=keys, how="left")
    out[["n_segments", "n_participants"]] = out[["n_segments", "n_participants"]].fillna(
        0).astype("int64")
    out["theme"] = out["code_path"].str.split(PATH_SEP, n=1).str[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_participants"] = out["n_participants"] / out["n_participants_total"]
    out = out.sort_values(keys, kind="stable", na_position="last")
    return out[[*roles, "code_path", "theme", "depth", "n_segments", "n_participants",
                "n_participants_total", "share_participants"]].reset_index(drop=True)


def cooccurrence(segments: pd.DataFrame, *, level: str = "code", coder: Any = None,
                 consensus: str = "any", units: pd.DataFrame | None = None,
                 sites: Any = None, groups: Any = None, documents: Any = None) -> pd.DataFrame:
    """How often two codes apply to the same unit (turn), with the Jaccard index.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segments frame.
    level : {"code", "theme"}
        Pairs of codes (full code paths), or of themes.
    coder, consensus
        Whose codings count (see :func:`code_frequencies`).
    units : pandas.DataFrame, optional
        The units frame, to place codings without a ``unit`` in the turn(s) they overlap;
        without it such a coding is its own unit.
    sites, groups, documents : value or list of values, optional
        Keep only the codings of these sites, groups or documents.

    Returns
    -------
    pandas.DataFrame
        One row per pair of codes (``code_a`` < ``code_b``, every pair, zeros included), with
        ``n_units_both`` (units with both codes), ``n_units_a``, ``n_units_b`` (units with
        each) and ``jaccard`` = both / (a + b − both).

    Examples
    --------
    >>> import pandas as pd
    >>> segments = pd.DataFrame({
    ...     "segment_id": ["s1", "s2", "s3", "s4"], "document": "d1",
    ...     "code_path": ["T/a", "T/b", "T/a", "T/c"], "coder": "ana",
    ...     "unit": ["t1", "t1", "t2", "t3"], "start": 0, "end": 1})
    >>> cooccurrence(segments)
      code_a code_b  n_units_both  n_units_a  n_units_b  jaccard
    0    T/a    T/b             1          2          1      0.5
    1    T/a    T/c             0          2          1      0.0
    2    T/b    T/c             0          1          1      0.0
    """
    indicator, codes = _unit_indicator(segments, level=level, coder=coder, consensus=consensus,
                                       units=units, sites=sites, groups=groups,
                                       documents=documents)
    both = np.asarray((indicator.T @ indicator).todense(), dtype=np.int64)
    single = np.diag(both)
    a, b = np.triu_indices(len(codes), k=1)
    union = single[a] + single[b] - both[a, b]
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, both[a, b] / np.where(union > 0, union, 1), np.nan)
    return pd.DataFrame({"code_a": codes[a], "code_b": codes[b], "n_units_both": both[a, b],
                         "n_units_a": single[a], "n_units_b": single[b], "jaccard": jaccard})


def cooccurrence_matrix(cooccurrences: pd.DataFrame, *, value: str = "n_units_both"
                        ) -> pd.DataFrame:
    """The square, symmetric code × code matrix of :func:`cooccurrence`'s long output.

    Parameters
    ----------
    cooccurrences : pandas.DataFrame
        The output of :func:`cooccurrence`.
    value : {"n_units_both", "jaccard"}
        The measure in the cells. The diagonal holds each code's number of units (counts) or 1
        (Jaccard).

    Returns
    -------
    pandas.DataFrame
        Codes in rows and columns, in sorted order.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"code_a": ["a"], "code_b": ["b"], "n_units_both": [1],
    ...                      "n_units_a": [2], "n_units_b": [3], "jaccard": [0.25]})
    >>> cooccurrence_matrix(long)
    code_b  a  b
    code_a
    a       2  1
    b       1  3
    """
    check_frame(cooccurrences, "cooccurrences")
    for column in _COOCCURRENCE_COLUMNS:
        check_column(cooccurrences, column, "cooccurrences")
    check_choice(value, ("n_units_both", "jaccard"), "value")
    data = cooccurrences
    codes = sorted(set(data["code_a"]) | set(data["code_b"]), key=str)
    square = pd.DataFrame(0.0 if value == "jaccard" else 0, index=pd.Index(codes, name="code_a"),
                          columns=pd.Index(codes, name="code_b"))
    rows, cols = square.index.get_indexer(data["code_a"]), square.columns.get_indexer(
        data["code_b"])
    values = square.to_numpy(copy=True)
    values[rows, cols] = data[value].to_numpy()
    values[cols, rows] = data[value].to_numpy()
    if value == "jaccard":
        np.fill_diagonal(values, 1.0)
    else:
        single = pd.concat([data.set_index("code_a")["n_units_a"],
                            data.set_index("code_b")["n_units_b"]])
        single = single.groupby(level=0).first()
        values[np.arange(len(codes)), np.arange(len(codes))] = single.reindex(codes).to_numpy()
    return pd.DataFrame(values, index=square.index, columns=square.columns)


def case_code_matrix(segments: pd.DataFrame, *, case: str = "participant", level: str = "code",
                     coder: Any = None, consensus: str = "any",
                     units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The case × code 0/1 matrix: which codes apply to each case, for mixed-methods analyses.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segments frame.
    case : str, default "participant"
        The case: a column such as ``participant`` (the document when missing), ``document``
        or ``site``.
    level : {"code", "theme"}
        Columns for codes (full paths) or themes.
    coder, consensus, units
        Whose codings count (see :func:`code_frequencies`).

    Returns
    -------
    pandas.DataFrame
        Cases in rows (index named after ``case``, sorted), codes in columns (sorted), 1 when
        the code applies at least once to the case, else 0 (int8). Join it to survey data on
        the case.

    Examples
    --------
    >>> import pandas as pd
    >>> segments = pd.DataFrame({
    ...     "segment_id": ["s1", "s2", "s3"], "document": ["d1", "d1", "d2"],
    ...     "participant": ["P1", "P1", "P2"], "code_path": ["T/a", "T/b", "T/a"],
    ...     "coder": "ana", "start": 0, "end": 1})
    >>> case_code_matrix(segments)
                 T/a  T/b
    participant
    P1             1    1
    P2             1    0
    """
    require_columns(segments, ("segment_id", "document", "code_path", "coder"))
    check_column(segments, case, "case")
    check_level(level)
    codings = unit_codings(segments, coder=coder, consensus=consensus, units=units)
    cases = case_column(codings) if case == "participant" else codings[case]
    present = pd.crosstab(cases.rename(case), at_level(codings["code_path"], level).rename(None))
    present = (present > 0).astype(np.int8)
    return present.sort_index(axis=0).sort_index(axis=1).rename_axis(columns=None)


# --- helpers ----------------------------------------------------------------------------------


def _check_roles(segments: Any, **roles: str | None) -> list[str]:
    check_frame(segments, "segments")
    return [check_column(segments, column, name) for name, column in roles.items()
            if column is not None]


def _denominators(segments: pd.DataFrame, coder: Any, documents: pd.DataFrame | None,
                  roles: list[str]) -> pd.DataFrame:
    if documents is not None:
        people = documents.assign(case=case_column(documents))
    else:
        people, _ = select_coder(segments, coder, allow_consensus=True)
        people = people.assign(case=case_column(people))
    if not roles:
        return pd.DataFrame({"n_participants_total": [people["case"].nunique()]})
    return people.groupby(roles, dropna=False, sort=False)["case"].nunique().rename(
        "n_participants_total").reset_index()


def _unit_indicator(segments: pd.DataFrame, *, level: str, coder: Any, consensus: str,
                    units: pd.DataFrame | None, sites: Any, groups: Any,
                    documents: Any) -> tuple[sp.csr_matrix, np.ndarray]:
    require_columns(segments, ("segment_id", "document", "code_path", "coder", "start", "end"))
    check_level(level)
    filters = {"site": check_values(sites, "sites"), "group": check_values(groups, "groups"),
               "document": check_values(documents, "documents")}
    for column, values in filters.items():
        if values is not None and column not in segments.columns:
            raise ArgumentError(f"segments has no column {column!r} to filter on",
                                where=f"{column}s")
    if units is not None:
        check_units(units)
    kept = filter_rows(segments, **filters)
    codings = unit_codings(kept, coder=coder, consensus=consensus, units=units)
    unit_ids = pd.factorize(pd.MultiIndex.from_arrays(
        [codings["document"].astype(str), codings["unit_key"].astype(str)]))[0]
    code_ids, codes = pd.factorize(at_level(codings["code_path"], level), sort=True)
    indicator = sp.csr_matrix((np.ones(len(codings)), (unit_ids, code_ids)),
                              shape=(int(unit_ids.max(initial=-1)) + 1, len(codes)))
    indicator.sum_duplicates()
    indicator.data = np.minimum(indicator.data, 1.0)  # a code twice in a unit counts once
    return indicator, np.asarray(codes, dtype=object)
