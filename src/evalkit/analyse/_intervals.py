"""Confidence intervals shared by the involvement, outcome and model functions, vectorised.

Wilson score intervals for proportions (via statsmodels), Newcombe's hybrid score interval for a
difference of proportions, t intervals for means and paired changes, Welch intervals for a
difference of means, and the noncentral-t interval of a standardised mean change.
"""

from __future__ import annotations

import numpy as np

from evalkit._lazy import lazy_module

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
stats = lazy_module("scipy.stats")


def wilson(count: np.ndarray, nobs: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval of ``count / nobs``; NaN where ``nobs`` is 0."""
    from statsmodels.stats.proportion import proportion_confint  # heavy: on use

    count = np.asarray(count, dtype="float64")
    nobs = np.asarray(nobs, dtype="float64")
    low = np.full(np.shape(count), np.nan)
    high = np.full(np.shape(count), np.nan)
    ok = nobs > 0
    if np.any(ok):
        lo, hi = proportion_confint(count[ok], nobs[ok], alpha=1 - confidence,
                                                method="wilson")
        low[ok], high[ok] = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
    # The score limits are exactly 0 at x = 0 and 1 at x = n; drop floating-point dust.
    low[ok & (count == 0)] = 0.0
    high[ok & (count == nobs)] = 1.0
    return low, high


def newcombe(count1: np.ndarray, nobs1: np.ndarray, count2: np.ndarray, nobs2: np.ndarray,
             confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference ``p1 - p2`` with Newcombe's (1998) hybrid score interval (his method 10).

    ``L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and ``U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``,
    where ``(l, u)`` are the Wilson limits of each proportion.
    """
    nobs1 = np.asarray(nobs1, dtype="float64")
    nobs2 = np.asarray(nobs2, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = np.where(nobs1 > 0, count1 / nobs1, np.nan)
        p2 = np.where(nobs2 > 0, count2 / nobs2, np.nan)
    l1, u1 = wilson(count1, nobs1, confidence)
    l2, u2 = wilson(count2, nobs2, confidence)
    diff = p1 - p2
    low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return diff, low, high


def t_interval(mean: np.ndarray, sd: np.ndarray, n: np.ndarray,
               confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """``mean ± t(n-1) · sd / sqrt(n)``; NaN when ``n < 2``."""
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    return mean - half, mean + half


def t_test_p(mean: np.ndarray, sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-value of the one-sample t test of a zero mean; NaN when undefined."""
    n = np.asarray(n, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / (sd / np.sqrt(n))
        p = 2 * stats.t.sf(np.abs(t), n - 1)
    return np.where((n >= 2) & (sd > 0), p, np.nan)


def welch(mean1: np.ndarray, var1: np.ndarray, n1: np.ndarray, mean2: np.ndarray,
          var2: np.ndarray, n2: np.ndarray, confidence: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Difference ``mean1 - mean2`` with the Welch (1947) interval and its Satterthwaite df."""
    n1 = np.asarray(n1, dtype="float64")
    n2 = np.asarray(n2, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b = var1 / n1, var2 / n2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        half = stats.t.ppf(0.5 + confidence / 2, df) * se
    ok = (n1 >= 2) & (n2 >= 2)
    diff = mean1 - mean2
    half = np.where(ok, half, np.nan)
    return diff, diff - half, diff + half, np.where(ok, df, np.nan)


def _nct_gap(ncp: np.ndarray, t: np.ndarray, df: np.ndarray, p: np.ndarray) -> np.ndarray:
    return stats.nct.cdf(t, df, ncp) - p


def standardised_change_interval(d: np.ndarray, n: np.ndarray,
                                 confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval of d_z = mean change / SD of change by inverting the noncentral t distribution.

    ``t = d_z · sqrt(n)`` follows a noncentral t with ``n - 1`` df and noncentrality
    ``delta · sqrt(n)``; the limits are the noncentralities that put ``t`` at the upper and lower
    ``(1 - confidence) / 2`` tails, divided by ``sqrt(n)`` (Steiger & Fouladi 1997; Cumming &
    Finch 2001; Goulet-Pelletier & Cousineau 2018).
    """
    from scipy.optimize import elementwise  # heavy: only this interval needs the root finder

    d = np.asarray(d, dtype="float64")
    n = np.asarray(n, dtype="float64")
    low = np.full(d.shape, np.nan)
    high = np.full(d.shape, np.nan)
    ok = np.isfinite(d) & (n >= 2)
    if not np.any(ok):
        return low, high
    root_n = np.sqrt(n[ok])
    t = d[ok] * root_n
    df = n[ok] - 1
    alpha = 1 - confidence
    z = stats.norm.ppf(1 - alpha / 2)
    # Large-sample SD of the noncentrality estimate: the first bracket nearly holds the root.
    spread = z * np.sqrt(1 + t**2 / (2 * df))
    for target, out, sign in ((1 - alpha / 2, low, -1), (alpha / 2, high, 1)):
        p = np.full(t.shape, target)
        guess = t + sign * spread
        bracket = elementwise.bracket_root(_nct_gap, guess - 0.25 * spread,
                                           guess + 0.25 * spread, args=(t, df, p))
        root = elementwise.find_root(_nct_gap, bracket.bracket, args=(t, df, p))
        out[ok] = np.where(root.success, root.x / root_n, np.nan)
    return low, high
