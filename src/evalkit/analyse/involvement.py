"""Involvement and tokenism: Arnstein's ladder from agree/disagree items, tokenism rates and gaps.

These are transparent, configurable indices, not validated instruments: every output says so in a
``non_validated`` column. Item columns, thresholds and the rung order come from the caller (or the
study's configuration), never from the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import (
    check_choice,
    check_column,
    check_columns,
    check_frame,
    check_number,
    check_probability,
)
from evalkit.analyse import _intervals
from evalkit.analyse._not_asked import missing_by_design, not_asked_matrix
from evalkit.config.study import Study
from evalkit.errors import ArgumentError

__all__ = [
    "ladder_distribution",
    "ladder_placement",
    "ladder_reproducibility",
    "perception_gap",
    "perception_gap_from_study",
    "tokenism_from_study",
    "tokenism_gap",
    "tokenism_rates",
    "tokenism_status",
]

COMBINE_RULES = ("mean", "any", "all")
ERROR_COUNTS = ("goodenough_edwards", "minimum")


# -- argument checks and shared helpers ------------------------------------------------------

def _item_values(data: pd.DataFrame, items: Any, param: str) -> tuple[list, np.ndarray]:
    """The item columns as a float matrix (missing as NaN); the items must be numeric."""
    items = check_columns(data, items, param)
    not_numeric = [c for c in items if not (pd.api.types.is_numeric_dtype(data[c])
                                            and not pd.api.types.is_bool_dtype(data[c]))]
    if not_numeric:
        raise ArgumentError(
            f"{param} must name numeric item columns; not numeric: "
            f"{', '.join(map(repr, not_numeric))} (replace missing codes such as 8 and 9 by "
            "NaN and convert the items to numbers first)", where=param)
    values = data[items].to_numpy(dtype="float64", na_value=np.nan)
    return items, values


def _keys(data: pd.DataFrame, **roles: Any) -> list:
    keys = [check_column(data, col, name, optional=True) for name, col in roles.items()]
    keys = [k for k in keys if k is not None]
    if len(set(keys)) != len(keys):
        raise ArgumentError(f"the grouping columns must differ, got {roles!r}",
                            where=", ".join(roles))
    return keys


def _indicator(values: np.ndarray, agree_at: float, combine: str) -> np.ndarray:
    """1.0 / 0.0 / NaN per row: whether the answered items reach ``agree_at`` under ``combine``."""
    answered = ~np.isnan(values)
    any_answered = answered.any(axis=1)
    with np.errstate(invalid="ignore"):
        reach = values >= agree_at
    if combine == "mean":
        score = _row_mean(values)
        with np.errstate(invalid="ignore"):
            out = (score >= agree_at).astype("float64")
    elif combine == "any":
        out = reach.any(axis=1).astype("float64")
    else:
        out = (reach | ~answered).all(axis=1).astype("float64")
    out[~any_answered] = np.nan
    return out


def _row_mean(values: np.ndarray) -> np.ndarray:
    """Mean of the answered items per row (NaN when none is answered), without warnings."""
    answered = ~np.isnan(values)
    count = answered.sum(axis=1)
    total = np.where(answered, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _grouped(work: pd.DataFrame, keys: list):
    """Group ``work`` by ``keys`` (missing key values form their own group), or as one group."""
    if keys:
        return work.groupby(keys, sort=True, dropna=False, observed=True)
    return work.assign(_all=0).groupby("_all", sort=False)


def _finish(out: pd.DataFrame, keys: list) -> pd.DataFrame:
    out = out.reset_index()
    if not keys:
        out = out.drop(columns="_all")
    return out


def _check_common(data: Any, agree_at: Any, confidence: Any = 0.95,
                  combine: str = "mean") -> tuple[pd.DataFrame, float, float]:
    data = check_frame(data)
    agree_at = check_number(agree_at, "agree_at") if agree_at is not None else None
    confidence = check_probability(confidence, "confidence")
    check_choice(combine, COMBINE_RULES, "combine")
    return data, agree_at, confidence


# -- the ladder ------------------------------------------------------------------------------

def _placement_arrays(values: np.ndarray, agree_at: float, errors: str) -> dict[str, np.ndarray]:
    answered = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        endorsed = (values >= agree_at) & answered
    k = values.shape[1]
    n_answered = answered.sum(axis=1)
    rung = np.where(endorsed, np.arange(1, k + 1), 0).max(axis=1)
    # Position of each answered item among the answered items, in rung order (1-based).
    position = np.cumsum(answered, axis=1)
    score = endorsed.sum(axis=1)
    if errors == "goodenough_edwards":
        ideal = answered & (position <= score[:, None])
        n_errors = (answered & (endorsed != ideal)).sum(axis=1)
    else:
        per_cut = [(answered & (position <= c) & ~endorsed).sum(axis=1)
                   + (answered & (position > c) & endorsed).sum(axis=1) for c in range(k + 1)]
        n_errors = np.min(per_cut, axis=0)
    none = n_answered == 0
    return {"rung": rung, "n_answered": n_answered, "n_missing": k - n_answered,
            "n_endorsed": score, "guttman_errors": n_errors, "none_answered": none,
            "endorsed": endorsed, "answered": answered}


def ladder_placement(data: pd.DataFrame, *, items: Sequence[str], agree_at: float,
                     id: str | None = None, errors: str = "goodenough_edwards",
                     not_asked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Place each respondent on the ladder: the highest rung whose item they endorse.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (and wave), the ladder items as numbers, missing as NaN.
    items : list of str
        The ladder items in rung order, lowest rung first (rung 1 is ``items[0]``).
    agree_at : float
        A rung is endorsed when its item is at least this value (e.g. 4 on a 1–5 scale).
    id : str, optional
        A column copied into the result to identify respondents.
    errors : {"goodenough_edwards", "minimum"}
        How Guttman errors are counted (see Notes).
    not_asked : DataFrame of bool, optional
        Cells empty by design, with the index of ``data`` (``ValidationReport.not_asked``):
        ladder items asked of a subset only. Adds ``n_not_asked``.

    Returns
    -------
    DataFrame
        One row per row of ``data``, same index, with the columns ``id`` (when given),
        ``rung`` (0 = no rung endorsed; NA when every item is missing), ``rung_item`` (the item
        of that rung; NA for 0), ``n_answered``, ``n_missing`` (items asked and not answered),
        ``n_not_asked`` (only with ``not_asked``: items not asked), ``n_endorsed``,
        ``guttman_errors`` (NA when every item is missing), ``cumulative`` (no Guttman error:
        every answered rung below the highest endorsed is endorsed too, and none above it) and
        ``non_validated`` (always True: the ladder is a transparent, non-validated index).

    Notes
    -----
    The placement is ``max{j : x_j >= agree_at}`` over the answered items ``j = 1..k`` (0 when
    none is endorsed). Missing-data policy: missing items count as not endorsed; the placement
    uses the answered items, the number of missing items is reported in ``n_missing``, and the
    placement is NA when all items are missing. A respondent placed from partial answers may
    belong higher: filter on ``n_missing == 0`` when that matters.

    Guttman errors compare the answered pattern with a perfectly cumulative one, among answered
    items in rung order. ``"goodenough_edwards"`` (Goodenough 1944; Edwards 1948): the ideal
    pattern endorses the ``s`` lowest answered rungs, ``s`` the number endorsed; errors are the
    cells that differ (a misplaced endorsement counts twice). ``"minimum"`` (Guttman's own
    counting as usually described): the least number of cells to change to reach some
    cumulative pattern. Both are 0 exactly for cumulative patterns.

    References
    ----------
    Arnstein, S. R. (1969). A ladder of citizen participation. *Journal of the American Institute
    of Planners*, 35(4), 216–224. https://doi.org/10.1080/01944366908977225

    Goodenough, W. H. (1944). A technique for scale analysis. *Educational and Psychological
    Measurement*, 4(3), 179–190.

    Edwards, A. L. (1948). On Guttman's scale analysis. *Educational and Psychological
    Measurement*, 8(3), 313–318.

    Guttman, L. (1944). A basis for scaling qualitative data. *American Sociological Review*,
    9(2), 139–150. https://doi.org/10.2307/2086306

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"who": ["a", "b", "c"], "informed": [5, 4, None],
    ...                         "asked": [4, 2, None], "changed": [2, 5, None]})
    >>> out = ladder_placement(answers, items=["informed", "asked", "changed"], agree_at=4,
    ...                        id="who")
    >>> out[["who", "rung", "rung_item", "n_missing", "guttman_errors", "cumulative"]]
      who  rung rung_item  n_missing  guttman_errors  cumulative
    0   a     2     asked          0               0        True
    1   b     3   changed          0               2       False
    2   c  <NA>      <NA>          3            <NA>        <NA>
    """
    data, agree_at, _ = _check_common(data, agree_at)
    check_column(data, id, "id", optional=True)
    check_choice(errors, ERROR_COUNTS, "errors")
    items, values = _item_values(data, items, "items")
    arr = _placement_arrays(values, agree_at, errors)
    none = arr["none_answered"]
    out = pd.DataFrame(index=data.index)
    if id is not None:
        out[id] = data[id]
    out["rung"] = pd.array(np.where(none, 0, arr["rung"]), dtype="Int64")
    out.loc[none, "rung"] = pd.NA
    names = np.array([None, *items], dtype=object)
    out["rung_item"] = pd.array(names[arr["rung"]], dtype="string")
    out.loc[none, "rung_item"] = pd.NA
    out["n_answered"] = arr["n_answered"]
    skipped = not_asked_matrix(data, not_asked, items)
    if skipped is None:
        out["n_missing"] = arr["n_missing"]
    else:
        out["n_missing"] = arr["n_missing"] - skipped.sum(axis=1)
        out["n_not_asked"] = skipped.sum(axis=1).astype("int64")
    out["n_endorsed"] = arr["n_endorsed"]
    out["guttman_errors"] = pd.array(arr["guttman_errors"], dtype="Int64")
    out.loc[none, "guttman_errors"] = pd.NA
    out["cumulative"] = pd.array(arr["guttman_errors"] == 0, dtype="boolean")
    out.loc[none, "cumulative"] = pd.NA
    out["non_validated"] = True
    return out


def ladder_reproducibility(data: pd.DataFrame, *, items: Sequence[str], agree_at: float,
                           errors: str = "goodenough_edwards",
                           not_asked: pd.DataFrame | None = None) -> pd.DataFrame:
    """How cumulative (Guttman-like) the ladder answers are: reproducibility and scalability.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, the ladder items as numbers, missing as NaN.
    items : list of str
        The ladder items in rung order, lowest rung first.
    agree_at : float
        A rung is endorsed when its item is at least this value.
    errors : {"goodenough_edwards", "minimum"}
        How Guttman errors are counted (see :func:`ladder_placement`).
    not_asked : DataFrame of bool, optional
        Cells empty by design, with the index of ``data`` (``ValidationReport.not_asked``):
        ladder items asked of a subset only. Adds ``n_not_asked``.

    Returns
    -------
    DataFrame
        One row: ``n`` (respondents who answered every item), ``n_excluded`` (respondents with
        at least one missing item), ``n_not_asked`` (only with ``not_asked``: respondents
        incomplete only because items were not asked of them, not in ``n_excluded``), ``k``
        (items), ``n_errors``, ``cr`` (coefficient of
        reproducibility), ``mmr`` (minimal marginal reproducibility), ``improvement``
        (``cr - mmr``), ``scalability`` (Menzel's coefficient of scalability), ``errors`` (the
        error counting used) and ``non_validated`` (always True).

    Notes
    -----
    With ``n`` respondents, ``k`` items and ``E`` Guttman errors, ``CR = 1 - E / (n k)``. The
    minimal marginal reproducibility is the CR that the item marginals alone guarantee:
    ``MMR = (1/k) Σ_j max(p_j, 1 - p_j)`` with ``p_j`` the share endorsing item ``j``. Menzel's
    coefficient of scalability is ``CS = (CR - MMR) / (1 - MMR)``. Conventions hold
    ``CR ≥ 0.90`` and ``CS ≥ 0.60`` as evidence of a cumulative scale; these are rules of thumb,
    not tests. The items are taken in the order given (the ladder's theoretical order), not
    re-ordered by popularity as in scalogram analysis: an item that is endorsed more often than
    a lower rung shows up as errors. Missing-data policy: complete cases only (respondents with
    a missing item are counted in ``n_excluded``). NaN when no respondent is complete.

    References
    ----------
    Guttman, L. (1944). A basis for scaling qualitative data. *American Sociological Review*,
    9(2), 139–150. https://doi.org/10.2307/2086306

    Guttman, L. (1950). The basis for scalogram analysis. In S. A. Stouffer et al. (Eds.),
    *Measurement and Prediction* (pp. 60–90). Princeton University Press.

    Menzel, H. (1953). A new coefficient for scalogram analysis. *Public Opinion Quarterly*,
    17(2), 268–280. https://doi.org/10.1086/266460

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"informed": [5, 5, 5, 1, 5, 1], "asked": [5, 5, 1, 5, 1, 1],
    ...                         "changed": [5, 1, 1, 1, 5, 1]})
    >>> out = ladder_reproducibility(answers, items=["informed", "asked", "changed"], agree_at=4)
    >>> out[["n", "n_errors", "cr", "mmr", "scalability"]].round(4)
       n  n_errors      cr     mmr  scalability
    0  6         4  0.7778  0.6111       0.4286
    """
    data, agree_at, _ = _check_common(data, agree_at)
    check_choice(errors, ERROR_COUNTS, "errors")
    items, values = _item_values(data, items, "items")
    complete = ~np.isnan(values).any(axis=1)
    skipped = not_asked_matrix(data, not_asked, items)
    by_design = (~complete & (~np.isnan(values) | skipped).all(axis=1)
                 if skipped is not None else np.zeros(len(values), dtype=bool))
    values = values[complete]
    n, k = values.shape
    arr = _placement_arrays(values, agree_at, errors)
    n_errors = int(arr["guttman_errors"].sum())
    if n:
        p = arr["endorsed"].mean(axis=0)
        cr = 1.0 - n_errors / (n * k)
        mmr = float(np.maximum(p, 1 - p).mean())
        scalability = (cr - mmr) / (1 - mmr) if mmr < 1 else np.nan
    else:
        cr = mmr = scalability = np.nan
    out = pd.DataFrame({
        "n": [n], "n_excluded": [int((~complete & ~by_design).sum())], "k": [k],
        "n_errors": [n_errors], "cr": [cr], "mmr": [mmr], "improvement": [cr - mmr],
        "scalability": [scalability], "errors": [errors], "non_validated": [True]})
    if skipped is not None:
        out.insert(2, "n_not_asked", int(by_design.sum()))
    return out


def ladder_distribution(data: pd.DataFrame, *, items: Sequence[str], agree_at: float,
                        site: str | None = None, group: str | None = None,
                        not_asked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts and shares of respondents on each rung, by site and respondent group (tidy long).

    Parameters
    ----------
    data : DataFrame
        One row per respondent, the ladder items as numbers, missing as NaN.
    items : list of str
        The ladder items in rung order, lowest rung first.
    agree_at : float
        A rung is endorsed when its item is at least this value.
    site, group : str, optional
        Columns to break the distribution down by (missing values form their own group).
    not_asked : DataFrame of bool, optional
        Cells empty by design, with the index of ``data`` (``ValidationReport.not_asked``):
        ladder items asked of a subset only. Adds ``n_not_asked``.

    Returns
    -------
    DataFrame
        One row per site, group and rung ``0..k`` (every rung, zero counts included), with the
        columns ``site`` and ``group`` (named as in ``data``, when given), ``rung``,
        ``rung_item`` (NA for rung 0), ``n`` (respondents on that rung), ``n_placed``
        (respondents placed in the cell), ``share`` (``n / n_placed``), ``n_unplaced``
        (respondents of the cell who answered no ladder item), ``n_not_asked`` (only when
        ``not_asked`` is given: respondents asked no ladder item, not in ``n_unplaced``) and
        ``non_validated``.

    Notes
    -----
    Placement as in :func:`ladder_placement`. Respondents who answered no ladder item are not
    in the shares; they are counted in ``n_unplaced``, or in ``n_not_asked`` when none of the
    items was asked of them (missing by design, not non-response).

    References
    ----------
    Arnstein, S. R. (1969). A ladder of citizen participation. *Journal of the American Institute
    of Planners*, 35(4), 216–224. https://doi.org/10.1080/01944366908977225

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"site": ["A", "A", "B"], "informed": [5, 2, 4],
    ...                         "asked": [4, 1, 2]})
    >>> out = ladder_distribution(answers, items=["informed", "asked"], agree_at=4, site="site")
    >>> out[["site", "rung", "n", "share"]]
      site  rung  n  share
    0    A     0  1    0.5
    1    A     1  0    0.0
    2    A     2  1    0.5
    3    B     0  0    0.0
    4    B     1  1    1.0
    5    B     2  0    0.0
    """
    data, agree_at, _ = _check_common(data, agree_at)
    keys = _keys(data, site=site, group=group)
    items, values = _item_values(data, items, "items")
    arr = _placement_arrays(values, agree_at, "goodenough_edwards")
    k = len(items)
    placed = ~arr["none_answered"]
    rungs = np.where(placed, arr["rung"], -1)
    onehot = rungs[:, None] == np.arange(k + 1)
    work = pd.DataFrame(onehot.astype("int64"), index=data.index,
                        columns=[f"_r{r}" for r in range(k + 1)])
    skipped = not_asked_matrix(data, not_asked, items)
    by_design = (~placed & skipped.all(axis=1)) if skipped is not None \
        else np.zeros(len(data), dtype=bool)
    work["_unplaced"] = (~placed & ~by_design).astype("int64")
    work["_not_asked"] = by_design.astype("int64")
    for key in keys:
        work[key] = data[key]
    counts = _finish(_grouped(work, keys).sum(), keys)
    long = counts.melt(id_vars=[*keys, "_unplaced", "_not_asked"],
                       value_vars=[f"_r{r}" for r in range(k + 1)],
                       var_name="rung", value_name="n")
    long["rung"] = long["rung"].str[2:].astype("int64")
    long = long.sort_values([*keys, "rung"], kind="stable").reset_index(drop=True)
    n_placed = long.groupby([*keys, "_unplaced", "_not_asked"] if keys
                            else ["_unplaced", "_not_asked"], dropna=False,
                            sort=False)["n"].transform("sum")
    names = np.array([None, *items], dtype=object)
    out = long[keys].copy()
    out["rung"] = long["rung"]
    out["rung_item"] = pd.array(names[long["rung"].to_numpy()], dtype="string")
    out["n"] = long["n"]
    out["n_placed"] = n_placed
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share"] = np.where(n_placed > 0, long["n"] / n_placed.where(n_placed > 0), np.nan)
    out["n_unplaced"] = long["_unplaced"]
    if skipped is not None:
        out["n_not_asked"] = long["_not_asked"]
    out["non_validated"] = True
    return out


# -- tokenism --------------------------------------------------------------------------------

def _status_arrays(data: pd.DataFrame, voice: Any, influence: Any, agree_at: float,
                   combine: str) -> dict[str, np.ndarray]:
    voice, v = _item_values(data, voice, "voice")
    influence, i = _item_values(data, influence, "influence")
    overlap = set(voice) & set(influence)
    if overlap:
        raise ArgumentError(f"voice and influence share items: {sorted(overlap)!r}",
                            where="influence")
    consulted = _indicator(v, agree_at, combine)
    influenced = _indicator(i, agree_at, combine)
    tokenistic = np.where(consulted == 0, 0.0, np.where(np.isnan(influenced), np.nan,
                                                         consulted * (1 - influenced)))
    tokenistic[np.isnan(consulted)] = np.nan
    return {"voice_score": _row_mean(v), "influence_score": _row_mean(i),
            "consulted": consulted, "influenced": influenced, "tokenistic": tokenistic,
            "voice": voice, "influence": influence}


def _by_design(data: pd.DataFrame, not_asked: Any, arr: dict, voice_missing: np.ndarray,
               influence_missing: np.ndarray) -> np.ndarray | None:
    """Rows whose missing voice or influence is missing by design only (None without
    ``not_asked``)."""
    skip_v = not_asked_matrix(data, not_asked, arr["voice"])
    if skip_v is None:
        return None
    skip_i = not_asked_matrix(data, not_asked, arr["influence"])
    return missing_by_design([(voice_missing, skip_v), (influence_missing, skip_i)])


def _split_missing(out: pd.DataFrame, work: pd.DataFrame, keys: list,
                   by_design: np.ndarray | None) -> pd.DataFrame:
    """Insert ``n_excluded_missing`` (and ``n_not_asked``) after ``n_answered``."""
    at = len(keys) + 2
    if by_design is None:
        out.insert(at, "n_excluded_missing", out["n"] - out["n_answered"])
        return out
    n_by_design = _finish(_grouped(work.assign(_by_design=by_design), keys)["_by_design"]
                          .sum(), keys)["_by_design"].to_numpy(dtype="int64")
    out.insert(at, "n_excluded_missing", out["n"] - out["n_answered"] - n_by_design)
    out.insert(at + 1, "n_not_asked", n_by_design)
    return out


def _boolean(x: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.array(np.where(np.isnan(x), None, x == 1), dtype="boolean")


def tokenism_status(data: pd.DataFrame, *, voice: str | Sequence[str],
                    influence: str | Sequence[str], agree_at: float,
                    combine: str = "mean") -> pd.DataFrame:
    """Per respondent: consulted (voice), influence, and tokenism (consulted without influence).

    Parameters
    ----------
    data : DataFrame
        One row per respondent, items as numbers, missing as NaN.
    voice : str or list of str
        Item(s) saying the respondent was asked for their view.
    influence : str or list of str
        Item(s) saying their view changed something.
    agree_at : float
        Agreement threshold (e.g. 4 on a 1–5 scale).
    combine : {"mean", "any", "all"}
        How several items make one judgement: the mean of the answered items reaches
        ``agree_at`` (``"mean"``), at least one answered item does (``"any"``), or every
        answered item does (``"all"``). With one item the three rules agree.

    Returns
    -------
    DataFrame
        Same index as ``data``, with ``voice_score`` and ``influence_score`` (mean of the
        answered items), ``consulted``, ``influenced`` and ``tokenistic`` (nullable booleans)
        and ``non_validated`` (always True).

    Notes
    -----
    ``tokenistic = consulted and not influenced``; a respondent not consulted is not tokenistic
    (tokenism is defined among those consulted). Missing-data policy: each judgement uses the
    answered items; it is NA when none of its items is answered. ``tokenistic`` is NA when
    ``consulted`` is NA, or when the respondent was consulted and ``influenced`` is NA.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"asked": [5, 4, 2, None], "changed": [5, 2, 1, 4]})
    >>> tokenism_status(answers, voice="asked", influence="changed", agree_at=4)["tokenistic"]
    0    False
    1     True
    2    False
    3     <NA>
    Name: tokenistic, dtype: boolean
    """
    data, agree_at, _ = _check_common(data, agree_at, combine=combine)
    arr = _status_arrays(data, voice, influence, agree_at, combine)
    out = pd.DataFrame({"voice_score": arr["voice_score"],
                        "influence_score": arr["influence_score"]}, index=data.index)
    for name in ("consulted", "influenced", "tokenistic"):
        out[name] = _boolean(arr[name])
    out["non_validated"] = True
    return out


def tokenism_rates(data: pd.DataFrame, *, voice: str | Sequence[str],
                   influence: str | Sequence[str], agree_at: float, site: str | None = None,
                   group: str | None = None, confidence: float = 0.95,
                   combine: str = "mean", not_asked: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Tokenism rate per site and group: the share of consulted respondents without influence.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (one wave), items as numbers, missing as NaN.
    voice, influence : str or list of str
        The voice and influence items (see :func:`tokenism_status`).
    agree_at : float
        Agreement threshold.
    site, group : str, optional
        Columns to break the rates down by (missing values form their own group).
    confidence : float
        Confidence level of the Wilson intervals.
    combine : {"mean", "any", "all"}
        How several voice or influence items make one judgement (see :func:`tokenism_status`).
    not_asked : DataFrame of bool, optional
        Cells empty by design, with the index of ``data`` (``ValidationReport.not_asked``, rows
        selected as ``data``'s): a voice or influence item asked of a subset only (skip logic).
        Adds ``n_not_asked``.

    Returns
    -------
    DataFrame
        One row per site and group with ``site`` and ``group`` (named as in ``data``, when
        given), ``n`` (rows), ``n_answered`` (rows whose tokenism status is known),
        ``n_excluded_missing`` (status unknown for want of an answer), ``n_not_asked`` (only
        when ``not_asked`` is given: status unknown because its items were not asked),
        ``n_consulted`` (consulted, influence known), ``n_tokenistic``, ``rate``
        (``n_tokenistic / n_consulted``), ``ci_low``, ``ci_high`` (Wilson score interval) and
        ``non_validated`` (always True). ``n = n_answered + n_excluded_missing`` (``+
        n_not_asked`` when given).

    Notes
    -----
    ``rate = n_tokenistic / n_consulted`` where consulted means the voice judgement reaches
    ``agree_at`` and tokenistic means consulted without influence. The interval is Wilson's
    score interval, ``(p̂ + z²/2n ± z sqrt(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)``, computed by
    statsmodels ``proportion_confint(method="wilson")``. Missing-data policy: rows whose status
    is unknown (no voice item answered, or consulted with no influence item answered) are
    excluded and counted in ``n_excluded_missing``; the rate is NaN when nobody was consulted.
    With ``not_asked``, a row whose missing judgement (voice, or influence of a consulted
    respondent) has none of its items asked is missing by design: counted in ``n_not_asked``,
    not in ``n_excluded_missing``. The index is transparent but not validated: read it with the
    interviews.

    References
    ----------
    Arnstein, S. R. (1969). A ladder of citizen participation. *Journal of the American Institute
    of Planners*, 35(4), 216–224. https://doi.org/10.1080/01944366908977225

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *Journal of the American Statistical Association*, 22(158), 209–212.
    https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"site": ["A"] * 4 + ["B"] * 3,
    ...                         "asked": [5, 4, 4, 1, 5, 5, None],
    ...                         "changed": [2, 5, 1, 1, 4, 5, 1]})
    >>> out = tokenism_rates(answers, voice="asked", influence="changed", agree_at=4, site="site")
    >>> out[["site", "n", "n_excluded_missing", "n_consulted", "n_tokenistic", "rate"]]
      site  n  n_excluded_missing  n_consulted  n_tokenistic      rate
    0    A  4                   0            3             2  0.666667
    1    B  3                   1            2             0  0.000000
    """
    data, agree_at, confidence = _check_common(data, agree_at, confidence, combine)
    keys = _keys(data, site=site, group=group)
    arr = _status_arrays(data, voice, influence, agree_at, combine)
    work = pd.DataFrame({
        "_answered": ~np.isnan(arr["tokenistic"]),
        "_consulted": (arr["consulted"] == 1) & ~np.isnan(arr["influenced"]),
        "_tokenistic": arr["tokenistic"] == 1}, index=data.index)
    for key in keys:
        work[key] = data[key]
    g = _grouped(work, keys)
    out = _finish(g.agg(n=("_answered", "size"), n_answered=("_answered", "sum"),
                        n_consulted=("_consulted", "sum"),
                        n_tokenistic=("_tokenistic", "sum")), keys)
    voice_missing = np.isnan(arr["consulted"])
    by_design = _by_design(data, not_asked, arr, voice_missing,
                           (arr["consulted"] == 1) & np.isnan(arr["influenced"]))
    out = _split_missing(out, work, keys, by_design)
    consulted = out["n_consulted"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate"] = np.where(consulted > 0, out["n_tokenistic"] / np.maximum(consulted, 1),
                               np.nan)
    out["ci_low"], out["ci_high"] = _intervals.wilson(out["n_tokenistic"].to_numpy(),
                                                      consulted, confidence)
    out["non_validated"] = True
    return out


def tokenism_gap(data: pd.DataFrame, *, voice: str | Sequence[str],
                 influence: str | Sequence[str], site: str | None = None,
                 group: str | None = None, confidence: float = 0.95,
                 not_asked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tokenism gap: voice score minus influence score per respondent, averaged per site/group.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, items as numbers, missing as NaN.
    voice, influence : str or list of str
        The voice and influence items (same response scale).
    site, group : str, optional
        Columns to break the gap down by (missing values form their own group).
    confidence : float
        Confidence level of the paired t interval.
    not_asked : DataFrame of bool, optional
        Cells empty by design, with the index of ``data`` (see :func:`tokenism_rates`). Adds
        ``n_not_asked``.

    Returns
    -------
    DataFrame
        One row per site and group with ``site`` and ``group`` (when given), ``n`` (rows),
        ``n_answered`` (both scores known), ``n_excluded_missing``, ``n_not_asked`` (only when
        ``not_asked`` is given: a score missing because none of its items was asked; ``n =
        n_answered + n_excluded_missing + n_not_asked``), ``mean_voice``,
        ``mean_influence``, ``mean_gap``, ``sd_gap``, ``ci_low``, ``ci_high`` (paired t interval
        of the mean gap), ``p_value`` (paired t test of a zero gap) and ``non_validated``.

    Notes
    -----
    Voice score ``v`` and influence score ``f`` are the means of the answered voice and
    influence items; the gap is ``d = v - f`` (positive: heard more than followed). The mean gap
    has the paired t interval ``d̄ ± t(n-1) s_d / sqrt(n)``. Missing-data policy: respondents
    need at least one voice and one influence item answered; the others are counted in
    ``n_excluded_missing``. ``mean_voice`` and ``mean_influence`` are over the same respondents.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"asked": [5, 4, 4, 2], "changed": [2, 4, 1, 3]})
    >>> out = tokenism_gap(answers, voice="asked", influence="changed")
    >>> out[["n_answered", "mean_gap", "ci_low", "ci_high"]].round(3)
       n_answered  mean_gap  ci_low  ci_high
    0           4      1.25   -2.03     4.53
    """
    data, _, confidence = _check_common(data, None, confidence)
    keys = _keys(data, site=site, group=group)
    arr = _status_arrays(data, voice, influence, 0.0, "mean")
    gap = arr["voice_score"] - arr["influence_score"]
    ok = ~np.isnan(gap)
    work = pd.DataFrame({"_ok": ok, "_v": np.where(ok, arr["voice_score"], np.nan),
                         "_f": np.where(ok, arr["influence_score"], np.nan), "_d": gap},
                        index=data.index)
    for key in keys:
        work[key] = data[key]
    out = _finish(_grouped(work, keys).agg(
        n=("_ok", "size"), n_answered=("_ok", "sum"), mean_voice=("_v", "mean"),
        mean_influence=("_f", "mean"), mean_gap=("_d", "mean"), sd_gap=("_d", "std")), keys)
    by_design = _by_design(data, not_asked, arr, np.isnan(arr["voice_score"]),
                           np.isnan(arr["influence_score"]))
    out = _split_missing(out, work, keys, by_design)
    mean, sd, n = (out[c].to_numpy(dtype="float64") for c in ("mean_gap", "sd_gap", "n_answered"))
    out["ci_low"], out["ci_high"] = _intervals.t_interval(mean, sd, n, confidence)
    out["p_value"] = _intervals.t_test_p(mean, sd, n)
    out["non_validated"] = True
    return out


# -- perception gap --------------------------------------------------------------------------

def _as_values(value: Any, param: str) -> list:
    if isinstance(value, str | int | float | np.integer):
        return [value]
    if isinstance(value, Sequence) and len(value) > 0:
        return list(value)
    raise ArgumentError(f"{param} must be a value of the group column or a list of values, "
                        f"got {value!r}", where=param)


def perception_gap(data: pd.DataFrame, *, voice: str | Sequence[str],
                   influence: str | Sequence[str], agree_at: float, group: str,
                   staff: Any, users: Any, site: str | None = None,
                   items: Sequence[str] | None = None, combine: str = "mean",
                   confidence: float = 0.95) -> pd.DataFrame:
    """Staff's view of users' involvement against the users' own, per site.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (staff answer about the users they serve), items as numbers.
    voice, influence : str or list of str
        The voice and influence items (see :func:`tokenism_status`).
    agree_at : float
        Agreement threshold.
    group : str
        The respondent-group column.
    staff, users : value or list of values
        The value(s) of ``group`` that mark staff and users.
    site : str, optional
        Column to compare within (one comparison overall when omitted).
    items : list of str, optional
        The ladder items in rung order; adds the mean rung as a measure.
    combine : {"mean", "any", "all"}
        How several voice or influence items make one judgement.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per site and measure: ``site`` (when given), ``measure`` (``"rung"`` when
        ``items`` is given, ``"voice_score"``, ``"influence_score"``, ``"tokenism_gap"``,
        ``"tokenism_rate"``), ``n_staff``, ``n_users`` (respondents behind each value; for the
        rate, those consulted), ``staff``, ``users`` (the two values), ``difference``
        (``staff - users``), ``ci_low``, ``ci_high``, ``method`` (``"welch"`` or
        ``"newcombe"``) and ``non_validated``.

    Notes
    -----
    Means are compared with Welch's interval, ``x̄_s - x̄_u ± t(ν) sqrt(s_s²/n_s + s_u²/n_u)``
    with Satterthwaite's ``ν``; tokenism rates with Newcombe's hybrid score interval (his method
    10): ``d - sqrt((p_s - l_s)² + (u_u - p_u)²)`` to ``d + sqrt((u_s - p_s)² + (p_u - l_u)²)``,
    ``(l, u)`` the Wilson limits. A negative difference in tokenism rate means staff see less
    tokenism than users report. Missing-data policy: as in :func:`tokenism_rates` and
    :func:`tokenism_gap`, each measure uses the respondents for whom it is known; rows of other
    groups are ignored. Intervals are NaN with fewer than two respondents on a side (none
    consulted, for rates).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine*, 17(8), 873–890.
    https://doi.org/10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I

    Welch, B. L. (1947). The generalization of 'Student's' problem when several different
    population variances are involved. *Biometrika*, 34(1–2), 28–35.
    https://doi.org/10.1093/biomet/34.1-2.28

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"type": ["staff"] * 4 + ["user"] * 4,
    ...                         "asked": [5, 5, 4, 4, 4, 5, 4, 2],
    ...                         "changed": [4, 5, 2, 4, 1, 2, 4, 1]})
    >>> out = perception_gap(answers, voice="asked", influence="changed", agree_at=4,
    ...                      group="type", staff="staff", users="user")
    >>> out.loc[out["measure"] == "tokenism_rate", ["staff", "users", "difference"]].round(3)
       staff  users  difference
    3   0.25  0.667      -0.417
    """
    data, agree_at, confidence = _check_common(data, agree_at, confidence, combine)
    check_column(data, group, "group")
    keys = _keys(data, site=site)
    staff, users = _as_values(staff, "staff"), _as_values(users, "users")
    if set(staff) & set(users):
        raise ArgumentError(f"staff and users share values: {sorted(set(staff) & set(users))!r}",
                            where="users")
    arr = _status_arrays(data, voice, influence, agree_at, combine)
    side = np.where(data[group].isin(staff), 1, np.where(data[group].isin(users), 2, 0))
    measures = {"voice_score": arr["voice_score"], "influence_score": arr["influence_score"],
                "tokenism_gap": arr["voice_score"] - arr["influence_score"]}
    if items is not None:
        _, values = _item_values(data, items, "items")
        rung = _placement_arrays(values, agree_at, "goodenough_edwards")
        measures = {"rung": np.where(rung["none_answered"], np.nan, rung["rung"]), **measures}
    frames = [_welch_by(data, keys, side, name, x, confidence) for name, x in measures.items()]
    frames.append(_newcombe_by(data, keys, side, arr, confidence))
    out = pd.concat(frames, ignore_index=True)
    order = {name: i for i, name in enumerate([*measures, "tokenism_rate"])}
    out = out.sort_values([*keys, "measure"], key=lambda s: s.map(order) if s.name == "measure"
                          else s, kind="stable").reset_index(drop=True)
    out["non_validated"] = True
    return out


def _side_stats(data: pd.DataFrame, keys: list, side: np.ndarray, x: np.ndarray) -> pd.DataFrame:
    work = pd.DataFrame({"_side": side, "_x": x}, index=data.index)
    keys = _fill_keys(work, data, keys)
    work = work[(work["_side"] > 0) & work["_x"].notna()]
    stats = work.groupby([*keys, "_side"], dropna=False, sort=True)["_x"].agg(
        ["count", "mean", "var"]).unstack("_side")
    return stats.reindex(columns=pd.MultiIndex.from_product([["count", "mean", "var"], [1, 2]]))


def _welch_by(data: pd.DataFrame, keys: list, side: np.ndarray, name: str, x: np.ndarray,
              confidence: float) -> pd.DataFrame:
    st = _side_stats(data, keys, side, x)
    n1, n2 = st[("count", 1)].fillna(0).to_numpy(), st[("count", 2)].fillna(0).to_numpy()
    m1, m2 = st[("mean", 1)].to_numpy(), st[("mean", 2)].to_numpy()
    diff, low, high, _ = _intervals.welch(m1, st[("var", 1)].to_numpy(), n1, m2,
                                          st[("var", 2)].to_numpy(), n2, confidence)
    out = _key_frame(st.index, keys)
    out["measure"] = name
    out["n_staff"], out["n_users"] = n1.astype("int64"), n2.astype("int64")
    out["staff"], out["users"], out["difference"] = m1, m2, diff
    out["ci_low"], out["ci_high"], out["method"] = low, high, "welch"
    return out


def _newcombe_by(data: pd.DataFrame, keys: list, side: np.ndarray, arr: dict,
                 confidence: float) -> pd.DataFrame:
    consulted = (arr["consulted"] == 1) & ~np.isnan(arr["influenced"])
    work = pd.DataFrame({"_side": side, "_c": consulted, "_t": arr["tokenistic"] == 1},
                        index=data.index)
    keys = _fill_keys(work, data, keys)
    work = work[work["_side"] > 0]
    st = work.groupby([*keys, "_side"], dropna=False, sort=True)[["_c", "_t"]].sum()
    st = st.unstack("_side", fill_value=0).reindex(
        columns=pd.MultiIndex.from_product([["_c", "_t"], [1, 2]]), fill_value=0)
    n1, n2 = st[("_c", 1)].to_numpy(), st[("_c", 2)].to_numpy()
    t1, t2 = st[("_t", 1)].to_numpy(), st[("_t", 2)].to_numpy()
    diff, low, high = _intervals.newcombe(t1, n1, t2, n2, confidence)
    out = _key_frame(st.index, keys)
    out["measure"] = "tokenism_rate"
    out["n_staff"], out["n_users"] = n1.astype("int64"), n2.astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["staff"] = np.where(n1 > 0, t1 / np.maximum(n1, 1), np.nan)
        out["users"] = np.where(n2 > 0, t2 / np.maximum(n2, 1), np.nan)
    out["difference"], out["ci_low"], out["ci_high"] = diff, low, high
    out["method"] = "newcombe"
    return out


def _fill_keys(work: pd.DataFrame, data: pd.DataFrame, keys: list) -> list:
    """Copy the key columns into ``work``; a constant ``_all`` key when there is none."""
    for key in keys:
        work[key] = data[key]
    if not keys:
        work["_all"] = 0
        return ["_all"]
    return keys


def _key_frame(index: pd.Index, keys: list) -> pd.DataFrame:
    frame = index.to_frame(index=False)
    return frame.drop(columns="_all") if "_all" in frame else frame


# -- thin study-driven helpers ---------------------------------------------------------------

def _involvement_config(study: Any, need_tokenism: bool = True):

    if not isinstance(study, Study):
        raise ArgumentError(f"study must be an evalkit Study (see evalkit.load_study), "
                            f"got {type(study).__name__}", where="study")
    inv = study.measures.involvement
    if inv is None or (need_tokenism and inv.tokenism is None):
        what = "measures.involvement.tokenism" if inv is not None else "measures.involvement"
        raise ArgumentError(f"study.yaml has no {what}: declare the voice and influence items",
                            where="study")
    return inv


def _wave_rows(responses: pd.DataFrame, study: Any, wave: Any) -> pd.DataFrame:
    """The rows of ``wave`` (default: the study's baseline wave)."""
    wave_col = study.roles.wave
    if wave_col is None or wave_col not in responses.columns:
        return responses
    if wave is None:
        wave = study.baseline_wave(responses[wave_col].dropna().unique())
    return responses[responses[wave_col] == wave]


def tokenism_from_study(responses: pd.DataFrame, *, study: Any, wave: Any = None,
                        combine: str = "mean") -> pd.DataFrame:
    """:func:`tokenism_rates` by site and respondent group, as the study configures them.

    Uses ``measures.involvement`` (``tokenism.voice``, ``tokenism.influence``, ``agree_at``),
    ``roles`` (site, group, wave) and ``parameters.confidence``; ``wave`` defaults to the
    baseline wave. ``responses`` are the validated responses (missing codes already NaN).

    Returns
    -------
    DataFrame
        As :func:`tokenism_rates`.
    """
    check_frame(responses, "responses")
    inv = _involvement_config(study)
    rows = _wave_rows(responses, study, wave)
    return tokenism_rates(rows, voice=inv.tokenism.voice, influence=inv.tokenism.influence,
                          agree_at=inv.agree_at, site=study.roles.site, group=study.roles.group,
                          confidence=study.parameters.confidence, combine=combine)


def perception_gap_from_study(responses: pd.DataFrame, *, study: Any, wave: Any = None,
                              combine: str = "mean") -> pd.DataFrame:
    """:func:`perception_gap` per site, as the study configures it (``involvement.perception``).

    Returns
    -------
    DataFrame
        As :func:`perception_gap`, with the ladder's mean rung among the measures.
    """
    check_frame(responses, "responses")
    inv = _involvement_config(study)
    if inv.perception is None or study.roles.group is None:
        raise ArgumentError("study.yaml has no measures.involvement.perception (staff, users) "
                            "or no roles.group", where="study")
    rows = _wave_rows(responses, study, wave)
    return perception_gap(rows, voice=inv.tokenism.voice, influence=inv.tokenism.influence,
                          agree_at=inv.agree_at, group=study.roles.group,
                          staff=inv.perception.staff, users=inv.perception.users,
                          site=study.roles.site, items=inv.ladder, combine=combine,
                          confidence=study.parameters.confidence)

