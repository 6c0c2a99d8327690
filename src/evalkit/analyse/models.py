"""Models for clustered outcomes: linear mixed models with a random intercept per site, ordinal
models for a single rating, ICC and design effect, with tidy results (statsmodels underneath).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import (
    check_choice,
    check_column,
    check_frame,
    check_number,
    check_probability,
)
from evalkit._lazy import lazy_module
from evalkit.analyse.involvement import _involvement_config, ladder_placement, tokenism_status
from evalkit.analyse.outcomes import _outcome_config, _paired_waves
from evalkit.config.study import OutcomeModel
from evalkit.errors import ArgumentError

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
stats = lazy_module("scipy.stats")

__all__ = [
    "ModelResult",
    "ProfiledFit",
    "design_effect",
    "icc",
    "involvement_change_data",
    "involvement_outcome_model",
    "model_follow_up",
    "model_respondents",
    "mixed_model",
    "ordinal_model",
]

_COEF_COLUMNS = ["term", "estimate", "std_error", "ci_low", "ci_high", "p_value"]


@dataclass(frozen=True)
class ModelResult:
    """A fitted model as tidy tables.

    Attributes
    ----------
    coefficients : DataFrame
        One row per term: ``term``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``,
        ``p_value`` (ordinal models add ``kind``, ``odds_ratio``, ``odds_ratio_ci_low``,
        ``odds_ratio_ci_high``).
    fit : DataFrame
        One row of fit facts: ``n_obs``, ``n_dropped`` (rows with a missing value in the
        model's variables), ``n_groups``, ``method``, ``log_likelihood``, ``aic``, ``bic`` (NaN
        where undefined: REML fits), ``converged``, ``warnings`` and model-specific facts.
    variance_components : DataFrame
        Mixed models: ``component`` (the group column, or ``"residual"``), ``term``,
        ``variance``, ``sd``; empty for other models.
    random_effects : DataFrame
        Mixed models: the predicted random intercepts (BLUPs) per group, ``group``, ``term``,
        ``estimate``, ``std_error`` (conditional SD), ``ci_low``, ``ci_high``; empty otherwise.
    result : object
        Mixed models fitted by statsmodels, and ordinal models: the statsmodels results
        object, for anything the tables do not show; mixed models fitted by the profiled
        engine: a :class:`ProfiledFit`.
    """

    coefficients: pd.DataFrame
    fit: pd.DataFrame
    variance_components: pd.DataFrame = field(default_factory=pd.DataFrame)
    random_effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    result: Any = field(default=None, repr=False)


def _check_formula(formula: Any) -> str:
    if not isinstance(formula, str) or "~" not in formula:
        raise ArgumentError(f"formula must be a model formula such as 'y ~ x + z', got "
                            f"{formula!r}", where="formula")
    return formula


def _fit_quietly(fit, **kwargs) -> tuple[Any, list[str]]:
    """Run ``fit`` and keep the warnings it raises as notes (they belong in the fit facts)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit(**kwargs)
    notes = sorted({str(w.message).splitlines()[0] for w in caught})
    return result, notes


def _formula_error(exc: Exception) -> ArgumentError:
    return ArgumentError(f"formula cannot be used with data: {exc}", where="formula")


# -- linear mixed model ----------------------------------------------------------------------

def mixed_model(data: pd.DataFrame, *, formula: str, group: str, reml: bool = True,
                confidence: float = 0.95, engine: str = "profiled") -> ModelResult:
    """Linear mixed model with a random intercept per group (site).

    Parameters
    ----------
    data : DataFrame
        One row per observation (e.g. per respondent).
    formula : str
        Fixed effects as a formula, e.g. ``"outcome_change ~ rung + tokenistic + age_group"``.
    group : str
        The clustering column (the site): one random intercept per value.
    reml : bool
        Restricted maximum likelihood (default, as ``lme4::lmer``) or maximum likelihood (needed
        to compare fixed-effect structures by likelihood, AIC or BIC).
    confidence : float
        Confidence level of the intervals.
    engine : {"profiled", "statsmodels"}
        ``"profiled"`` (default): the (restricted) likelihood profiled on the one variance
        ratio and maximised from per-group sums, as ``lme4::lmer`` does; ``"statsmodels"``:
        statsmodels ``MixedLM`` (the same estimates, slower; its results object in
        ``result``).

    Returns
    -------
    ModelResult
        ``coefficients`` (fixed effects), ``fit`` (``n_obs``, ``n_dropped``, ``n_groups``,
        ``min_group_size``, ``mean_group_size``, ``max_group_size``, ``method``,
        ``log_likelihood``, ``aic``, ``bic``, ``converged``, ``boundary`` (the group variance is
        estimated at zero), ``warnings``, ``group_variance``, ``residual_variance``, ``icc``),
        ``variance_components`` and ``random_effects``
        (BLUPs with their conditional SD), see :class:`ModelResult`.

    Notes
    -----
    The model is ``y_ij = x_ij'β + u_j + e_ij`` with ``u_j ~ N(0, τ²)`` and
    ``e_ij ~ N(0, σ²)``. The profiled engine writes ``γ = τ²/σ²`` and
    ``w_j = γ / (1 + n_j γ)``; from the per-group sums ``n_j``, ``s_j = X_j'1``,
    ``t_j = 1'y_j`` and the totals ``X'X``, ``X'y``, ``y'y`` it has
    ``A = X'V⁻¹X = X'X − Σ w_j s_j s_j'``, ``b = X'V⁻¹y = X'y − Σ w_j s_j t_j``,
    ``β̂ = A⁻¹b`` and ``r² = y'V⁻¹y − b'β̂``; it minimises over ``γ ≥ 0`` the profiled
    deviance ``(N − p)(1 + log(2π r²/(N − p))) + Σ log(1 + n_j γ) + log|A|`` (REML) or
    ``N(1 + log(2π r²/N)) + Σ log(1 + n_j γ)`` (ML), with ``σ̂² = r²/(N − p)`` or ``r²/N``
    (Bates et al. 2015, section 3.4). The work per evaluation is ``O(J p²)`` for ``J``
    groups, whatever the number of rows. The standard errors of the fixed effects are
    those of ``lme4``: the square roots of ``σ̂² (X' V̂⁻¹ X)⁻¹`` with ``V = I + (τ̂²/σ̂²) Z Z'``,
    the variances taken as known (statsmodels' own ``bse_fe``, in ``result``, inverts the joint
    Hessian of fixed effects and variances instead; it is 0.03–0.15 % larger on unbalanced
    sites whose covariates differ). Intervals and p-values are Wald (normal), ``β̂ ± z SE``;
    with few sites (under about 20) they are optimistic for site-level predictors, so read them
    with care. The
    predicted random intercepts are the conditional means of ``u_j`` given the data, with their
    conditional SD; their intervals are ``û_j ± z SD`` (the caterpillar plot's bars). The ICC
    in ``fit`` is ``τ² / (τ² + σ²)``. The fit uses BFGS to a gradient of 1e-10 (the variances
    then agree with ``lme4::lmer``'s to about 1e-8); when it does not converge (typically
    when ``τ²`` is near 0) the model is refitted with Powell's derivative-free method and the
    fit with the higher likelihood is kept (said in ``warnings``). ``boundary`` is True when
    ``τ² ≤ 10⁻⁸ σ²``: the predicted random intercepts are then all 0. AIC and BIC are NaN for REML fits (REML likelihoods of
    models with different fixed effects are not comparable). Missing-data policy: rows with a
    missing value in any model variable or in ``group`` are dropped and counted in
    ``n_dropped`` (complete-case analysis).

    References
    ----------
    Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models
    using lme4. *Journal of Statistical Software*, 67(1), 1–48.
    https://doi.org/10.18637/jss.v067.i01

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"site": list("AAAABBBBCCCC"), "x": [0, 1, 2, 3] * 3,
    ...                   "y": [1.0, 2.1, 2.9, 4.2, 2.0, 3.1, 3.9, 5.0, 0.5, 1.4, 2.6, 3.5]})
    >>> fit = mixed_model(d, formula="y ~ x", group="site")
    >>> fit.coefficients[["term", "estimate"]].round(2)
            term  estimate
    0  Intercept      1.16
    1          x      1.01
    """
    data = check_frame(data)
    formula = _check_formula(formula)
    check_column(data, group, "group")
    if not isinstance(reml, bool):
        raise ArgumentError(f"reml must be True or False, got {reml!r}", where="reml")
    confidence = check_probability(confidence, "confidence")
    engine = check_choice(engine, ("profiled", "statsmodels"), "engine")
    rows = data[data[group].notna()]
    if engine == "profiled":
        return _profiled_tables(_profiled_fit(rows, formula, group, reml), group, len(data),
                                confidence)
    return _statsmodels_mixed(rows, formula, group, reml, len(data), confidence)


def _statsmodels_mixed(rows: pd.DataFrame, formula: str, group: str, reml: bool, n_rows: int,
                       confidence: float) -> ModelResult:
    import statsmodels.formula.api as smf

    try:
        model = smf.mixedlm(formula, rows, groups=rows[group], missing="drop")
    except Exception as exc:  # formula parsing errors come in many types
        raise _formula_error(exc) from None
    # A tight gradient tolerance: statsmodels' default stops with variances about 1e-4 from the
    # optimum (relative), which moves the standard errors in the fifth digit.
    result, notes = _fit_quietly(model.fit, reml=reml, method=["bfgs"], gtol=1e-10)
    if not result.converged:
        # Gradient methods stall near a zero group variance; Powell's derivative-free search
        # reaches the boundary. Keep whichever fit has the higher (restricted) likelihood.
        retry, retry_notes = _fit_quietly(model.fit, reml=reml, method=["powell"])
        if retry.converged or not np.isfinite(result.llf) or retry.llf > result.llf:
            result = retry
            notes = ["BFGS did not converge; refitted with Powell's method", *retry_notes]
    # statsmodels flags any variance under 0.01 in absolute terms, whatever the outcome's
    # scale; the fit facts carry a scale-free boundary check instead.
    notes = [n for n in notes if not n.startswith("The MLE may be on the boundary")]
    return _mixed_tables(result, group, n_rows, notes, confidence)


@dataclass(frozen=True)
class ProfiledFit:
    """What the profiled engine of :func:`mixed_model` found, beyond the tables.

    Attributes
    ----------
    params : Series
        The fixed effects, by term.
    cov_params : DataFrame
        Their covariance, ``σ̂² (X'V̂⁻¹X)⁻¹``.
    gamma : float
        The variance ratio ``τ̂²/σ̂²``.
    deviance : float
        Minus twice the (restricted) log-likelihood at the optimum.
    evaluations : int
        Profiled deviances computed by the search.
    """

    params: pd.Series
    cov_params: pd.DataFrame
    gamma: float
    deviance: float
    evaluations: int


@dataclass
class _Sums:
    """Per-group and total sums of a random-intercept model's design, on the outcome net of
    its ordinary least squares fit (which keeps ``r²`` free of cancellation)."""

    n: np.ndarray          # rows per group, (J,)
    s: np.ndarray          # X_j'1, (J, p)
    t: np.ndarray          # 1'ỹ_j, (J,)
    xtx: np.ndarray        # X'X, (p, p)
    xty: np.ndarray        # X'ỹ, (p,)
    yty: float             # ỹ'ỹ
    ols: np.ndarray        # the least-squares coefficients subtracted from y
    reml: bool

    @property
    def n_obs(self) -> int:
        return int(self.n.sum())

    def solve(self, gamma: float) -> tuple[float, np.ndarray, np.ndarray, float]:
        """(deviance, β̂, A⁻¹, r²) at the variance ratio ``gamma``."""
        w = gamma / (1.0 + self.n * gamma)
        a = self.xtx - (self.s.T * w) @ self.s
        b = self.xty - self.s.T @ (w * self.t)
        chol = np.linalg.cholesky(a)
        inverse = np.linalg.inv(chol)
        a_inv = inverse.T @ inverse
        delta = a_inv @ b
        r2 = max(self.yty - float(w @ self.t ** 2) - float(b @ delta), 1e-300)
        n_obs, p = self.n_obs, len(b)
        log_v = float(np.log1p(self.n * gamma).sum())
        if self.reml:
            dof = n_obs - p
            deviance = (dof * (1 + math.log(2 * math.pi * r2 / dof)) + log_v
                        + 2 * float(np.log(np.diag(chol)).sum()))
        else:
            deviance = n_obs * (1 + math.log(2 * math.pi * r2 / n_obs)) + log_v
        return deviance, self.ols + delta, a_inv, r2


def _design(rows: pd.DataFrame, formula: str, group: str) -> tuple[pd.DataFrame, np.ndarray,
                                                                   pd.Series]:
    """The fixed-effects design, the outcome and the groups of the complete rows."""
    import patsy  # statsmodels' formula engine; heavy, imported when a model is fitted

    rows = rows.reset_index(drop=True)  # whatever the caller's index: duplicates, a MultiIndex
    try:
        y, x = patsy.dmatrices(formula, rows, return_type="dataframe", NA_action="drop",
                               eval_env=1)
    except Exception as exc:  # formula parsing errors come in many types
        raise _formula_error(exc) from None
    if y.shape[1] != 1:
        raise ArgumentError(f"formula must have one outcome on the left of '~', got "
                            f"{formula!r}", where="formula")
    return x, y.iloc[:, 0].to_numpy(dtype="float64"), rows.loc[x.index, group]


def _sums(x: pd.DataFrame, y: np.ndarray, codes: np.ndarray, n_groups: int,
          reml: bool) -> _Sums:
    design = x.to_numpy(dtype="float64")
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    resid = y - design @ ols
    n = np.bincount(codes, minlength=n_groups).astype("float64")
    s = np.column_stack([np.bincount(codes, weights=column, minlength=n_groups)
                         for column in design.T])
    t = np.bincount(codes, weights=resid, minlength=n_groups)
    return _Sums(n=n, s=s, t=t, xtx=design.T @ design, xty=design.T @ resid,
                 yty=float(resid @ resid), ols=ols, reml=reml)


def _profile(sums: _Sums) -> tuple[float, float, int]:
    """The ``γ ≥ 0`` that minimises the profiled deviance: (γ, deviance, evaluations).

    The deviance is searched on ``θ = √γ`` (lme4's relative SD): on a log grid first, then by
    Brent's method between the grid points around the best, and compared with ``θ = 0``.
    """
    from scipy.optimize import minimize_scalar  # heavy: imported when a model is fitted

    count = 0

    def deviance(theta: float) -> float:
        nonlocal count
        count += 1
        return sums.solve(theta * theta)[0]

    grid = np.concatenate([[0.0], np.logspace(-4, 4, 33)])
    values = [deviance(theta) for theta in grid]
    best = int(np.argmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    theta, value = grid[best], values[best]
    if high > low:
        found = minimize_scalar(deviance, bounds=(low, high), method="bounded",
                                options={"xatol": 1e-12 * max(high, 1e-4), "maxiter": 500})
        if found.fun < value:
            theta, value = float(found.x), float(found.fun)
    return theta * theta, value, count


def _profiled_fit(rows: pd.DataFrame, formula: str, group: str, reml: bool) -> dict[str, Any]:
    x, y, groups = _design(rows, formula, group)
    # Hashing, not sorting objects: the groups of a few hundred thousand rows in milliseconds.
    codes, uniques = pd.factorize(groups, sort=True)
    keys = np.asarray(uniques, dtype=object)
    if len(y) <= x.shape[1] or len(keys) < 1:
        raise ArgumentError(f"too few complete rows ({len(y)}) for the {x.shape[1]} fixed "
                            f"effects of {formula!r}", where="formula")
    if np.linalg.matrix_rank(x.to_numpy(dtype="float64")) < x.shape[1]:
        raise ArgumentError(f"the fixed effects of {formula!r} are collinear in these data: "
                            f"drop a term", where="formula")
    sums = _sums(x, y, codes, len(keys), reml)
    gamma, deviance, evaluations = _profile(sums)
    _, beta, a_inv, r2 = sums.solve(gamma)
    sigma2 = r2 / (sums.n_obs - (x.shape[1] if reml else 0))
    design = x.to_numpy(dtype="float64")
    group_resid = np.bincount(codes, weights=y - design @ beta, minlength=len(keys))
    w = gamma / (1.0 + sums.n * gamma)
    terms = list(x.columns)
    fit = ProfiledFit(params=pd.Series(beta, index=terms),
                      cov_params=pd.DataFrame(sigma2 * a_inv, index=terms, columns=terms),
                      gamma=gamma, deviance=deviance, evaluations=evaluations)
    return {"fit": fit, "keys": list(keys), "sizes": sums.n.astype(int), "tau2": gamma * sigma2,
            "sigma2": sigma2, "blup": w * group_resid, "cond_var": sigma2 * w,
            "n_obs": sums.n_obs, "reml": reml}


def _profiled_tables(found: dict[str, Any], group: str, n_rows: int,
                     confidence: float) -> ModelResult:
    z = stats.norm.ppf(0.5 + confidence / 2)
    fit: ProfiledFit = found["fit"]
    fe, tau2, sigma2 = fit.params, found["tau2"], found["sigma2"]
    se = np.sqrt(np.diag(fit.cov_params.to_numpy()))
    coefficients = pd.DataFrame({
        "term": list(fe.index), "estimate": fe.to_numpy(), "std_error": se,
        "ci_low": fe.to_numpy() - z * se, "ci_high": fe.to_numpy() + z * se,
        "p_value": 2 * stats.norm.sf(np.abs(fe.to_numpy() / se))})
    variance = pd.DataFrame({"component": [group, "residual"], "term": ["Intercept", ""],
                             "variance": [tau2, sigma2],
                             "sd": [math.sqrt(tau2), math.sqrt(sigma2)]})
    boundary = tau2 <= 1e-8 * sigma2
    notes = []
    blup, cond_sd = found["blup"], np.sqrt(found["cond_var"])
    if boundary:
        blup, cond_sd = np.zeros(len(blup)), np.zeros(len(blup))
        notes.append("between-group variance estimated at zero (boundary): the random "
                     "intercepts are all 0")
    random = pd.DataFrame({"group": found["keys"], "term": "Intercept", "estimate": blup,
                           "std_error": cond_sd, "ci_low": blup - z * cond_sd,
                           "ci_high": blup + z * cond_sd})
    sizes, n_obs = found["sizes"], found["n_obs"]
    n_params = len(fe) + 2
    aic = np.nan if found["reml"] else fit.deviance + 2 * n_params
    bic = np.nan if found["reml"] else fit.deviance + n_params * math.log(n_obs)
    table = pd.DataFrame({
        "n_obs": [n_obs], "n_dropped": [n_rows - n_obs], "n_groups": [len(sizes)],
        "min_group_size": [int(sizes.min())], "mean_group_size": [float(sizes.mean())],
        "max_group_size": [int(sizes.max())], "method": ["REML" if found["reml"] else "ML"],
        "log_likelihood": [-fit.deviance / 2], "aic": [aic], "bic": [bic],
        "converged": [True], "boundary": [boundary], "warnings": ["; ".join(notes)],
        "group_variance": [tau2], "residual_variance": [sigma2],
        "icc": [tau2 / (tau2 + sigma2) if tau2 + sigma2 > 0 else np.nan]})
    return ModelResult(coefficients=coefficients, fit=table, variance_components=variance,
                       random_effects=random, result=fit)


def _fixed_effect_covariance(model: Any, tau2: float, sigma2: float) -> np.ndarray:
    """``σ² (X' V⁻¹ X)⁻¹`` with ``V = I + (τ²/σ²) Z Z'``: the covariance of the fixed effects
    given the estimated variances, as ``lme4``'s ``vcov``.

    For a group of ``n`` rows with design ``X_j`` and column sums ``s_j = X_j' 1``,
    ``X_j' V_j⁻¹ X_j = X_j' X_j − γ / (1 + n γ) s_j s_j'`` with ``γ = τ² / σ²``.
    """
    gamma = tau2 / sigma2 if sigma2 > 0 else 0.0
    exog = np.asarray(model.exog, dtype="float64")
    information = exog.T @ exog
    for rows in model.exog_li:
        sums = np.asarray(rows, dtype="float64").sum(axis=0)
        information -= gamma / (1 + len(rows) * gamma) * np.outer(sums, sums)
    return sigma2 * np.linalg.inv(information)


def _mixed_tables(result, group: str, n_rows: int, notes: list[str],
                  confidence: float) -> ModelResult:
    z = stats.norm.ppf(0.5 + confidence / 2)
    fe = result.fe_params
    tau2 = float(np.asarray(result.cov_re)[0, 0])
    sigma2 = float(result.scale)
    se = pd.Series(np.sqrt(np.diag(_fixed_effect_covariance(result.model, max(tau2, 0.0),
                                                            sigma2))), index=fe.index)
    coefficients = pd.DataFrame({
        "term": list(fe.index), "estimate": fe.to_numpy(), "std_error": se.to_numpy(),
        "ci_low": (fe - z * se).to_numpy(), "ci_high": (fe + z * se).to_numpy(),
        "p_value": 2 * stats.norm.sf(np.abs((fe / se).to_numpy()))})
    variance = pd.DataFrame({"component": [group, "residual"], "term": ["Intercept", ""],
                             "variance": [tau2, sigma2], "sd": [math.sqrt(tau2),
                                                                  math.sqrt(sigma2)]})
    keys = list(result.model.group_labels)
    boundary = tau2 <= 1e-8 * sigma2
    if boundary:  # no between-group variance: every predicted intercept is 0, exactly
        blup, cond_sd = np.zeros(len(keys)), np.zeros(len(keys))
        notes = [*notes, "between-group variance estimated at zero (boundary): the random "
                         "intercepts are all 0"]
    else:
        blup = np.array([float(np.asarray(result.random_effects[k])[0]) for k in keys])
        cond_sd = np.sqrt([float(np.asarray(result.random_effects_cov[k])[0, 0]) for k in keys])
    random = pd.DataFrame({"group": keys, "term": "Intercept", "estimate": blup,
                           "std_error": cond_sd, "ci_low": blup - z * cond_sd,
                           "ci_high": blup + z * cond_sd})
    sizes = np.asarray(result.model.group_sizes if hasattr(result.model, "group_sizes")
                       else [len(r) for r in result.model.row_indices.values()])
    n_obs = int(result.nobs)
    fit = pd.DataFrame({
        "n_obs": [n_obs], "n_dropped": [n_rows - n_obs], "n_groups": [len(keys)],
        "min_group_size": [int(sizes.min())], "mean_group_size": [float(sizes.mean())],
        "max_group_size": [int(sizes.max())], "method": ["REML" if result.method == "REML"
                                                         else "ML"],
        "log_likelihood": [float(result.llf)], "aic": [float(result.aic)],
        "bic": [float(result.bic)], "converged": [bool(result.converged)],
        "boundary": [boundary], "warnings": ["; ".join(notes)], "group_variance": [tau2],
        "residual_variance": [sigma2],
        "icc": [tau2 / (tau2 + sigma2) if tau2 + sigma2 > 0 else np.nan]})
    return ModelResult(coefficients=coefficients, fit=fit, variance_components=variance,
                       random_effects=random, result=result)


# -- ordinal model ---------------------------------------------------------------------------

def ordinal_model(data: pd.DataFrame, *, formula: str, distr: str = "logit",
                  confidence: float = 0.95) -> ModelResult:
    """Cumulative-link (proportional odds) model for one ordinal rating, e.g. an outcome 1–4.

    Parameters
    ----------
    data : DataFrame
        One row per observation.
    formula : str
        ``"rating ~ x + z"``; the rating may be numeric (its observed values, sorted, are the
        ordered categories) or an ordered categorical. No intercept is estimated: the
        thresholds take its place.
    distr : {"logit", "probit"}
        The link: proportional odds (logit) or ordered probit.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    ModelResult
        ``coefficients`` with ``kind`` (``"coefficient"`` or ``"threshold"``), ``term``
        (thresholds named ``"lower|upper"`` as in R), ``estimate``, ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value`` (NaN for thresholds), ``odds_ratio``, ``odds_ratio_ci_low``,
        ``odds_ratio_ci_high`` (logit coefficients only, NaN otherwise); ``fit`` with
        ``n_obs``, ``n_dropped``, ``n_groups`` (NaN), ``n_levels``, ``method`` (``"ML"``),
        ``distr``, ``log_likelihood``, ``aic``, ``bic``, ``converged``, ``warnings``.

    Notes
    -----
    ``P(Y ≤ j | x) = F(θ_j - x'β)`` with ``F`` the logistic or normal CDF (statsmodels
    ``OrderedModel``; the same sign convention as ``MASS::polr``): a positive ``β`` moves
    ratings up. statsmodels estimates the first threshold and the logarithms of the increments;
    the thresholds ``θ_j`` and their standard errors are recovered by the delta method. Wald
    intervals. Missing-data policy: rows with a missing value in any model variable are dropped
    and counted in ``n_dropped``.

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. *Journal of the Royal
    Statistical Society B*, 42(2), 109–142.
    https://doi.org/10.1111/j.2517-6161.1980.tb01109.x

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"rating": [1, 2, 2, 3, 4, 1, 3, 4, 4, 2, 3, 1],
    ...                   "rung": [0, 1, 2, 3, 5, 1, 2, 4, 3, 0, 4, 2]})
    >>> fit = ordinal_model(d, formula="rating ~ rung")
    >>> fit.coefficients[["kind", "term"]]
              kind   term
    0  coefficient   rung
    1    threshold    1|2
    2    threshold    2|3
    3    threshold    3|4
    """
    data = check_frame(data)
    formula = _check_formula(formula)
    check_choice(distr, ("logit", "probit"), "distr")
    confidence = check_probability(confidence, "confidence")
    outcome = formula.split("~", 1)[0].strip()
    check_column(data, outcome, "formula")
    rows = data[data[outcome].notna()].copy()
    y = rows[outcome]
    if not isinstance(y.dtype, pd.CategoricalDtype):
        if not pd.api.types.is_numeric_dtype(y):
            raise ArgumentError(f"the rating {outcome!r} must be numeric or an ordered "
                                f"categorical, got {y.dtype}", where="formula")
        levels = np.sort(y.unique())
        rows[outcome] = pd.Categorical(y, categories=levels, ordered=True)
    elif not y.dtype.ordered:
        raise ArgumentError(f"the rating {outcome!r} must be an ordered categorical",
                            where="formula")
    rows[outcome] = rows[outcome].cat.remove_unused_categories()
    categories = list(rows[outcome].cat.categories)
    if len(categories) < 2:
        raise ArgumentError(f"the rating {outcome!r} needs at least two observed values",
                            where="formula")
    return _fit_ordinal(rows, formula, distr, categories, len(data), confidence)


def _fit_ordinal(rows: pd.DataFrame, formula: str, distr: str, categories: list, n_rows: int,
                 confidence: float) -> ModelResult:
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = OrderedModel.from_formula(formula, rows, distr=distr, missing="drop")
    except Exception as exc:  # formula parsing errors come in many types
        raise _formula_error(exc) from None
    result, notes = _fit_quietly(model.fit, method="bfgs", maxiter=2000, disp=False)
    k_coef = len(result.params) - (len(categories) - 1)
    params = np.asarray(result.params)
    cov = np.asarray(result.cov_params())
    thresholds = np.asarray(model.transform_threshold_params(params))[1:-1]
    # θ_1 = a_1, θ_j = a_1 + Σ_{i≤j} exp(a_i): Jacobian of the thresholds on the raw parameters.
    raw = params[k_coef:]
    jac = np.zeros((len(raw), len(raw)))
    jac[:, 0] = 1.0
    for j in range(1, len(raw)):
        jac[j:, j] = np.exp(raw[j])
    cov_thr = jac @ cov[k_coef:, k_coef:] @ jac.T
    z = stats.norm.ppf(0.5 + confidence / 2)
    est = np.concatenate([params[:k_coef], thresholds])
    se = np.concatenate([np.sqrt(np.diag(cov)[:k_coef]), np.sqrt(np.diag(cov_thr))])
    names = list(model.exog_names[:k_coef]) + [
        f"{categories[j]}|{categories[j + 1]}" for j in range(len(categories) - 1)]
    coefficients = pd.DataFrame({
        "kind": ["coefficient"] * k_coef + ["threshold"] * (len(categories) - 1),
        "term": names, "estimate": est, "std_error": se, "ci_low": est - z * se,
        "ci_high": est + z * se})
    is_coef = coefficients["kind"] == "coefficient"
    coefficients["p_value"] = np.where(is_coef, 2 * stats.norm.sf(np.abs(est / se)), np.nan)
    odds = distr == "logit"
    for col, src in (("odds_ratio", "estimate"), ("odds_ratio_ci_low", "ci_low"),
                     ("odds_ratio_ci_high", "ci_high")):
        coefficients[col] = np.where(is_coef & odds, np.exp(coefficients[src]), np.nan)
    converged = bool(result.mle_retvals.get("converged", False))
    fit = pd.DataFrame({
        "n_obs": [int(result.nobs)], "n_dropped": [n_rows - int(result.nobs)],
        "n_groups": [np.nan], "n_levels": [len(categories)], "method": ["ML"],
        "distr": [distr], "log_likelihood": [float(result.llf)], "aic": [float(result.aic)],
        "bic": [float(result.bic)], "converged": [converged], "warnings": ["; ".join(notes)]})
    return ModelResult(coefficients=coefficients, fit=fit, result=result)


# -- ICC and design effect -------------------------------------------------------------------

def icc(data: pd.DataFrame, *, y: str, group: str, confidence: float = 0.95) -> pd.DataFrame:
    """Intraclass correlation of ``y`` within groups (sites): one-way ANOVA ICC(1) and mixed model.

    Parameters
    ----------
    data : DataFrame
        One row per observation.
    y : str
        The numeric outcome column.
    group : str
        The clustering column.
    confidence : float
        Confidence level of the ANOVA interval.

    Returns
    -------
    DataFrame
        Two rows, ``method`` ``"anova"`` and ``"mixed_model"``, with ``icc``, ``ci_low``,
        ``ci_high`` (F-based for ANOVA; NaN for the mixed model), ``n_obs``, ``n_groups``,
        ``mean_group_size`` and ``n0`` (the ANOVA's effective group size).

    Notes
    -----
    ANOVA: with ``N`` observations in ``g`` groups of sizes ``n_j``, between and within mean
    squares ``MSB`` and ``MSW``, and ``n0 = (N - Σ n_j² / N) / (g - 1)``,
    ``ICC(1) = (MSB - MSW) / (MSB + (n0 - 1) MSW)`` (Shrout & Fleiss 1979, ICC(1,1), for equal
    sizes ``n0 = n``). With ``F = MSB / MSW``, ``F_L = F / F_{1-α/2}(g-1, N-g)`` and
    ``F_U = F · F_{1-α/2}(N-g, g-1)``, the interval is ``(F_L - 1) / (F_L + n0 - 1)`` to
    ``(F_U - 1) / (F_U + n0 - 1)``; exact for equal sizes, an approximation otherwise (Donner
    1986). The ANOVA estimate can be negative. Mixed model: ``τ² / (τ² + σ²)`` from a REML
    random-intercept model (:func:`mixed_model`, ``y ~ 1``), never negative. Missing-data
    policy: rows with ``y`` or ``group`` missing are dropped.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. *Psychological Bulletin*, 86(2), 420–428.
    https://doi.org/10.1037/0033-2909.86.2.420

    Donner, A. (1986). A review of inference procedures for the intraclass correlation
    coefficient in the one-way random effects model. *International Statistical Review*,
    54(1), 67–82. https://doi.org/10.2307/1403259

    Examples
    --------
    >>> import pandas as pd
    >>> ratings = [9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7]
    >>> d = pd.DataFrame({"target": [t for t in range(6) for _ in range(4)], "y": ratings})
    >>> out = icc(d, y="y", group="target")
    >>> out[["method", "icc", "ci_low", "ci_high"]].round(3)
            method    icc  ci_low  ci_high
    0        anova  0.166  -0.133    0.723
    1  mixed_model  0.166     NaN      NaN
    """
    data = check_frame(data)
    check_column(data, y, "y")
    check_column(data, group, "group")
    if y == group:
        raise ArgumentError("y and group must be different columns", where="group")
    if not pd.api.types.is_numeric_dtype(data[y]) or pd.api.types.is_bool_dtype(data[y]):
        raise ArgumentError(f"y={y!r} must be a numeric column, got {data[y].dtype}", where="y")
    confidence = check_probability(confidence, "confidence")
    rows = data.loc[data[y].notna() & data[group].notna(), [y, group]]
    anova = _anova_icc(rows, y, group, confidence)
    fit = mixed_model(rows.rename(columns={y: "_y"}), formula="_y ~ 1", group=group)
    mixed = {"method": "mixed_model", "icc": float(fit.fit["icc"].iloc[0]), "ci_low": np.nan,
             "ci_high": np.nan, "n_obs": anova["n_obs"], "n_groups": anova["n_groups"],
             "mean_group_size": anova["mean_group_size"], "n0": np.nan}
    return pd.DataFrame([anova, mixed])


def _anova_icc(rows: pd.DataFrame, y: str, group: str, confidence: float) -> dict[str, Any]:
    values = rows[y].to_numpy(dtype="float64")
    code, _ = pd.factorize(rows[group])
    sizes = np.bincount(code).astype("float64")
    n, g = len(values), len(sizes)
    out = {"method": "anova", "icc": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_obs": n,
           "n_groups": g, "mean_group_size": n / g if g else np.nan, "n0": np.nan}
    if g < 2 or n - g < 1:
        return out
    means = np.bincount(code, weights=values) / sizes
    msb = float((sizes * (means - values.mean()) ** 2).sum() / (g - 1))
    msw = float(((values - means[code]) ** 2).sum() / (n - g))
    n0 = (n - (sizes**2).sum() / n) / (g - 1)
    out["n0"] = n0
    out["icc"] = (msb - msw) / (msb + (n0 - 1) * msw)
    if msw > 0:
        f = msb / msw
        alpha = 1 - confidence
        f_low = f / stats.f.ppf(1 - alpha / 2, g - 1, n - g)
        f_high = f * stats.f.ppf(1 - alpha / 2, n - g, g - 1)
        out["ci_low"] = (f_low - 1) / (f_low + n0 - 1)
        out["ci_high"] = (f_high - 1) / (f_high + n0 - 1)
    return out


def design_effect(icc: float, cluster_size: float | Sequence[float], *,
                  cv: float | None = None) -> float:
    """Design effect of clustering: how much a clustered sample's variance is inflated.

    Parameters
    ----------
    icc : float
        The intraclass correlation (e.g. from :func:`icc`).
    cluster_size : float or sequence of float
        The mean cluster size, or the sizes of the clusters (then the mean and CV are computed
        from them).
    cv : float, optional
        Coefficient of variation of the cluster sizes (SD / mean) when ``cluster_size`` is the
        mean; 0 (equal sizes) when omitted. Not allowed with a list of sizes.

    Returns
    -------
    float
        ``DE = 1 + ((CV² + 1) m̄ - 1) ICC``.

    Notes
    -----
    Equal sizes: Kish's ``DE = 1 + (m - 1) ICC``. Unequal sizes: Eldridge, Ashby & Kerry
    (2006), ``DE = 1 + ((CV² + 1) m̄ - 1) ICC``. From a list of sizes, ``CV`` uses the SD of the
    sizes at hand (divisor ``g``), which makes the formula equal to
    ``1 + (Σ m_j² / Σ m_j - 1) ICC``, the variance inflation of a mean over all observations.
    The effective sample size is ``N / DE``.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley.

    Eldridge, S. M., Ashby, D., & Kerry, S. (2006). Sample size for cluster randomized trials:
    effect of coefficient of variation of cluster size and analysis method. *International
    Journal of Epidemiology*, 35(5), 1292–1300. https://doi.org/10.1093/ije/dyl129

    Examples
    --------
    >>> design_effect(0.05, 21)
    2.0
    >>> round(design_effect(0.05, [10, 20, 30]), 4)
    2.1167
    """
    icc = check_number(icc, "icc", minimum=-1.0, maximum=1.0)
    if isinstance(cluster_size, Sequence | np.ndarray | pd.Series) \
            and not isinstance(cluster_size, str):
        if cv is not None:
            raise ArgumentError("cv cannot be given with a list of cluster sizes (it is computed "
                                "from them)", where="cv")
        sizes = np.asarray(cluster_size, dtype="float64")
        if sizes.size == 0 or not np.all(np.isfinite(sizes)) or np.any(sizes < 1):
            raise ArgumentError(f"cluster_size must list sizes ≥ 1, got {cluster_size!r}",
                                where="cluster_size")
        mean = float(sizes.mean())
        cv = float(sizes.std(ddof=0) / mean)
    else:
        mean = check_number(cluster_size, "cluster_size", minimum=1.0)
        cv = 0.0 if cv is None else check_number(cv, "cv", minimum=0.0)
    return 1.0 + ((cv**2 + 1.0) * mean - 1.0) * icc


# -- involvement and outcomes from a study ---------------------------------------------------

def model_respondents(study: Any) -> list[Any] | None:
    """The groups whose change enters the outcome model: ``measures.outcomes.model.respondents``
    when declared, else ``measures.involvement.perception.users``, else None (everyone).

    Examples
    --------
    >>> from evalkit.config.study import load_study
    >>> model_respondents(load_study("data_samples/demo/study.yaml"))
    ['user']
    """
    outcomes = study.measures.outcomes
    if outcomes is not None and outcomes.model.respondents is not None:
        return list(outcomes.model.respondents)
    inv = study.measures.involvement
    if inv is not None and inv.perception is not None:
        return list(inv.perception.users)
    return None


def model_follow_up(study: Any) -> Any:
    """The follow-up wave the modelled change is measured to: ``measures.outcomes.model
    .follow_up`` when declared, else the first of ``waves.follow_up``."""
    outcomes = study.measures.outcomes
    if outcomes is not None and outcomes.model.follow_up is not None:
        return outcomes.model.follow_up
    return study.waves.follow_up[0] if study.waves is not None and study.waves.follow_up \
        else None


def involvement_change_data(responses: pd.DataFrame, *, study: Any, follow_up: Any = None,
                            covariates: Sequence[str] = (),
                            respondents: Sequence[Any] | None = None) -> pd.DataFrame:
    """One row per user: baseline ladder rung, tokenism and mean outcome change to follow-up.

    Built from the study's configuration: ``measures.involvement`` (ladder, ``agree_at``,
    tokenism), ``measures.outcomes`` (items and ``model``), ``roles`` and ``waves``. Who enters
    is ``respondents`` (values of the group role), by default :func:`model_respondents`; the
    follow-up is ``follow_up``, by default :func:`model_follow_up`. ``responses`` are the
    validated responses (missing codes already NaN).

    Returns
    -------
    DataFrame
        Columns: the id, site and group roles, ``rung`` (highest rung endorsed at baseline),
        ``tokenistic`` (1.0 consulted without influence, 0.0 otherwise, NaN unknown; NaN when
        the study has no tokenism items), ``n_items_paired``, ``baseline_mean`` (mean of the
        outcome items at baseline), ``outcome_change`` (mean of the item changes over the items
        rated at both waves; NaN when fewer than half are) and the baseline ``covariates``.
        Respondents with no follow-up row are kept, with ``outcome_change`` NaN.
    """
    check_frame(responses, "responses")
    inv = _involvement_config(study, need_tokenism=False)
    outcomes, waves = _outcome_config(study)
    roles = study.roles
    follow_up = model_follow_up(study) if follow_up is None else follow_up
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    for name in covariates:
        check_column(responses, name, "covariates")
    rows = responses
    groups = model_respondents(study) if respondents is None else list(respondents)
    if groups is not None and roles.group is not None:
        wanted = {str(g) for g in groups}
        rows = rows[rows[roles.group].astype(str).isin(wanted)]
    baseline = study.baseline_wave()
    base = rows[rows[roles.wave] == baseline]
    placement = ladder_placement(base, items=inv.ladder, agree_at=inv.agree_at)
    keep = [c for c in dict.fromkeys([roles.id, roles.site, roles.group, *covariates]) if c]
    out = base[keep].copy()
    out["rung"] = placement["rung"].astype("float64")
    if inv.tokenism is not None:
        status = tokenism_status(base, voice=inv.tokenism.voice,
                                 influence=inv.tokenism.influence, agree_at=inv.agree_at)
        out["tokenistic"] = status["tokenistic"].astype("Float64").to_numpy(
            dtype="float64", na_value=np.nan)
    else:
        out["tokenistic"] = np.nan
    pw = _paired_waves(rows, items=outcomes.items, id=roles.id, wave=roles.wave,
                      baseline=baseline, follow_up=follow_up)
    position = pw["ids"].get_indexer(out[roles.id])  # every baseline row is in pw["ids"]
    b, f = pw["baseline"][position], pw["follow_up"][position]
    paired = ~np.isnan(b) & ~np.isnan(f)
    n_paired = paired.sum(axis=1)
    need = math.ceil(len(outcomes.items) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(paired, f - b, 0.0).sum(axis=1) / n_paired
    out["n_items_paired"] = n_paired
    out["baseline_mean"] = _nan_row_mean(b)
    out["outcome_change"] = np.where(n_paired >= need, change, np.nan)
    return out.reset_index(drop=True)


def _nan_row_mean(x: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(x)
    count = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(ok, x, 0.0).sum(axis=1) / count, np.nan)


def involvement_outcome_model(responses: pd.DataFrame, *, study: Any, follow_up: Any = None,
                              covariates: Sequence[str] = (), reml: bool = True,
                              formula: str | None = None,
                              respondents: Sequence[Any] | None = None) -> ModelResult:
    """Mixed model of outcome change on baseline ladder rung and tokenism, random site intercept.

    Builds :func:`involvement_change_data` from the study and fits ``formula`` (default the
    study's ``measures.outcomes.model.formula``, itself by default
    ``outcome_change ~ rung + tokenistic``) plus the ``covariates`` with :func:`mixed_model`,
    grouped by the site role, at the study's ``parameters.confidence``. ``tokenistic`` is left
    out when the study has no tokenism items. Who enters (``respondents``) and the follow-up
    default to the study's declarations (:func:`model_respondents`, :func:`model_follow_up`).
    Categorical covariates enter as dummies. The ladder and tokenism are non-validated indices:
    say so where the result is shown.

    Returns
    -------
    ModelResult
        As :func:`mixed_model`.
    """
    outcomes, _ = _outcome_config(study)
    try:
        model = outcomes.model if formula is None else OutcomeModel(formula=formula)
    except ValueError as error:  # pydantic's ValidationError, with the catalogue's message
        raise ArgumentError(error.errors()[0]["msg"], where="formula") from None
    change = involvement_change_data(responses, study=study, follow_up=follow_up,
                                     covariates=covariates, respondents=respondents)
    terms = [t for t in model.terms
             if t != "tokenistic" or change["tokenistic"].notna().any()]
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    terms += [c if c.isidentifier() else f"Q('{c}')" for c in covariates]
    formula = "outcome_change ~ " + (" + ".join(terms) or "1")
    return mixed_model(change, formula=formula, group=study.roles.site, reml=reml,
                       confidence=study.parameters.confidence)
