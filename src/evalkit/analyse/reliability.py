"""Reliability of multi-item scales: Cronbach's alpha, ordinal alpha, McDonald's omega,
item analysis and polychoric correlations, each with its confidence interval.

Every function takes the item columns of a DataFrame and returns a tidy DataFrame; the rows used
(the missing-data policy) are stated in the output. Bootstrap intervals resample respondents
through their response patterns (see :mod:`evalkit.analyse._resample`), so they stay fast on
large surveys.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import (
    check_choice,
    check_columns,
    check_frame,
    check_int,
    check_probability,
    rng,
)
from evalkit._docs import shared_docs
from evalkit._lazy import lazy_module
from evalkit.analyse import _polychoric
from evalkit.analyse._resample import compress_rows, multinomial_counts, percentile_interval
from evalkit.errors import ArgumentError, DataError

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
sparse = lazy_module("scipy.sparse")
stats = lazy_module("scipy.stats")

__all__ = [
    "cronbach_alpha",
    "item_analysis",
    "mcdonald_omega",
    "ordinal_alpha",
    "polychoric_correlation",
    "polychoric_matrix",
    "polychoric_thresholds",
]

#: Missing-data policies: drop incomplete respondents, or use every pair of answers.
MISSING = ("listwise", "pairwise")
#: Most distinct answer values a polychoric correlation accepts (beyond, items are not ordinal
#: categories and Pearson-based measures are the right tool).
MAX_CATEGORIES = 10

_RESULT_COLUMNS = ["measure", "estimate", "ci_method", "ci_low", "ci_high", "confidence", "n",
                   "k", "missing", "n_boot"]

#: Docstring text the reliability functions share (a docstring line ``{name}`` takes it in).
_DOCS: dict[str, str] = {
    "data": """data : pandas.DataFrame
    One row per respondent; the item columns hold numeric answers (NaN when missing).""",
    "items": """items : list of str
    The item columns, at least two.""",
    "reverse": """reverse : list of str or dict, optional
    The reverse-keyed items among ``items`` (negatively worded): each answer ``x`` becomes
    ``low + high - x`` before anything is computed. A dict gives each item's answer range,
    ``{column: (low, high)}`` (e.g. from the instrument or the codebook); a list takes the
    lowest and highest answer seen across all the items (as ``psych::alpha``'s ``keys``).""",
    "confidence": """confidence : float, default 0.95
    Confidence level of the intervals, strictly between 0 and 1.""",
    "n_boot": """n_boot : int
    Number of bootstrap resamples (at least 100).""",
    "seed": """seed : int, numpy.random.Generator or None
    Seed of the bootstrap resampling (None: fresh entropy, results vary between runs).""",
    "result": """pandas.DataFrame
    One row per interval method, with columns:

    - ``measure``: the coefficient (see Notes).
    - ``estimate``: its value on the data.
    - ``ci_method``: ``'feldt'``, ``'bootstrap'`` (percentile) or ``'none'``.
    - ``ci_low``, ``ci_high``: the interval bounds (NaN when ``ci_method`` is ``'none'``).
    - ``confidence``: the confidence level.
    - ``n``: respondents used (listwise: complete respondents; pairwise: the smallest
      number of respondents behind any pair of items).
    - ``k``: number of items.
    - ``missing``: the missing-data policy applied.
    - ``n_boot``: bootstrap resamples that gave a finite value (0 for other methods).""",
    "keying": """Reverse keying: items listed in ``reverse`` are reversed first (``low + high − x``);
every other item enters as it is, so items must otherwise be keyed in the same direction
(a negative item-rest correlation in :func:`item_analysis` points to an item to reverse).""",
}
_shared_docs = shared_docs(_DOCS)


# --------------------------------------------------------------------------------------------
# Public functions


@_shared_docs
def cronbach_alpha(data: pd.DataFrame, *, items: Sequence[str], confidence: float = 0.95,
                   ci: str | Sequence[str] | None = ("feldt", "bootstrap"), n_boot: int = 2000,
                   seed: Any = None, missing: str = "listwise",
                   reverse: Sequence[str] | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Cronbach's alpha of a set of items, with Feldt and bootstrap confidence intervals.

    Parameters
    ----------
    {data}
    {items}
    {confidence}
    ci : str, sequence of str or None, default ("feldt", "bootstrap")
        Interval methods: ``'feldt'`` (F distribution) and/or ``'bootstrap'`` (percentile).
        None or an empty sequence: the estimate alone.
    {n_boot} Default 2000.
    {seed}
    missing : {'listwise', 'pairwise'}, default 'listwise'
        ``'listwise'`` uses the respondents who answered every item; ``'pairwise'`` estimates
        each variance and covariance from every respondent who answered both items (as
        ``psych::alpha``'s default ``use = "pairwise"``).
    {reverse}

    Returns
    -------
    {result}

    Notes
    -----
    With :math:`k` items of covariance matrix :math:`C`,

    .. math:: \\alpha = \\frac{k}{k-1}\\left(1 - \\frac{\\operatorname{tr} C}{\\mathbf 1' C \\mathbf 1}\\right)

    (Cronbach 1951). The Feldt (1965) interval uses
    :math:`(1-\\alpha)/(1-\\hat\\alpha) \\sim F(n-1, (n-1)(k-1))`:
    :math:`[1 - (1-\\hat\\alpha) F_{1-\\gamma/2},\\; 1 - (1-\\hat\\alpha) F_{\\gamma/2}]` with
    :math:`\\gamma = 1 -` ``confidence``, as ``psych::alpha.ci``. It assumes normally distributed,
    essentially parallel items; the percentile bootstrap (Efron & Tibshirani 1993) resamples
    respondents and assumes neither. With ``missing='pairwise'``, :math:`n` in the Feldt interval
    is the smallest pairwise count (conservative), and each bootstrap resample recomputes the
    pairwise covariances.

    Missing data: listwise by default (``n`` = complete respondents); pairwise on request.

    {keying}

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334. doi:10.1007/BF02310555

    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. *Psychometrika*, 30, 357-370. doi:10.1007/BF02289499

    Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
    doi:10.1201/9780429246593

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analyse.reliability import cronbach_alpha
    >>> gen = np.random.default_rng(1)
    >>> latent = gen.normal(size=300)
    >>> data = pd.DataFrame({f"q{i}": np.clip(np.round(3 + latent + gen.normal(size=300)), 1, 5)
    ...                      for i in range(1, 6)})
    >>> res = cronbach_alpha(data, items=["q1", "q2", "q3", "q4", "q5"], seed=1)
    >>> res[["ci_method", "estimate", "ci_low", "ci_high", "n"]].round(3)
       ci_method  estimate  ci_low  ci_high    n
    0      feldt      0.76   0.714    0.800  300
    1  bootstrap      0.76   0.708    0.802  300

    A negatively worded item enters reversed (here on a 1-5 scale):

    >>> data["q6"] = 6 - data["q5"]
    >>> cronbach_alpha(data, items=["q1", "q2", "q3", "q4", "q6"], reverse={"q6": (1, 5)},
    ...                ci=None)["estimate"].round(3).tolist()
    [0.76]
    """
    x, items = _item_matrix(data, items, reverse)
    methods = _check_ci(ci, ("feldt", "bootstrap"))
    confidence = check_probability(confidence, "confidence")
    missing = check_choice(missing, MISSING, "missing")
    n_boot = _check_n_boot(n_boot, methods)
    moments = _Moments(_apply_missing(x, missing), missing)
    estimate = moments.alpha(moments.counts[:, None])[0]
    if not np.isfinite(estimate):
        raise DataError("Cronbach's alpha is undefined: the total of the items does not vary "
                        "among the respondents used", where="items")
    n, k = moments.n_used(), len(items)
    rows = _interval_rows("cronbach_alpha", estimate, methods, confidence, n, k, missing,
                          lambda: moments.bootstrap(moments.alpha, n_boot, rng(seed)),
                          feldt=lambda: _feldt(estimate, n, k, confidence))
    return _result(rows)


@_shared_docs
def item_analysis(data: pd.DataFrame, *, items: Sequence[str], missing: str = "listwise",
                  reverse: Sequence[str] | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Item statistics of a scale: item-total and item-rest correlations, alpha if dropped.

    Parameters
    ----------
    {data}
    {items}
    missing : {'listwise', 'pairwise'}, default 'listwise'
        ``'listwise'``: every statistic from the respondents who answered all items;
        ``'pairwise'``: means and standard deviations from each item's answers, correlations
        and alphas from pairwise covariances.
    {reverse}

    Returns
    -------
    pandas.DataFrame
        One row per item, in the order of ``items``, with columns:

        - ``item``: the column name.
        - ``reversed``: whether the item entered reversed (its mean is then on the reversed
          scale, as ``psych::alpha`` reports it).
        - ``n``: respondents behind the item's mean and standard deviation.
        - ``mean``, ``sd``: mean and standard deviation (denominator n - 1).
        - ``item_total_r``: correlation of the item with the total of all items.
        - ``item_rest_r``: correlation with the total of the other items (corrected
          item-total correlation; ``r.drop`` in ``psych::alpha``).
        - ``alpha_if_dropped``: Cronbach's alpha of the other items (NaN with two items).
        - ``std_alpha_if_dropped``: the same from the correlation matrix (standardised alpha).

    Notes
    -----
    From the item covariance matrix :math:`C` with row sums :math:`s_i` and total
    :math:`S = \\mathbf 1' C \\mathbf 1`: item-total :math:`r = s_i / \\sqrt{C_{ii} S}`,
    item-rest :math:`r = (s_i - C_{ii}) / \\sqrt{C_{ii}(S - 2 s_i + C_{ii})}`. A negative
    item-rest correlation usually means an item that should have been reversed.

    Missing data: listwise by default; pairwise on request (see ``missing``).

    {keying}

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334. doi:10.1007/BF02310555

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analyse.reliability import item_analysis
    >>> gen = np.random.default_rng(1)
    >>> latent = gen.normal(size=300)
    >>> data = pd.DataFrame({f"q{i}": np.clip(np.round(3 + latent + gen.normal(size=300)), 1, 5)
    ...                      for i in range(1, 4)})
    >>> item_analysis(data, items=["q1", "q2", "q3"])[["item", "item_rest_r",
    ...                                                 "alpha_if_dropped"]].round(3)
      item  item_rest_r  alpha_if_dropped
    0   q1        0.484             0.518
    1   q2        0.427             0.595
    2   q3        0.467             0.541
    """
    x, items = _item_matrix(data, items, reverse)
    flipped = [item in _reversed_items(items, reverse) for item in items]
    missing = check_choice(missing, MISSING, "missing")
    moments = _Moments(_apply_missing(x, missing), missing)
    cov = moments.covariances(moments.counts[:, None])[0]
    n, mean = moments.item_counts_and_means()
    return pd.DataFrame({"item": items, "reversed": flipped, "n": n, "mean": mean,
                         "sd": np.sqrt(np.diag(cov)), **_item_statistics(cov)})


@_shared_docs
def polychoric_correlation(data: pd.DataFrame, *, items: Sequence[str],
                           missing: str = "listwise",
                           reverse: Sequence[str] | Mapping[str, Any] | None = None
                           ) -> pd.DataFrame:
    """Two-step polychoric correlations between ordinal items, as a long table of pairs.

    Parameters
    ----------
    {data}
    items : list of str
        The item columns, at least two; answers must be whole numbers with at most
        ten distinct values across the items.
    missing : {'listwise', 'pairwise'}, default 'listwise'
        ``'listwise'``: respondents who answered every item. ``'pairwise'``: each item's
        thresholds from all its answers and each correlation from the respondents who
        answered both items (as ``psych::polychoric``).
    {reverse}

    Returns
    -------
    pandas.DataFrame
        One row per pair of items (``item_1`` before ``item_2`` in the order of ``items``):

        - ``item_1``, ``item_2``: the columns.
        - ``rho``: the polychoric correlation (NaN when ``status`` is ``'not_estimable'``).
        - ``n``: respondents behind the pair's table.
        - ``status``: ``'estimated'``; ``'boundary'`` when the likelihood is highest at
          ρ = ±1 (a perfect ordinal association: every answer to one item fixes the order of
          the other), reported as ±1; ``'not_estimable'`` (NaN) when an item takes a single
          value among the respondents who answered both, or none did; ``'not_converged'``
          (kept for completeness: Newton's method converges on every table).

        :func:`polychoric_matrix` turns it into a square matrix.

    Notes
    -----
    Each item is taken as a standard normal variable cut at thresholds
    :math:`\\tau_c = \\Phi^{-1}(P(X \\le c))` estimated from its marginal proportions (first
    step, see :func:`polychoric_thresholds`). Given the thresholds, ρ maximises
    :math:`\\sum_{ab} n_{ab} \\log \\pi_{ab}(\\rho)`, where :math:`\\pi_{ab}` is the
    bivariate normal probability of cell (a, b) (second step; Olsson 1979), computed exactly
    with Owen's T function, by Newton's method to 1e-10.

    Categories nobody chose are allowed: their thresholds coincide with a neighbour's (or are
    infinite at either end), their cells have probability and count zero, and they do not change
    ρ. The answer values are pooled across items, so an item that never takes a value the
    others take still lines up with them.

    References
    ----------
    Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
    *Psychometrika*, 44, 443-460. doi:10.1007/BF02296207

    Owen, D. B. (1956). Tables for computing bivariate normal probabilities. *Annals of
    Mathematical Statistics*, 27, 1075-1090. doi:10.1214/aoms/1177728074

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analyse.reliability import polychoric_correlation, polychoric_matrix
    >>> gen = np.random.default_rng(1)
    >>> latent = gen.normal(size=300)
    >>> data = pd.DataFrame({f"q{i}": np.clip(np.round(3 + latent + gen.normal(size=300)), 1, 5)
    ...                      for i in range(1, 4)})
    >>> pairs = polychoric_correlation(data, items=["q1", "q2", "q3"])
    >>> pairs.round(3)
      item_1 item_2    rho    n     status
    0     q1     q2  0.409  300  estimated
    1     q1     q3  0.467  300  estimated
    2     q2     q3  0.396  300  estimated
    >>> polychoric_matrix(pairs).round(3)
          q1     q2     q3
    q1  1.000  0.409  0.467
    q2  0.409  1.000  0.396
    q3  0.467  0.396  1.000
    """
    x, items = _item_matrix(data, items, reverse)
    missing = check_choice(missing, MISSING, "missing")
    ordinal = _Ordinal(x, items, missing)
    rho, status, n = ordinal.correlations(ordinal.counts[:, None])
    i, j = ordinal.pairs.T
    return pd.DataFrame({
        "item_1": [items[a] for a in i], "item_2": [items[b] for b in j],
        "rho": rho[0], "n": n[0].astype(np.int64), "status": status[0],
    })


def polychoric_matrix(pairs: pd.DataFrame) -> pd.DataFrame:
    """The square correlation matrix of a :func:`polychoric_correlation` result.

    Parameters
    ----------
    pairs : pandas.DataFrame
        The result of :func:`polychoric_correlation` (columns ``item_1``, ``item_2``, ``rho``).

    Returns
    -------
    pandas.DataFrame
        Items in rows and columns, in their original order, 1 on the diagonal, NaN for
        correlations that could not be estimated.
    """
    check_frame(pairs, "pairs")
    check_columns(pairs, ["item_1", "item_2", "rho"], "pairs")
    names = list(dict.fromkeys([*pairs["item_1"], *pairs["item_2"]]))
    position = {name: i for i, name in enumerate(names)}
    matrix = np.eye(len(names))
    i = pairs["item_1"].map(position).to_numpy()
    j = pairs["item_2"].map(position).to_numpy()
    matrix[i, j] = matrix[j, i] = pairs["rho"].to_numpy(dtype=float)
    return pd.DataFrame(matrix, index=pd.Index(names), columns=pd.Index(names))


@_shared_docs
def polychoric_thresholds(data: pd.DataFrame, *, items: Sequence[str],
                          missing: str = "listwise",
                          reverse: Sequence[str] | Mapping[str, Any] | None = None
                          ) -> pd.DataFrame:
    """The thresholds of each ordinal item: the first step of the polychoric correlations.

    Parameters
    ----------
    {data}
    items : list of str
        The item columns (whole-number answers, at most ten distinct values in all).
    missing : {'listwise', 'pairwise'}, default 'listwise'
        ``'listwise'``: respondents who answered every item; ``'pairwise'``: all the answers
        to each item.
    {reverse}

    Returns
    -------
    pandas.DataFrame
        One row per item and answer value, except the highest value seen in any item:

        - ``item``: the column.
        - ``category``: the answer value c.
        - ``n``: respondents who gave that value (0 for an empty category).
        - ``cumulative_proportion``: P(X ≤ c) among the item's respondents.
        - ``threshold``: :math:`\\Phi^{-1}` of it: the point where the latent variable
          crosses from c to the next value (``-inf`` below the item's lowest value, ``inf``
          at or above its highest; an empty category repeats its neighbour's threshold).

    Notes
    -----
    Missing data: listwise by default. The same thresholds as ``psych::polychoric``'s ``tau``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analyse.reliability import polychoric_thresholds
    >>> data = pd.DataFrame({"a": [1, 2, 2, 3, 3, 3], "b": [2, 2, 3, 3, 3, 3]})
    >>> polychoric_thresholds(data, items=["a", "b"]).round(3)
      item  category  n  cumulative_proportion  threshold
    0    a         1  1                  0.167     -0.967
    1    a         2  2                  0.500      0.000
    2    b         1  0                  0.000       -inf
    3    b         2  2                  0.333     -0.431
    """
    x, items = _item_matrix(data, items, reverse)
    missing = check_choice(missing, MISSING, "missing")
    ordinal = _Ordinal(x, items, missing)
    _, marginals = ordinal.tables(ordinal.counts[:, None])
    marginals = marginals[0]  # (k, C)
    cumulative = np.cumsum(marginals, axis=1)
    proportion = cumulative[:, :-1] / cumulative[:, -1:]
    with np.errstate(divide="ignore"):
        tau = stats.norm.ppf(proportion)
    k, c = proportion.shape
    return pd.DataFrame({
        "item": np.repeat(items, c),
        "category": np.tile(ordinal.categories[:-1].astype(np.int64), k),
        "n": marginals[:, :-1].ravel().astype(np.int64),
        "cumulative_proportion": proportion.ravel(),
        "threshold": tau.ravel(),
    })


@_shared_docs
def ordinal_alpha(data: pd.DataFrame, *, items: Sequence[str], confidence: float = 0.95,
                  ci: str | Sequence[str] | None = "bootstrap", n_boot: int = 1000,
                  seed: Any = None, missing: str = "listwise",
                  reverse: Sequence[str] | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Ordinal alpha: Cronbach's alpha computed from the polychoric correlation matrix.

    Parameters
    ----------
    {data}
    items : list of str
        The item columns (whole-number answers, at most ten distinct values in all).
    {confidence}
    ci : {'bootstrap'} or None, default 'bootstrap'
        Percentile bootstrap interval, or None for the estimate alone.
    {n_boot} Default 1000 (each resample refits every polychoric correlation).
    {seed}
    missing : {'listwise', 'pairwise'}, default 'listwise'
        As in :func:`polychoric_correlation`.
    {reverse}

    Returns
    -------
    {result}

    Notes
    -----
    With :math:`\\bar r` the mean off-diagonal polychoric correlation of :math:`k` items,

    .. math:: \\alpha_{ord} = \\frac{k \\bar r}{1 + (k - 1) \\bar r}

    (Zumbo, Gadermann & Zeisser 2007). It estimates the reliability of the continuous latent
    responses behind Likert items, and is not biased downward by few categories or skew as
    Cronbach's alpha of the raw answers is (Gadermann, Guhn & Zumbo 2012). Each bootstrap
    resample recomputes thresholds and correlations (two-step, see
    :func:`polychoric_correlation`). A pair at the ±1 boundary enters as ±1.

    Missing data: listwise by default; pairwise as in ``psych::polychoric``.

    {keying}

    References
    ----------
    Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of coefficients
    alpha and theta for Likert rating scales. *Journal of Modern Applied Statistical Methods*,
    6(1), 21-29. doi:10.22237/jmasm/1177992180

    Gadermann, A. M., Guhn, M., & Zumbo, B. D. (2012). Estimating ordinal reliability for
    Likert-type and ordinal item response data: a conceptual, empirical, and practical guide.
    *Practical Assessment, Research, and Evaluation*, 17, 3. doi:10.7275/n560-j767

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analyse.reliability import ordinal_alpha
    >>> gen = np.random.default_rng(1)
    >>> latent = gen.normal(size=300)
    >>> data = pd.DataFrame({f"q{i}": np.clip(np.round(3 + latent + gen.normal(size=300)), 1, 5)
    ...                      for i in range(1, 6)})
    >>> res = ordinal_alpha(data, items=["q1", "q2", "q3", "q4", "q5"], n_boot=200, seed=1)
    >>> res[["measure", "estimate", "ci_low", "ci_high", "n_boot"]].round(3)
             measure  estimate  ci_low  ci_high  n_boot
    0  ordinal_alpha     0.789   0.741    0.825     200
    """
    return _ordinal_measure(data, items, "ordinal_alpha", _standardised_alpha, confidence, ci,
                            n_boot, seed, missing, reverse)


@_shared_docs
def mcdonald_omega(data: pd.DataFrame, *, items: Sequence[str], correlation: str = "pearson",
                   confidence: float = 0.95, ci: str | Sequence[str] | None = "bootstrap",
                   n_boot: int = 1000, seed: Any = None, missing: str = "listwise",
                   reverse: Sequence[str] | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """McDonald's omega total from a one-factor model, with a bootstrap interval.

    Parameters
    ----------
    {data}
    {items}
    correlation : {'pearson', 'polychoric'}, default 'pearson'
        The matrix the factor is fitted to; ``'polychoric'`` gives ordinal omega (items with
        whole-number answers, as in :func:`polychoric_correlation`).
    {confidence}
    ci : {'bootstrap'} or None, default 'bootstrap'
        Percentile bootstrap interval, or None for the estimate alone.
    {n_boot} Default 1000.
    {seed}
    missing : {'listwise', 'pairwise'}, default 'listwise'
        Respondents who answered every item, or pairwise correlations.
    {reverse}

    Returns
    -------
    {result}
        ``measure`` is ``'omega_total'`` (Pearson) or ``'ordinal_omega_total'`` (polychoric).

    Notes
    -----
    One factor is fitted to the correlation matrix :math:`R` by unweighted least squares on the
    off-diagonal elements ("minres", the default of ``psych::fa`` and ``psych::omega``):
    loadings :math:`\\lambda` minimise :math:`\\sum_{i<j}(r_{ij} - \\lambda_i\\lambda_j)^2`,
    solved by Newton's method to a gradient below 1e-12. With uniquenesses
    :math:`u_i^2 = 1 - \\lambda_i^2`,

    .. math:: \\omega_t = 1 - \\frac{\\sum_i u_i^2}{\\mathbf 1' R \\mathbf 1}

    the definition of ``psych::omega`` (Revelle & Zinbarg 2009), which equals McDonald's
    :math:`(\\sum\\lambda)^2 / ((\\sum\\lambda)^2 + \\sum u^2)` when the factor reproduces
    :math:`R` exactly. It is the reliability of the sum of standardised items. Unlike
    ``psych::omega``, items with negative loadings are not silently reversed: declare them in
    ``reverse``.
    A loading above 1 (a Heywood case) triggers a warning. The interval is the percentile
    bootstrap over respondents, which Dunn, Baguley & Brunsden (2014) recommend for omega.

    Missing data: listwise by default; pairwise correlations on request.

    {keying}

    References
    ----------
    McDonald, R. P. (1999). *Test Theory: A Unified Treatment*. Lawrence Erlbaum.
    doi:10.4324/9781410601087

    Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb:
    comments on Sijtsma. *Psychometrika*, 74, 145-154. doi:10.1007/s11336-008-9102-z

    Dunn, T. J., Baguley, T., & Brunsden, V. (2014). From alpha to omega: a practical solution
    to the pervasive problem of internal consistency estimation. *British Journal of
    Psychology*, 105, 399-412. doi:10.1111/bjop.12046

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from evalkit.analyse.reliability import mcdonald_omega
    >>> gen = np.random.default_rng(1)
    >>> latent = gen.normal(size=300)
    >>> data = pd.DataFrame({f"q{i}": np.clip(np.round(3 + latent + gen.normal(size=300)), 1, 5)
    ...                      for i in range(1, 6)})
    >>> res = mcdonald_omega(data, items=["q1", "q2", "q3", "q4", "q5"], n_boot=200, seed=1)
    >>> res[["measure", "estimate", "ci_low", "ci_high"]].round(3)
           measure  estimate  ci_low  ci_high
    0  omega_total     0.763   0.718    0.802
    """
    correlation = check_choice(correlation, ("pearson", "polychoric"), "correlation")
    if correlation == "polychoric":
        return _ordinal_measure(data, items, "ordinal_omega_total", _omega_total, confidence, ci,
                                n_boot, seed, missing, reverse)
    return _pearson_omega(data, items, confidence, ci, n_boot, seed, missing, reverse)


# --------------------------------------------------------------------------------------------
# Checks and shared helpers


def _item_matrix(data: Any, items: Any, reverse: Any = None) -> tuple[np.ndarray, list]:
    """The item columns as a float matrix (NaN for missing), after checking them, with the
    reverse-keyed items reversed."""
    check_frame(data)
    items = check_columns(data, items, "items", min_count=2)
    for column in items:
        dtype = data[column].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise ArgumentError(
                f"column {column!r} is not numeric (dtype {dtype}); convert the answers "
                "to numbers first (e.g. pandas.to_numeric or the codebook's value codes)",
                where="items",
            )
    x = data[items].to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(x)
    if infinite.any():
        row, col = np.argwhere(infinite)[0]
        raise DataError(f"column {items[col]!r}, row {data.index[row]!r}: infinite value; "
                        "items must be finite numbers or missing", where=str(items[col]))
    if reverse is not None:
        x = _reverse_keyed(x, items, reverse, data.index)
    return x, items


def _reversed_items(items: list, reverse: Any) -> list:
    """The reverse-keyed columns named by ``reverse`` (checked to be among ``items``)."""
    if reverse is None:
        return []
    if isinstance(reverse, str) or not isinstance(reverse, Mapping | Sequence | pd.Index):
        raise ArgumentError("reverse must list item columns, or map each to its answer range "
                            f"{{column: (low, high)}}, got {reverse!r}", where="reverse")
    named = list(reverse)
    unknown = [c for c in named if c not in items]
    if unknown:
        raise ArgumentError(f"reverse names columns that are not among items: "
                            f"{', '.join(map(repr, unknown))} (items: "
                            f"{', '.join(map(repr, items))})", where="reverse")
    return named


def _reverse_keyed(x: np.ndarray, items: list, reverse: Any, index: pd.Index) -> np.ndarray:
    """``x`` with each reverse-keyed column turned into ``low + high − x``."""
    named = _reversed_items(items, reverse)
    if not named:
        return x
    x = x.copy()
    observed = x[~np.isnan(x)]
    for column in named:
        j = items.index(column)
        if isinstance(reverse, Mapping):
            low, high = _answer_range(reverse[column], column)
            answers = x[:, j]
            outside = ~np.isnan(answers) & ((answers < low) | (answers > high))
            if outside.any():
                row = int(np.flatnonzero(outside)[0])
                raise DataError(f"column {column!r}, row {index[row]!r}: answer "
                                f"{answers[row]:g} outside the range {low:g}–{high:g} given "
                                "in reverse; correct the answer or the range",
                                where=str(column))
        elif observed.size:
            low, high = float(observed.min()), float(observed.max())
        else:
            continue
        x[:, j] = low + high - x[:, j]
    return x


def _answer_range(value: Any, column: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        low = high = np.nan
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ArgumentError(f"reverse[{column!r}] must be the answer range (low, high) with "
                            f"low < high, got {value!r}", where="reverse")
    return low, high


def _check_ci(ci: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if ci is None:
        return ()
    chosen = (ci,) if isinstance(ci, str) else ci
    if not isinstance(chosen, Sequence):
        raise ArgumentError(f"ci must be one of {', '.join(map(repr, allowed))}, a sequence of "
                            f"them, or None, got {ci!r}", where="ci")
    for method in chosen:
        check_choice(method, allowed, "ci")
    return tuple(dict.fromkeys(chosen))


def _check_n_boot(n_boot: Any, methods: tuple[str, ...]) -> int:
    return check_int(n_boot, "n_boot", minimum=100) if "bootstrap" in methods else 0


def _apply_missing(x: np.ndarray, missing: str) -> np.ndarray:
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    if len(x) < 2:
        raise DataError(
            f"fewer than 2 respondents left for the items after {missing} deletion ({len(x)}); "
            "reliability needs at least 2 (and many more for a useful interval)", where="items")
    return x


def _feldt(alpha: float, n: int, k: int, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def _interval_rows(measure, estimate, methods, confidence, n, k, missing, bootstrap, feldt=None):
    """One result row per interval method; the bootstrap and Feldt bounds computed on demand."""
    rows = []
    for method in methods or ("none",):
        low = high = np.nan
        used = 0
        if method == "bootstrap":
            low, high, used = percentile_interval(bootstrap(), confidence)
        elif method == "feldt":
            low, high = feldt()
        rows.append((measure, float(estimate), method, low, high, confidence, n, k, missing,
                     used))
    return rows


def _result(rows: list[tuple]) -> pd.DataFrame:
    result = pd.DataFrame(rows, columns=_RESULT_COLUMNS)
    return result.astype({"estimate": float, "ci_low": float, "ci_high": float,
                          "confidence": float, "n": np.int64, "k": np.int64, "n_boot": np.int64})


def _alpha(cov: np.ndarray) -> np.ndarray:
    """Cronbach's alpha of each covariance matrix in a stack (m, k, k)."""
    k = cov.shape[-1]
    total = cov.sum(axis=(1, 2))
    trace = np.trace(cov, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return k / (k - 1) * (1 - trace / total)


def _to_correlation(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / sd[:, :, None] / sd[:, None, :]


def _standardised_alpha(corr: np.ndarray, items: list | None = None) -> np.ndarray:
    return _alpha(corr)


def _omega_total(corr: np.ndarray, items: list | None = None, stacklevel: int = 4) -> np.ndarray:
    """Omega total (1 - Σu² / 1'R1) of a one-factor minres fit to each matrix in a stack; with
    ``items``, warn about a Heywood case (``stacklevel`` points the warning at the caller)."""
    out = np.full(corr.shape[0], np.nan)
    ok = np.isfinite(corr).all(axis=(1, 2))
    if not ok.any():
        return out
    loadings, converged = _polychoric.one_factor_uls(corr[ok])
    if items is not None and (np.abs(loadings) > 1).any():
        worst = items[int(np.argmax(np.abs(loadings[0])))]
        warnings.warn(f"Heywood case: item {worst!r} has a loading above 1 in the one-factor "
                      "fit; omega is not trustworthy (too few items or respondents, or items "
                      "that are near copies of each other)", RuntimeWarning, stacklevel=stacklevel)
    uniqueness = 1.0 - loadings**2
    omega = 1.0 - uniqueness.sum(axis=1) / corr[ok].sum(axis=(1, 2))
    out[ok] = np.where(converged, omega, np.nan)
    return out


def _item_statistics(cov: np.ndarray) -> dict[str, np.ndarray]:
    k = cov.shape[0]
    var = np.diag(cov)
    rowsum = cov.sum(axis=1)
    total = cov.sum()
    rest_var = total - 2 * rowsum + var
    corr = _to_correlation(cov[None])[0]
    keep = ~np.eye(k, dtype=bool)
    drop_cov = np.stack([cov[np.ix_(keep[i], keep[i])] for i in range(k)])
    drop_corr = np.stack([corr[np.ix_(keep[i], keep[i])] for i in range(k)])
    two_items = k == 2  # one item left: alpha is undefined
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "item_total_r": rowsum / np.sqrt(var * total),
            "item_rest_r": (rowsum - var) / np.sqrt(var * rest_var),
            "alpha_if_dropped": np.full(k, np.nan) if two_items else _alpha(drop_cov),
            "std_alpha_if_dropped": np.full(k, np.nan) if two_items else _alpha(drop_corr),
        }


class _Moments:
    """Sums over response patterns from which covariance matrices follow, for any resample.

    A resample is a vector of pattern counts ``w``; ``features.T @ w`` gives every sum the
    covariances need, so the full sample (w = counts) and thousands of bootstrap resamples are
    computed by the same matrix product. Data are centred first for numerical accuracy.
    """

    def __init__(self, x: np.ndarray, missing: str) -> None:
        self.k = k = x.shape[1]
        self.pairwise = missing == "pairwise"
        patterns, self.counts = compress_rows(x)
        self.centre = np.nan_to_num(np.nanmean(patterns, axis=0))
        z = patterns - self.centre
        observed = ~np.isnan(z)
        z = np.nan_to_num(z)
        self.iu = np.triu_indices(k)
        i, j = self.iu
        if self.pairwise:
            both = (observed[:, i] & observed[:, j]).astype(float)
            self.features = np.hstack([both, both * z[:, i], both * z[:, j],
                                       both * z[:, i] * z[:, j]])
        else:
            self.features = np.hstack([np.ones((len(z), 1)), z, z[:, i] * z[:, j]])
            # Alpha needs only the item variances' sum and the total's variance: k + 3 sums
            # instead of the full covariance matrix's 1 + k + k(k+1)/2.
            total = z.sum(axis=1, keepdims=True)
            self.alpha_features = np.hstack([np.ones((len(z), 1)), z,
                                             (z**2).sum(axis=1, keepdims=True), total**2])

    def sums(self, w: np.ndarray) -> np.ndarray:
        # (wᵀ F)ᵀ rather than Fᵀ w: the same product, but the shape multithreaded BLAS splits
        # well (several times faster on a busy machine).
        return (w.T @ self.features).T

    def covariances(self, w: np.ndarray) -> np.ndarray:
        """Covariance matrices (b, k, k) of the resamples in the columns of ``w`` (p, b)."""
        s = self.sums(w)
        k, (i, j) = self.k, self.iu
        q = len(i)
        if self.pairwise:
            n, sx, sy, sxy = s[:q], s[q:2 * q], s[2 * q:3 * q], s[3 * q:]
            with np.errstate(invalid="ignore", divide="ignore"):
                upper = np.where(n > 1, (sxy - sx * sy / n) / (n - 1), np.nan)
        else:
            n, sx, sxy = s[0], s[1:k + 1], s[k + 1:]
            upper = (sxy - sx[i] * sx[j] / n) / (n - 1)
        cov = np.empty((w.shape[1], k, k))
        cov[:, i, j] = upper.T
        cov[:, j, i] = upper.T
        return cov

    def alpha(self, w: np.ndarray) -> np.ndarray:
        """Cronbach's alpha of the resamples in the columns of ``w`` (p, b)."""
        if self.pairwise:
            return _alpha(self.covariances(w))
        k = self.k
        s = (w.T @ self.alpha_features).T
        n, first = s[0], s[1:k + 1]
        item_var = (s[k + 1] - (first**2).sum(axis=0) / n) / (n - 1)
        total_var = (s[k + 2] - first.sum(axis=0) ** 2 / n) / (n - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return k / (k - 1) * (1 - item_var / total_var)

    def n_used(self) -> int:
        if not self.pairwise:
            return int(self.counts.sum())
        n = self.sums(self.counts[:, None])[: len(self.iu[0]), 0]
        return int(n.min())

    def item_counts_and_means(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.sums(self.counts[:, None])[:, 0]
        k, (i, j) = self.k, self.iu
        q = len(i)
        if self.pairwise:
            diag = np.flatnonzero(i == j)
            n, sx = s[diag], s[q + diag]
        else:
            n, sx = np.full(k, s[0]), s[1:k + 1]
        return n.astype(np.int64), self.centre + sx / n

    def bootstrap(self, statistic: Callable[[np.ndarray], np.ndarray], n_boot: int,
                  gen: np.random.Generator) -> np.ndarray:
        """``statistic(w)`` for ``n_boot`` resamples ``w`` of the respondents."""
        values = [statistic(w) for w in multinomial_counts(self.counts, n_boot, gen)]
        return np.concatenate(values)


class _Ordinal:
    """Ordinal items as category codes compressed into patterns, with the sparse map from
    pattern counts to every pairwise table and item margin."""

    def __init__(self, x: np.ndarray, items: list, missing: str) -> None:
        observed = x[~np.isnan(x)]
        fractional = observed != np.round(observed)
        if fractional.any():
            bad = np.argwhere((x != np.round(x)) & ~np.isnan(x))[0]
            raise ArgumentError(
                "polychoric correlations need whole-number answers (ordered categories); "
                f"column {items[bad[1]]!r} has {x[tuple(bad)]:g}", where="items")
        self.categories = np.unique(observed)
        c = len(self.categories)
        if c > MAX_CATEGORIES:
            raise ArgumentError(
                f"polychoric correlations need at most {MAX_CATEGORIES} answer values, "
                f"the items take {c}; use the Pearson-based measures (cronbach_alpha, "
                "mcdonald_omega with correlation='pearson')", where="items")
        if c < 2:
            raise DataError("every item takes the same single value: no correlation can be "
                            "estimated", where="items")
        x = _apply_missing(x, missing)
        codes = np.searchsorted(self.categories, x).astype(float)
        codes[np.isnan(x)] = np.nan
        patterns, self.counts = compress_rows(codes)
        k = x.shape[1]
        self.k, self.c = k, c
        self.pairs = np.array([(a, b) for a in range(k) for b in range(a + 1, k)])
        self.matrix = self._aggregator(patterns)

    def _aggregator(self, patterns: np.ndarray) -> sparse.csr_matrix:
        p = len(patterns)
        c, k = self.c, self.k
        rows, cols = [], []
        observed = ~np.isnan(patterns)
        codes = np.nan_to_num(patterns).astype(np.int64)
        for q, (a, b) in enumerate(self.pairs):
            ok = np.flatnonzero(observed[:, a] & observed[:, b])
            rows.append(q * c * c + codes[ok, a] * c + codes[ok, b])
            cols.append(ok)
        offset = len(self.pairs) * c * c
        for a in range(k):
            ok = np.flatnonzero(observed[:, a])
            rows.append(offset + a * c + codes[ok, a])
            cols.append(ok)
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        shape = (offset + k * c, p)
        return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)

    def tables(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pair tables (b, pairs, C, C) and item margins (b, k, C) of the resamples in ``w``."""
        sums = np.asarray(self.matrix @ w).T
        c, q = self.c, len(self.pairs)
        return sums[:, : q * c * c].reshape(-1, q, c, c), sums[:, q * c * c:].reshape(-1, self.k, c)

    def correlations(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Polychoric ρ (b, pairs), their status and the pair counts, for each resample."""
        tables, margins = self.tables(w)
        b, q, c = tables.shape[0], len(self.pairs), self.c
        tau = _polychoric.thresholds(margins)
        tx = tau[:, self.pairs[:, 0]].reshape(b * q, c - 1)
        ty = tau[:, self.pairs[:, 1]].reshape(b * q, c - 1)
        rho, converged = _polychoric.fit_rho(tables.reshape(b * q, c, c), tx, ty)
        boundary = np.abs(rho) >= _polychoric.RHO_MAX - 1e-9
        rho = np.where(boundary, np.sign(rho), rho)
        status = np.select([np.isnan(rho), ~converged, boundary],
                           ["not_estimable", "not_converged", "boundary"], "estimated")
        return rho.reshape(b, q), status.reshape(b, q), tables.sum(axis=(2, 3))

    def matrices(self, rho: np.ndarray) -> np.ndarray:
        b = rho.shape[0]
        out = np.broadcast_to(np.eye(self.k), (b, self.k, self.k)).copy()
        a, c = self.pairs.T
        out[:, a, c] = rho
        out[:, c, a] = rho
        return out

    def bootstrap(self, statistic: Callable[[np.ndarray], np.ndarray], n_boot: int,
                  gen: np.random.Generator) -> np.ndarray:
        # Each column of a chunk becomes one polychoric fit per pair: keep chunks moderate.
        width = 256 * len(self.counts)
        values = []
        for w in multinomial_counts(self.counts, n_boot, gen, chunk_cells=min(width, 4_000_000)):
            rho, _, _ = self.correlations(w)
            values.append(statistic(self.matrices(rho)))
        return np.concatenate(values)


def _pearson_omega(data, items, confidence, ci, n_boot, seed, missing, reverse):
    """Omega total from the Pearson correlations, each resample's from its covariance sums."""
    x, items = _item_matrix(data, items, reverse)
    methods = _check_ci(ci, ("bootstrap",))
    confidence = check_probability(confidence, "confidence")
    missing = check_choice(missing, MISSING, "missing")
    n_boot = _check_n_boot(n_boot, methods)
    moments = _Moments(_apply_missing(x, missing), missing)
    variance = np.diagonal(moments.covariances(moments.counts[:, None])[0])
    if not (variance > 0).all():
        flat = [item for item, v in zip(items, variance, strict=True) if not v > 0]
        raise DataError(f"omega needs items that vary; {', '.join(map(repr, flat))} takes a "
                        "single value among the respondents used: drop it", where="items")

    def statistic(w: np.ndarray, warn: bool = False) -> np.ndarray:
        return _omega_total(_to_correlation(moments.covariances(w)), items if warn else None,
                            stacklevel=5)

    estimate = statistic(moments.counts[:, None], warn=True)[0]
    rows = _interval_rows("omega_total", estimate, methods, confidence, moments.n_used(),
                          len(items), missing,
                          lambda: moments.bootstrap(statistic, n_boot, rng(seed)))
    return _result(rows)


def _ordinal_measure(data, items, measure, statistic, confidence, ci, n_boot, seed, missing,
                     reverse):
    """A coefficient of the polychoric matrix, each resample's from refitted correlations."""
    x, items = _item_matrix(data, items, reverse)
    methods = _check_ci(ci, ("bootstrap",))
    confidence = check_probability(confidence, "confidence")
    missing = check_choice(missing, MISSING, "missing")
    n_boot = _check_n_boot(n_boot, methods)
    ordinal = _Ordinal(x, items, missing)
    rho, status, n = ordinal.correlations(ordinal.counts[:, None])
    if np.isnan(rho).any():
        bad = [f"{items[a]}–{items[b]}" for (a, b), r in zip(ordinal.pairs, rho[0], strict=True)
               if np.isnan(r)]
        raise DataError(f"no polychoric correlation for {', '.join(bad)}: an item takes a single "
                        "value among the respondents who answered both (or none answered both); "
                        "drop the item", where="items")
    estimate = statistic(ordinal.matrices(rho), items)[0]
    rows = _interval_rows(measure, estimate, methods, confidence, int(n.min()), len(items),
                          missing, lambda: ordinal.bootstrap(statistic, n_boot, rng(seed)))
    return _result(rows)
