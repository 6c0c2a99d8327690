"""Survey weights: how representative the respondents are, raking to population margins, and
weighted estimates that report the design effect and the unweighted n beside every figure.

The population margins come from the study's population portrait: one row per site, dimension
(a column of the survey, e.g. ``age_group``) and level, with a count of people.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import (
    check_column,
    check_columns,
    check_frame,
    check_int,
    check_number,
    check_probability,
)
from evalkit._lazy import lazy_module
from evalkit.errors import ArgumentError, DataError

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
stats = lazy_module("scipy.stats")

__all__ = [
    "POPULATION_COLUMNS",
    "rake_weights",
    "raking_problems",
    "representativeness",
    "weighted_mean",
    "weighted_proportion",
]

#: The columns of a population frame: one row per site, dimension and level.
POPULATION_COLUMNS = ("site", "dimension", "level", "count")


# --------------------------------------------------------------------------------------------
# checks and shared preparation


def _key(value: Any) -> str:
    """How a site or level is matched between the data and the population: ``1``, ``1.0``
    and ``"1"`` are the same level (CSV, SPSS and Excel files code levels differently)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _keys(values: Any) -> np.ndarray:
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    mapped = np.array([_key(u) for u in uniques] + [None], dtype=object)
    return mapped[codes]


def _check_population(population: Any, dimensions: list[str]) -> pd.DataFrame:
    population = check_frame(population, "population")
    missing = [c for c in POPULATION_COLUMNS if c not in population.columns]
    if missing:
        raise ArgumentError(
            f"population must have the columns {', '.join(POPULATION_COLUMNS)}; missing: "
            f"{', '.join(missing)}", where="population")
    counts = pd.to_numeric(population["count"], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        raise ArgumentError("population['count'] must hold non-negative numbers",
                            where="population")
    absent = [d for d in dimensions if d not in set(population["dimension"])]
    if absent:
        raise ArgumentError(
            f"population has no margins for dimension(s) {', '.join(map(repr, absent))} "
            f"(dimensions present: {', '.join(map(repr, pd.unique(population['dimension'])))})",
            where="dimensions")
    # Positions, not labels: the frame may carry any index (a repeated one from pd.concat).
    keep = population["dimension"].isin(dimensions).to_numpy()
    out = population.loc[keep, list(POPULATION_COLUMNS)].reset_index(drop=True)
    out = out.assign(count=counts.to_numpy(dtype="float64")[keep], _site=_keys(out["site"]),
                     _level=_keys(out["level"]))
    duplicated = out.duplicated(["_site", "dimension", "_level"])
    if duplicated.any():
        row = out.loc[duplicated].iloc[0]
        raise ArgumentError(
            f"population lists site {row['site']!r}, dimension {row['dimension']!r}, level "
            f"{row['level']!r} twice", where="population")
    return out


def _long_profile(data: pd.DataFrame, site: str, dimensions: list[str]) -> pd.DataFrame:
    """Respondent counts per site, dimension and level (missing values left out)."""
    parts = []
    for dim in dimensions:
        counts = data.groupby([site, dim], observed=True, dropna=True).size()
        sites, levels = counts.index.get_level_values(0), counts.index.get_level_values(1)
        parts.append(pd.DataFrame({"site": sites, "dimension": dim, "level": levels,
                                   "n": counts.to_numpy(), "_site": _keys(sites),
                                   "_level": _keys(levels)}))
    return pd.concat(parts, ignore_index=True)


def _check_levels_known(profile: pd.DataFrame, margins: pd.DataFrame) -> None:
    """Every (site, dimension, level) seen in the data must have a positive population count."""
    unknown = ~profile["_site"].isin(margins["_site"])
    if unknown.any():
        raise DataError.from_catalogue("quant.weights.site_not_in_population",
                                       where="population", site=profile.loc[unknown, "site"]
                                       .iloc[0])
    merged = profile.merge(margins[["_site", "dimension", "_level", "count"]],
                           on=["_site", "dimension", "_level"], how="left")
    bad = merged[merged["count"].isna() | (merged["count"] <= 0)]
    if len(bad):
        row = bad.iloc[0]
        raise _unknown_level(margins, row["site"], row["dimension"], row["level"])


def _unknown_level(margins: pd.DataFrame, site: Any, dimension: str, level: Any) -> DataError:
    levels = margins.loc[(margins["_site"] == _key(site)) & (margins["dimension"] == dimension)
                         & (margins["count"] > 0), "level"]
    return DataError.from_catalogue(
        "quant.weights.level_not_in_population", where="population", site=site,
        dimension=dimension, level=level, levels=", ".join(map(str, levels)) or "–")


# --------------------------------------------------------------------------------------------
# representativeness


def representativeness(data: pd.DataFrame, *, population: pd.DataFrame, site: str,
                       dimensions: Sequence[str]) -> pd.DataFrame:
    """Compare the respondents' profile with the population margins of each site.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    population : DataFrame
        Population margins with the columns ``site``, ``dimension``, ``level`` and ``count``
        (the study's population portrait); ``dimension`` names a column of ``data``.
    site : str
        Column of ``data`` holding the site (its values match ``population['site']``).
    dimensions : list of str
        Columns of ``data`` to compare with the margins (e.g. ``["age_group", "sex"]``).

    Returns
    -------
    DataFrame
        One row per site, dimension and level of the population margins (sites with
        respondents only), with the columns

        - ``site``, ``dimension``, ``level``;
        - ``n``: respondents in the level; ``share``: their share of the site's respondents
          who answered the dimension;
        - ``population_count``, ``population_share``;
        - ``difference``: ``share - population_share``;
        - ``expected``: respondents expected in the level if the sample followed the
          population (``n_site × population_share``);
        - ``chi2``, ``df``, ``p_value``: the chi-square goodness-of-fit test of the site and
          dimension (the same on every level row of the test);
        - ``small_expected``: whether the test's chi-square approximation is doubtful
          (Cochran's rule: an expected count below 1, or more than 20 % below 5).

    Notes
    -----
    The chi-square statistic is ``Σ (n_l - E_l)² / E_l`` over the levels with a positive
    population count, with ``E_l = n × π_l`` and ``df = L - 1``; the p-value is the upper tail of
    the chi-square distribution (as ``scipy.stats.chisquare`` and R's ``chisq.test(x, p=)``).

    Missing data: a respondent with a missing value of a dimension is left out of that
    dimension only. A level seen in the data but absent from (or zero in) the population raises
    :class:`~evalkit.errors.DataError`, as does a site without margins.

    References
    ----------
    Cochran, W. G. (1954). Some methods for strengthening the common χ² tests. *Biometrics*,
    10(4), 417-451. https://doi.org/10.2307/3001616

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"site": ["A"] * 10, "sex": ["F"] * 8 + ["M"] * 2})
    >>> population = pd.DataFrame({"site": ["A", "A"], "dimension": ["sex", "sex"],
    ...                            "level": ["F", "M"], "count": [500, 500]})
    >>> out = representativeness(data, population=population, site="site", dimensions=["sex"])
    >>> out[["level", "n", "share", "population_share", "chi2"]]
      level  n  share  population_share  chi2
    0     F  8    0.8               0.5   3.6
    1     M  2    0.2               0.5   3.6
    """
    data = check_frame(data)
    site = check_column(data, site, "site")
    dimensions = check_columns(data, dimensions, "dimensions")
    margins = _check_population(population, dimensions)
    profile = _long_profile(data, site, dimensions)
    _check_levels_known(profile, margins)
    shown_site = profile.drop_duplicates("_site").set_index("_site")["site"]
    table = margins[margins["_site"].isin(profile["_site"])].merge(
        profile[["_site", "dimension", "_level", "n"]], on=["_site", "dimension", "_level"],
        how="left")
    table = table.assign(site=table["_site"].map(shown_site),
                         n=table["n"].fillna(0).astype("int64"))
    return _goodness_of_fit(table)


def _goodness_of_fit(table: pd.DataFrame) -> pd.DataFrame:
    keys = ["site", "dimension"]
    by = table.groupby(keys, sort=False)
    n_total = by["n"].transform("sum").astype("float64")
    pop_total = by["count"].transform("sum")
    out = table.rename(columns={"count": "population_count"})
    out["share"] = out["n"] / n_total.where(n_total > 0)
    out["population_share"] = out["population_count"] / pop_total
    out["difference"] = out["share"] - out["population_share"]
    out["expected"] = n_total * out["population_share"]
    positive = out["expected"] > 0
    cell = ((out["n"] - out["expected"]) ** 2 / out["expected"]).where(positive, 0.0)
    grouped = out.assign(_cell=cell, _pos=positive,
                         _lt1=positive & (out["expected"] < 1),
                         _lt5=positive & (out["expected"] < 5)).groupby(keys, sort=False)
    chi2 = grouped["_cell"].transform("sum")
    n_levels = grouped["_pos"].transform("sum")
    df = n_levels - 1
    lt1 = grouped["_lt1"].transform("sum")
    lt5 = grouped["_lt5"].transform("sum")
    testable = (n_total > 0) & (df > 0)
    out["chi2"] = chi2.where(testable)
    out["df"] = df.where(testable).astype("Int64")
    out["p_value"] = pd.Series(stats.chi2.sf(out["chi2"], df), index=out.index).where(testable)
    out["small_expected"] = testable & ((lt1 > 0) | (lt5 > 0.2 * n_levels))
    columns = ["site", "dimension", "level", "n", "share", "population_count",
               "population_share", "difference", "expected", "chi2", "df", "p_value",
               "small_expected"]
    return out[columns].sort_values(keys, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# raking


def rake_weights(data: pd.DataFrame, *, population: pd.DataFrame, site: str,
                 dimensions: Sequence[str], max_iter: int = 100, tol: float = 1e-8,
                 bounds: tuple[float, float] | None = None) -> pd.DataFrame:
    """Rake survey weights to the population margins of each site (iterative proportional
    fitting).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    population : DataFrame
        Population margins with the columns ``site``, ``dimension``, ``level`` and ``count``.
    site : str
        Column of ``data`` holding the site.
    dimensions : list of str
        Columns of ``data`` whose margins the weights must reproduce.
    max_iter : int, default 100
        Maximum number of raking cycles (one cycle adjusts every dimension once).
    tol : float, default 1e-8
        Convergence criterion: the largest gap between a weighted margin and its population
        count, relative to the site's population total.
    bounds : (float, float), optional
        Trimming bounds ``(low, high)`` on the weights relative to the site's mean weight
        (e.g. ``(0.3, 3.0)``); weights are clipped after every cycle and raking goes on, so that
        the margins are met within the bounds when that is possible.

    Returns
    -------
    DataFrame
        Indexed like ``data`` (one row per respondent, same order), with the columns

        - ``site``: the respondent's site;
        - ``weight``: the raked weight (missing for respondents with a missing site or
          dimension value); the weights of a site add up to its population total;
        - ``iterations``: cycles the site needed to converge (``max_iter`` if it did not);
        - ``converged``: whether the site's margins were met within ``tol``;
        - ``max_margin_error``: the largest absolute gap, in people, between a weighted margin
          and its population count at the end.

    Notes
    -----
    Raking (Deming & Stephan 1940) starts from equal weights ``N_s / n_s`` in each site and
    multiplies, dimension after dimension, the weights of the respondents in level ``l`` by
    ``N_l / Σ_{i∈l} w_i`` until every margin is met. It gives the same weights as
    ``survey::rake`` (Lumley 2004) started from equal weights. Sites are raked separately but
    in one vectorised pass.

    Raising :class:`~evalkit.errors.DataError`: a site without margins; a level of the data
    absent from the population (or with a zero count); an *empty cell* (a level with people in
    the population but no respondent: no weight can reach its margin); *impossible margins*
    (the dimensions of a site add up to different totals). A site that has not converged after
    ``max_iter`` cycles (possible with trimming bounds, or with margins the sample cannot meet
    jointly) is reported by ``converged`` and a ``RuntimeWarning``.

    Missing data: respondents with a missing site or dimension value get a missing weight and
    take no part in the raking (the weights of the others reach the population totals).

    References
    ----------
    Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency
    table when the expected marginal totals are known. *The Annals of Mathematical
    Statistics*, 11(4), 427-444. https://doi.org/10.1214/aoms/1177731829

    Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical Software*,
    9(8). https://doi.org/10.18637/jss.v009.i08

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"site": ["A"] * 4, "sex": ["F", "F", "F", "M"],
    ...                      "age": ["young", "old", "old", "old"]})
    >>> population = pd.DataFrame({
    ...     "site": ["A"] * 4, "dimension": ["sex", "sex", "age", "age"],
    ...     "level": ["F", "M", "young", "old"], "count": [50, 50, 40, 60]})
    >>> w = rake_weights(data, population=population, site="site", dimensions=["sex", "age"])
    >>> w["weight"].round(2).tolist()
    [40.0, 5.0, 5.0, 50.0]
    >>> bool(w["converged"].all())
    True
    """
    data = check_frame(data)
    site = check_column(data, site, "site")
    dimensions = check_columns(data, dimensions, "dimensions")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_number(tol, "tol", minimum=0.0)
    low, high = _check_bounds(bounds)
    margins = _check_population(population, dimensions)
    complete = data[[site, *dimensions]].notna().all(axis=1).to_numpy()
    rows = data.loc[complete, [site, *dimensions]]
    problem = _raking_problem(rows, margins, site, dimensions)
    weight, iterations, converged, error = _ipf(problem, max_iter, tol, low, high)
    if not converged.all():
        names = ", ".join(map(str, problem["sites"][~converged]))
        warnings.warn(f"raking did not converge in {max_iter} cycles for site(s) {names}",
                      RuntimeWarning, stacklevel=2)
    out = pd.DataFrame({"site": data[site]}, index=data.index)
    out["weight"] = np.nan
    out.loc[complete, "weight"] = weight
    codes = np.full(len(data), -1)
    codes[complete] = problem["site_code"]
    has = codes >= 0
    out["iterations"] = pd.array(np.where(has, iterations[codes], 0), dtype="Int64")
    out.loc[~has, "iterations"] = pd.NA
    out["converged"] = pd.array(np.where(has, converged[codes], False), dtype="boolean")
    out.loc[~has, "converged"] = pd.NA
    out["max_margin_error"] = np.where(has, error[codes], np.nan)
    return out


def _check_bounds(bounds: Any) -> tuple[float, float]:
    if bounds is None:
        return 0.0, np.inf
    ok = isinstance(bounds, Sequence) and not isinstance(bounds, str) and len(bounds) == 2
    if ok:
        try:
            low, high = float(bounds[0]), float(bounds[1])
        except (TypeError, ValueError):
            ok = False
        else:
            ok = 0 <= low <= 1 <= high and np.isfinite(low)
    if not ok:
        raise ArgumentError(
            "bounds must be None or a pair (low, high) with 0 ≤ low ≤ 1 ≤ high, relative to the "
            f"mean weight, got {bounds!r}", where="bounds")
    return low, high


def raking_problems(data: pd.DataFrame, *, population: pd.DataFrame, site: str,
                    dimensions: Sequence[str]) -> dict[Any, DataError]:
    """The sites :func:`rake_weights` cannot rake, each with the reason, found in one pass.

    Parameters
    ----------
    data, population, site, dimensions
        As for :func:`rake_weights`.

    Returns
    -------
    dict
        One entry per site that cannot be raked, in the order the problems are found (sites
        without margins, then each dimension's unknown levels and empty cells, then
        impossible margins): the site's value in ``data`` and the :class:`DataError`
        :func:`rake_weights` raises for it. Empty when every site can be raked. The other
        sites rake as they would alone (sites are raked separately).

    Raises
    ------
    ArgumentError
        When the arguments themselves are wrong (a missing column, a malformed population
        frame), as :func:`rake_weights` does.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"site": ["A", "A", "B"], "sex": ["F", "M", "F"]})
    >>> population = pd.DataFrame({"site": ["A", "A", "B", "B"], "dimension": "sex",
    ...                            "level": ["F", "M", "F", "M"], "count": [5, 5, 4, 6]})
    >>> problems = raking_problems(data, population=population, site="site", dimensions=["sex"])
    >>> list(problems), type(problems["B"]).__name__
    (['B'], 'DataError')
    """
    data = check_frame(data)
    site = check_column(data, site, "site")
    dimensions = check_columns(data, dimensions, "dimensions")
    margins = _check_population(population, dimensions)
    complete = data[[site, *dimensions]].notna().all(axis=1).to_numpy()
    _, problems = _raking_cells(data.loc[complete, [site, *dimensions]], margins, site,
                                dimensions)
    return problems


def _raking_problem(rows: pd.DataFrame, margins: pd.DataFrame, site: str,
                    dimensions: list[str]) -> dict[str, Any]:
    """Integer codes of sites and cells, and the target of every cell; the first problem
    found is raised."""
    problem, problems = _raking_cells(rows, margins, site, dimensions)
    if problems:
        raise next(iter(problems.values()))
    return problem


def _raking_cells(rows: pd.DataFrame, margins: pd.DataFrame, site: str,
                  dimensions: list[str]) -> tuple[dict[str, Any], dict[Any, DataError]]:
    """The raking problem of ``rows`` and, for every site that cannot be raked, the first
    reason found (one vectorised pass over all sites)."""
    site_code, sites = pd.factorize(rows[site], sort=True)
    n_sites = len(sites)
    site_of = pd.Index(_keys(sites))
    if site_of.has_duplicates:
        raise ArgumentError(f"site={site!r} codes one site in two ways (e.g. 1 and '1')",
                            where="site")
    problems: dict[int, DataError] = {}  # the first problem of each site, by site code
    for s in np.flatnonzero(~site_of.isin(margins["_site"])):
        problems[int(s)] = DataError.from_catalogue(
            "quant.weights.site_not_in_population", where="population", site=sites[s])
    margins = margins[margins["_site"].isin(site_of)]
    cells, targets, totals = [], [], []
    for dim in dimensions:
        m = margins[margins["dimension"] == dim]
        levels = pd.Index(pd.unique(m["_level"]))
        shown = m.drop_duplicates("_level").set_index("_level")["level"]
        n_levels = len(levels)
        target = np.zeros(n_sites * n_levels)
        idx = site_of.get_indexer(m["_site"]) * n_levels + levels.get_indexer(m["_level"])
        target[idx] = m["count"].to_numpy()
        level_code = levels.get_indexer(_keys(rows[dim]))
        cell = site_code * n_levels + level_code
        known = level_code >= 0
        positive = np.zeros(len(cell), dtype=bool)
        positive[known] = target[cell[known]] > 0
        bad = np.flatnonzero(~positive)
        # The first bad row of each site, in row order.
        _, first = np.unique(site_code[bad], return_index=True)
        for i in np.sort(bad[first]):
            if int(site_code[i]) not in problems:
                problems[int(site_code[i])] = _unknown_level(
                    margins, sites[site_code[i]], dim, rows[dim].iloc[i])
        seen = np.bincount(cell[known], minlength=len(target)) > 0
        empty = np.flatnonzero((target > 0) & ~seen)
        _, first = np.unique(empty // max(n_levels, 1), return_index=True)
        for e in empty[first]:
            s, level = divmod(int(e), n_levels)
            if s not in problems:
                problems[s] = DataError.from_catalogue(
                    "quant.weights.empty_cell", where="population", site=sites[s],
                    dimension=dim, level=shown[levels[level]], count=f"{target[e]:g}")
        cells.append(cell)
        targets.append(target)
        totals.append(target.reshape(n_sites, n_levels).sum(axis=1))
    totals_arr = np.vstack(totals)
    spread = np.abs(totals_arr - totals_arr[0]).max(axis=0)
    for s in np.flatnonzero(spread > 1e-9 * np.maximum(totals_arr[0], 1.0)):
        if int(s) not in problems:
            text = ", ".join(f"{d} {t:g}"
                             for d, t in zip(dimensions, totals_arr[:, s], strict=True))
            problems[int(s)] = DataError.from_catalogue(
                "quant.weights.impossible_margins", where="population", site=sites[s],
                totals=text)
    problem = {"site_code": site_code, "sites": np.asarray(sites, dtype=object),
               "cells": cells, "targets": targets, "total": totals_arr[0]}
    return problem, {sites[s]: error for s, error in problems.items()}


def _ipf(problem: dict[str, Any], max_iter: int, tol: float, low: float,
         high: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    code, total = problem["site_code"], problem["total"]
    n_sites = len(total)
    size = np.bincount(code, minlength=n_sites)
    mean_w = (total / size)[code]
    weight = mean_w.copy()
    iterations = np.full(n_sites, max_iter)
    converged = np.zeros(n_sites, dtype=bool)
    error = np.zeros(n_sites)
    for it in range(1, max_iter + 1):
        for cell, target in zip(problem["cells"], problem["targets"], strict=True):
            sums = np.bincount(cell, weights=weight, minlength=len(target))
            factor = np.divide(target, sums, out=np.ones_like(target), where=sums > 0)
            weight *= factor[cell]
        if low > 0 or np.isfinite(high):
            np.clip(weight, low * mean_w, high * mean_w, out=weight)
        error = _margin_error(problem, weight, n_sites)
        newly = ~converged & (error <= tol * total)
        iterations[newly] = it
        converged |= newly
        if converged.all():
            break
    return weight, iterations, converged, error


def _margin_error(problem: dict[str, Any], weight: np.ndarray, n_sites: int) -> np.ndarray:
    """The largest absolute gap between a weighted margin and its target, per site."""
    error = np.zeros(n_sites)
    for cell, target in zip(problem["cells"], problem["targets"], strict=True):
        sums = np.bincount(cell, weights=weight, minlength=len(target))
        gap = np.abs(sums - target).reshape(n_sites, -1).max(axis=1)
        np.maximum(error, gap, out=error)
    return error


# --------------------------------------------------------------------------------------------
# weighted estimates


def weighted_proportion(data: pd.DataFrame, *, y: str, weight: str, site: str | None = None,
                        group: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """A weighted proportion per site (and group), with its design effect and effective n.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    y : str
        A 0/1 (or boolean) column: the event counted.
    weight : str
        The weight column (e.g. from :func:`rake_weights`); non-negative.
    site, group : str, optional
        Columns to estimate within (each site, each group, or each site × group).
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    DataFrame
        One row per estimation cell with the columns ``site`` and ``group`` (when given) and

        - ``n``: unweighted number of respondents used (always report it);
        - ``sum_weights``: Σ w;
        - ``estimate``: ``p = Σ w y / Σ w``;
        - ``se``: its linearisation standard error;
        - ``ci_low``, ``ci_high``: the logit interval;
        - ``deff``: Kish's design effect due to unequal weights, ``n Σ w² / (Σ w)²``;
        - ``n_eff``: effective sample size, ``(Σ w)² / Σ w² = n / deff``.

    Notes
    -----
    The standard error is the Taylor linearisation of the ratio estimator with the weights
    treated as fixed, with-replacement (Woodruff 1971)::

        var(p) = n / (n - 1) · Σ w_i² (y_i - p)² / (Σ w_i)²

    It is exactly what ``survey::svymean`` returns for ``svydesign(ids = ~1, weights = ~w)``
    built on the cell's rows (with ``strata = ~site`` for a per-site estimate, the same). For
    weights raked to known margins, ``survey`` can also use the calibration (it removes the
    part of the variance the margins explain); that variance is smaller and is not what this
    function returns: the fixed-weight variance is conservative.

    The interval is the logit interval of ``survey::svyciprop(method = "logit")``:
    ``expit(logit(p) ± t_{n-1} · se / (p (1 - p)))``, with Student's t on ``n - 1`` degrees of
    freedom. When ``p`` is 0 or 1 the logit interval does not exist and the Clopper-Pearson
    interval on the effective sample size is given instead (Korn & Graubard 1998).

    Missing data: rows with a missing ``y``, weight, site or group are left out (``n`` counts
    the rows used).

    References
    ----------
    Kish, L. (1992). Weighting for unequal Pi. *Journal of Official Statistics*, 8(2), 183-200.

    Korn, E. L., & Graubard, B. I. (1998). Confidence intervals for proportions with small
    expected number of positive counts estimated from survey data. *Survey Methodology*, 24,
    193-201.

    Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical Software*,
    9(8). https://doi.org/10.18637/jss.v009.i08

    Woodruff, R. S. (1971). A simple method for approximating the variance of a complicated
    estimate. *Journal of the American Statistical Association*, 66(334), 411-414.
    https://doi.org/10.1080/01621459.1971.10482279

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"y": [1, 0, 1, 1], "w": [1.0, 1.0, 2.0, 4.0]})
    >>> out = weighted_proportion(data, y="y", weight="w")
    >>> out[["n", "estimate", "deff", "n_eff"]].round(3)
       n  estimate  deff  n_eff
    0  4     0.875  1.375  2.909
    """
    return _weighted(data, y, weight, site, group, confidence, proportion=True)


def weighted_mean(data: pd.DataFrame, *, y: str, weight: str, site: str | None = None,
                  group: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """A weighted mean per site (and group), with its design effect and effective n.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    y : str
        A numeric column.
    weight : str
        The weight column; non-negative.
    site, group : str, optional
        Columns to estimate within.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    DataFrame
        One row per estimation cell with ``site`` and ``group`` (when given), ``n``
        (unweighted), ``sum_weights``, ``estimate`` (``Σ w y / Σ w``), ``se``, ``ci_low``,
        ``ci_high``, ``deff`` (Kish) and ``n_eff``, as in :func:`weighted_proportion`.

    Notes
    -----
    The standard error is the linearisation of the ratio mean with fixed weights,
    ``var = n / (n - 1) · Σ w_i² (y_i - ȳ_w)² / (Σ w_i)²``, which is ``survey::svymean`` on
    ``svydesign(ids = ~1, weights = ~w)``; the interval is ``ȳ_w ± z · se`` with the normal
    quantile, as ``confint()`` on a ``svymean`` result. See :func:`weighted_proportion` for the
    design effect and the missing-data policy.

    References
    ----------
    Kish, L. (1992). Weighting for unequal Pi. *Journal of Official Statistics*, 8(2), 183-200.

    Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical Software*,
    9(8). https://doi.org/10.18637/jss.v009.i08

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"y": [2.0, 4.0, 6.0], "w": [1.0, 1.0, 2.0]})
    >>> weighted_mean(data, y="y", weight="w")[["n", "estimate", "se"]].round(4)
       n  estimate      se
    0  3       4.5  1.2055
    """
    return _weighted(data, y, weight, site, group, confidence, proportion=False)


def _weighted(data: pd.DataFrame, y: str, weight: str, site: str | None, group: str | None,
              confidence: float, *, proportion: bool) -> pd.DataFrame:
    data = check_frame(data)
    y = check_column(data, y, "y")
    weight = check_column(data, weight, "weight")
    site = check_column(data, site, "site", optional=True)
    group = check_column(data, group, "group", optional=True)
    confidence = check_probability(confidence, "confidence")
    keys = [(name, col) for name, col in (("site", site), ("group", group)) if col is not None]
    values = _numeric(data[y], "y")
    w = _numeric(data[weight], "weight")
    if (w < 0).any():
        raise ArgumentError(f"weight={weight!r} holds negative weights", where="weight")
    if proportion and not values.dropna().isin([0, 1]).all():
        raise ArgumentError(f"y={y!r} must hold 0/1 (or true/false) values for a proportion",
                            where="y")
    frame = pd.DataFrame({"_y": values, "_w": w}, index=data.index)
    for name, col in keys:
        frame[name] = data[col]
    frame = frame.dropna()
    if keys:
        codes, cells = _cell_codes(frame, [name for name, _ in keys])
    else:
        codes, cells = np.zeros(len(frame), dtype=np.intp), pd.DataFrame(index=[0])
    stats_ = _ratio_stats(frame["_y"].to_numpy(), frame["_w"].to_numpy(), codes, len(cells))
    out = pd.concat([cells.reset_index(drop=True), stats_], axis=1)
    low, high = (_logit_interval if proportion else _normal_interval)(out, confidence)
    out.insert(out.columns.get_loc("se") + 1, "ci_low", low)
    out.insert(out.columns.get_loc("ci_low") + 1, "ci_high", high)
    return out


def _numeric(values: pd.Series, param: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    converted = pd.to_numeric(values, errors="coerce")
    if (converted.isna() & values.notna()).any():
        raise ArgumentError(f"{param}={values.name!r} must be a numeric column", where=param)
    return converted.astype("float64")


def _cell_codes(frame: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    grouped = frame.groupby(names, sort=True, observed=True)
    cells = grouped.size().index.to_frame(index=False)
    return grouped.ngroup().to_numpy(), cells


def _ratio_stats(y: np.ndarray, w: np.ndarray, codes: np.ndarray, k: int) -> pd.DataFrame:
    n = np.bincount(codes, minlength=k)
    sw = np.bincount(codes, weights=w, minlength=k)
    sw2 = np.bincount(codes, weights=w * w, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.bincount(codes, weights=w * y, minlength=k) / sw
        resid = w * (y - est[codes])
        ss = np.bincount(codes, weights=resid * resid, minlength=k)
        var = np.where(n > 1, n / np.maximum(n - 1, 1) * ss / sw**2, np.nan)
        deff = n * sw2 / sw**2
        n_eff = sw**2 / sw2
    return pd.DataFrame({"n": n, "sum_weights": sw, "estimate": est, "se": np.sqrt(var),
                         "deff": deff, "n_eff": n_eff})


def _normal_interval(out: pd.DataFrame, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    z = stats.norm.ppf(0.5 + confidence / 2)
    est, se = out["estimate"].to_numpy(), out["se"].to_numpy()
    return est - z * se, est + z * se


def _logit_interval(out: pd.DataFrame, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    p, se, n = out["estimate"].to_numpy(), out["se"].to_numpy(), out["n"].to_numpy()
    alpha = 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(1 - alpha / 2, np.where(n > 1, n - 1, np.nan))
        centre = np.log(p / (1 - p))
        half = t * se / (p * (1 - p))
        low, high = stats.logistic.cdf(centre - half), stats.logistic.cdf(centre + half)
        # p = 0 or 1: Clopper-Pearson on the effective sample size (Korn & Graubard 1998).
        n_eff = out["n_eff"].to_numpy()
        x = p * n_eff
        cp_low = np.where(x > 0, stats.beta.ppf(alpha / 2, x, n_eff - x + 1), 0.0)
        cp_high = np.where(x < n_eff, stats.beta.ppf(1 - alpha / 2, x + 1, n_eff - x), 1.0)
    edge = (p == 0) | (p == 1)
    return np.where(edge, cp_low, low), np.where(edge, cp_high, high)
