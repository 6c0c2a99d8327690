"""Inter-coder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Every measure comes with a seeded bootstrap interval over units, computed in one vectorised pass;
coded segments become agreement data with :func:`coding_table`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import (
    check_choice,
    check_column,
    check_frame,
    check_int,
    check_probability,
    rng,
)
from evalkit._docs import shared_docs
from evalkit._lazy import lazy_module
from evalkit.analyse._resample import bca_interval, multinomial_counts, percentile_interval
from evalkit.analyse.qual._segments import (
    at_level,
    check_level,
    check_units,
    check_values,
    excerpt,
    require_columns,
    unit_keys,
)
from evalkit.errors import ArgumentError, DataError

# Heavy: imported on first use, so that a notebook that only shows released tables does not
# pay for them.
sp = lazy_module("scipy.sparse")

__all__ = [
    "LEVELS",
    "MEASURES",
    "NO_CODE",
    "agreement_table",
    "coding_table",
    "cohen_kappa",
    "disagreement_table",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percent_agreement",
]

#: Levels of measurement of Krippendorff's alpha.
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
#: Measures :func:`agreement_table` computes.
MEASURES: tuple[str, ...] = ("percent_agreement", "cohen_kappa", "cohen_kappa_linear",
                             "cohen_kappa_quadratic", "fleiss_kappa", "krippendorff_alpha")
#: The value of a unit a coder left without code, in ``coding_table(..., layout="single")``.
NO_CODE = "(none)"

_RESULT_COLUMNS = ["measure", "estimate", "se", "ci_low", "ci_high", "n_units", "n_coders",
                   "reading"]
#: Intervals of measures on fewer units than this are BCa (bias-corrected and accelerated),
#: from this many on percentile intervals: their coverage, simulated, is in docs/agreement.md.
BCA_BELOW_UNITS = 100

_SHARED_PARAMS = """data : pandas.DataFrame
    Long agreement data: one row per unit and coder (a missing value means the coder did not
    code the unit).
unit : str or list of str, default "unit"
    Column(s) identifying the unit (turn, segment): e.g. ``["document", "unit"]`` when unit
    ids repeat across documents.
coder : str, default "coder"
    Column naming the coder.
value : str, default "value"
    Column holding the code (or rating) the coder gave the unit.
n_boot : int, default 1000
    Bootstrap resamples of units for the interval; 0 for none (``ci_low``/``ci_high`` NaN).
confidence : float, default 0.95
    Confidence level of the interval.
seed : int, numpy.random.Generator or None
    Seed of the bootstrap: the same seed gives the same interval."""

_SHARED_RETURNS = """pandas.DataFrame
    One row with the columns:

    - ``measure``: the measure's identifier (e.g. ``krippendorff_alpha_nominal``); its label
      is the catalogue key ``qual.measure.<measure>``;
    - ``estimate``: the point estimate (NaN when undefined, e.g. a single category used);
    - ``se``: the asymptotic standard error (Cohen's kappa only; NaN otherwise);
    - ``ci_low``, ``ci_high``: the bootstrap interval (BCa below 100 units, percentile
      from 100 units);
    - ``n_units``: units that entered the estimate;
    - ``n_coders``: coders who coded at least one of them;
    - ``reading``: catalogue key of the conventional reading of the value (Landis & Koch
      for kappas, Krippendorff's 0.667/0.800 thresholds for alpha, missing for percent
      agreement)."""


_doc = shared_docs({"shared_params": _SHARED_PARAMS, "shared_returns": _SHARED_RETURNS})


# --- public measures -------------------------------------------------------------------------


@_doc
def percent_agreement(data: pd.DataFrame, *, unit: str | Sequence[str] = "unit",
                      coder: str = "coder", value: str = "value", n_boot: int = 1000,
                      confidence: float = 0.95, seed: Any = None) -> pd.DataFrame:
    """Observed agreement: the share of agreeing coder pairs, averaged over units.

    Parameters
    ----------
    {shared_params}

    Returns
    -------
    {shared_returns}

    Notes
    -----
    For a unit coded by :math:`m_u \\ge 2` coders, :math:`n_{uc}` of whom chose category
    :math:`c`, the share of agreeing pairs is
    :math:`p_u = \\sum_c n_{uc}(n_{uc}-1) / (m_u(m_u-1))`; percent agreement is the mean of
    :math:`p_u` over units (with two coders: the share of units on which they agree). It ignores
    agreement expected by chance: report it beside a chance-corrected measure. Units coded by
    fewer than two coders are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3], "coder": list("ababab"),
    ...                      "value": ["x", "x", "y", "y", "x", "y"]})
    >>> percent_agreement(data, n_boot=0)[["measure", "estimate", "n_units"]]
                 measure  estimate  n_units
    0  percent_agreement  0.666667        3
    """
    ratings = _ratings(data, unit=unit, coder=coder, value=value, sort_units=n_boot != 0)
    return _single(ratings, "percent_agreement", n_boot=n_boot, confidence=confidence, seed=seed)


@_doc
def cohen_kappa(data: pd.DataFrame, *, unit: str | Sequence[str] = "unit", coder: str = "coder",
                value: str = "value", weights: str | None = None,
                coders: Sequence[Any] | None = None, categories: Sequence[Any] | None = None,
                n_boot: int = 1000, confidence: float = 0.95, seed: Any = None) -> pd.DataFrame:
    """Cohen's kappa between two coders, unweighted or with linear or quadratic weights.

    Parameters
    ----------
    {shared_params}
    weights : {None, "linear", "quadratic"}
        Disagreement weights for ordered categories: none (every disagreement counts fully),
        :math:`|i-j|` or :math:`(i-j)^2` on the categories' ranks.
    coders : pair of coder names, optional
        The two coders to compare when ``data`` holds more than two.
    categories : sequence, optional
        All categories in their order (for weights); by default the sorted values present.

    Returns
    -------
    {shared_returns}

    Notes
    -----
    With :math:`p_{ij}` the share of units coded :math:`i` by the first coder and :math:`j` by
    the second, margins :math:`p_{i\\cdot}, p_{\\cdot j}` and disagreement weights
    :math:`w_{ij}` (:math:`1 - [i=j]`, :math:`|i-j|` or :math:`(i-j)^2`),
    :math:`\\kappa_w = 1 - \\sum w_{ij} p_{ij} / \\sum w_{ij} p_{i\\cdot} p_{\\cdot j}` (Cohen
    1960; 1968). The asymptotic standard error is that of Fleiss, Cohen & Everitt (1969), as
    computed by :func:`statsmodels.stats.inter_rater.cohens_kappa`. Only units coded by both
    coders count (listwise).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement*, 20(1), 37–46. https://doi.org/10.1177/001316446002000104

    Cohen, J. (1968). Weighted kappa. *Psychological Bulletin*, 70(4), 213–220.
    https://doi.org/10.1037/h0026256

    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa
    and weighted kappa. *Psychological Bulletin*, 72(5), 323–327.
    https://doi.org/10.1037/h0028106

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3, 4, 4], "coder": list("abababab"),
    ...                      "value": [1, 1, 2, 2, 3, 2, 3, 3]})
    >>> cohen_kappa(data, n_boot=0)[["measure", "estimate", "n_units"]]
           measure  estimate  n_units
    0  cohen_kappa  0.636364        4
    """
    check_choice(weights, (None, "linear", "quadratic"), "weights")
    data = _pick_coders(data, coder, coders)
    ratings = _check_two(_ratings(data, unit=unit, coder=coder, value=value,
                                  categories=categories, sort_units=n_boot != 0))
    measure = "cohen_kappa" + (f"_{weights}" if weights else "")
    return _single(ratings, measure, n_boot=n_boot, confidence=confidence, seed=seed)


@_doc
def fleiss_kappa(data: pd.DataFrame, *, unit: str | Sequence[str] = "unit", coder: str = "coder",
                 value: str = "value", n_boot: int = 1000, confidence: float = 0.95,
                 seed: Any = None) -> pd.DataFrame:
    """Fleiss' kappa: chance-corrected agreement of several coders on nominal codes.

    Parameters
    ----------
    {shared_params}

    Returns
    -------
    {shared_returns}

    Notes
    -----
    With :math:`r` coders, :math:`n_{uc}` of whom put unit :math:`u` in category :math:`c`,
    :math:`P_u = (\\sum_c n_{uc}^2 - r) / (r(r-1))`, :math:`\\bar P` their mean,
    :math:`p_c` the share of all codes in category :math:`c` and
    :math:`\\bar P_e = \\sum_c p_c^2`: :math:`\\kappa = (\\bar P - \\bar P_e)/(1 - \\bar P_e)`
    (Fleiss 1971). The formula needs the same coders on every unit: units that any coder left
    uncoded are left out (Krippendorff's alpha keeps them). Checked against
    :func:`statsmodels.stats.inter_rater.fleiss_kappa`.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. *Psychological
    Bulletin*, 76(5), 378–382. https://doi.org/10.1037/h0031619

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"unit": [1, 1, 1, 2, 2, 2, 3, 3, 3], "coder": list("abcabcabc"),
    ...                      "value": list("xxxyyxyyy")})
    >>> fleiss_kappa(data, n_boot=0)[["measure", "estimate", "n_units", "n_coders"]]
            measure  estimate  n_units  n_coders
    0  fleiss_kappa  0.550000        3         3
    """
    ratings = _ratings(data, unit=unit, coder=coder, value=value, sort_units=n_boot != 0)
    return _single(ratings, "fleiss_kappa", n_boot=n_boot, confidence=confidence, seed=seed)


@_doc
def krippendorff_alpha(data: pd.DataFrame, *, unit: str | Sequence[str] = "unit",
                       coder: str = "coder", value: str = "value", level: str = "nominal",
                       categories: Sequence[Any] | None = None, n_boot: int = 1000,
                       confidence: float = 0.95, seed: Any = None) -> pd.DataFrame:
    """Krippendorff's alpha for any number of coders, with missing values, at any level.

    Parameters
    ----------
    {shared_params}
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement of the values (interval and ratio need numbers; ratio, numbers
        ≥ 0).
    categories : sequence, optional
        The order of the values for ``level="ordinal"`` (by default: an ordered categorical's
        order, or the sorted values).

    Returns
    -------
    {shared_returns}

    Notes
    -----
    Alpha is one minus observed over expected disagreement. With :math:`n_{uc}` the number of
    coders who gave value :math:`c` to unit :math:`u`, :math:`m_u = \\sum_c n_{uc}`, the
    coincidences are :math:`o_{ck} = \\sum_u (n_{uc} n_{uk} - [c=k] n_{uc}) / (m_u - 1)`, the
    margins :math:`n_c = \\sum_k o_{ck}` and :math:`n = \\sum_c n_c`:

    .. math:: \\alpha = 1 - (n - 1) \\frac{\\sum_{c,k} o_{ck}\\, \\delta^2_{ck}}
              {\\sum_{c,k} n_c n_k\\, \\delta^2_{ck}}

    with the difference function :math:`\\delta^2` of the level: nominal :math:`[c \\ne k]`;
    ordinal :math:`(\\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2`; interval :math:`(c-k)^2`; ratio
    :math:`((c-k)/(c+k))^2` (Krippendorff 2011). Missing values are allowed: units with fewer
    than two values carry no pairable value and are left out. The computation works on per-unit
    contributions to the coincidences, so that a bootstrap resample is a weighted sum over units.
    Alpha is NaN when every value is the same (no expected disagreement).

    The interval resamples units with replacement (Efron's nonparametric bootstrap) and
    recomputes both disagreements; Hayes & Krippendorff (2007) instead resample pairs of values
    with the expected disagreement held fixed, which treats the pairs within a unit as
    independent and gives narrower intervals (see ``docs/agreement.md``).

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental papers
    (ASC), University of Pennsylvania. https://repository.upenn.edu/asc_papers/43

    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability
    measure for coding data. *Communication Methods and Measures*, 1(1), 77–89.
    https://doi.org/10.1080/19312450709336664

    Examples
    --------
    The reliability data of Krippendorff (2011): 4 coders, 12 units, missing values.

    >>> import numpy as np, pandas as pd
    >>> matrix = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    ...           [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    ...           [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    ...           [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    >>> data = pd.DataFrame(matrix, index=list("ABCD")).rename_axis("coder").stack(
    ...     ).rename("value").rename_axis(["coder", "unit"]).reset_index()
    >>> [round(float(krippendorff_alpha(data, level=lv, n_boot=0)["estimate"].iloc[0]), 3)
    ...  for lv in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]
    """
    check_choice(level, LEVELS, "level")
    ratings = _ratings(data, unit=unit, coder=coder, value=value, categories=categories,
                       numeric=level in ("interval", "ratio"), nonnegative=level == "ratio",
                       sort_units=n_boot != 0)
    return _single(ratings, f"krippendorff_alpha_{level}", n_boot=n_boot,
                   confidence=confidence, seed=seed)


def agreement_table(data: pd.DataFrame, *, unit: str | Sequence[str] = "unit",
                    coder: str = "coder", value: str = "present", code: str | None = "code_path",
                    measures: Sequence[str] | None = None, level: str = "nominal",
                    n_boot: int = 1000, confidence: float = 0.95, seed: Any = None
                    ) -> pd.DataFrame:
    """Agreement per code and overall, several measures, with bootstrap intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        Long agreement data, typically :func:`coding_table`'s output: one row per unit, coder
        and code, with the coder's decision in ``value``.
    unit : str or list of str, default "unit"
        Column(s) identifying a unit; ``["document", "unit"]`` for :func:`coding_table`'s output.
    coder : str, default "coder"
        Column naming the coder.
    value : str, default "present"
        Column of the decision (1/0 presence of the code, or the code itself).
    code : str or None, default "code_path"
        Column naming the code: one block of rows per code plus the pooled overall rows. None
        when ``data`` holds one decision per unit and coder (e.g. ``layout="single"``): only the
        overall rows.
    measures : sequence of str, optional
        Among ``percent_agreement``, ``cohen_kappa``, ``cohen_kappa_linear``,
        ``cohen_kappa_quadratic`` (two coders), ``fleiss_kappa``, ``krippendorff_alpha``.
        Default: percent agreement, Cohen's kappa (two coders) or Fleiss' kappa (more), and
        Krippendorff's alpha.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement for Krippendorff's alpha.
    n_boot, confidence, seed
        Bootstrap resamples (0 for none), confidence level and seed of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per code and measure, then the overall rows, with the columns:

        - ``scope``: ``"code"`` or ``"overall"``;
        - ``code``: the code (missing on overall rows);
        - ``measure``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n_units``,
          ``n_coders``, ``reading``: as in :func:`krippendorff_alpha`.

    Notes
    -----
    Per code, the decisions are the presence or absence of the code in each unit, by each coder
    (the standard for qualitative coding, where a unit may carry several codes). Overall, every
    unit × code presence decision is one item; the items of a unit share its resampling, so
    the interval accounts for their dependence. The same bootstrap resamples of units serve every
    code and measure (paired intervals: adding a code does not change the others'). The
    asymptotic standard error of Cohen's kappa is given per code only (it assumes independent
    items). With ``code=None`` and one code per unit, the overall rows are agreement on the code
    itself. A measure on fewer than :data:`BCA_BELOW_UNITS` units gets a bias-corrected and
    accelerated (BCa) interval (Efron 1987), whose acceleration comes from the jackknife over
    units; from that many units on, the percentile interval. Their coverage, simulated over
    units, coders and true agreement, is in ``docs/agreement.md``.

    References
    ----------
    Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical
    data. *Biometrics*, 33(1), 159–174. https://doi.org/10.2307/2529310

    Krippendorff, K. (2004). Reliability in content analysis: some common misconceptions and
    recommendations. *Human Communication Research*, 30(3), 411–433.
    https://doi.org/10.1111/j.1468-2958.2004.tb00738.x

    Efron, B. (1987). Better bootstrap confidence intervals. *Journal of the American
    Statistical Association*, 82(397), 171–185. https://doi.org/10.1080/01621459.1987.10478410

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"unit": [1, 1, 2, 2, 3, 3, 4, 4] * 2,
    ...                      "coder": list("abababab") * 2,
    ...                      "code_path": ["T/x"] * 8 + ["T/y"] * 8,
    ...                      "present": [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1]})
    >>> table = agreement_table(data, n_boot=200, seed=1)
    >>> table[["scope", "code", "measure", "estimate"]].round(3)
         scope code                     measure  estimate
    0     code  T/x           percent_agreement     0.750
    1     code  T/x                 cohen_kappa     0.500
    2     code  T/x  krippendorff_alpha_nominal     0.533
    3     code  T/y           percent_agreement     0.750
    4     code  T/y                 cohen_kappa     0.500
    5     code  T/y  krippendorff_alpha_nominal     0.533
    6  overall  NaN           percent_agreement     0.750
    7  overall  NaN                 cohen_kappa     0.500
    8  overall  NaN  krippendorff_alpha_nominal     0.531
    """
    check_choice(level, LEVELS, "level")
    if code is not None:
        check_frame(data)
        check_column(data, code, "code")
    ratings = _ratings(data, unit=unit, coder=coder, value=value, code=code,
                       numeric=level in ("interval", "ratio"), nonnegative=level == "ratio")
    measures = _check_measures(measures, ratings, level)
    n_boot, confidence = _check_boot(n_boot, confidence)
    blocks, labels = [], []
    per_code = [] if ratings.code_names is None else list(range(len(ratings.code_names)))
    for k in per_code:
        for measure in measures:
            blocks.append(_block(ratings.for_code(k), measure, per_unit=n_boot > 0))
            labels.append(("code", ratings.code_names[k], measure))
    pooled = ratings.pooled()
    for measure in measures:
        blocks.append(_block(pooled, measure, with_se=ratings.code_names is None,
                             per_unit=n_boot > 0))
        labels.append(("overall", pd.NA, measure))
    rows = _run(blocks, ratings.n_units, n_boot=n_boot, confidence=confidence, seed=seed)
    out = _result_frame(rows)
    out.insert(0, "code", pd.Series(np.array([label[1] for label in labels], dtype=object)))
    out.insert(0, "scope", pd.array(np.array([label[0] for label in labels], dtype=object),
                                    dtype="str"))
    return out


# --- agreement data from coded segments -----------------------------------------------------


def coding_table(segments: pd.DataFrame, *, units: pd.DataFrame, code: Any = None,
                 level: str = "code", layout: str = "presence") -> pd.DataFrame:
    """The coders' decisions on each unit (turn), from the segments frame and the units frame.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segments frame (one row per coding): ``document``, ``coder``, ``code``,
        ``code_path``, ``start``, ``end`` and, when known, ``unit``.
    units : pandas.DataFrame
        The units frame (``document``, ``unit``, ``start``, ``end``): the units of agreement.
    code : str or list of str, optional
        Keep only these codes (code paths, or code names at ``level="code"``).
    level : {"code", "theme"}
        Agreement on the codes, or on the themes (a theme is present when any of its codes is).
    layout : {"presence", "single"}
        ``"presence"``: one row per unit, coder and code with ``present`` = 1 or 0.
        ``"single"``: one row per unit and coder with the one code applied (``NO_CODE`` when
        none); a unit given two codes by one coder is a data error.

    Returns
    -------
    pandas.DataFrame
        Columns ``document``, ``unit``, ``coder``, ``code_path`` and, for the presence layout,
        ``present`` (int8), sorted by document, position of the unit, coder and code.

    Notes
    -----
    A coding falls in the unit given in its ``unit`` column; otherwise in every unit of its
    document that its character span ``[start, end)`` overlaps (a coding across two turns
    counts in both); a coding outside every unit is ignored. A coder is taken to have coded a
    document when they applied at least one code in it (any code, before ``code`` filters):
    the units of that document get that coder's decisions (absent codes are 0); documents a
    coder did not code give no rows for that coder (missing, not absent). Multiple codes on one
    unit are handled per code in the presence layout; pooled over codes, agreement treats every
    unit × code decision as one item (:func:`agreement_table`).

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"document": ["d1", "d1"], "unit": ["t1", "t2"],
    ...                       "start": [0, 50], "end": [50, 90], "text": ["...", "..."]})
    >>> segments = pd.DataFrame({"segment_id": ["s1", "s2", "s3"], "document": "d1",
    ...                          "coder": ["ana", "ben", "ben"], "code": ["x", "x", "y"],
    ...                          "code_path": ["T/x", "T/x", "T/y"], "start": [5, 10, 60],
    ...                          "end": [20, 30, 80], "unit": pd.NA})
    >>> coding_table(segments, units=units)
      document unit coder code_path  present
    0       d1   t1   ana       T/x        1
    1       d1   t1   ana       T/y        0
    2       d1   t1   ben       T/x        1
    3       d1   t1   ben       T/y        0
    4       d1   t2   ana       T/x        0
    5       d1   t2   ana       T/y        0
    6       d1   t2   ben       T/x        0
    7       d1   t2   ben       T/y        1
    """
    require_columns(segments, ("document", "coder", "code_path", "start", "end"))
    check_units(units)
    check_level(level)
    check_choice(layout, ("presence", "single"), "layout")
    codes = check_values(code, "code")
    coverage = segments[["document", "coder"]].drop_duplicates()
    coded = _coded_units(segments, units, codes, level)
    grid = _unit_grid(units, coverage)
    if layout == "single":
        return _single_layout(grid, coded)
    paths = pd.DataFrame({"code_path": sorted(coded["code_path"].unique(), key=str)})
    if codes is not None and paths.empty:
        raise ArgumentError(f"code={code!r} matches no coded unit", where="code")
    full = grid.merge(paths, how="cross")
    key = ["document", "unit_str", "coder", "code_path"]
    hit = pd.MultiIndex.from_frame(full[key]).isin(pd.MultiIndex.from_frame(coded[key]))
    full["present"] = hit.astype(np.int8)
    full = full.sort_values(["doc_order", "unit_start", "unit_order", "coder", "code_path"],
                            kind="stable")
    return full[["document", "unit", "coder", "code_path", "present"]].reset_index(drop=True)


def disagreement_table(segments: pd.DataFrame, *, units: pd.DataFrame, code: Any = None,
                       level: str = "code", max_chars: int = 160) -> pd.DataFrame:
    """Where coders differ: each unit and code that some coders applied and others did not.

    Parameters
    ----------
    segments : pandas.DataFrame
        The segments frame (see :func:`coding_table`).
    units : pandas.DataFrame
        The units frame, with the units' ``text`` for the excerpts.
    code : str or list of str, optional
        Keep only these codes.
    level : {"code", "theme"}
        Compare codes or themes.
    max_chars : int, default 160
        Length limit of the excerpt (cut at a word boundary, marked with "…").

    Returns
    -------
    pandas.DataFrame
        One row per disputed unit and code, in the order of the transcripts (document, position
        of the unit, code), ready for the consensus meeting, with the columns ``document``,
        ``unit``, ``start`` (the unit's first character), ``code_path``, ``coded_by`` and
        ``not_coded_by`` (coders, joined by ``"; "``), ``n_coders`` (coders who coded the
        document) and ``excerpt`` (the unit's text, shortened).

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"document": ["d1", "d1"], "unit": ["t1", "t2"],
    ...                       "start": [0, 40], "end": [40, 80],
    ...                       "text": ["We were never asked.", "They listened to us."]})
    >>> segments = pd.DataFrame({"segment_id": ["s1", "s2", "s3"], "document": "d1",
    ...                          "coder": ["ana", "ben", "ben"], "code": ["x", "x", "y"],
    ...                          "code_path": ["T/x", "T/x", "T/y"], "start": [0, 0, 40],
    ...                          "end": [20, 20, 60], "unit": pd.NA})
    >>> disagreement_table(segments, units=units)[["unit", "code_path", "coded_by",
    ...                                           "not_coded_by", "excerpt"]]
      unit code_path coded_by not_coded_by               excerpt
    0   t2       T/y      ben          ana  They listened to us.
    """
    check_units(units)
    check_int(max_chars, "max_chars", minimum=10)
    table = coding_table(segments, units=units, code=code, level=level)
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (
            "document", "unit", "start", "code_path", "coded_by", "not_coded_by", "n_coders",
            "excerpt")})
    keys = ["document", "unit", "code_path"]
    grouped = table.groupby(keys, sort=False, dropna=False)
    n_coders = grouped["present"].size()
    n_yes = grouped["present"].sum()
    disputed = n_coders.index[(n_yes > 0) & (n_yes < n_coders)]
    rows = table.set_index(keys).loc[disputed].reset_index()
    coded_by = _join_coders(rows.loc[rows["present"] == 1], keys).rename("coded_by")
    not_coded = _join_coders(rows.loc[rows["present"] == 0], keys).rename("not_coded_by")
    out = pd.concat([coded_by, not_coded, n_coders.loc[disputed].rename("n_coders")],
                    axis=1).reset_index()
    info = units.assign(unit_str=units["unit"].astype(str))
    info = info[["document", "unit_str", "start"] + (["text"] if "text" in units else [])]
    out = out.assign(unit_str=out["unit"].astype(str)).merge(
        info, on=["document", "unit_str"], how="left")
    text = out["text"] if "text" in out else pd.Series("", index=out.index)
    out["excerpt"] = [excerpt(t, max_chars) for t in text]
    out = out.sort_values(["document", "start", "code_path"], kind="stable")
    return out[["document", "unit", "start", "code_path", "coded_by", "not_coded_by",
                "n_coders", "excerpt"]].reset_index(drop=True)


# --- ratings: the data as an items × coders matrix of category codes --------------------------


@dataclass
class _Ratings:
    """Agreement data as arrays: ``codes[unit, coder, code]`` = category index, -1 if missing."""

    codes: np.ndarray
    categories: np.ndarray
    code_names: list | None
    numeric: bool

    @property
    def n_units(self) -> int:
        return self.codes.shape[0]

    def for_code(self, k: int) -> _Items:
        return _Items(self.codes[:, :, k], None, self.categories, self.numeric)

    def pooled(self) -> _Items:
        n_units, n_coders, n_codes = self.codes.shape
        items = self.codes.transpose(0, 2, 1).reshape(n_units * n_codes, n_coders)
        clusters = None if n_codes == 1 else np.repeat(np.arange(n_units), n_codes)
        return _Items(items, clusters, self.categories, self.numeric)


@dataclass
class _Items:
    """Items × coders category codes; ``clusters[i]`` is the unit item ``i`` belongs to."""

    codes: np.ndarray
    clusters: np.ndarray | None
    categories: np.ndarray
    numeric: bool


def _ratings(data: Any, *, unit: Any, coder: Any, value: Any, code: Any = None,
             categories: Sequence[Any] | None = None, numeric: bool = False,
             nonnegative: bool = False, sort_units: bool = True) -> _Ratings:
    check_frame(data)
    unit_cols = [unit] if isinstance(unit, str) else unit
    if not isinstance(unit_cols, Sequence) or not unit_cols:
        raise ArgumentError(f"unit must be a column name or a list of column names, got {unit!r}",
                            where="unit")
    for column in unit_cols:
        check_column(data, column, "unit")
    check_column(data, coder, "coder")
    check_column(data, value, "value")
    for column in [*unit_cols, coder]:
        if data[column].hasnans:
            raise DataError.from_catalogue("qual.error.missing_key", column=str(column))
    # Units in sorted order make the bootstrap independent of the order of the rows.
    u = _group_codes(data, unit_cols, sort=sort_units)
    c_codes, c_names = _factorize(data[coder])
    if code is not None:
        if data[code].hasnans:
            raise DataError.from_catalogue("qual.error.missing_key", column=str(code))
        k_codes, k_names = _factorize(data[code])
    else:
        k_codes, k_names = np.zeros(len(data), dtype=np.int64), None
    v_codes, cats = _value_codes(data[value], categories, numeric=numeric,
                                 nonnegative=nonnegative)
    n_units, n_coders = int(u.max(initial=-1)) + 1, len(c_names)
    n_codes = 1 if k_names is None else len(k_names)
    flat = (u * n_coders + c_codes) * n_codes + k_codes
    size = n_units * n_coders * n_codes
    if len(flat) and np.bincount(flat, minlength=size).max() > 1:
        dup = pd.Series(flat).duplicated(keep=False).to_numpy()
        first = data.loc[dup].iloc[0]
        shown = {c: first[c] for c in [*unit_cols, coder] + ([code] if code else [])}
        raise DataError.from_catalogue("qual.error.duplicate_rating", row=repr(shown),
                                       unit=repr(list(unit_cols)))
    codes = np.full(size, -1, dtype=np.int64)
    codes[flat] = v_codes
    return _Ratings(codes.reshape(n_units, n_coders, n_codes), cats,
                    None if k_names is None else list(k_names), numeric)


def _matrix_ratings(matrix: np.ndarray) -> _Ratings:
    """Ratings from a coders × units array of numbers (NaN = missing), the layout of
    Krippendorff (2011); used by the benchmark to time the computation without the pivot."""
    values = np.asarray(matrix, dtype=float).T
    present = ~np.isnan(values)
    categories, inverse = np.unique(values[present], return_inverse=True)
    codes = np.full(values.shape, -1, dtype=np.int64)
    codes[present] = inverse
    return _Ratings(codes[:, :, None], categories, None, True)


def _factorize(column: pd.Series, *, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the sorted distinct values (a categorical's order)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        used = column.cat.remove_unused_categories()
        return used.cat.codes.to_numpy(np.int64), used.cat.categories.to_numpy()
    codes, uniques = pd.factorize(column, sort=False)
    uniques = np.asarray(uniques)
    if not sort:
        return codes.astype(np.int64), uniques
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError:  # values of mixed types cannot be sorted: keep their order of appearance
        return codes.astype(np.int64), uniques
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.where(codes >= 0, rank[codes], -1), uniques[order]


def _group_codes(data: pd.DataFrame, columns: list, *, sort: bool) -> np.ndarray:
    if len(columns) == 1:
        return _factorize(data[columns[0]], sort=sort)[0].astype(np.int64)
    try:
        return data.groupby(columns, sort=sort).ngroup().to_numpy(np.int64)
    except TypeError:
        return data.groupby(columns, sort=False).ngroup().to_numpy(np.int64)


def _value_codes(values: pd.Series, categories: Sequence[Any] | None, *, numeric: bool,
                 nonnegative: bool) -> tuple[np.ndarray, np.ndarray]:
    present = values.notna().to_numpy()
    if numeric:
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise ArgumentError(
                f"value must be a numeric column for interval and ratio levels, got dtype "
                f"{values.dtype}", where="value")
        if nonnegative and (values[present] < 0).any():
            raise ArgumentError("value must be ≥ 0 for the ratio level", where="value")
    if categories is not None:
        cats = pd.Index(list(categories))
        if cats.has_duplicates or cats.empty:
            raise ArgumentError(f"categories must list distinct values, got {categories!r}",
                                where="categories")
        codes = np.where(present, cats.get_indexer(values), -1)
        unknown = present & (codes < 0)
        if unknown.any():
            raise ArgumentError(
                f"categories does not list the value {values[unknown].iloc[0]!r} found in data",
                where="categories")
        cat_values = cats.to_numpy()
    else:
        codes, cat_values = _factorize(values)
        cat_values = np.asarray(cat_values)
    if numeric:
        cat_values = np.asarray(cat_values, dtype=float)
    return np.asarray(codes, dtype=np.int64), cat_values


def _pick_coders(data: Any, coder: Any, coders: Sequence[Any] | None) -> Any:
    """The rows of the two ``coders`` (all rows when None)."""
    if coders is None:
        return data
    check_frame(data)
    check_column(data, coder, "coder")
    coders = list(coders) if isinstance(coders, Sequence) and not isinstance(coders, str) else []
    present = set(data[coder].dropna())
    if len(coders) != 2 or coders[0] == coders[1] or not set(coders) <= present:
        raise ArgumentError(
            f"coders must name two different coders of data (coders: "
            f"{', '.join(sorted(map(repr, present)))}), got {coders!r}", where="coders")
    return data.loc[data[coder].isin(coders)]


def _check_two(ratings: _Ratings) -> _Ratings:
    n_coders = ratings.codes.shape[1]
    if n_coders != 2:
        raise ArgumentError(
            f"Cohen's kappa compares two coders; data has {n_coders}: choose two with coders=",
            where="coders")
    return ratings


# --- per-item statistics, summed by cluster, and the estimate as a function of sums -----------


@dataclass
class _Block:
    """Additive per-cluster statistics ``stats`` and the estimator ``estimate(sums)``."""

    measure: str
    stats: np.ndarray
    estimate: Callable[[np.ndarray], np.ndarray]
    n_units: int
    n_coders: int
    se: float = np.nan


def _counts(codes: np.ndarray, n_cat: int) -> np.ndarray:
    n_items = codes.shape[0]
    flat = (np.arange(n_items)[:, None] * n_cat + codes)[codes >= 0]
    return np.bincount(flat, minlength=n_items * n_cat).reshape(n_items, n_cat).astype(float)


def _by_cluster(stats: np.ndarray, items: _Items, n_clusters: int) -> np.ndarray:
    if items.clusters is None:
        return stats
    n = len(items.clusters)
    summer = sp.csr_matrix((np.ones(n), (items.clusters, np.arange(n))), shape=(n_clusters, n))
    summed = summer @ stats
    return summed.toarray() if sp.issparse(summed) else np.asarray(summed)


def _used(items: _Items, ok: np.ndarray) -> tuple[int, int]:
    n_units = int(ok.sum()) if items.clusters is None else len(np.unique(items.clusters[ok]))
    coded = (items.codes >= 0) & ok[:, None]
    return n_units, int(coded.any(axis=0).sum())


def _block(items: _Items, measure: str, *, with_se: bool = True,
           per_unit: bool = True) -> _Block:
    """The statistics of ``measure``: per unit (for the bootstrap) or summed (``per_unit``
    False: only the point estimate is needed)."""
    n_units = items.codes.shape[0] if items.clusters is None else int(items.clusters.max()) + 1
    if measure.startswith("krippendorff_alpha"):
        return _alpha_block(items, measure.rsplit("_", 1)[1], n_units, per_unit=per_unit)
    n_cat = len(items.categories)
    if measure == "percent_agreement":
        counts = _counts(items.codes, n_cat)
        m = counts.sum(1)
        ok = m >= 2
        share = np.where(ok, (counts * (counts - 1)).sum(1) / np.where(ok, m * (m - 1), 1), 0)
        stats = np.column_stack([share, ok])
        return _Block(measure, _by_cluster(stats, items, n_units), _ratio_of_sums,
                      *_used(items, ok))
    if measure == "fleiss_kappa":
        r = items.codes.shape[1]
        ok = np.all(items.codes >= 0, axis=1) if r >= 2 else np.zeros(len(items.codes), bool)
        counts = _counts(items.codes, n_cat) * ok[:, None]
        share = np.where(ok, ((counts ** 2).sum(1) - r) / max(r * (r - 1), 1), 0)
        stats = np.column_stack([share, ok, counts])
        return _Block(measure, _by_cluster(stats, items, n_units), _fleiss, *_used(items, ok))
    return _cohen_block(items, measure, n_units, with_se=with_se)


def _cohen_block(items: _Items, measure: str, n_units: int, *, with_se: bool) -> _Block:
    n_cat = len(items.categories)
    ok = np.all(items.codes >= 0, axis=1)
    cells = items.codes[:, 0] * n_cat + items.codes[:, 1]
    onehot = sp.csr_matrix((ok.astype(float), (np.arange(len(cells)), np.where(ok, cells, 0))),
                           shape=(len(cells), n_cat * n_cat))
    stats = onehot.toarray() if items.clusters is None else _by_cluster(onehot, items, n_units)
    kind = measure.removeprefix("cohen_kappa").lstrip("_") or None
    ranks = np.arange(n_cat, dtype=float)
    if kind is None:
        weights = 1.0 - np.eye(n_cat)
    else:
        weights = np.abs(ranks[:, None] - ranks[None, :]) ** (1 if kind == "linear" else 2)

    def estimate(sums: np.ndarray) -> np.ndarray:
        table = sums.reshape(-1, n_cat, n_cat)
        total = table.sum((1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            p = table / total[:, None, None]
            expected = p.sum(2)[:, :, None] * p.sum(1)[:, None, :]
            return 1 - (weights * p).sum((1, 2)) / (weights * expected).sum((1, 2))

    block = _Block(measure, stats, estimate, *_used(items, ok))
    if with_se and n_cat >= 2 and ok.any():
        block.se = _cohen_se(stats.sum(0).reshape(n_cat, n_cat), kind)
    return block


def _cohen_se(table: np.ndarray, kind: str | None) -> float:
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    expected = np.outer(table.sum(1), table.sum(0))
    if expected.sum() == 0 or np.allclose(np.trace(expected), expected.sum()):
        return np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        result = sm_kappa(table, wt=kind) if kind else sm_kappa(table)
    return float(result.std_kappa)


def _ratio_of_sums(sums: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums[:, 0] / sums[:, 1]


def _fleiss(sums: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        p_bar = sums[:, 0] / sums[:, 1]
        p_cat = sums[:, 2:] / sums[:, 2:].sum(1, keepdims=True)
        p_exp = (p_cat ** 2).sum(1)
        return (p_bar - p_exp) / (1 - p_exp)


def _alpha_block(items: _Items, level: str, n_units: int, *, per_unit: bool) -> _Block:
    n_cat = len(items.categories)
    counts = _counts(items.codes, n_cat)
    m = counts.sum(1)
    ok = m >= 2
    counts[~ok] = 0
    inv = np.where(ok, 1.0 / np.where(ok, m - 1, 1), 0.0)
    if level == "nominal":
        within = (m ** 2 - (counts ** 2).sum(1)) * inv
        stats, estimate = np.column_stack([within, counts]), _alpha_nominal
    elif level == "interval":
        valid = (items.codes >= 0) & ok[:, None]
        x = np.where(valid, items.categories[np.maximum(items.codes, 0)], 0.0)
        if valid.any():  # centring keeps the sums of squares exact
            x = np.where(valid, x - x.sum() / valid.sum(), 0.0)
        s1, s2 = x.sum(1), (x * x).sum(1)
        within = 2 * (m * s2 - s1 ** 2) * inv
        stats, estimate = np.column_stack([within, m * ok, s1, s2]), _alpha_interval
    elif level == "ratio":
        delta = _ratio_delta(items.categories[:, None], items.categories[None, :])
        if n_cat <= 32:
            within = ((counts @ delta) * counts).sum(1) * inv
        else:  # many distinct values: sum over the pairs of coders instead of value pairs
            valid = items.codes >= 0
            code = np.maximum(items.codes, 0)
            pairs = delta[code[:, :, None], code[:, None, :]]
            within = (pairs * (valid[:, :, None] & valid[:, None, :])).sum((1, 2)) * inv
        stats = np.column_stack([within, counts])

        def estimate(sums: np.ndarray) -> np.ndarray:
            n_c = sums[:, 1:]
            expected = ((n_c @ delta) * n_c).sum(1)
            return _alpha(sums[:, 0], n_c.sum(1), expected)
    else:  # ordinal: the metric depends on the margins, so keep the whole coincidence terms
        weighted = counts * (m * inv)[:, None]
        if per_unit:
            pair = np.einsum("uc,uk->uck", counts, counts * inv[:, None]).reshape(-1, n_cat ** 2)
            stats = np.column_stack([weighted, counts, pair])
        else:  # the coincidence terms summed at once, without a units × categories² array
            pair = (counts.T @ (counts * inv[:, None])).reshape(1, -1)
            stats = np.hstack([weighted.sum(0)[None, :], counts.sum(0)[None, :], pair])

        def estimate(sums: np.ndarray) -> np.ndarray:
            weighted, n_c = sums[:, :n_cat], sums[:, n_cat:2 * n_cat]
            pair = sums[:, 2 * n_cat:].reshape(-1, n_cat, n_cat)
            rank = np.cumsum(n_c, 1) - n_c / 2
            within = 2 * (weighted * rank ** 2).sum(1) - 2 * np.einsum(
                "bc,bck,bk->b", rank, pair, rank)
            n = n_c.sum(1)
            expected = 2 * (n * (n_c * rank ** 2).sum(1) - (n_c * rank).sum(1) ** 2)
            return _alpha(within, n, expected)
    if per_unit:
        stats = _by_cluster(stats, items, n_units)
    return _Block(f"krippendorff_alpha_{level}", stats, estimate, *_used(items, ok))


def _ratio_delta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = a + b
    return np.where(total > 0, ((a - b) / np.where(total > 0, total, 1)) ** 2, 0.0)


def _alpha(within: np.ndarray, n: np.ndarray, expected: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, 1 - (n - 1) * within / np.where(expected > 0, expected, 1),
                        np.nan)


def _alpha_nominal(sums: np.ndarray) -> np.ndarray:
    n_c = sums[:, 1:]
    n = n_c.sum(1)
    return _alpha(sums[:, 0], n, n ** 2 - (n_c ** 2).sum(1))


def _alpha_interval(sums: np.ndarray) -> np.ndarray:
    within, n, s1, s2 = sums.T
    return _alpha(within, n, 2 * (n * s2 - s1 ** 2))


# --- the bootstrap ----------------------------------------------------------------------------


def _run(blocks: list[_Block], n_units: int, *, n_boot: int, confidence: float,
         seed: Any, method: str | None = None) -> list[list]:
    """Point estimates and intervals of every block, from shared resamples of the units.

    ``method`` (``"bca"`` or ``"percentile"``) overrides the choice by number of units.
    """
    generator = rng(seed)
    points = [b.estimate(b.stats.sum(0)[None, :])[0] for b in blocks]
    replicates: list[list[np.ndarray]] = [[] for _ in blocks]
    if n_boot > 0 and n_units >= 2 and blocks:
        stats = np.hstack([b.stats for b in blocks])
        edges = np.cumsum([0] + [b.stats.shape[1] for b in blocks])
        # every unit once: each resample is n_units draws of units, counted
        for counts in multinomial_counts(np.ones(n_units, dtype=np.int64), n_boot, generator):
            sums = counts.T @ stats
            for i, block in enumerate(blocks):
                replicates[i].append(block.estimate(sums[:, edges[i]:edges[i + 1]]))
    rows = []
    for block, point, reps in zip(blocks, points, replicates, strict=True):
        low, high = _interval(block, point, reps, confidence, method)
        rows.append([block.measure, float(point), block.se, low, high,
                     block.n_units, block.n_coders, _reading(block.measure, point)])
    return rows


def _interval(block: _Block, point: float, replicates: list[np.ndarray], confidence: float,
              method: str | None) -> tuple[float, float]:
    if not replicates or not np.isfinite(point):
        return np.nan, np.nan
    values = np.concatenate(replicates)
    method = method or ("bca" if block.n_units < BCA_BELOW_UNITS else "percentile")
    if method == "percentile":
        low, high, _ = percentile_interval(values, confidence)
    else:
        # the jackknife over the units that entered the measure (a unit left out of it has
        # no statistics)
        entered = block.stats[np.any(block.stats != 0, axis=1)]
        jackknife = block.estimate(entered.sum(0)[None, :] - entered)
        low, high, _ = bca_interval(values, point, jackknife, confidence)
    return low, high


def _single(ratings: _Ratings, measure: str, *, n_boot: int, confidence: float,
            seed: Any) -> pd.DataFrame:
    n_boot, confidence = _check_boot(n_boot, confidence)
    block = _block(ratings.pooled(), measure, per_unit=n_boot > 0)
    rows = _run([block], ratings.n_units, n_boot=n_boot, confidence=confidence, seed=seed)
    return _result_frame(rows)


def _result_frame(rows: list[list]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(_RESULT_COLUMNS)
    dtypes = ["str", float, float, float, float, np.int64, np.int64, "str"]
    return pd.DataFrame({
        name: pd.array(np.array(values, dtype=object), dtype="str") if dtype == "str"
        else np.array(values, dtype=dtype)
        for name, values, dtype in zip(_RESULT_COLUMNS, columns, dtypes, strict=True)})


def _check_boot(n_boot: Any, confidence: Any) -> tuple[int, float]:
    return check_int(n_boot, "n_boot", minimum=0), check_probability(confidence, "confidence")


def _check_measures(measures: Any, ratings: _Ratings, level: str) -> list[str]:
    n_coders = ratings.codes.shape[1]
    if measures is None:
        return ["percent_agreement", "cohen_kappa" if n_coders == 2 else "fleiss_kappa",
                "krippendorff_alpha_" + level]
    measures = [measures] if isinstance(measures, str) else list(measures)
    if not measures:
        raise ArgumentError("measures must list at least one measure", where="measures")
    out = []
    for measure in measures:
        check_choice(measure, MEASURES, "measures")
        if measure.startswith("cohen") and n_coders != 2:
            raise ArgumentError(
                f"measures: {measure} compares two coders; data has {n_coders}", where="measures")
        out.append("krippendorff_alpha_" + level if measure == "krippendorff_alpha" else measure)
    return out


def _reading(measure: str, estimate: float) -> Any:
    """Catalogue key of the conventional reading of a value (or NA)."""
    if not np.isfinite(estimate) or measure == "percent_agreement":
        return pd.NA
    if measure.startswith("krippendorff"):
        # Krippendorff (2004, p. 241): rely on alpha >= .800, tentative conclusions from .667.
        key = "reliable" if estimate >= 0.8 else "tentative" if estimate >= 0.667 else \
            "unreliable"
        return f"qual.reading.alpha_{key}"
    bounds = [(0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"),
              (0.8, "substantial")]
    key = next((name for bound, name in bounds if estimate < bound or (
        bound > 0 and estimate <= bound)), "almost_perfect")
    return f"qual.reading.kappa_{key}"


# --- helpers of coding_table and disagreement_table ----------------------------------------


def _coded_units(segments: pd.DataFrame, units: pd.DataFrame, codes: list | None,
                 level: str) -> pd.DataFrame:
    data = segments.assign(code_path=at_level(segments["code_path"], level))
    if codes is not None:
        known = set(data["code_path"]) | (set(data["code"]) if "code" in data and
                                          level == "code" else set())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise ArgumentError(f"code names codes that segments do not have: {unknown!r}",
                                where="code")
        match = data["code_path"].isin(codes)
        if "code" in data and level == "code":
            match |= data["code"].isin(codes)
        data = data.loc[match]
    keyed = unit_keys(data.loc[:, ["document", "coder", "code_path", "start", "end"]
                               + (["unit"] if "unit" in data else [])], units)
    known_units = pd.MultiIndex.from_arrays([units["document"], units["unit"].astype(str)])
    found = pd.MultiIndex.from_arrays([keyed["document"], keyed["unit_key"]]).isin(known_units)
    if not found.all():
        bad = keyed.loc[~found].iloc[0]
        raise DataError.from_catalogue("qual.error.unknown_unit", document=str(bad["document"]),
                                       unit=str(bad["unit_key"]))
    keyed = keyed.rename(columns={"unit_key": "unit_str"})
    return keyed[["document", "unit_str", "coder", "code_path"]].drop_duplicates()


def _unit_grid(units: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    docs = pd.unique(units["document"])
    grid = units[["document", "unit", "start"]].assign(
        unit_str=units["unit"].astype(str),
        doc_order=pd.Index(docs).get_indexer(units["document"]),
        unit_start=units["start"], unit_order=np.arange(len(units)))
    return grid.merge(coverage, on="document", how="inner")


def _single_layout(grid: pd.DataFrame, coded: pd.DataFrame) -> pd.DataFrame:
    per = coded.groupby(["document", "unit_str", "coder"], sort=False)["code_path"]
    several = per.nunique()
    if (several > 1).any():
        doc, unit, who = several.index[several.to_numpy() > 1][0]
        applied = sorted(coded.loc[(coded["document"] == doc) & (coded["unit_str"] == unit)
                                   & (coded["coder"] == who), "code_path"], key=str)
        raise DataError.from_catalogue("qual.error.several_codes", document=str(doc),
                                       unit=str(unit), coder=str(who), codes=", ".join(applied))
    one = per.first().rename("code_path").reset_index()
    out = grid.merge(one, on=["document", "unit_str", "coder"], how="left")
    out["code_path"] = out["code_path"].astype(object).where(out["code_path"].notna(), NO_CODE)
    out = out.sort_values(["doc_order", "unit_start", "unit_order", "coder"], kind="stable")
    return out[["document", "unit", "coder", "code_path"]].reset_index(drop=True)


def _join_coders(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    return rows.groupby(keys, sort=False)["coder"].agg(
        lambda s: "; ".join(sorted(map(str, s))))
