"""Shrunken (empirical Bayes) site estimates with intervals, for caterpillar plots.

Small sites' estimates are pulled towards the overall value in proportion to their noise; every
estimate keeps its interval, and sites are ordered, never ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_probability
from evalkit._lazy import lazy_module
from evalkit.analyse.funnel import FEW_SITES, _pooled_sd, _site_summary
from evalkit.errors import ArgumentError, DataError

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
optimize = lazy_module("scipy.optimize")
special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

__all__ = ["shrunken_estimates"]

METHODS = ("auto", "normal", "beta_binomial")

# Bounds of log(α + β) for the beta-binomial fit: at the upper bound the prior is so tight that
# every site is (all but) the overall proportion, i.e. no between-site variation.
_LOG_M_BOUNDS = (np.log(1e-3), np.log(1e9))


def shrunken_estimates(data: pd.DataFrame, *, site: str, kind: str = "proportion",
                       y: str | None = None, numerator: str | None = None,
                       denominator: str | None = None, mean: str | None = None,
                       sd: str | None = None, n: str | None = None, method: str = "auto",
                       confidence: float = 0.95) -> pd.DataFrame:
    """Empirical Bayes site estimates, each beside its raw estimate and both intervals.

    Parameters
    ----------
    data, site, kind, y, numerator, denominator, mean, sd, n
        As in :func:`evalkit.funnel_limits`: one row per respondent (``y``) or one row per
        site.
    method : {"auto", "normal", "beta_binomial"}, default "auto"
        ``"normal"``: normal-normal model with the DerSimonian-Laird between-site variance;
        ``"beta_binomial"`` (proportions only): beta-binomial model fitted by maximum
        likelihood. ``"auto"`` takes the beta-binomial for a proportion, the normal for a mean.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    DataFrame
        One row per site, ordered by shrunken estimate (an order for the caterpillar plot, not
        a rank: no rank column is given, since ranks without intervals mislead), with the
        columns

        - ``site``, ``n``;
        - ``estimate``, ``ci_low``, ``ci_high``: the raw estimate and its interval (Wilson for
          a proportion, Student's t for a mean);
        - ``shrunken``, ``shrunken_ci_low``, ``shrunken_ci_high``: the empirical Bayes
          estimate and its interval;
        - ``weight``: the weight of the site's own data in the shrunken estimate (1: no
          shrinkage; 0: the overall value);
        - ``prior_mean``, ``tau2``: the estimated overall value and between-site variance;
        - ``method``: the model used;
        - ``few_sites``: whether there are fewer than 20 sites (the between-site variance is
          then poorly estimated: read with caution).

    Notes
    -----
    **Normal-normal.** Site estimate ``y_i`` with sampling variance ``v_i`` (``s_i² / n_i`` for
    a mean, the pooled SD standing in for sites with one person; ``p̄ (1 - p̄) / n_i`` for a
    proportion, with ``p̄`` the pooled proportion, so that a site at 0 % or 100 % keeps a
    variance). With ``w_i = 1 / v_i``, ``Q = Σ w_i (y_i - ȳ_w)²`` and the DerSimonian-Laird
    estimate ``τ² = max(0, (Q - (k - 1)) / (Σ w_i - Σ w_i² / Σ w_i))``; then
    ``μ = Σ w*_i y_i / Σ w*_i`` with ``w*_i = 1 / (v_i + τ²)``, ``B_i = v_i / (v_i + τ²)``,
    and

        shrunken_i = μ + (1 - B_i) (y_i - μ),
        var_i = (1 - B_i) v_i + B_i² / Σ w*_j,

    the second term carrying the uncertainty of μ (Morris 1983; as ``metafor::blup``). The
    interval is ``shrunken_i ± z √var_i`` (clipped to [0, 1] for a proportion). When τ² = 0
    every site is shrunk to the pooled (inverse-variance) mean.

    **Beta-binomial.** ``x_i ~ Binomial(n_i, p_i)``, ``p_i ~ Beta(μ M, (1 - μ) M)``, with μ
    and ``M`` maximising the beta-binomial likelihood; the posterior of ``p_i`` is
    ``Beta(μ M + x_i, (1 - μ) M + n_i - x_i)``, whose mean is the shrunken estimate and whose
    quantiles give the (equal-tailed) interval; ``weight = n_i / (n_i + M)`` and
    ``tau2 = μ (1 - μ) / (M + 1)``, the prior variance. Intervals ignore the uncertainty of μ
    and M (they are somewhat narrow with few sites).

    Missing data: as in :func:`evalkit.analyse.funnel.funnel_limits`. At least 3 sites are needed.

    References
    ----------
    DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials*, 7(3), 177-188. https://doi.org/10.1016/0197-2456(86)90046-2

    Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications.
    *Journal of the American Statistical Association*, 78(381), 47-55.
    https://doi.org/10.1080/01621459.1983.10477920

    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine*, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site": ["A", "B", "C", "D"], "mean": [3.0, 3.5, 2.5, 4.0],
    ...                       "sd": [1.0, 1.0, 1.0, 1.0], "n": [25, 100, 4, 16]})
    >>> out = shrunken_estimates(sites, site="site", kind="mean", mean="mean", sd="sd", n="n")
    >>> out[["site", "estimate", "shrunken", "weight"]].round(3)
      site  estimate  shrunken  weight
    0    C       2.5     3.026   0.381
    1    A       3.0     3.072   0.794
    2    B       3.5     3.491   0.939
    3    D       4.0     3.812   0.711
    """
    summary = _site_summary(data, site=site, kind=kind, y=y, numerator=numerator,
                            denominator=denominator, mean=mean, sd=sd, n=n)
    method = check_choice(method, METHODS, "method")
    confidence = check_probability(confidence, "confidence")
    if method == "auto":
        method = "beta_binomial" if kind == "proportion" else "normal"
    if method == "beta_binomial" and kind != "proportion":
        raise ArgumentError("method='beta_binomial' applies to kind='proportion' only",
                            where="method")
    if len(summary) < 3:
        raise DataError.from_catalogue("quant.sites.too_few", where="data", minimum=3,
                                       k=len(summary))
    if kind == "proportion":
        events, total = summary["events"].sum(), summary["n"].sum()
        if events in (0, total):
            raise DataError.from_catalogue("quant.sites.no_spread", where="data")
    raw = _raw_intervals(summary, kind, confidence)
    if method == "normal":
        shrunk = _normal_normal(summary, kind, confidence)
    else:
        shrunk = _beta_binomial(summary, confidence)
    out = pd.concat([summary[["site", "n", "estimate"]], raw, shrunk], axis=1)
    out["method"] = method
    out["few_sites"] = len(out) < FEW_SITES
    return out.sort_values(["shrunken", "site"], kind="stable").reset_index(drop=True)


def _raw_intervals(summary: pd.DataFrame, kind: str, confidence: float) -> pd.DataFrame:
    from statsmodels.stats.proportion import proportion_confint  # heavy: on use
    n = summary["n"].to_numpy(dtype="float64")
    if kind == "proportion":
        low, high = proportion_confint(summary["events"].to_numpy(), n,
                                                   alpha=1 - confidence, method="wilson")
        return pd.DataFrame({"ci_low": low, "ci_high": high})
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + confidence / 2, np.where(n > 1, n - 1, np.nan))
        half = t * summary["sd"].to_numpy() / np.sqrt(n)
    est = summary["estimate"].to_numpy()
    return pd.DataFrame({"ci_low": est - half, "ci_high": est + half})


def _sampling_variance(summary: pd.DataFrame, kind: str) -> np.ndarray:
    n = summary["n"].to_numpy(dtype="float64")
    if kind == "proportion":
        p = summary["events"].sum() / n.sum()
        return p * (1 - p) / n
    sd = summary["sd"].to_numpy(dtype="float64")
    sd = np.where((n > 1) & ~np.isnan(sd), sd, _pooled_sd(summary))
    if (sd == 0).all():
        raise DataError.from_catalogue("quant.sites.no_spread", where="data")
    return np.maximum(sd, 1e-12 * sd.max()) ** 2 / n


def _dersimonian_laird(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    fixed = (w * y).sum() / w.sum()
    q = (w * (y - fixed) ** 2).sum()
    return max(0.0, float((q - (len(y) - 1)) / (w.sum() - (w**2).sum() / w.sum())))


def _normal_normal(summary: pd.DataFrame, kind: str, confidence: float) -> pd.DataFrame:
    y = summary["estimate"].to_numpy(dtype="float64")
    v = _sampling_variance(summary, kind)
    tau2 = _dersimonian_laird(y, v)
    w_star = 1.0 / (v + tau2)
    mu = (w_star * y).sum() / w_star.sum()
    b = v / (v + tau2)
    shrunk = mu + (1 - b) * (y - mu)
    se = np.sqrt((1 - b) * v + b**2 / w_star.sum())
    z = stats.norm.ppf(0.5 + confidence / 2)
    low, high = shrunk - z * se, shrunk + z * se
    if kind == "proportion":
        low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    return pd.DataFrame({"shrunken": shrunk, "shrunken_ci_low": low, "shrunken_ci_high": high,
                         "weight": 1 - b, "prior_mean": mu, "tau2": tau2})


def _beta_binomial_fit(x: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (μ, M) of the beta-binomial, parametrised by logit μ and log M."""

    def negloglik(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mu, m = special.expit(theta[0]), np.exp(theta[1])
        a, b = mu * m, (1 - mu) * m
        ll = (special.betaln(x + a, n - x + b) - special.betaln(a, b)).sum()
        common = special.digamma(a + b) - special.digamma(n + a + b)
        d_a = (special.digamma(x + a) - special.digamma(a) + common).sum()
        d_b = (special.digamma(n - x + b) - special.digamma(b) + common).sum()
        d_eta = (d_a - d_b) * m * mu * (1 - mu)
        d_log_m = d_a * a + d_b * b
        return -ll, -np.array([d_eta, d_log_m])

    pooled = x.sum() / n.sum()
    p = x / n
    spread = np.var(p, ddof=1) if len(p) > 1 else 0.0
    binomial = pooled * (1 - pooled) * np.mean(1 / n)
    start_m = pooled * (1 - pooled) / max(spread - binomial, 1e-6) - 1
    start = np.array([special.logit(pooled), np.log(np.clip(start_m, 1.0, 1e6))])
    best = None
    for log_m in (start[1], np.log(10.0), _LOG_M_BOUNDS[1] - 1):
        fit = optimize.minimize(negloglik, np.array([start[0], log_m]), jac=True,
                                method="L-BFGS-B",
                                bounds=[(-30.0, 30.0), _LOG_M_BOUNDS],
                                options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 1000})
        if best is None or fit.fun < best.fun:
            best = fit
    return float(special.expit(best.x[0])), float(np.exp(best.x[1]))


def _beta_binomial(summary: pd.DataFrame, confidence: float) -> pd.DataFrame:
    x = summary["events"].to_numpy(dtype="float64")
    n = summary["n"].to_numpy(dtype="float64")
    mu, m = _beta_binomial_fit(x, n)
    a, b = mu * m + x, (1 - mu) * m + n - x
    tail = (1 - confidence) / 2
    return pd.DataFrame({"shrunken": a / (a + b),
                         "shrunken_ci_low": stats.beta.ppf(tail, a, b),
                         "shrunken_ci_high": stats.beta.ppf(1 - tail, a, b),
                         "weight": n / (n + m), "prior_mean": mu,
                         "tau2": mu * (1 - mu) / (m + 1)})
