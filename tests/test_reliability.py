"""Reliability: values checked against R (psych 2.2.9), recovery of known population values,
and the behaviour promised to callers (unchanged input, clear errors).

The reference values come from tests/reference/reliability.R (run it with Rscript from the
repository root); its output, tests/reference/reliability.json, is what these tests read.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit import ArgumentError, DataError
from evalkit.analyse._polychoric import bvn_cdf, one_factor_uls
from evalkit.analyse.reliability import (
    cronbach_alpha,
    item_analysis,
    mcdonald_omega,
    ordinal_alpha,
    polychoric_correlation,
    polychoric_matrix,
    polychoric_thresholds,
)

REFERENCE = Path(__file__).parent / "reference"
ITEMS = ["q1", "q2", "q3", "q4", "q5", "q6"]

# Tolerances. Alpha and item statistics are closed-form moments: R and evalkit agree to rounding
# (1e-10). Polychoric ML: both sides maximise the same likelihood; R's bivariate normal
# (mnormt::sadmvn) has absolute error ~1e-6, so the tight R optimum is known to ~1e-6, and
# psych::polychoric's own optimize() stops at its default tolerance (~1.2e-4), hence 2e-4 for it.
# The minres factor: psych's optimiser stops early (loadings to ~1e-5); the same criterion
# minimised tightly in R agrees to 1e-8.
EXACT = 1e-10
POLY_TIGHT = 1e-6
POLY_PSYCH = 2e-4


@pytest.fixture(scope="module")
def ref():
    return json.loads((REFERENCE / "reliability.json").read_text())


@pytest.fixture(scope="module")
def items_complete():
    return pd.read_csv(REFERENCE / "reliability_items.csv")


@pytest.fixture(scope="module")
def items_missing():
    return pd.read_csv(REFERENCE / "reliability_items_missing.csv")


def likert(n=300, k=5, seed=1, noise=1.0):
    gen = np.random.default_rng(seed)
    latent = gen.normal(size=n)
    return pd.DataFrame({f"q{i}": np.clip(np.round(3 + latent + noise * gen.normal(size=n)), 1, 5)
                         for i in range(1, k + 1)})


# --------------------------------------------------------------------------------------------
# Against R


@pytest.mark.r_reference
def test_cronbach_alpha_and_feldt_interval_match_psych(ref, items_complete):
    # R: a <- psych::alpha(x); a$total$raw_alpha; a$feldt
    res = cronbach_alpha(items_complete, items=ITEMS, ci="feldt")
    row = res.iloc[0]
    assert row["estimate"] == pytest.approx(ref["alpha"]["raw_alpha"], abs=EXACT)
    assert row["ci_low"] == pytest.approx(ref["alpha"]["feldt_lower"], abs=EXACT)
    assert row["ci_high"] == pytest.approx(ref["alpha"]["feldt_upper"], abs=EXACT)
    assert (row["n"], row["k"], row["missing"]) == (500, 6, "listwise")
    # R: psych::alpha.ci(alpha, 500, 6, p.val = 0.10)
    row90 = cronbach_alpha(items_complete, items=ITEMS, ci="feldt", confidence=0.90).iloc[0]
    assert row90["ci_low"] == pytest.approx(ref["alpha"]["feldt90_lower"], abs=EXACT)
    assert row90["ci_high"] == pytest.approx(ref["alpha"]["feldt90_upper"], abs=EXACT)


@pytest.mark.r_reference
def test_item_analysis_matches_psych(ref, items_complete):
    # R: a$item.stats (mean, sd, raw.r, r.drop) and a$alpha.drop (raw_alpha, std.alpha)
    res = item_analysis(items_complete, items=ITEMS)
    assert res["item"].tolist() == ITEMS
    assert (res["n"] == 500).all()
    pairs = {"mean": "item_mean", "sd": "item_sd", "item_total_r": "item_total_r",
             "item_rest_r": "item_rest_r", "alpha_if_dropped": "alpha_if_dropped",
             "std_alpha_if_dropped": "std_alpha_if_dropped"}
    for column, key in pairs.items():
        np.testing.assert_allclose(res[column], ref["alpha"][key], atol=EXACT, err_msg=column)


@pytest.mark.r_reference
def test_alpha_with_missing_answers_listwise_and_pairwise(ref, items_missing):
    listwise = cronbach_alpha(items_missing, items=ITEMS, ci=None).iloc[0]
    assert listwise["estimate"] == pytest.approx(ref["alpha_missing"]["listwise_raw_alpha"],
                                                 abs=EXACT)
    assert listwise["n"] == ref["alpha_missing"]["n_listwise"]
    assert listwise["ci_method"] == "none" and np.isnan(listwise["ci_low"])
    # R: psych::alpha(xm, use = "pairwise")
    pairwise = cronbach_alpha(items_missing, items=ITEMS, ci=None, missing="pairwise").iloc[0]
    assert pairwise["estimate"] == pytest.approx(ref["alpha_missing"]["pairwise_raw_alpha"],
                                                 abs=EXACT)
    assert pairwise["missing"] == "pairwise"
    observed = items_missing[ITEMS].notna().to_numpy().astype(int)
    assert pairwise["n"] == (observed.T @ observed).min()
    drop = item_analysis(items_missing, items=ITEMS, missing="pairwise")
    np.testing.assert_allclose(drop["alpha_if_dropped"],
                               ref["alpha_missing"]["pairwise_alpha_if_dropped"], atol=EXACT)
    np.testing.assert_allclose(drop["std_alpha_if_dropped"],
                               ref["alpha_missing"]["pairwise_std_alpha_if_dropped"], atol=EXACT)
    assert drop["n"].tolist() == items_missing[ITEMS].notna().sum().tolist()


@pytest.mark.r_reference
@pytest.mark.parametrize(("fixture", "key", "missing"), [
    ("items_complete", "polychoric", "listwise"),
    ("items_missing", "polychoric_missing", "pairwise"),
])
def test_polychoric_matrix_matches_psych(request, ref, fixture, key, missing):
    data = request.getfixturevalue(fixture)
    pairs = polychoric_correlation(data, items=ITEMS, missing=missing)
    assert len(pairs) == 15
    assert (pairs["status"] == "estimated").all()
    matrix = polychoric_matrix(pairs)
    assert matrix.index.tolist() == ITEMS
    np.testing.assert_allclose(matrix, ref[key]["rho_tight"], atol=POLY_TIGHT)
    np.testing.assert_allclose(matrix, ref[key]["rho"], atol=POLY_PSYCH)
    if missing == "pairwise":
        both = data[ITEMS].notna()
        assert pairs["n"].tolist() == [int((both[a] & both[b]).sum())
                                       for a, b in zip(pairs["item_1"], pairs["item_2"],
                                                       strict=True)]


@pytest.mark.r_reference
def test_thresholds_match_psych_including_an_empty_category(ref, items_complete):
    res = polychoric_thresholds(items_complete, items=ITEMS)
    tau = res.pivot(index="item", columns="category", values="threshold").loc[ITEMS]
    expected = np.array([[np.nan if v is None else v for v in row]
                         for row in ref["polychoric"]["tau"]])
    # psych writes -Inf for q6's empty category 1; JSON stores it as null.
    assert tau.loc["q6", 1] == -np.inf
    assert res.loc[(res["item"] == "q6") & (res["category"] == 1), "n"].item() == 0
    np.testing.assert_allclose(tau.to_numpy()[~np.isnan(expected)],
                               expected[~np.isnan(expected)], atol=EXACT)


@pytest.mark.r_reference
def test_ordinal_alpha_matches_alpha_of_the_polychoric_matrix(ref, items_complete):
    # R: psych::alpha(polychoric(x)$rho)$total$raw_alpha
    row = ordinal_alpha(items_complete, items=ITEMS, ci=None).iloc[0]
    assert row["measure"] == "ordinal_alpha"
    assert row["estimate"] == pytest.approx(ref["ordinal_alpha"]["tight"], abs=POLY_TIGHT)
    assert row["estimate"] == pytest.approx(ref["ordinal_alpha"]["psych"], abs=POLY_PSYCH)


@pytest.mark.r_reference
def test_omega_total_matches_psych_omega(ref, items_complete):
    # R: psych::omega(x, nfactors = 1)$omega.tot (fm = "minres"), and the same criterion
    # minimised tightly with optim().
    row = mcdonald_omega(items_complete, items=ITEMS, ci=None).iloc[0]
    assert row["measure"] == "omega_total"
    assert row["estimate"] == pytest.approx(ref["omega"]["tight_omega_tot"], abs=1e-8)
    assert row["estimate"] == pytest.approx(ref["omega"]["psych_omega_tot"], abs=1e-6)
    loadings, converged = one_factor_uls(np.corrcoef(items_complete[ITEMS].T)[None])
    assert converged.all()
    np.testing.assert_allclose(loadings[0], ref["omega"]["tight_loadings"], atol=1e-8)
    np.testing.assert_allclose(loadings[0], ref["omega"]["psych_minres_loadings"], atol=1e-5)


@pytest.mark.r_reference
def test_ordinal_omega_matches_psych_omega_on_polychoric(ref, items_complete):
    # R: psych::omega(x, nfactors = 1, poly = TRUE)$omega.tot
    row = mcdonald_omega(items_complete, items=ITEMS, correlation="polychoric", ci=None).iloc[0]
    assert row["measure"] == "ordinal_omega_total"
    assert row["estimate"] == pytest.approx(ref["omega_polychoric"]["tight_omega_tot_tight_rho"],
                                            abs=POLY_TIGHT)
    assert row["estimate"] == pytest.approx(ref["omega_polychoric"]["psych_omega_tot"],
                                            abs=POLY_PSYCH)


def test_minres_factor_agrees_with_statsmodels_iterated_principal_axes(items_complete):
    # Iterated principal-axis factoring converges to the same least-squares solution.
    from statsmodels.multivariate.factor import Factor

    corr = np.corrcoef(items_complete[ITEMS].T)
    fitted = Factor(corr=corr, n_factor=1, method="pa").fit(maxiter=5000, tol=1e-12)
    loadings, _ = one_factor_uls(corr[None])
    np.testing.assert_allclose(loadings[0], np.abs(fitted.loadings[:, 0]), atol=1e-8)


def test_bivariate_normal_cdf_matches_scipy():
    cases = [(h, k, r) for r in (-0.99, -0.6, 0.0, 0.35, 0.8, 0.999)
             for h in (-2.5, -0.4, 0.0, 1.3) for k in (-1.1, 0.0, 0.6, 2.2)]
    h, k, r = map(np.array, zip(*cases, strict=True))
    got = bvn_cdf(h, k, r)
    expected = [stats.multivariate_normal([0, 0], [[1, c], [c, 1]], abseps=1e-12,
                                          releps=1e-12).cdf([a, b]) for a, b, c in cases]
    np.testing.assert_allclose(got, expected, atol=1e-9)


# --------------------------------------------------------------------------------------------
# Recovery of known population values


def parallel_items(n, k, error_var, gen):
    """Parallel items: X_i = T + E_i, var(T) = 1, var(E_i) = error_var."""
    true = gen.normal(size=(n, 1))
    return pd.DataFrame(true + np.sqrt(error_var) * gen.normal(size=(n, k)),
                        columns=[f"x{i}" for i in range(k)])


def test_alpha_intervals_cover_the_population_alpha():
    # Parallel items: population alpha = k rho / (1 + (k - 1) rho), rho = 1 / (1 + error_var).
    k, error_var, reps = 5, 1.5, 150
    rho = 1 / (1 + error_var)
    population = k * rho / (1 + (k - 1) * rho)
    gen = np.random.default_rng(2026)
    covered = {"feldt": 0, "bootstrap": 0}
    for _ in range(reps):
        data = parallel_items(150, k, error_var, gen)
        res = cronbach_alpha(data, items=list(data.columns), n_boot=300, seed=gen)
        for row in res.itertuples():
            covered[row.ci_method] += row.ci_low <= population <= row.ci_high
    # Nominal 95%: with 150 replications, 3 standard errors is about ±5.3 points (the
    # percentile bootstrap is known to run slightly below nominal at n = 150).
    assert 0.89 <= covered["feldt"] / reps <= 0.995
    assert 0.88 <= covered["bootstrap"] / reps <= 0.995


def test_omega_interval_covers_the_population_omega():
    # Congeneric items (different loadings): omega = (Σλ)² / ((Σλ)² + Σθ).
    loadings = np.array([0.8, 0.7, 0.6, 0.5])
    theta = 1 - loadings**2
    population = loadings.sum() ** 2 / (loadings.sum() ** 2 + theta.sum())
    gen = np.random.default_rng(7)
    reps, covered = 120, 0
    for _ in range(reps):
        n = 300
        x = gen.normal(size=(n, 1)) * loadings + gen.normal(size=(n, 4)) * np.sqrt(theta)
        data = pd.DataFrame(x, columns=list("abcd"))
        row = mcdonald_omega(data, items=list("abcd"), n_boot=250, seed=gen).iloc[0]
        covered += row["ci_low"] <= population <= row["ci_high"]
    assert 0.87 <= covered / reps <= 0.995


def test_ordinal_alpha_recovers_the_latent_alpha_and_cronbach_alpha_does_not():
    # Five parallel latent items cut into skewed 4-point answers: ordinal alpha estimates the
    # alpha of the latent responses; Cronbach's alpha of the answers is biased down.
    gen = np.random.default_rng(11)
    n, k, rho = 20_000, 5, 0.5
    latent = np.sqrt(rho) * gen.normal(size=(n, 1)) + np.sqrt(1 - rho) * gen.normal(size=(n, k))
    answers = pd.DataFrame(np.digitize(latent, [0.3, 1.0, 1.6]) + 1.0,
                           columns=[f"q{i}" for i in range(k)])
    population = k * rho / (1 + (k - 1) * rho)
    items = list(answers.columns)
    ordinal = ordinal_alpha(answers, items=items, ci=None)["estimate"].item()
    raw = cronbach_alpha(answers, items=items, ci=None)["estimate"].item()
    assert ordinal == pytest.approx(population, abs=0.01)
    assert raw < population - 0.05


def test_bootstrap_of_patterns_agrees_with_resampling_rows():
    # The pattern-count bootstrap is a reorganisation of the ordinary row bootstrap: their
    # percentile intervals agree up to Monte Carlo error.
    data = likert(n=200, k=4, seed=3)
    items = list(data.columns)
    ours = cronbach_alpha(data, items=items, ci="bootstrap", n_boot=4000, seed=5).iloc[0]
    x = data.to_numpy()
    gen = np.random.default_rng(6)
    alphas = []
    for _ in range(4000):
        c = np.cov(x[gen.integers(0, len(x), len(x))].T)
        alphas.append(4 / 3 * (1 - np.trace(c) / c.sum()))
    low, high = np.quantile(alphas, [0.025, 0.975])
    assert ours["ci_low"] == pytest.approx(low, abs=0.01)
    assert ours["ci_high"] == pytest.approx(high, abs=0.01)


def test_bootstrap_is_reproducible_with_a_seed():
    data = likert()
    items = list(data.columns)
    a = ordinal_alpha(data, items=items, n_boot=100, seed=42)
    b = ordinal_alpha(data, items=items, n_boot=100, seed=42)
    c = ordinal_alpha(data, items=items, n_boot=100, seed=43)
    pd.testing.assert_frame_equal(a, b)
    assert a["ci_low"].item() != c["ci_low"].item()


# --------------------------------------------------------------------------------------------
# Polychoric edge cases


def test_identical_and_reversed_items_are_boundary_correlations():
    data = likert(n=200, k=2)
    data["copy"] = data["q1"]
    data["reversed"] = 6 - data["q1"]
    pairs = polychoric_correlation(data, items=["q1", "q2", "copy", "reversed"])
    by_pair = pairs.set_index(["item_1", "item_2"])
    assert by_pair.loc[("q1", "copy"), "rho"] == 1.0
    assert by_pair.loc[("q1", "copy"), "status"] == "boundary"
    assert by_pair.loc[("q1", "reversed"), "rho"] == -1.0
    assert by_pair.loc[("q1", "reversed"), "status"] == "boundary"
    assert by_pair.loc[("q1", "q2"), "status"] == "estimated"
    assert -1 < by_pair.loc[("q1", "q2"), "rho"] < 1


def test_constant_item_cannot_be_estimated():
    data = likert(n=100, k=3)
    data["flat"] = 3.0
    pairs = polychoric_correlation(data, items=["q1", "q2", "flat"])
    flat = pairs[pairs["item_2"] == "flat"]
    assert flat["rho"].isna().all() and (flat["status"] == "not_estimable").all()
    assert np.isnan(polychoric_matrix(pairs).loc["q1", "flat"])
    with pytest.raises(DataError, match="q1–flat"):
        ordinal_alpha(data, items=["q1", "q2", "flat"], ci=None)


def test_items_on_different_value_sets_line_up():
    # q2 never uses 1: its lowest threshold is -inf and rho is still estimated.
    data = likert(n=400, k=2, seed=9)
    data.loc[data["q2"] == 1, "q2"] = 2
    pairs = polychoric_correlation(data, items=["q1", "q2"])
    assert pairs["status"].item() == "estimated"
    thresholds = polychoric_thresholds(data, items=["q1", "q2"])
    assert thresholds.query("item == 'q2' and category == 1")["threshold"].item() == -np.inf


def test_heywood_case_warns():
    # r12 = r13 = .8, r23 = .45: one factor needs loading² = .64 / .45 > 1 on item 1.
    corr = np.array([[1, 0.8, 0.8], [0.8, 1, 0.45], [0.8, 0.45, 1]])
    gen = np.random.default_rng(0)
    x = gen.multivariate_normal(np.zeros(3), corr, size=5000)
    data = pd.DataFrame(x, columns=["a", "b", "c"])
    with pytest.warns(RuntimeWarning, match="Heywood case: item 'a'"):
        mcdonald_omega(data, items=["a", "b", "c"], ci=None)


# --------------------------------------------------------------------------------------------
# Contracts: unchanged input, clear errors


@pytest.mark.parametrize("func", [cronbach_alpha, item_analysis, polychoric_correlation,
                                  polychoric_thresholds, ordinal_alpha, mcdonald_omega])
def test_callers_frame_is_unchanged(func, items_missing):
    data = items_missing.copy()
    data.index = data.index * 3 + 7
    before = data.copy(deep=True)
    kwargs = {"n_boot": 100, "seed": 1} if func in (cronbach_alpha, ordinal_alpha,
                                                   mcdonald_omega) else {}
    func(data, items=ITEMS, **kwargs)
    pd.testing.assert_frame_equal(data, before)


def test_polychoric_matrix_leaves_its_input_unchanged(items_complete):
    pairs = polychoric_correlation(items_complete, items=ITEMS)
    before = pairs.copy(deep=True)
    polychoric_matrix(pairs)
    pd.testing.assert_frame_equal(pairs, before)


ALL = [cronbach_alpha, item_analysis, polychoric_correlation, polychoric_thresholds,
       ordinal_alpha, mcdonald_omega]


@pytest.mark.parametrize("func", ALL)
def test_items_must_be_columns_of_data(func):
    with pytest.raises(ArgumentError, match="items names columns that data does not have: 'nope'"):
        func(likert(), items=["q1", "nope"])


@pytest.mark.parametrize("func", ALL)
def test_at_least_two_items(func):
    with pytest.raises(ArgumentError, match="items must list at least 2"):
        func(likert(), items=["q1"])


@pytest.mark.parametrize("func", ALL)
def test_items_must_be_numeric(func):
    data = likert()
    data["text"] = "agree"
    with pytest.raises(ArgumentError, match="column 'text' is not numeric"):
        func(data, items=["q1", "text"])


@pytest.mark.parametrize("func", ALL)
def test_data_must_be_a_dataframe(func):
    with pytest.raises(ArgumentError, match="data must be a pandas DataFrame"):
        func(likert().to_numpy(), items=["q1", "q2"])


@pytest.mark.parametrize("func", ALL)
def test_missing_policy_is_checked(func):
    with pytest.raises(ArgumentError, match="missing must be one of 'listwise', 'pairwise'"):
        func(likert(), items=["q1", "q2"], missing="mean")


@pytest.mark.parametrize("func", [cronbach_alpha, ordinal_alpha, mcdonald_omega])
@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, "0.9", True])
def test_confidence_must_be_inside_0_1(func, confidence):
    with pytest.raises(ArgumentError, match="confidence must be a number strictly between 0 and 1"):
        func(likert(), items=["q1", "q2"], confidence=confidence)


@pytest.mark.parametrize("func", [cronbach_alpha, ordinal_alpha, mcdonald_omega])
def test_n_boot_and_seed_are_checked(func):
    with pytest.raises(ArgumentError, match="n_boot must be an integer ≥ 100, got 10"):
        func(likert(), items=["q1", "q2"], n_boot=10)
    with pytest.raises(ArgumentError, match="seed must be a non-negative integer"):
        func(likert(), items=["q1", "q2"], seed=-1)


def test_ci_methods_are_checked():
    with pytest.raises(ArgumentError, match="ci must be one of 'feldt', 'bootstrap', got 'bca'"):
        cronbach_alpha(likert(), items=["q1", "q2"], ci="bca")
    with pytest.raises(ArgumentError, match="ci must be one of 'bootstrap', got 'feldt'"):
        ordinal_alpha(likert(), items=["q1", "q2"], ci="feldt")
    with pytest.raises(ArgumentError, match="ci must be one of"):
        cronbach_alpha(likert(), items=["q1", "q2"], ci=3)


def test_correlation_is_checked():
    with pytest.raises(ArgumentError, match="correlation must be one of 'pearson', 'polychoric'"):
        mcdonald_omega(likert(), items=["q1", "q2"], correlation="spearman")


@pytest.mark.parametrize("func", [polychoric_correlation, polychoric_thresholds, ordinal_alpha])
def test_polychoric_needs_whole_numbers_and_few_categories(func):
    data = likert()
    data.loc[3, "q2"] = 2.5
    with pytest.raises(ArgumentError, match="whole-number answers.*'q2' has 2.5"):
        func(data, items=["q1", "q2"])
    wide = pd.DataFrame({"a": np.arange(40) % 11, "b": np.arange(40) % 7})
    with pytest.raises(ArgumentError, match="at most 10 answer values, the items take 11"):
        func(wide, items=["a", "b"])


def test_too_few_complete_respondents_is_a_data_error():
    data = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [np.nan, 2.0, np.nan]})
    with pytest.raises(DataError, match="fewer than 2 respondents left .* listwise deletion"):
        cronbach_alpha(data, items=["a", "b"])


def test_infinite_answers_are_a_data_error():
    data = likert()
    data.loc[5, "q3"] = np.inf
    with pytest.raises(DataError, match="column 'q3', row 5: infinite value"):
        cronbach_alpha(data, items=["q1", "q3"])


def test_polychoric_matrix_wants_a_pairs_frame():
    with pytest.raises(ArgumentError, match="pairs names columns that data does not have"):
        polychoric_matrix(pd.DataFrame({"a": [1]}))


def test_results_are_tidy_and_typed():
    res = cronbach_alpha(likert(), items=["q1", "q2", "q3"], n_boot=100, seed=1)
    assert res.columns.tolist() == ["measure", "estimate", "ci_method", "ci_low", "ci_high",
                                    "confidence", "n", "k", "missing", "n_boot"]
    assert res["n_boot"].tolist() == [0, 100]
    assert res["n"].dtype == np.int64 and res["estimate"].dtype == np.float64
    assert (res["ci_low"] < res["estimate"]).all() and (res["estimate"] < res["ci_high"]).all()


def test_nullable_integer_columns_are_accepted():
    data = likert().astype("Int64")
    data.loc[0, "q1"] = pd.NA
    res = cronbach_alpha(data, items=["q1", "q2", "q3"], ci=None)
    assert res["n"].item() == 299
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        polychoric_correlation(data, items=["q1", "q2"])


def test_heywood_warning_points_at_the_callers_line():
    corr = np.array([[1, 0.8, 0.8], [0.8, 1, 0.45], [0.8, 0.45, 1]])
    x = np.random.default_rng(0).multivariate_normal(np.zeros(3), corr, size=5000)
    data = pd.DataFrame(np.round(np.clip(x * 1.2 + 3, 1, 5)), columns=["a", "b", "c"])
    for correlation in ("pearson", "polychoric"):
        with pytest.warns(RuntimeWarning, match="Heywood") as record:
            mcdonald_omega(data, items=["a", "b", "c"], correlation=correlation, ci=None)
        assert record[0].filename == __file__


def test_items_that_do_not_vary_are_data_errors():
    flat = pd.DataFrame({"a": [3.0] * 20, "b": [2.0] * 20})
    with pytest.raises(DataError, match="alpha is undefined: the total of the items does not vary"):
        cronbach_alpha(flat, items=["a", "b"])
    data = likert(n=50, k=2)
    data["flat"] = 4.0
    with pytest.raises(DataError, match="'flat' takes a single value"):
        mcdonald_omega(data, items=["q1", "q2", "flat"])
    stats_ = item_analysis(data, items=["q1", "q2", "flat"]).set_index("item")
    assert stats_.loc["flat", "sd"] == 0 and np.isnan(stats_.loc["flat", "item_rest_r"])
