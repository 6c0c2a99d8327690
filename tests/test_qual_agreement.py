"""Inter-coder agreement: values from published examples, R and test-only reference packages."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff  # GPL: test-time reference only
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from evalkit import ArgumentError, DataError
from evalkit.analyse.qual.agreement import (
    NO_CODE,
    agreement_table,
    coding_table,
    cohen_kappa,
    disagreement_table,
    fleiss_kappa,
    krippendorff_alpha,
    percent_agreement,
)
from evalkit.i18n import has_key

REFERENCE = Path(__file__).parent / "reference"
NAN = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: 4 observers
# (rows) x 12 units (columns) with missing values. Published: nominal .743, ordinal .815,
# interval .849, ratio .797.
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])

# Fleiss (1971), table 1: 30 patients, 6 psychiatrists each, 5 diagnoses (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other); published kappa .430. The same
# data are `diagnoses` in R's irr package and in statsmodels' tests.
FLEISS_1971 = np.array([
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
])

# Wikipedia's worked example of Fleiss' kappa (10 subjects, 14 raters, counts per category),
# also in statsmodels' tests: kappa 0.210 (0.2099).
FLEISS_WIKIPEDIA = np.array([
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
])

# SAS example used in statsmodels' tests: coder 1 in rows, coder 2 in columns. SAS reports
# kappa 0.4842 (ASE 0.1380) and, with Cicchetti-Allison (linear) weights, 0.4701 (ASE 0.1457).
SAS_TABLE = np.array([[0, 4, 1], [0, 8, 0], [0, 1, 5]])


def long_from_matrix(matrix: np.ndarray) -> pd.DataFrame:
    """Coders in rows, units in columns (Krippendorff's layout) -> unit, coder, value."""
    n_coders, n_units = matrix.shape
    return pd.DataFrame({
        "unit": np.tile(np.char.add("u", np.arange(n_units).astype(str)), n_coders),
        "coder": np.repeat(np.char.add("c", np.arange(n_coders).astype(str)), n_units),
        "value": np.asarray(matrix).ravel(),
    })


def long_from_table(table: np.ndarray) -> pd.DataFrame:
    """A coder-1 x coder-2 contingency table -> one row per unit and coder."""
    rows = []
    unit = 0
    for i, j in np.ndindex(table.shape):
        for _ in range(int(table[i, j])):
            rows += [(unit, "a", i + 1), (unit, "b", j + 1)]
            unit += 1
    return pd.DataFrame(rows, columns=["unit", "coder", "value"])


def long_from_counts(counts: np.ndarray) -> pd.DataFrame:
    """Subjects x categories counts (Fleiss' layout) -> one row per subject and rater."""
    rows = [(s, r, c) for s, row in enumerate(counts)
            for r, c in enumerate(np.repeat(np.arange(len(row)), row))]
    return pd.DataFrame(rows, columns=["unit", "coder", "value"])


def estimate(result: pd.DataFrame) -> float:
    return float(result["estimate"].iloc[0])


# --- published values -----------------------------------------------------------------------


@pytest.mark.parametrize(("level", "published"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_alpha_reproduces_krippendorff_2011(level, published):
    data = long_from_matrix(KRIPPENDORFF_2011)
    result = krippendorff_alpha(data, level=level, n_boot=0)
    assert round(estimate(result), 3) == published
    assert result["n_units"].iloc[0] == 11  # unit 12 has a single value: not pairable
    assert result["n_coders"].iloc[0] == 4
    reference = krippendorff.alpha(KRIPPENDORFF_2011, level_of_measurement=level)
    assert estimate(result) == pytest.approx(reference, abs=1e-12)


def test_cohen_kappa_reproduces_sas():
    data = long_from_table(SAS_TABLE)
    plain = cohen_kappa(data, n_boot=0)
    linear = cohen_kappa(data, weights="linear", n_boot=0)
    assert estimate(plain) == pytest.approx(0.4842, abs=5e-5)
    assert plain["se"].iloc[0] == pytest.approx(0.1380, abs=5e-5)
    assert estimate(linear) == pytest.approx(0.4701, abs=5e-5)
    assert linear["se"].iloc[0] == pytest.approx(0.1457, abs=5e-5)
    assert linear["measure"].iloc[0] == "cohen_kappa_linear"


def test_cohen_kappa_matches_r_psych():
    reference = json.loads((REFERENCE / "cohen_kappa.json").read_text())
    data = long_from_table(np.array(reference["table"]))
    assert estimate(cohen_kappa(data, n_boot=0)) == pytest.approx(reference["kappa"], abs=1e-10)
    quadratic = cohen_kappa(data, weights="quadratic", n_boot=0)
    assert estimate(quadratic) == pytest.approx(reference["kappa_quadratic"], abs=1e-10)
    assert cohen_kappa(data, n_boot=0)["se"].iloc[0] == pytest.approx(reference["se_kappa"],
                                                                      abs=1e-10)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_statsmodels(seed, weights):
    generator = np.random.default_rng(seed)
    table = generator.integers(0, 8, size=(4, 4)) + 6 * np.eye(4, dtype=int)
    result = cohen_kappa(long_from_table(table), weights=weights, n_boot=0)
    reference = sm_cohens_kappa(table, wt=weights) if weights else sm_cohens_kappa(table)
    assert estimate(result) == pytest.approx(reference.kappa, abs=1e-12)
    assert result["se"].iloc[0] == pytest.approx(reference.std_kappa, abs=1e-12)


def test_fleiss_kappa_reproduces_fleiss_1971():
    data = long_from_matrix(FLEISS_1971.T)
    result = fleiss_kappa(data, n_boot=0)
    assert estimate(result) == pytest.approx(0.4302, abs=5e-5)
    assert result[["n_units", "n_coders"]].iloc[0].tolist() == [30, 6]


def test_fleiss_kappa_reproduces_the_worked_example():
    result = fleiss_kappa(long_from_counts(FLEISS_WIKIPEDIA), n_boot=0)
    assert estimate(result) == pytest.approx(0.2099, abs=5e-5)
    assert estimate(result) == pytest.approx(sm_fleiss_kappa(FLEISS_WIKIPEDIA), abs=1e-12)


def test_fleiss_kappa_leaves_out_incomplete_units():
    matrix = FLEISS_1971.T.astype(float)
    matrix[0, :5] = NAN
    result = fleiss_kappa(long_from_matrix(matrix), n_boot=0)
    counts = np.array([np.bincount(row, minlength=6)[1:] for row in FLEISS_1971[5:]])
    assert estimate(result) == pytest.approx(sm_fleiss_kappa(counts), abs=1e-12)
    assert result["n_units"].iloc[0] == 25


def test_percent_agreement_is_the_share_of_agreeing_pairs():
    # unit 1: 3 coders agree (3/3 pairs); unit 2: 2 of 3 agree (1/3 pairs); unit 3: 2 coders
    # disagree (0/1); unit 4: one value only (left out).
    data = pd.DataFrame({"unit": [1, 1, 1, 2, 2, 2, 3, 3, 4],
                         "coder": ["a", "b", "c", "a", "b", "c", "a", "b", "a"],
                         "value": ["x", "x", "x", "x", "x", "y", "x", "y", "x"]})
    result = percent_agreement(data, n_boot=0)
    assert estimate(result) == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert result["n_units"].iloc[0] == 3


# --- against the krippendorff package on random data --------------------------------------


@st.composite
def reliability_data(draw):
    n_coders = draw(st.integers(2, 6))
    n_units = draw(st.integers(3, 40))
    n_values = draw(st.integers(2, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    generator = np.random.default_rng(seed)
    matrix = generator.integers(1, n_values + 1, size=(n_coders, n_units)).astype(float)
    matrix[generator.random(matrix.shape) < draw(st.floats(0, 0.4))] = NAN
    return matrix


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrix=reliability_data())
def test_krippendorff_alpha_matches_the_reference_package(matrix):
    pairable = (np.sum(~np.isnan(matrix), axis=0) >= 2)
    values = matrix[:, pairable]
    if pairable.sum() == 0 or len(np.unique(values[~np.isnan(values)])) < 2:
        return  # alpha is undefined; covered by test_alpha_is_nan_without_variation
    data = long_from_matrix(matrix)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        ours = estimate(krippendorff_alpha(data, level=level, n_boot=0))
        reference = krippendorff.alpha(matrix, level_of_measurement=level)
        assert ours == pytest.approx(reference, abs=1e-9), level


@pytest.mark.parametrize("seed", range(4))
def test_krippendorff_alpha_on_continuous_values(seed):
    generator = np.random.default_rng(seed)
    truth = generator.gamma(2.0, 3.0, size=60)
    matrix = truth + generator.normal(0, 1.5, size=(3, 60))
    matrix = np.abs(matrix)
    matrix[generator.random(matrix.shape) < 0.15] = NAN
    data = long_from_matrix(matrix)
    for level in ("interval", "ratio", "ordinal"):
        ours = estimate(krippendorff_alpha(data, level=level, n_boot=0))
        assert ours == pytest.approx(
            krippendorff.alpha(matrix, level_of_measurement=level), abs=1e-9), level


def test_alpha_is_nan_without_variation():
    data = long_from_matrix(np.ones((2, 5)))
    result = krippendorff_alpha(data, n_boot=50, seed=1)
    assert np.isnan(estimate(result))
    assert result["reading"].isna().all()


def test_ordinal_alpha_follows_the_given_order_of_categories():
    words = {1: "never", 2: "sometimes", 3: "often", 4: "always", 5: "daily"}
    data = long_from_matrix(KRIPPENDORFF_2011)
    data["value"] = data["value"].map(words)
    order = list(words.values())
    result = krippendorff_alpha(data, level="ordinal", categories=order, n_boot=0)
    assert round(estimate(result), 3) == 0.815
    ordered = data.assign(value=pd.Categorical(data["value"], categories=order, ordered=True))
    assert estimate(krippendorff_alpha(ordered, level="ordinal", n_boot=0)) == pytest.approx(
        estimate(result))


# --- bootstrap intervals ----------------------------------------------------------------------


def simulate(n_units: int, n_coders: int, accuracy: float, generator, missing: float = 0.1):
    """Coders who report the true category with probability ``accuracy``, else a random draw
    from the same distribution: population kappa and alpha are ``accuracy ** 2``."""
    p = np.array([0.4, 0.3, 0.2, 0.1])
    truth = generator.choice(4, size=n_units, p=p)
    random = generator.choice(4, size=(n_coders, n_units), p=p)
    keep = generator.random((n_coders, n_units)) < accuracy
    matrix = np.where(keep, truth, random).astype(float)
    matrix[generator.random(matrix.shape) < missing] = NAN
    return matrix


def test_bootstrap_is_deterministic_with_a_seed():
    data = long_from_matrix(simulate(80, 3, 0.8, np.random.default_rng(3)))
    first = krippendorff_alpha(data, n_boot=300, seed=11)
    again = krippendorff_alpha(data, n_boot=300, seed=11)
    other = krippendorff_alpha(data, n_boot=300, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert first["ci_low"].iloc[0] != other["ci_low"].iloc[0]
    shuffled = data.sample(frac=1, random_state=0)
    pd.testing.assert_frame_equal(krippendorff_alpha(shuffled, n_boot=300, seed=11), first)


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_more_units():
    generator = np.random.default_rng(5)
    small = krippendorff_alpha(long_from_matrix(simulate(40, 3, 0.8, generator)), seed=1)
    large = krippendorff_alpha(long_from_matrix(simulate(640, 3, 0.8, generator)), seed=1)
    for result in (small, large):
        row = result.iloc[0]
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
    width = (small["ci_high"] - small["ci_low"]).iloc[0]
    assert (large["ci_high"] - large["ci_low"]).iloc[0] < width / 2.5


def test_bootstrap_intervals_cover_the_known_agreement():
    # 200 simulated studies of 150 units and 3 coders (10% missing), true alpha = 0.8**2;
    # Cohen's kappa between the first two coders has the same true value.
    generator = np.random.default_rng(20261122)
    truth = 0.8 ** 2
    hits = {"alpha": 0, "kappa": 0, "fleiss": 0}
    n_sim = 200
    for i in range(n_sim):
        matrix = simulate(150, 3, 0.8, generator)
        data = long_from_matrix(matrix)
        alpha = krippendorff_alpha(data, n_boot=400, seed=i).iloc[0]
        hits["alpha"] += alpha["ci_low"] <= truth <= alpha["ci_high"]
        pair = data.loc[data["coder"] != "c2"]
        kappa = cohen_kappa(pair, n_boot=400, seed=i).iloc[0]
        hits["kappa"] += kappa["ci_low"] <= truth <= kappa["ci_high"]
        fleiss = fleiss_kappa(data, n_boot=400, seed=i).iloc[0]
        hits["fleiss"] += fleiss["ci_low"] <= truth <= fleiss["ci_high"]
    for name, count in hits.items():
        assert 0.89 <= count / n_sim <= 0.99, (name, count / n_sim)


def test_bca_interval_agrees_with_scipy():
    # scipy.stats.bootstrap(method="BCa") as an independent reference, on a skewed mean where
    # the BCa and percentile intervals differ (by 0.035 and 0.058 here)
    from scipy import stats

    from evalkit.analyse._resample import bca_interval, multinomial_counts, percentile_interval

    x = np.random.default_rng(3).exponential(size=25)
    replicates = np.concatenate([
        (counts.T @ x) / x.size for counts in
        multinomial_counts(np.ones(x.size, dtype=np.int64), 40_000, np.random.default_rng(1))])
    jackknife = (x.sum() - x) / (x.size - 1)
    low, high, used = bca_interval(replicates, x.mean(), jackknife, 0.95)
    reference = stats.bootstrap((x,), np.mean, method="BCa", n_resamples=40_000,
                                random_state=2).confidence_interval
    assert used == 40_000
    assert low == pytest.approx(reference.low, abs=0.01)
    assert high == pytest.approx(reference.high, abs=0.01)
    plain = percentile_interval(replicates, 0.95)
    assert abs(plain[0] - low) > 0.03 and abs(plain[1] - high) > 0.03


def test_intervals_are_bca_below_100_units_and_percentile_from_100():
    from evalkit.analyse.qual.agreement import BCA_BELOW_UNITS, _block, _ratings, _run

    assert BCA_BELOW_UNITS == 100
    generator = np.random.default_rng(8)
    for n_units, method in ((99, "bca"), (100, "percentile")):
        data = long_from_matrix(simulate(n_units, 3, 0.8, generator, missing=0.0))
        result = fleiss_kappa(data, n_boot=300, seed=5).iloc[0]
        ratings = _ratings(data, unit="unit", coder="coder", value="value")
        block = _block(ratings.pooled(), "fleiss_kappa")
        for forced in ("bca", "percentile"):
            row = _run([block], ratings.n_units, n_boot=300, confidence=0.95, seed=5,
                       method=forced)[0]
            same = (row[3], row[4]) == (result["ci_low"], result["ci_high"])
            assert same == (forced == method), (n_units, forced)


def test_few_units_get_intervals_that_keep_their_coverage():
    # 10 units, 3 coders, true agreement 0.5 (coders exact with probability sqrt(0.5)): the
    # percentile interval covers the truth about 86 % of the time, BCa about 92 %
    # (docs/agreement.md has the whole table, from benchmarks/agreement_coverage.py).
    from evalkit.analyse.qual.agreement import _block, _ratings, _run

    generator = np.random.default_rng(20261122)
    truth = 0.5
    hits = {"bca": 0, "percentile": 0}
    n_sim = 300
    for i in range(n_sim):
        data = long_from_matrix(simulate(10, 3, np.sqrt(truth), generator, missing=0.0))
        ratings = _ratings(data, unit="unit", coder="coder", value="value")
        block = _block(ratings.pooled(), "fleiss_kappa")
        for method in hits:
            row = _run([block], ratings.n_units, n_boot=500, confidence=0.95, seed=i,
                       method=method)[0]
            hits[method] += row[3] <= truth <= row[4]
    coverage = {k: v / n_sim for k, v in hits.items()}
    assert 0.89 <= coverage["bca"] <= 0.99, coverage
    assert coverage["bca"] >= coverage["percentile"] + 0.02, coverage


def test_no_bootstrap_gives_missing_intervals():
    result = percent_agreement(long_from_matrix(KRIPPENDORFF_2011), n_boot=0)
    assert result[["ci_low", "ci_high"]].isna().all(axis=None)


# --- readings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "key"), [
    (-0.1, "kappa_poor"), (0.0, "kappa_slight"), (0.2, "kappa_slight"), (0.21, "kappa_fair"),
    (0.4, "kappa_fair"), (0.6, "kappa_moderate"), (0.8, "kappa_substantial"),
    (0.81, "kappa_almost_perfect"), (1.0, "kappa_almost_perfect")])
def test_kappa_readings_follow_landis_and_koch(value, key):
    from evalkit.analyse.qual.agreement import _reading

    assert _reading("cohen_kappa", value) == f"qual.reading.{key}"
    assert has_key(f"qual.reading.{key}")


@pytest.mark.parametrize(("value", "key"), [
    (0.5, "alpha_unreliable"), (0.667, "alpha_tentative"), (0.799, "alpha_tentative"),
    (0.8, "alpha_reliable")])
def test_alpha_readings_follow_krippendorff(value, key):
    from evalkit.analyse.qual.agreement import _reading

    assert _reading("krippendorff_alpha_nominal", value) == f"qual.reading.{key}"
    assert has_key(f"qual.reading.{key}")


# --- coded segments -> agreement data ---------------------------------------------------------


@pytest.fixture
def units():
    text = ["Nobody asked us what we wanted. We were told.",
            "At the committee they listened, and the schedule changed.",
            "I don't know.",
            "Staff decide everything here. Really everything."]
    starts = [0, 50, 110, 130]
    return pd.DataFrame({"document": ["int01"] * 3 + ["int02"], "unit": ["t1", "t2", "t3", "t1"],
                         "start": starts, "end": [s + len(t) for s, t in zip(starts, text, strict=True)],
                         "text": text}).astype({"start": "Int64", "end": "Int64"})


@pytest.fixture
def segments():
    rows = [
        # id, document, coder, code_path, start, end, unit
        ("s1", "int01", "ana", "Involvement/Informed only", 0, 40, pd.NA),
        ("s2", "int01", "ben", "Involvement/Informed only", 5, 45, pd.NA),
        ("s3", "int01", "ana", "Involvement/Influence", 50, 100, pd.NA),
        ("s4", "int01", "ben", "Involvement/Consulted", 50, 80, pd.NA),
        ("s5", "int01", "ben", "Involvement/Influence", 60, 105, "t2"),
        ("s6", "int02", "ana", "Power/Staff decide", 130, 160, pd.NA),
    ]
    frame = pd.DataFrame(rows, columns=["segment_id", "document", "coder", "code_path", "start",
                                        "end", "unit"])
    return frame.assign(code=frame["code_path"].str.split("/").str[1],
                        participant=frame["document"].map({"int01": "P1", "int02": "P2"}),
                        site="A", group="user", text="...").astype(
        {"start": "Int64", "end": "Int64", "unit": "string"})


def test_coding_table_gives_presence_per_unit_coder_and_code(segments, units):
    table = coding_table(segments, units=units)
    assert table.columns.tolist() == ["document", "unit", "coder", "code_path", "present"]
    # int01 was coded by ana and ben (3 units x 2 coders x 4 codes); int02 by ana only.
    assert len(table) == 3 * 2 * 4 + 1 * 1 * 4
    coded = table.loc[table["present"] == 1, ["document", "unit", "coder", "code_path"]]
    assert sorted(map(tuple, coded.to_numpy())) == [
        ("int01", "t1", "ana", "Involvement/Informed only"),
        ("int01", "t1", "ben", "Involvement/Informed only"),
        ("int01", "t2", "ana", "Involvement/Influence"),
        ("int01", "t2", "ben", "Involvement/Consulted"),
        ("int01", "t2", "ben", "Involvement/Influence"),
        ("int02", "t1", "ana", "Power/Staff decide"),
    ]
    assert table.loc[(table["document"] == "int02"), "coder"].unique().tolist() == ["ana"]


def test_a_coding_across_two_units_counts_in_both(segments, units):
    wide = segments.iloc[[0]].assign(end=pd.array([70], dtype="Int64"))
    table = coding_table(wide, units=units)
    assert table.loc[table["present"] == 1, "unit"].tolist() == ["t1", "t2"]


def test_coding_table_rolls_codes_up_to_themes(segments, units):
    table = coding_table(segments, units=units, level="theme")
    assert sorted(table["code_path"].unique()) == ["Involvement", "Power"]
    t2 = table.loc[(table["unit"] == "t2") & (table["document"] == "int01")
                   & (table["code_path"] == "Involvement")]
    assert t2["present"].tolist() == [1, 1]


def test_coding_table_single_layout(segments, units):
    one_each = segments.loc[segments["segment_id"] != "s5"]
    table = coding_table(one_each, units=units, layout="single")
    assert table.columns.tolist() == ["document", "unit", "coder", "code_path"]
    assert table.loc[table["unit"] == "t3", "code_path"].tolist() == [NO_CODE, NO_CODE]
    with pytest.raises(DataError, match="several codes to unit t2"):
        coding_table(segments, units=units, layout="single")


def test_coding_table_filters_codes(segments, units):
    table = coding_table(segments, units=units, code="Influence")
    assert table["code_path"].unique().tolist() == ["Involvement/Influence"]
    with pytest.raises(ArgumentError, match="code"):
        coding_table(segments, units=units, code="Nope")


def test_unknown_unit_and_overlapping_units_are_data_errors(segments, units):
    with pytest.raises(DataError, match="t9"):
        coding_table(segments.assign(unit="t9"), units=units)
    overlapping = units.assign(start=units["start"].where(units["unit"] != "t2", 30))
    with pytest.raises(DataError, match="overlap"):
        coding_table(segments, units=overlapping)


def test_agreement_table_per_code_and_overall(segments, units):
    table = coding_table(segments, units=units)
    result = agreement_table(table, unit=["document", "unit"], n_boot=200, seed=3)
    assert result.columns.tolist() == ["scope", "code", "measure", "estimate", "se", "ci_low",
                                       "ci_high", "n_units", "n_coders", "reading"]
    per_code = result.loc[result["scope"] == "code"]
    assert set(per_code["code"]) == set(table["code_path"])
    influence = per_code.set_index(["code", "measure"]).loc["Involvement/Influence"]
    # Both coders coded t2 with Influence and left t1, t3 without: full agreement, but with a
    # single positive unit kappa and alpha are defined; percent agreement is 1.
    assert influence.loc["percent_agreement", "estimate"] == 1.0
    consulted = per_code.set_index(["code", "measure"]).loc["Involvement/Consulted"]
    assert consulted.loc["percent_agreement", "estimate"] == pytest.approx(2 / 3)
    overall = result.loc[result["scope"] == "overall"].set_index("measure")
    # Overall percent agreement: 12 unit x code decisions of int01 (int02 has one coder),
    # ben's extra Consulted on t2 is the one disagreement.
    assert overall.loc["percent_agreement", "estimate"] == pytest.approx(11 / 12)
    assert overall.loc["percent_agreement", "n_units"] == 3
    assert np.isnan(overall.loc["cohen_kappa", "se"])
    pooled = table.assign(item=table["unit"] + table["code_path"])
    pooled = pooled.loc[pooled["document"] == "int01"]
    reference = krippendorff.alpha(
        pooled.pivot(index="coder", columns="item", values="present").to_numpy(float),
        level_of_measurement="nominal")
    assert overall.loc["krippendorff_alpha_nominal", "estimate"] == pytest.approx(reference)


def test_agreement_table_overall_on_single_codes(segments, units):
    one_each = segments.loc[segments["segment_id"] != "s5"]
    table = coding_table(one_each, units=units, layout="single")
    result = agreement_table(table, unit=["document", "unit"], value="code_path", code=None,
                             n_boot=0)
    assert result["scope"].unique().tolist() == ["overall"]
    wide = table.loc[table["document"] == "int01"].pivot(index="coder", columns="unit",
                                                         values="code_path")
    reference = krippendorff.alpha(wide.to_numpy().astype(str), level_of_measurement="nominal")
    alpha = result.set_index("measure").loc["krippendorff_alpha_nominal", "estimate"]
    assert alpha == pytest.approx(reference)


def test_agreement_table_intervals_are_paired_across_codes():
    generator = np.random.default_rng(8)
    frames = []
    for code in ("a", "b", "c"):
        data = long_from_matrix(simulate(60, 2, 0.7, generator, missing=0).clip(0, 1))
        frames.append(data.assign(code_path=code))
    data = pd.concat(frames, ignore_index=True)
    both = agreement_table(data, value="value", n_boot=300, seed=4)
    fewer = agreement_table(data.loc[data["code_path"] != "c"], value="value", n_boot=300,
                            seed=4)
    key = ["code", "measure"]
    left = both.loc[both["code"].isin(["a", "b"])].set_index(key)
    right = fewer.loc[fewer["code"].notna()].set_index(key)
    pd.testing.assert_frame_equal(left[["ci_low", "ci_high"]], right[["ci_low", "ci_high"]])


def test_disagreement_table_lists_disputed_units_in_transcript_order(segments, units):
    result = disagreement_table(segments, units=units, max_chars=30)
    assert result.columns.tolist() == ["document", "unit", "start", "code_path", "coded_by",
                                       "not_coded_by", "n_coders", "excerpt"]
    assert result[["unit", "code_path", "coded_by", "not_coded_by"]].to_numpy().tolist() == [
        ["t2", "Involvement/Consulted", "ben", "ana"]]
    assert result["excerpt"].iloc[0] == "At the committee they…"
    assert len(result["excerpt"].iloc[0]) <= 30


# --- arguments and the caller's frame ---------------------------------------------------------


@pytest.mark.parametrize("func", [percent_agreement, cohen_kappa, fleiss_kappa,
                                  krippendorff_alpha])
def test_measures_leave_the_callers_frame_unchanged(func):
    data = long_from_matrix(KRIPPENDORFF_2011[:2])
    copy = data.copy()
    func(data, n_boot=20, seed=1)
    pd.testing.assert_frame_equal(data, copy)


def test_table_functions_leave_the_callers_frames_unchanged(segments, units):
    seg_copy, unit_copy = segments.copy(), units.copy()
    table = coding_table(segments, units=units)
    table_copy = table.copy()
    agreement_table(table, unit=["document", "unit"], n_boot=10, seed=1)
    disagreement_table(segments, units=units)
    pd.testing.assert_frame_equal(segments, seg_copy)
    pd.testing.assert_frame_equal(units, unit_copy)
    pd.testing.assert_frame_equal(table, table_copy)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"unit": "nope"}, "unit"), ({"coder": "nope"}, "coder"), ({"value": "nope"}, "value"),
    ({"n_boot": -1}, "n_boot"), ({"n_boot": 1.5}, "n_boot"), ({"confidence": 1.0}, "confidence"),
    ({"seed": "x"}, "seed"), ({"level": "metric"}, "level")])
def test_bad_arguments_name_the_parameter(kwargs, param):
    data = long_from_matrix(KRIPPENDORFF_2011)
    with pytest.raises(ArgumentError) as info:
        krippendorff_alpha(data, **kwargs)
    assert info.value.where == param


def test_cohen_kappa_needs_two_coders():
    data = long_from_matrix(KRIPPENDORFF_2011)
    with pytest.raises(ArgumentError, match="two coders") as info:
        cohen_kappa(data)
    assert info.value.where == "coders"
    pair = cohen_kappa(data, coders=["c0", "c3"], n_boot=0)
    reference = krippendorff.alpha(KRIPPENDORFF_2011[[0, 3]], level_of_measurement="nominal")
    assert pair["n_units"].iloc[0] == 9
    assert estimate(pair) > reference - 0.05  # kappa and alpha are close on the same pairs
    with pytest.raises(ArgumentError, match="coders"):
        cohen_kappa(data, coders=["c0", "zz"])
    with pytest.raises(ArgumentError, match="weights"):
        cohen_kappa(data, coders=["c0", "c1"], weights="cubic")


def test_bad_values_and_duplicates_are_reported():
    data = long_from_matrix(KRIPPENDORFF_2011).assign(value=lambda d: d["value"].astype(str))
    with pytest.raises(ArgumentError, match="numeric") as info:
        krippendorff_alpha(data, level="interval")
    assert info.value.where == "value"
    negative = long_from_matrix(KRIPPENDORFF_2011 - 3)
    with pytest.raises(ArgumentError, match="≥ 0"):
        krippendorff_alpha(negative, level="ratio")
    doubled = pd.concat([long_from_matrix(KRIPPENDORFF_2011)] * 2)
    with pytest.raises(DataError, match="Several values"):
        krippendorff_alpha(doubled)
    with pytest.raises(ArgumentError, match="categories"):
        krippendorff_alpha(long_from_matrix(KRIPPENDORFF_2011), categories=[1, 2])
    missing_unit = long_from_matrix(KRIPPENDORFF_2011).astype({"unit": object})
    missing_unit.loc[0, "unit"] = None
    with pytest.raises(DataError, match="missing"):
        krippendorff_alpha(missing_unit)


def test_agreement_table_checks_measures():
    data = long_from_matrix(KRIPPENDORFF_2011).assign(code_path="x")
    with pytest.raises(ArgumentError, match="two coders") as info:
        agreement_table(data, value="value", measures=["cohen_kappa"])
    assert info.value.where == "measures"
    with pytest.raises(ArgumentError) as info:
        agreement_table(data, value="value", measures=["kappa"])
    assert info.value.where == "measures"
    with pytest.raises(ArgumentError) as info:
        agreement_table(data, value="value", code="nope")
    assert info.value.where == "code"


@pytest.mark.parametrize(("func", "kwargs", "param"), [
    (coding_table, {"layout": "wide"}, "layout"),
    (coding_table, {"level": "leaf"}, "level"),
    (coding_table, {"units": "units.csv"}, "units"),
    (disagreement_table, {"max_chars": 3}, "max_chars"),
    (disagreement_table, {"units": pd.DataFrame({"document": []})}, "units"),
])
def test_coding_functions_name_the_bad_parameter(segments, units, func, kwargs, param):
    arguments = {"units": units, **kwargs}
    with pytest.raises(ArgumentError) as info:
        func(segments, **arguments)
    assert info.value.where == param


def test_coding_table_needs_the_segment_columns(units):
    with pytest.raises(ArgumentError, match="code_path") as info:
        coding_table(pd.DataFrame({"document": ["d1"]}), units=units)
    assert info.value.where == "segments"
