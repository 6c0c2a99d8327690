"""Personal outcomes (Talking Points): change between baseline and follow-up, item by item and
by outcome group, with people lost to follow-up counted, never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_column, check_frame, check_number, check_probability
from evalkit.analyse import _intervals
from evalkit.analyse.involvement import _item_values
from evalkit.config.study import Study
from evalkit.errors import ArgumentError, DataError

__all__ = ["outcome_change", "outcome_change_from_study"]


def _check_wave_value(data: pd.DataFrame, wave: str, value: Any, param: str) -> None:
    if not (data[wave] == value).any():
        shown = ", ".join(map(repr, pd.unique(data[wave].dropna())[:10]))
        raise ArgumentError(f"{param}={value!r} is not a value of column {wave!r} "
                            f"(values: {shown})", where=param)


def _check_groups(group_items: Any, items: list) -> dict[str, list]:
    if group_items is None:
        return {}
    if not isinstance(group_items, Mapping):
        raise ArgumentError(f"group_items must map group names to lists of items, got "
                            f"{type(group_items).__name__}", where="group_items")
    groups = {}
    for name, members in group_items.items():
        members = [members] if isinstance(members, str) else list(members)
        unknown = [m for m in members if m not in items]
        if not members or unknown:
            raise ArgumentError(f"group_items[{name!r}] must list items of `items`; unknown: "
                                f"{unknown!r}" if unknown else
                                f"group_items[{name!r}] is empty", where="group_items")
        if name in items:
            raise ArgumentError(f"group_items: the group name {name!r} is also an item",
                                where="group_items")
        groups[str(name)] = members
    return groups


def _paired_waves(data: pd.DataFrame, *, items: Sequence[str], id: str, wave: str,
                 baseline: Any, follow_up: Any, site: str | None = None) -> dict[str, Any]:
    """Baseline and follow-up item values aligned on respondents (a building block).

    Returns a dict with ``ids`` (the respondents seen at either wave, in order of first
    appearance), ``baseline`` and ``follow_up`` (float matrices, respondents × items, NaN when
    absent or missing), ``present_follow_up`` (whether the respondent has a follow-up row) and
    ``site`` (the site of the baseline row, else of the follow-up row; None when ``site`` is
    None).

    Raises
    ------
    DataError
        When a respondent has two rows at the same wave.
    """
    waves = data[wave]
    is_b, is_f = (waves == baseline).to_numpy(), (waves == follow_up).to_numpy()
    rows = data[is_b | is_f]
    is_b = is_b[is_b | is_f]
    codes, ids = pd.factorize(rows[id])
    if (codes < 0).any():
        raise DataError(f"{int((codes < 0).sum())} row(s) have no respondent identifier",
                        where=f"column {id!r}", hint="Every row needs an identifier.")
    n = len(ids)
    values = rows[list(items)].to_numpy(dtype="float64", na_value=np.nan)
    out: dict[str, Any] = {"ids": pd.Index(ids), "site": None}
    for name, mask, value in (("baseline", is_b, baseline), ("follow_up", ~is_b, follow_up)):
        part = codes[mask]
        counts = np.bincount(part, minlength=n)
        if (counts > 1).any():
            dup = list(ids[np.flatnonzero(counts > 1)[:5]])
            raise DataError(f"respondents with several rows at wave {value!r}: {dup!r}",
                            where=f"columns {id!r}, {wave!r}",
                            hint="Each respondent must have at most one row per wave.")
        matrix = np.full((n, values.shape[1]), np.nan)
        matrix[part] = values[mask]
        out[name] = matrix
        if name == "follow_up":
            out["present_follow_up"] = counts > 0
    if site is not None:
        sites = np.full(n, None, dtype=object)
        site_values = rows[site].to_numpy(dtype=object)
        sites[codes[~is_b]] = site_values[~is_b]
        sites[codes[is_b]] = site_values[is_b]  # the baseline row wins
        out["site"] = sites
    return out


def _group_scores(b: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half-rule scores per wave and the mean of paired item changes (see Notes)."""
    need = math.ceil(b.shape[1] / 2)

    def score(x: np.ndarray, ok: np.ndarray) -> np.ndarray:
        count = ok.sum(axis=1)
        total = np.where(ok, x, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count >= need, total / count, np.nan)

    paired = ~np.isnan(b) & ~np.isnan(f)
    return score(b, ~np.isnan(b)), score(f, ~np.isnan(f)), score(f - b, paired)


def _by_site(cell: np.ndarray, n_cells: int, x: np.ndarray) -> dict[str, np.ndarray]:
    ok = ~np.isnan(x)
    n = np.bincount(cell, weights=ok, minlength=n_cells)
    total = np.bincount(cell, weights=np.where(ok, x, 0.0), minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        dev = np.where(ok, x - mean[cell], 0.0)
        ss = np.bincount(cell, weights=dev * dev, minlength=n_cells)
        sd = np.where(n > 1, np.sqrt(ss / (n - 1)), np.nan)
    return {"n": n, "mean": mean, "sd": sd}


def _count(cell: np.ndarray, n_cells: int, mask: np.ndarray) -> np.ndarray:
    return np.bincount(cell, weights=mask, minlength=n_cells).astype("int64")


def _summarise(code: np.ndarray, n_codes: int, b: np.ndarray, f: np.ndarray, change: np.ndarray,
               present_f: np.ndarray, met_at: float | None, confidence: float,
               not_asked: np.ndarray | None = None) -> dict:
    has_b = ~np.isnan(b)
    out: dict[str, Any] = {}
    sb, sf, sc = (_by_site(code, n_codes, x) for x in (b, f, change))
    out["n_baseline"] = sb["n"].astype("int64")
    out["n_follow_up"] = sf["n"].astype("int64")
    out["n_paired"] = sc["n"].astype("int64")
    out["n_lost"] = _count(code, n_codes, has_b & ~present_f)
    unpaired = has_b & present_f & np.isnan(change)
    if not_asked is None:
        out["n_item_missing"] = _count(code, n_codes, unpaired)
    else:
        out["n_item_missing"] = _count(code, n_codes, unpaired & ~not_asked)
        out["n_not_asked"] = _count(code, n_codes, unpaired & not_asked)
    out["mean_baseline"], out["mean_follow_up"] = sb["mean"], sf["mean"]
    out["mean_change"], out["sd_change"] = sc["mean"], sc["sd"]
    out["change_ci_low"], out["change_ci_high"] = _intervals.t_interval(
        sc["mean"], sc["sd"], sc["n"], confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(sc["sd"] > 0, sc["mean"] / sc["sd"], np.nan)
    out["d_z"] = d
    out["d_z_ci_low"] = out["d_z_ci_high"] = np.nan  # filled by the caller, all rows at once
    paired = ~np.isnan(change)
    for name, mask in (("improved", change > 0), ("same", change == 0), ("worse", change < 0)):
        k = _count(code, n_codes, paired & mask)
        out[f"share_{name}"] = _share(k, out["n_paired"])
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = _intervals.wilson(
            k, out["n_paired"], confidence)
    if met_at is not None:
        for name, x, n in (("baseline", b, out["n_baseline"]), ("follow_up", f,
                                                                  out["n_follow_up"])):
            with np.errstate(invalid="ignore"):
                k = _count(code, n_codes, ~np.isnan(x) & (x >= met_at))
            out[f"share_met_{name}"] = _share(k, n)
            out[f"met_{name}_ci_low"], out[f"met_{name}_ci_high"] = _intervals.wilson(
                k, n, confidence)
    return out


def _share(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.maximum(n, 1), np.nan)


def outcome_change(data: pd.DataFrame, *, items: Sequence[str], id: str, wave: str,
                   baseline: Any, follow_up: Any, met_at: float | None = None,
                   group_items: Mapping[str, Sequence[str]] | None = None,
                   site: str | None = None, confidence: float = 0.95,
                   not_asked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Change of personal outcome ratings between two waves, per outcome and outcome group.

    Parameters
    ----------
    data : DataFrame
        Long responses: one row per respondent and wave, ratings as numbers, missing as NaN.
    items : list of str
        The outcome items (e.g. the 15 Talking Points outcomes rated 1–4).
    id, wave : str
        The respondent and wave columns.
    baseline, follow_up : scalar
        The values of ``wave`` to compare.
    met_at : float, optional
        An outcome is *met* when its rating is at least this value; adds the shares met at
        each wave.
    group_items : dict of str to list of str, optional
        Outcome groups (e.g. quality of life, process, change), each a list of ``items``.
    site : str, optional
        Column to break the results down by (a respondent's site is that of their baseline row).
    confidence : float
        Confidence level of every interval.
    not_asked : DataFrame of bool, optional
        Missing by design (skip logic): the same index as ``data``, a column per item of
        ``items`` that some respondents were not asked, True where the item was not asked of
        that row (``ValidationReport.not_asked``); other items are asked of everyone. Adds
        ``n_not_asked``.

    Returns
    -------
    DataFrame
        One row per site (when given) and outcome, items first then groups, with: ``site``
        (named as in ``data``), ``outcome``, ``level`` (``"item"`` or ``"group"``),
        ``n_baseline``, ``n_follow_up`` (respondents with a value at each wave), ``n_paired``
        (with both), ``n_lost`` (a baseline value but no follow-up row: lost to follow-up),
        ``n_item_missing`` (a baseline value and a follow-up row, but no follow-up value),
        ``n_not_asked`` (only when ``not_asked`` is given: as ``n_item_missing``, but the item
        was not asked at follow-up; these are not counted in ``n_item_missing``),
        ``mean_baseline``, ``mean_follow_up``, ``mean_change``, ``sd_change``,
        ``change_ci_low``, ``change_ci_high`` (paired t interval), ``d_z``, ``d_z_ci_low``,
        ``d_z_ci_high`` (standardised mean change with its noncentral-t interval),
        ``share_improved``, ``improved_ci_low``, ``improved_ci_high``, ``share_same``,
        ``same_ci_low``, ``same_ci_high``, ``share_worse``, ``worse_ci_low``,
        ``worse_ci_high`` (among paired respondents, Wilson intervals) and, when ``met_at`` is
        given, ``share_met_baseline``, ``met_baseline_ci_low``, ``met_baseline_ci_high``,
        ``share_met_follow_up``, ``met_follow_up_ci_low``, ``met_follow_up_ci_high``.

    Notes
    -----
    For an item, the change is ``y_follow_up - y_baseline`` for each respondent rated at both
    waves; the mean change has the paired t interval ``d̄ ± t(n-1) s_d / sqrt(n)``. The
    standardised mean change is ``d_z = d̄ / s_d`` (Lakens 2013); its interval inverts the
    noncentral t: ``t = d_z sqrt(n)`` has ``n - 1`` df and noncentrality ``δ sqrt(n)``, and the
    limits are the ``δ`` that put the observed ``t`` at the ``(1 ± confidence) / 2`` quantiles
    (Steiger & Fouladi 1997; Goulet-Pelletier & Cousineau 2018).

    A group's score at a wave is the mean of its items answered at that wave, when at least half
    of them are (rounded up); a group's change is the mean of the item changes over the items
    rated at both waves, again when at least half are. Improved, same and worse are the sign of
    the change; a group is met when its score reaches ``met_at``.

    Missing-data policy: nobody is dropped silently. For each outcome,
    ``n_baseline = n_paired + n_lost + n_item_missing`` (``+ n_not_asked`` when given: a rating
    empty by design is not non-response; a group is not asked when one of its items was not
    asked at follow-up and none of its items empty at follow-up was asked); changes use the paired respondents, the
    wave means use everyone rated at that wave (so ``mean_follow_up - mean_baseline`` may differ
    from ``mean_change`` when people are lost). Respondents seen only at follow-up count in
    ``n_follow_up`` only. Talking Points is a conversation: show these counts with what people
    said, not alone.

    References
    ----------
    Cook, A., & Miller, E. (2012). *Talking Points: Personal Outcomes Approach. Practical
    Guide*. Joint Improvement Team, Edinburgh.

    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science.
    *Frontiers in Psychology*, 4, 863. https://doi.org/10.3389/fpsyg.2013.00863

    Goulet-Pelletier, J.-C., & Cousineau, D. (2018). A review of effect sizes and their
    confidence intervals, Part I: The Cohen's d family. *The Quantitative Methods for
    Psychology*, 14(4), 242–265. https://doi.org/10.20982/tqmp.14.4.p242

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *Journal of the American Statistical Association*, 22(158), 209–212.
    https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = pd.DataFrame({"who": ["a", "b", "c", "d", "a", "b", "c"],
    ...                         "wave": [1, 1, 1, 1, 2, 2, 2],
    ...                         "safe": [2, 3, 1, 2, 3, 3, 3]})
    >>> out = outcome_change(ratings, items=["safe"], id="who", wave="wave", baseline=1,
    ...                      follow_up=2)
    >>> out[["outcome", "n_baseline", "n_paired", "n_lost", "mean_change", "share_improved"]]
      outcome  n_baseline  n_paired  n_lost  mean_change  share_improved
    0    safe           4         3       1          1.0        0.666667
    """
    data = check_frame(data)
    items, _ = _item_values(data, items, "items")
    check_column(data, id, "id")
    check_column(data, wave, "wave")
    check_column(data, site, "site", optional=True)
    if id == wave or (site is not None and site in (id, wave)):
        raise ArgumentError("id, wave and site must be different columns", where="site")
    confidence = check_probability(confidence, "confidence")
    met_at = None if met_at is None else check_number(met_at, "met_at")
    if baseline == follow_up:
        raise ArgumentError(f"follow_up must differ from baseline, got {follow_up!r}",
                            where="follow_up")
    _check_wave_value(data, wave, baseline, "baseline")
    _check_wave_value(data, wave, follow_up, "follow_up")
    groups = _check_groups(group_items, items)
    skipped = _check_not_asked(data, not_asked, items)
    pw = _paired_waves(data.assign(**skipped) if skipped else data,
                       items=[*items, *skipped], id=id, wave=wave, baseline=baseline,
                       follow_up=follow_up, site=site)
    if not_asked is not None:
        f = pw["follow_up"]
        pw["not_asked"] = np.zeros((f.shape[0], len(items)), dtype=bool)
        for j, item in enumerate(items):
            if item in not_asked.columns:
                pw["not_asked"][:, j] = f[:, len(items) + list(skipped).index(f"_na_{j}")] == 1
        pw["follow_up"], pw["baseline"] = f[:, :len(items)], pw["baseline"][:, :len(items)]
    return _outcome_table(pw, items, groups, site, met_at, confidence)


def _check_not_asked(data: pd.DataFrame, not_asked: Any, items: list) -> dict[str, Any]:
    """The ``not_asked`` columns of ``items`` as 0/1 columns to align with the waves
    (``_na_<position>``); empty when ``not_asked`` is None."""
    if not_asked is None:
        return {}
    if not isinstance(not_asked, pd.DataFrame) or not not_asked.index.equals(data.index):
        raise ArgumentError("not_asked must be a DataFrame of booleans with the index of data",
                            where="not_asked")
    return {f"_na_{j}": not_asked[item].to_numpy(dtype=bool).astype("float64")
            for j, item in enumerate(items) if item in not_asked.columns}


def _outcome_table(pw: dict, items: list, groups: dict, site: str | None, met_at: float | None,
                   confidence: float) -> pd.DataFrame:
    if site is None:
        code, levels = np.zeros(len(pw["ids"]), dtype="int64"), None
    else:
        code, levels = pd.factorize(pw["site"], sort=True, use_na_sentinel=False)
    n_codes = 1 if levels is None else len(levels)
    b_all, f_all = pw["baseline"], pw["follow_up"]
    # Respondents without any rating at either wave add nothing to any count: leave them out.
    rated = ~(np.isnan(b_all).all(axis=1) & np.isnan(f_all).all(axis=1))
    b_all, f_all, code = b_all[rated], f_all[rated], code[rated]
    skip = pw.get("not_asked")
    skip_cols = None if skip is None else [skip[rated]]
    # Respondents × outcomes matrices (items, then groups), summarised in one pass per statistic
    # with a combined (site, outcome) cell code: rows come out by site, then outcome.
    b_cols, f_cols, c_cols = [b_all], [f_all], [f_all - b_all]
    position = {item: j for j, item in enumerate(items)}
    for members in groups.values():
        cols = [position[m] for m in members]
        b, f, change = _group_scores(b_all[:, cols], f_all[:, cols])
        b_cols.append(b[:, None]), f_cols.append(f[:, None]), c_cols.append(change[:, None])
        if skip_cols is not None:  # not asked: no item left empty at follow-up was asked
            asked_empty = np.isnan(f_all[:, cols]) & ~skip_cols[0][:, cols]
            skip_cols.append((skip_cols[0][:, cols].any(axis=1)
                              & ~asked_empty.any(axis=1))[:, None])
    names = [*items, *groups]
    m = len(names)
    cell = (code[:, None] * m + np.arange(m)[None, :]).ravel()
    flat = [np.hstack(cols).ravel() for cols in (b_cols, f_cols, c_cols)]
    present_f = np.repeat(pw["present_follow_up"][rated], m)
    skipped = None if skip_cols is None else np.hstack(skip_cols).ravel()
    stats = _summarise(cell, m * n_codes, *flat, present_f, met_at, confidence, skipped)
    out = pd.DataFrame(stats)
    out.insert(0, "level", np.tile(["item"] * len(items) + ["group"] * len(groups), n_codes))
    out.insert(0, "outcome", np.tile(names, n_codes))
    if levels is not None:
        out.insert(0, site, np.repeat(np.asarray(levels, dtype=object), m))
    out["d_z_ci_low"], out["d_z_ci_high"] = _intervals.standardised_change_interval(
        out["d_z"].to_numpy(), out["n_paired"].to_numpy(), confidence)
    return out


def outcome_change_from_study(responses: pd.DataFrame, *, study: Any, follow_up: Any = None,
                              by_site: bool = True) -> pd.DataFrame:
    """:func:`outcome_change` as the study configures it (``measures.outcomes``, roles, waves).

    ``follow_up`` defaults to the study's first follow-up wave; groups and ``met_at`` come from
    ``measures.outcomes``; ``by_site=False`` gives one row per outcome for the whole study.

    Returns
    -------
    DataFrame
        As :func:`outcome_change`.
    """
    check_frame(responses, "responses")
    outcomes, waves = _outcome_config(study)
    follow_up = waves.follow_up[0] if follow_up is None else follow_up
    return outcome_change(responses, items=outcomes.items, id=study.roles.id,
                          wave=study.roles.wave, baseline=study.baseline_wave(),
                          follow_up=follow_up,
                          met_at=outcomes.met_at, group_items=outcomes.groups or None,
                          site=study.roles.site if by_site else None,
                          confidence=study.parameters.confidence)


def _outcome_config(study: Any):

    if not isinstance(study, Study):
        raise ArgumentError(f"study must be an evalkit Study (see evalkit.load_study), "
                            f"got {type(study).__name__}", where="study")
    if study.measures.outcomes is None:
        raise ArgumentError("study.yaml has no measures.outcomes", where="study")
    if study.roles.wave is None or study.waves is None or not study.waves.follow_up:
        raise ArgumentError("study.yaml needs roles.wave and waves (baseline and follow_up) to "
                            "measure change", where="study")
    return study.measures.outcomes, study.waves
