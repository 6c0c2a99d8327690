"""Funnel plots for comparing sites: control limits around a target as a function of precision,
and the overdispersion check that widens them when sites differ by more than chance.

Sites are never ranked: a site is only said to lie inside or outside a limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import (
    check_choice,
    check_column,
    check_frame,
    check_int,
    check_number,
)
from evalkit.errors import ArgumentError, DataError

__all__ = ["FEW_SITES", "funnel_limits", "overdispersion"]

#: Below this many sites, outputs carry a caution (Spiegelhalter et al. 2012).
FEW_SITES = 20

KINDS = ("proportion", "mean")


# --------------------------------------------------------------------------------------------
# site summaries shared with evalkit.analyse.shrinkage


def _site_summary(data: pd.DataFrame, *, site: Any, kind: str, y: Any, numerator: Any,
                  denominator: Any, mean: Any, sd: Any, n: Any) -> pd.DataFrame:
    """One row per site: ``site``, ``n``, ``estimate`` and ``events`` or ``sd``.

    The data are either one row per respondent (``y``) or one row per site (``numerator`` and
    ``denominator`` for a proportion; ``mean``, ``sd`` and ``n`` for a mean).
    """
    data = check_frame(data)
    kind = check_choice(kind, KINDS, "kind")
    site = check_column(data, site, "site")
    summary_roles = ({"numerator": numerator, "denominator": denominator} if kind == "proportion"
                     else {"mean": mean, "sd": sd, "n": n})
    other_roles = ({"mean": mean, "sd": sd, "n": n} if kind == "proportion"
                   else {"numerator": numerator, "denominator": denominator})
    for name, value in other_roles.items():
        if value is not None:
            raise ArgumentError(f"{name}= is not used with kind={kind!r}; give "
                                f"{' and '.join(summary_roles)} or y", where=name)
    given = [name for name, value in summary_roles.items() if value is not None]
    if y is not None and given:
        raise ArgumentError(f"give either y (one row per respondent) or {', '.join(given)} "
                            "(one row per site), not both", where="y")
    if y is None and len(given) != len(summary_roles):
        missing = [name for name in summary_roles if name not in given]
        raise ArgumentError(f"kind={kind!r} needs y (one row per respondent) or "
                            f"{' and '.join(summary_roles)} (one row per site); missing: "
                            f"{', '.join(missing)}", where=missing[0] if given else "y")
    if y is not None:
        out = _from_respondents(data, site, check_column(data, y, "y"), kind)
    else:
        columns = {name: check_column(data, value, name) for name, value in summary_roles.items()}
        out = _from_sites(data, site, columns, kind)
    if out.empty:
        raise DataError.from_catalogue("quant.sites.too_few", where="data", minimum=1, k=0)
    return out.sort_values("site", kind="stable").reset_index(drop=True)


def _as_float(values: pd.Series, param: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype="float64")
    converted = pd.to_numeric(values, errors="coerce")
    if (converted.isna() & values.notna()).any():
        raise ArgumentError(f"{param}={values.name!r} must be a numeric column", where=param)
    return converted.to_numpy(dtype="float64", na_value=np.nan)


def _from_respondents(data: pd.DataFrame, site: Any, y: Any, kind: str) -> pd.DataFrame:
    values = _as_float(data[y], "y")
    keep = ~np.isnan(values) & data[site].notna().to_numpy()
    values = values[keep]
    if kind == "proportion" and not np.isin(values, (0.0, 1.0)).all():
        raise ArgumentError(f"y={y!r} must hold 0/1 (or true/false) values for a proportion",
                            where="y")
    codes, sites = pd.factorize(data[site].to_numpy()[keep], sort=True)
    n = np.bincount(codes, minlength=len(sites))
    total = np.bincount(codes, weights=values, minlength=len(sites))
    out = pd.DataFrame({"site": sites, "n": n, "events": total, "estimate": total / n})
    if kind == "mean":
        resid = values - out["estimate"].to_numpy()[codes]
        ss = np.bincount(codes, weights=resid * resid, minlength=len(sites))
        with np.errstate(invalid="ignore", divide="ignore"):
            out["sd"] = np.sqrt(np.where(n > 1, ss / (n - 1), np.nan))
        out = out.drop(columns="events")
    return out


def _from_sites(data: pd.DataFrame, site: Any, columns: dict[str, Any],
                kind: str) -> pd.DataFrame:
    if data[site].duplicated().any():
        twice = data.loc[data[site].duplicated(), site].iloc[0]
        raise ArgumentError(f"with one row per site, site {twice!r} appears twice", where="site")
    values = {name: _as_float(data[col], name) for name, col in columns.items()}
    if kind == "proportion":
        events, n = values["numerator"], values["denominator"]
        keep = ~np.isnan(events) & ~np.isnan(n) & (n > 0)
        events, n = events[keep], n[keep]
        if (events < 0).any() or (events > n).any() or (events % 1 != 0).any() \
                or (n % 1 != 0).any():
            raise ArgumentError("numerator and denominator must be whole counts with "
                                "0 ≤ numerator ≤ denominator", where="numerator")
        return pd.DataFrame({"site": data[site].to_numpy()[keep], "n": n.astype("int64"),
                             "events": events, "estimate": events / n})
    m, s, n = values["mean"], values["sd"], values["n"]
    keep = ~np.isnan(m) & ~np.isnan(n) & (n > 0)
    if (s[keep] < 0).any():
        raise ArgumentError("sd must not be negative", where="sd")
    return pd.DataFrame({"site": data[site].to_numpy()[keep], "n": n[keep],
                         "estimate": m[keep], "sd": s[keep]})


def _pooled_sd(summary: pd.DataFrame) -> float:
    """Pooled within-site standard deviation: sqrt(Σ (n_i - 1) s_i² / Σ (n_i - 1))."""
    dof = summary["n"].to_numpy() - 1.0
    var = summary["sd"].to_numpy() ** 2
    ok = (dof > 0) & ~np.isnan(var)
    if not ok.any():
        raise DataError.from_catalogue("quant.sites.no_spread", where="data")
    return float(np.sqrt((dof[ok] * var[ok]).sum() / dof[ok].sum()))


def _target(summary: pd.DataFrame, kind: str, target: Any) -> float:
    if target is not None:
        if kind == "proportion":
            return check_number(target, "target", minimum=0.0, maximum=1.0)
        return check_number(target, "target")
    n = summary["n"].to_numpy(dtype="float64")
    if kind == "proportion":
        return float(summary["events"].sum() / n.sum())
    return float((n * summary["estimate"].to_numpy()).sum() / n.sum())


def _standard_error(kind: str, theta: float, sigma: float, n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype="float64")
    if kind == "proportion":
        return np.sqrt(theta * (1 - theta) / n)
    return sigma / np.sqrt(n)


def _check_levels(levels: Any) -> tuple[float, ...]:
    ok = isinstance(levels, Sequence) and not isinstance(levels, str) and len(levels) > 0
    if ok:
        try:
            values = tuple(float(v) for v in levels)
        except (TypeError, ValueError):
            ok = False
        else:
            ok = all(0 < v < 1 for v in values) and len(set(values)) == len(values)
    if not ok:
        raise ArgumentError(f"levels must list distinct numbers strictly between 0 and 1 "
                            f"(e.g. (0.95, 0.998)), got {levels!r}", where="levels")
    return tuple(sorted(values))


# --------------------------------------------------------------------------------------------
# limits


def _binomial_limits(n: np.ndarray, theta: float, p: float) -> np.ndarray:
    """Spiegelhalter's (2005, appendix A.1.1) interpolated quantile of Bin(n, θ) / n."""
    from scipy import stats  # here, not at the top: the figures import this module

    n = np.asarray(n, dtype="float64")
    if theta <= 0 or theta >= 1:
        return np.full(n.shape, float(theta))
    r = stats.binom.ppf(p, n, theta)
    cdf = stats.binom.cdf(r, n, theta)
    pmf = stats.binom.pmf(r, n, theta)
    alpha = (cdf - p) / pmf
    return np.clip((r - alpha) / n, 0.0, 1.0)


def _limits(kind: str, theta: float, sigma: float, n: np.ndarray, level: float,
            tau2: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy import stats  # here, not at the top: the figures import this module

    tail = (1 - level) / 2
    if kind == "proportion" and tau2 == 0:
        return _binomial_limits(n, theta, tail), _binomial_limits(n, theta, 1 - tail)
    z = stats.norm.ppf(1 - tail)
    half = z * np.sqrt(_standard_error(kind, theta, sigma, n) ** 2 + tau2)
    low, high = theta - half, theta + half
    if kind == "proportion":
        low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    return low, high


def _grid(n: np.ndarray, n_grid: int, kind: str) -> np.ndarray:
    low = max(1.0, 0.8 * float(n.min()))
    high = max(low + 1.0, 1.1 * float(n.max()))
    grid = np.geomspace(low, high, n_grid)
    if kind == "proportion":
        grid = np.unique(np.round(grid))
    return grid


def _tail_probabilities(summary: pd.DataFrame, kind: str, theta: float, sigma: float,
                        tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Each site's probability of a value at least as low, and at least as high, as its own
    under the target: exact binomial for a proportion (``P(R ≤ r)``, ``P(R ≥ r)``), normal
    otherwise (a mean, or a proportion with between-site variance ``tau2``)."""
    from scipy import stats  # here, not at the top: the figures import this module

    n = summary["n"].to_numpy(dtype="float64")
    estimate = summary["estimate"].to_numpy(dtype="float64")
    if kind == "proportion" and tau2 == 0:
        events = np.round(summary["events"].to_numpy(dtype="float64"))
        return stats.binom.cdf(events, n, theta), stats.binom.sf(events - 1, n, theta)
    se = np.sqrt(_standard_error(kind, theta, sigma, n) ** 2 + tau2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (estimate - theta) / se
    return stats.norm.cdf(z), stats.norm.sf(z)


def _position(tails: tuple[np.ndarray, np.ndarray], level: float) -> tuple[Any, Any]:
    """Outside the two-sided ``level`` limits: a tail probability below ``(1 - level) / 2``."""
    alpha = (1 - level) / 2
    below, above = tails[0] < alpha, tails[1] < alpha
    direction = np.where(below, "below", np.where(above, "above", None))
    return below | above, direction


def funnel_limits(data: pd.DataFrame, *, site: str, kind: str = "proportion",
                  y: str | None = None, numerator: str | None = None,
                  denominator: str | None = None, mean: str | None = None,
                  sd: str | None = None, n: str | None = None, target: float | None = None,
                  levels: Sequence[float] = (0.95, 0.998), n_grid: int = 100,
                  tau2: float = 0.0) -> pd.DataFrame:
    """Funnel-plot control limits, as a grid for drawing and at each site's own size.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (give ``y``) or one row per site (give ``numerator`` and
        ``denominator`` for a proportion, ``mean``, ``sd`` and ``n`` for a mean).
    site : str
        Column holding the site.
    kind : {"proportion", "mean"}
        The indicator: a proportion of people (e.g. a tokenism rate) or a mean score.
    y : str, optional
        Respondent-level column: 0/1 for a proportion, a number for a mean.
    numerator, denominator : str, optional
        Site-level columns: events and people (whole counts).
    mean, sd, n : str, optional
        Site-level columns: the site's mean, standard deviation and number of people.
    target : float, optional
        The value the sites are compared with; by default the overall value (all people
        pooled: ``Σ events / Σ n``, or the n-weighted mean of the site means).
    levels : sequence of float, default (0.95, 0.998)
        Coverage of the limits (two-sided): 95 % and 99.8 % as Spiegelhalter recommends.
    n_grid : int, default 100
        Number of points of the drawing grid (from 0.8 × the smallest to 1.1 × the largest
        site size, geometric; whole numbers for a proportion).
    tau2 : float, default 0
        Between-site variance from :func:`overdispersion`: the limits become
        ``target ± z √(s² + τ²)`` (a random-effects funnel).

    Returns
    -------
    DataFrame
        Long format, one row per grid point or site and per level, with the columns

        - ``source``: ``"grid"`` (for drawing the funnel) or ``"site"``;
        - ``site``: the site (missing on grid rows);
        - ``n``: the size (grid value, or the site's number of people);
        - ``estimate``: the site's indicator (missing on grid rows);
        - ``target``;
        - ``level``: coverage of the limits;
        - ``lower``, ``upper``: the control limits at ``n``;
        - ``z``: the site's z-score ``(estimate - target) / √(s² + τ²)``;
        - ``outside``: whether the site lies outside the limits, decided from its exact tail
          probability (see Notes; missing on grid rows);
        - ``direction``: ``"above"``, ``"below"`` or missing.

    Notes
    -----
    For a proportion with target θ and ``n`` people, ``s = √(θ (1 - θ) / n)``, and the limits
    are exact binomial, interpolated as in Spiegelhalter (2005, appendix A.1.1): for the
    probability ``p`` (0.025 and 0.975 for 95 %), ``r_p`` is the smallest integer with
    ``P(R ≤ r_p) ≥ p`` for ``R ~ Binomial(n, θ)``,
    ``α = (P(R ≤ r_p) - p) / P(R = r_p)``, and the limit is ``(r_p - α) / n``, clipped to
    [0, 1]. The exact limits are used at every size (they approach the normal ones for large
    ``n``); with ``tau2 > 0`` the limits are normal, ``θ ± z √(s² + τ²)``, clipped to [0, 1].

    For a mean, ``s = σ / √n`` with σ the pooled within-site standard deviation
    ``√(Σ (n_i - 1) s_i² / Σ (n_i - 1))``, and the limits are ``θ ± z √(s² + τ²)``.

    A site is outside the ``level`` limits when its tail probability under the target is below
    ``(1 - level) / 2`` (Spiegelhalter 2005, section 2): for a proportion, the exact binomial
    ``P(R ≥ r)`` above the target and ``P(R ≤ r)`` below it, for the site's ``r`` events out of
    ``n``; for a mean (or with ``tau2 > 0``), the normal tail of ``z``. The interpolated
    limits are for drawing: they pass between whole counts, so a site one count beyond the
    drawn line can still be inside (its count is as likely as the limit allows), and a site at
    1 of 1 is outside only if ``θ < (1 - level) / 2``. Respondents with a missing ``y`` or site
    are left out; sites with no one left, or with a missing or zero denominator, are left out.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine*, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site": ["A", "B", "C"], "tokenistic": [12, 30, 9],
    ...                       "consulted": [40, 50, 45]})
    >>> out = funnel_limits(sites, site="site", numerator="tokenistic",
    ...                     denominator="consulted")
    >>> out[out["source"] == "site"][["site", "level", "lower", "upper", "direction"]].round(3)
      site  level  lower  upper direction
    0    A  0.950  0.217  0.519       NaN
    1    A  0.998  0.139  0.609       NaN
    2    B  0.950  0.235  0.505     above
    3    B  0.998  0.164  0.585       NaN
    4    C  0.950  0.227  0.510     below
    5    C  0.998  0.155  0.596       NaN

    B (30 of 50, 0.6) is drawn beyond the 99.8 % line (0.585) but is not outside it: under the
    target 51/135, ``P(R ≥ 30) = 0.0012``, above the 0.001 of the upper tail.
    """
    summary = _site_summary(data, site=site, kind=kind, y=y, numerator=numerator,
                            denominator=denominator, mean=mean, sd=sd, n=n)
    levels = _check_levels(levels)
    n_grid = check_int(n_grid, "n_grid", minimum=2)
    tau2 = check_number(tau2, "tau2", minimum=0.0)
    theta = _target(summary, kind, target)
    sigma = _pooled_sd(summary) if kind == "mean" else np.nan
    sizes = summary["n"].to_numpy(dtype="float64")
    grid = _grid(sizes, n_grid, kind)
    se = np.sqrt(_standard_error(kind, theta, sigma, sizes) ** 2 + tau2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (summary["estimate"].to_numpy() - theta) / se
    tails = _tail_probabilities(summary, kind, theta, sigma, tau2)
    parts = []
    for level in levels:
        low, high = _limits(kind, theta, sigma, grid, level, tau2)
        parts.append(pd.DataFrame({"source": "grid", "site": None, "n": grid,
                                   "estimate": np.nan, "target": theta, "level": level,
                                   "lower": low, "upper": high, "z": np.nan,
                                   "outside": None, "direction": None}))
    for level in levels:
        low, high = _limits(kind, theta, sigma, sizes, level, tau2)
        outside, direction = _position(tails, level)
        parts.append(pd.DataFrame({"source": "site", "site": summary["site"].to_numpy(),
                                   "n": sizes, "estimate": summary["estimate"].to_numpy(),
                                   "target": theta, "level": level, "lower": low,
                                   "upper": high, "z": z, "outside": outside,
                                   "direction": direction}))
    out = pd.concat(parts, ignore_index=True)
    out["outside"] = out["outside"].astype("boolean")
    out["direction"] = out["direction"].astype(object).where(out["direction"].notna(), np.nan)
    is_site = out["source"] == "site"
    ordered = pd.concat([out[is_site].sort_values(["site", "level"], kind="stable"),
                         out[~is_site].sort_values(["level", "n"], kind="stable")])
    return ordered.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# overdispersion


def _dispersion(z: np.ndarray, se: np.ndarray, winsor: float,
                target_given: bool) -> dict[str, Any]:
    """φ from winsorised z-scores, its χ² test, and the DerSimonian-Laird-style τ²."""
    from scipy import stats  # here, not at the top: the figures import this module

    k = len(z)
    low, high = np.quantile(z, [winsor, 1 - winsor])  # linear: R's quantile type 7
    z_w = np.clip(z, low, high)
    phi = float((z_w**2).sum() / k)
    df = k if target_given else k - 1
    chi2 = k * phi
    p_value = float(stats.chi2.sf(chi2, df)) if df > 0 else np.nan
    w = 1.0 / se**2
    tau2 = 0.0
    if phi > 1:
        tau2 = max(0.0, float((k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())))
    return {"z_winsorised": z_w, "phi": phi, "chi2": chi2, "df": df, "p_value": p_value,
            "tau2": tau2, "k": k}


def overdispersion(data: pd.DataFrame, *, site: str, kind: str = "proportion",
                   y: str | None = None, numerator: str | None = None,
                   denominator: str | None = None, mean: str | None = None,
                   sd: str | None = None, n: str | None = None, target: float | None = None,
                   levels: Sequence[float] = (0.95, 0.998),
                   winsor: float = 0.1) -> pd.DataFrame:
    """Check whether sites differ by more than chance, and widen the funnel limits if so.

    Parameters
    ----------
    data, site, kind, y, numerator, denominator, mean, sd, n, target, levels
        As in :func:`funnel_limits`.
    winsor : float, default 0.1
        Share of z-scores winsorised at each end before φ is estimated.

    Returns
    -------
    DataFrame
        One row per site and level, with the columns

        - ``site``, ``n``, ``estimate``, ``target``;
        - ``z``: the z-score ``(estimate - target) / s``; ``z_winsorised``: the same after
          winsorisation (used for φ only);
        - ``level``;
        - ``lower``, ``upper``, ``outside``: the limits of :func:`funnel_limits` (exact
          binomial for a proportion) and whether the site lies outside them, from its exact tail
          probability as there (*before*);
        - ``z_adjusted``, ``lower_adjusted``, ``upper_adjusted``, ``outside_adjusted``: the
          same with the between-site variance, ``(estimate - target) / √(s² + τ²)``,
          ``target ± z √(s² + τ²)`` and the normal tail probability of ``z_adjusted`` (*after*;
          equal to *before* when τ² = 0);
        - ``phi``, ``chi2``, ``df``, ``p_value``: the overdispersion ratio and its test;
        - ``tau2``: the between-site variance (0 when φ ≤ 1);
        - ``k``: the number of sites; ``few_sites``: whether ``k < 20`` (read with caution:
          φ and τ² rest on few sites, and winsorisation at 10 % touches one or two).

    Notes
    -----
    Following Spiegelhalter (2005, section 3.2) and Spiegelhalter et al. (2012):

    1. z-scores ``z_i = (y_i - θ) / s_i`` (``s_i`` as in :func:`funnel_limits`);
    2. winsorise: z-scores below the 10th percentile are set to it, those above the 90th to it
       (percentiles by linear interpolation, R's default type 7);
    3. ``φ = Σ z_w² / k``; under no overdispersion ``k φ`` follows approximately a χ² with
       ``k - 1`` degrees of freedom (``k`` when ``target`` is given rather than estimated
       from the same data);
    4. if ``φ > 1``, ``τ² = (k φ - (k - 1)) / (Σ w_i - Σ w_i² / Σ w_i)`` with
       ``w_i = 1 / s_i²`` (an additive random-effects, DerSimonian-Laird-style estimate),
       and the limits become ``θ ± z √(s_i² + τ²)``. For a proportion they are normal, on the
       proportion scale, clipped to [0, 1].

    A proportion whose target is 0 or 1 has no sampling variance: the check is then
    impossible and raises :class:`~evalkit.errors.DataError`. At least 3 sites are needed.

    References
    ----------
    DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials*, 7(3), 177-188. https://doi.org/10.1016/0197-2456(86)90046-2

    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine*, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970

    Spiegelhalter, D. J., Sherlaw-Johnson, C., Bardsley, M., Blunt, I., Wood, C., & Grigg, O.
    (2012). Statistical methods for healthcare regulation: rating, screening and surveillance.
    *Journal of the Royal Statistical Society: Series A*, 175(1), 1-47.
    https://doi.org/10.1111/j.1467-985X.2011.01010.x

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site": list("ABCDEF"), "events": [10, 30, 22, 45, 8, 60],
    ...                       "people": [100, 100, 100, 100, 100, 100]})
    >>> out = overdispersion(sites, site="site", numerator="events", denominator="people")
    >>> first = out.iloc[0]
    >>> round(float(first["phi"]), 2), round(float(first["tau2"]), 4), bool(first["few_sites"])
    (13.08, 0.0304, True)
    """
    summary = _site_summary(data, site=site, kind=kind, y=y, numerator=numerator,
                            denominator=denominator, mean=mean, sd=sd, n=n)
    levels = _check_levels(levels)
    winsor = check_number(winsor, "winsor", minimum=0.0, maximum=0.49)
    if len(summary) < 3:
        raise DataError.from_catalogue("quant.sites.too_few", where="data", minimum=3,
                                       k=len(summary))
    theta = _target(summary, kind, target)
    if kind == "proportion" and theta in (0.0, 1.0):
        raise DataError.from_catalogue("quant.sites.no_spread", where="data")
    sigma = _pooled_sd(summary) if kind == "mean" else np.nan
    sizes = summary["n"].to_numpy(dtype="float64")
    estimate = summary["estimate"].to_numpy()
    se = _standard_error(kind, theta, sigma, sizes)
    z = (estimate - theta) / se
    disp = _dispersion(z, se, winsor, target is not None)
    tau2 = disp["tau2"]
    z_adj = (estimate - theta) / np.sqrt(se**2 + tau2)
    tails = _tail_probabilities(summary, kind, theta, sigma, 0.0)
    tails_a = _tail_probabilities(summary, kind, theta, sigma, tau2) if tau2 > 0 else tails
    parts = []
    for level in levels:
        low, high = _limits(kind, theta, sigma, sizes, level, 0.0)
        low_a, high_a = _limits(kind, theta, sigma, sizes, level, tau2) if tau2 > 0 \
            else (low, high)
        outside, _ = _position(tails, level)
        outside_a, _ = _position(tails_a, level)
        parts.append(pd.DataFrame({
            "site": summary["site"].to_numpy(), "n": sizes, "estimate": estimate,
            "target": theta, "z": z, "z_winsorised": disp["z_winsorised"], "level": level,
            "lower": low, "upper": high, "outside": outside, "z_adjusted": z_adj,
            "lower_adjusted": low_a, "upper_adjusted": high_a,
            "outside_adjusted": outside_a}))
    out = pd.concat(parts, ignore_index=True)
    for key in ("phi", "chi2", "df", "p_value", "tau2", "k"):
        out[key] = disp[key]
    out["few_sites"] = disp["k"] < FEW_SITES
    return out.sort_values(["site", "level"], kind="stable").reset_index(drop=True)
