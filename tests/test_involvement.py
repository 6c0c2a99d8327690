"""Involvement and tokenism: the ladder, Guttman reproducibility, tokenism rates and gaps,
perception gap; values from hand computation, published examples and R (tests/reference)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from evalkit import ArgumentError
from evalkit.analyse import _intervals
from evalkit.analyse.involvement import (
    ladder_distribution,
    ladder_placement,
    ladder_reproducibility,
    perception_gap,
    perception_gap_from_study,
    tokenism_from_study,
    tokenism_gap,
    tokenism_rates,
    tokenism_status,
)
from evalkit.config.study import load_study
from evalkit.datasets import make_demo_study, simulate_responses
from evalkit.datasets.demo import LADDER_ITEMS

REFERENCE = Path(__file__).parent / "reference"
INTERVALS = json.loads((REFERENCE / "intervals.json").read_text())
# R's `sleep` data (see tests/reference/intervals.R): extra sleep under drug 1 and drug 2.
DRUG1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
DRUG2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

# Six respondents, three rungs (a < b < c), agree_at = 4 (5 = endorsed, 1 = not):
#   1: a b c      score 3, ideal a b c -> 0 errors (both countings)
#   2: a b -      score 2, ideal a b - -> 0
#   3: a - -      score 1, ideal a - - -> 0
#   4: - b -      score 1, ideal a - -: a and b differ -> 2 (Goodenough-Edwards);
#                 nearest cumulative pattern "- - -" or "a b -" -> 1 (minimum)
#   5: a - c      score 2, ideal a b -: b and c differ -> 2; nearest "a b c" -> 1
#   6: - - -      score 0 -> 0
# Goodenough-Edwards: E = 4, CR = 1 - 4 / (6 * 3) = 14/18 = 0.7778.  Minimum: E = 2, CR = 16/18.
# Item shares endorsing: a 4/6, b 3/6, c 2/6; MMR = (4/6 + 3/6 + 4/6) / 3 = 11/18 = 0.6111.
# Menzel's CS (Goodenough-Edwards) = (14/18 - 11/18) / (1 - 11/18) = 3/7.
HAND = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "a": [5, 5, 5, 1, 5, 1],
                     "b": [5, 5, 1, 5, 1, 1], "c": [5, 1, 1, 1, 5, 1]})


def test_guttman_reproducibility_hand_example():
    ge = ladder_reproducibility(HAND, items=["a", "b", "c"], agree_at=4).iloc[0]
    assert ge["n"] == 6 and ge["k"] == 3 and ge["n_errors"] == 4
    assert ge["cr"] == pytest.approx(14 / 18)
    assert ge["mmr"] == pytest.approx(11 / 18)
    assert ge["scalability"] == pytest.approx(3 / 7)
    assert ge["improvement"] == pytest.approx(3 / 18)
    assert bool(ge["non_validated"])
    mini = ladder_reproducibility(HAND, items=["a", "b", "c"], agree_at=4,
                                  errors="minimum").iloc[0]
    assert mini["n_errors"] == 2 and mini["cr"] == pytest.approx(16 / 18)
    assert mini["scalability"] == pytest.approx((16 / 18 - 11 / 18) / (7 / 18))


def test_placement_of_the_hand_example():
    out = ladder_placement(HAND, items=["a", "b", "c"], agree_at=4, id="id")
    assert out["rung"].tolist() == [3, 2, 1, 2, 3, 0]
    assert out["rung_item"].tolist()[:5] == ["c", "b", "a", "b", "c"]
    assert pd.isna(out["rung_item"].iloc[5])
    assert out["guttman_errors"].tolist() == [0, 0, 0, 2, 2, 0]
    assert out["cumulative"].tolist() == [True, True, True, False, False, True]
    assert out["id"].tolist() == HAND["id"].tolist()
    assert out.index.equals(HAND.index)
    minimum = ladder_placement(HAND, items=["a", "b", "c"], agree_at=4, errors="minimum")
    assert minimum["guttman_errors"].tolist() == [0, 0, 0, 1, 1, 0]


def test_placement_missing_data_policy():
    data = pd.DataFrame({"a": [5, np.nan, np.nan, 2], "b": [np.nan, 5, np.nan, np.nan],
                         "c": [1, np.nan, np.nan, 4]}, index=[10, 11, 12, 13])
    out = ladder_placement(data, items=["a", "b", "c"], agree_at=4)
    # Row 10: a endorsed, b missing, c not -> rung 1 from the answered items, 1 missing.
    # Row 11: only b answered and endorsed -> rung 2, cumulative among answered items.
    # Row 12: nothing answered -> NA.  Row 13: a not endorsed, c endorsed -> rung 3, 2 errors.
    assert out["rung"].tolist()[:2] == [1, 2] and pd.isna(out["rung"].iloc[2])
    assert out["rung"].iloc[3] == 3
    assert out["n_missing"].tolist() == [1, 2, 3, 1]
    assert out["guttman_errors"].iloc[3] == 2 and pd.isna(out["guttman_errors"].iloc[2])
    assert out["cumulative"].iloc[1] and pd.isna(out["cumulative"].iloc[2])
    assert out["non_validated"].all()
    rep = ladder_reproducibility(data, items=["a", "b", "c"], agree_at=4).iloc[0]
    assert rep["n"] == 0 and rep["n_excluded"] == 4 and np.isnan(rep["cr"])


def test_ladder_distribution_counts_every_rung():
    data = HAND.assign(site=["A", "A", "A", "B", "B", "B"], a=[5, 5, 5, 1, 5, np.nan])
    data.loc[5, ["b", "c"]] = np.nan
    out = ladder_distribution(data, items=["a", "b", "c"], agree_at=4, site="site")
    assert len(out) == 2 * 4
    a = out[out["site"] == "A"].set_index("rung")
    assert a["n"].tolist() == [0, 1, 1, 1] and (a["n_placed"] == 3).all()
    assert a["share"].sum() == pytest.approx(1.0)
    b = out[out["site"] == "B"].set_index("rung")
    assert b["n"].tolist() == [0, 0, 1, 1] and (b["n_unplaced"] == 1).all()
    assert b.loc[2, "share"] == pytest.approx(0.5)
    assert out["non_validated"].all()


def test_tokenism_status_rules_for_several_items():
    data = pd.DataFrame({"v1": [5, 5, 2, np.nan, 4], "v2": [2, 5, 2, np.nan, np.nan],
                         "f1": [1, 1, 5, 5, 5], "f2": [5, 1, 5, 5, 1]})
    kwargs = {"voice": ["v1", "v2"], "influence": ["f1", "f2"], "agree_at": 4}
    mean = tokenism_status(data, **kwargs)
    # Row 0: voice mean 3.5 -> not consulted.  Row 1: consulted, influence mean 1 -> tokenistic.
    # Row 3: no voice item answered -> unknown.  Row 4: voice 4 (v2 missing), influence mean 3.
    assert mean["consulted"].tolist()[:3] == [False, True, False]
    assert pd.isna(mean["consulted"].iloc[3])
    assert mean["tokenistic"].tolist()[:3] == [False, True, False]
    assert mean["tokenistic"].iloc[4]
    any_ = tokenism_status(data, combine="any", **kwargs)
    # "any": row 0 consulted (v1 = 5) and influenced (f2 = 5): not tokenistic.
    assert any_["consulted"].iloc[0] and not any_["tokenistic"].iloc[0]
    assert not any_["tokenistic"].iloc[4]
    all_ = tokenism_status(data, combine="all", **kwargs)
    assert not all_["consulted"].iloc[0] and all_["tokenistic"].iloc[4]
    assert mean["voice_score"].tolist()[:3] == [3.5, 5.0, 2.0]


def test_tokenism_rates_counts_and_wilson_interval():
    # Site A: 7 tokenistic of 40 consulted, plus 5 not consulted and 3 with unknown status.
    a = pd.DataFrame({"v": [5] * 40 + [1] * 5 + [np.nan] * 2 + [5],
                      "f": [1] * 7 + [5] * 33 + [1] * 5 + [1, 1] + [np.nan]})
    # Site B: 18 of 65, nobody missing.
    b = pd.DataFrame({"v": [4] * 65, "f": [2] * 18 + [4] * 47})
    data = pd.concat([a.assign(site="A"), b.assign(site="B")], ignore_index=True)
    out = tokenism_rates(data, voice="v", influence="f", agree_at=4, site="site")
    assert out["site"].tolist() == ["A", "B"]
    assert out["n"].tolist() == [48, 65]
    assert out["n_excluded_missing"].tolist() == [3, 0]
    assert out["n_answered"].tolist() == [45, 65]
    assert out["n_consulted"].tolist() == [40, 65]
    assert out["n_tokenistic"].tolist() == [7, 18]
    ref = {(c["x"], c["n"]): c for c in INTERVALS["wilson"]}
    for row in out.itertuples():
        r = ref[(row.n_tokenistic, row.n_consulted)]  # R: prop.test(x, n, correct = FALSE)
        assert row.ci_low == pytest.approx(r["low"], abs=1e-10)
        assert row.ci_high == pytest.approx(r["high"], abs=1e-10)
    overall = tokenism_rates(data, voice="v", influence="f", agree_at=4)
    assert len(overall) == 1 and overall["rate"].iloc[0] == pytest.approx(25 / 105)


def test_wilson_matches_r_and_newcombe_1998_table_1():
    cases = INTERVALS["wilson"]
    x = np.array([c["x"] for c in cases])
    n = np.array([c["n"] for c in cases])
    low, high = _intervals.wilson(x, n, 0.95)
    np.testing.assert_allclose(low, [c["low"] for c in cases], atol=1e-10)
    np.testing.assert_allclose(high, [c["high"] for c in cases], atol=1e-10)
    low, high = _intervals.wilson(x, n, 0.99)
    np.testing.assert_allclose(high, [c["high99"] for c in cases], atol=1e-10)
    # Newcombe (1998a, Statistics in Medicine 17:857-872, Table I, method 3 "score"), 4 d.p.
    published = {(81, 263): (0.2553, 0.3662), (15, 148): (0.0624, 0.1605),
                 (0, 20): (0.0000, 0.1611), (1, 29): (0.0061, 0.1718)}
    for (k, m), (lo, hi) in published.items():
        got = _intervals.wilson(np.array([k]), np.array([m]), 0.95)
        assert got[0][0] == pytest.approx(lo, abs=5e-5) and got[1][0] == pytest.approx(hi, abs=5e-5)


@pytest.mark.parametrize(("counts", "published"), [
    # Newcombe (1998b, Statistics in Medicine 17:873-890, Table II, method 10), 4 d.p.
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
])
def test_newcombe_hybrid_score_interval(counts, published):
    x1, n1, x2, n2 = counts
    diff, low, high = _intervals.newcombe(np.array([x1]), np.array([n1]), np.array([x2]),
                                          np.array([n2]), 0.95)
    assert diff[0] == pytest.approx(x1 / n1 - x2 / n2)
    assert low[0] == pytest.approx(published[0], abs=5e-5)
    assert high[0] == pytest.approx(published[1], abs=5e-5)
    sm = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert (low[0], high[0]) == pytest.approx(sm, abs=1e-12)


def test_tokenism_gap_is_a_paired_t_interval():
    # voice = drug 2, influence = drug 1: the gap is R's paired difference on `sleep`.
    data = pd.DataFrame({"voice": DRUG2, "influence": DRUG1})
    out = tokenism_gap(data, voice="voice", influence="influence").iloc[0]
    ref = INTERVALS["paired"]  # R: t.test(drug2, drug1, paired = TRUE)
    assert out["mean_gap"] == pytest.approx(ref["mean"])
    assert out["ci_low"] == pytest.approx(ref["low"], abs=1e-10)
    assert out["ci_high"] == pytest.approx(ref["high"], abs=1e-10)
    assert out["p_value"] == pytest.approx(ref["p_value"], rel=1e-8)
    assert out["n_answered"] == 10 and out["n_excluded_missing"] == 0


def test_tokenism_gap_by_group_with_missing():
    data = pd.DataFrame({"g": ["x", "x", "x", "y", "y"], "v": [5, 4, np.nan, 3, 5],
                         "f": [1, 2, 3, np.nan, 4]})
    out = tokenism_gap(data, voice="v", influence="f", group="g").set_index("g")
    assert out.loc["x", "n"] == 3 and out.loc["x", "n_answered"] == 2
    assert out.loc["x", "mean_gap"] == pytest.approx(3.0)
    assert out.loc["x", "mean_voice"] == pytest.approx(4.5)  # same respondents as the gap
    assert out.loc["y", "n_answered"] == 1 and np.isnan(out.loc["y", "ci_low"])


def test_perception_gap_welch_and_newcombe():
    # Voice scores: staff = drug 2, users = drug 1 (R: t.test(drug2, drug1) Welch interval).
    # Tokenism: staff 9 tokenistic of 10 consulted, users 3 of 10 (Newcombe Table II row b).
    # Voice scores are shifted by 10 (a difference of means does not move): everyone is then
    # consulted at agree_at = 4, and the rates rest on `f` alone.
    staff = pd.DataFrame({"type": "staff", "v": np.add(DRUG2, 10), "f": [1] * 9 + [5]})
    users = pd.DataFrame({"type": "user", "v": np.add(DRUG1, 10), "f": [1] * 3 + [5] * 7})
    data = pd.concat([staff, users, pd.DataFrame({"type": ["carer"], "v": [9.0], "f": [1]})],
                     ignore_index=True)
    out = perception_gap(data, voice="v", influence="f", agree_at=4, group="type",
                         staff="staff", users=["user"]).set_index("measure")
    assert list(out.index) == ["voice_score", "influence_score", "tokenism_gap",
                               "tokenism_rate"]
    welch = INTERVALS["welch"]
    assert out.loc["voice_score", "difference"] == pytest.approx(welch["difference"])
    assert out.loc["voice_score", "ci_low"] == pytest.approx(welch["low"], abs=1e-10)
    assert out.loc["voice_score", "ci_high"] == pytest.approx(welch["high"], abs=1e-10)
    rate = out.loc["tokenism_rate"]
    assert (rate["n_staff"], rate["n_users"]) == (10, 10)
    assert rate["difference"] == pytest.approx(0.6)
    assert rate["ci_low"] == pytest.approx(0.1705, abs=5e-5)
    assert rate["ci_high"] == pytest.approx(0.8090, abs=5e-5)
    assert rate["method"] == "newcombe" and out["non_validated"].all()


def test_perception_gap_with_ladder_and_sites():
    data = pd.DataFrame({"site": ["A"] * 4 + ["B"] * 4,
                         "type": ["staff", "staff", "user", "user"] * 2,
                         "a": [5, 5, 5, 1, 5, 5, 1, 1], "b": [5, 1, 1, 1, 5, 5, 5, 1],
                         "v": [5, 5, 4, 2, 5, 4, 4, 4], "f": [5, 1, 1, 1, 5, 5, 1, 2]})
    out = perception_gap(data, voice="v", influence="f", agree_at=4, group="type",
                         staff="staff", users="user", site="site", items=["a", "b"])
    assert out["site"].tolist() == ["A"] * 5 + ["B"] * 5
    rung = out[out["measure"] == "rung"].set_index("site")
    assert rung.loc["A", "staff"] == 1.5 and rung.loc["A", "users"] == 0.5
    assert rung.loc["B", "difference"] == pytest.approx(2.0 - 1.0)
    rate = out[out["measure"] == "tokenism_rate"].set_index("site")
    assert rate.loc["A", "n_users"] == 1 and rate.loc["A", "users"] == 1.0
    assert rate.loc["B", "staff"] == 0.0 and rate.loc["B", "users"] == 1.0


# -- recovery of the truths planted by the demo generator --------------------------------------

@pytest.fixture(scope="module")
def large_demo():
    demo = simulate_responses(n_sites=120, n_per_site=400, seed=20261122)
    r = demo.responses
    r[LADDER_ITEMS] = r[LADDER_ITEMS].mask(r[LADDER_ITEMS] >= 8)  # codes 8 and 9 -> NaN
    return demo, r[r["wave"] == 1]


def test_wilson_intervals_cover_planted_tokenism_rates(large_demo):
    demo, baseline = large_demo
    users = baseline[baseline["respondent_type"] == "user"]
    out = tokenism_rates(users, voice="inv_consulted", influence="inv_influence", agree_at=4,
                         site="site", confidence=0.95)
    truth = out["site"].map({s: v["tokenism_rate_users"] for s, v in demo.truth["sites"].items()})
    n_sites = len(out)
    assert n_sites == 120 and out["n_consulted"].min() > 100
    missed = int(((truth < out["ci_low"]) | (truth > out["ci_high"])).sum())
    # Each 95% interval misses with probability about 0.05; allow Wilson's small undercoverage
    # (0.06) and a 1-in-1000 chance of a false alarm: misses <= 99.9% quantile of Bin(120, 0.06).
    assert missed <= stats.binom.ppf(0.999, n_sites, 0.06)
    # The check has power: truths moved by 0.10 are missed by most intervals.
    shifted = truth + 0.10
    assert ((shifted < out["ci_low"]) | (shifted > out["ci_high"])).mean() > 0.5


def test_staff_see_less_tokenism_than_users(large_demo):
    demo, baseline = large_demo
    out = perception_gap(baseline, voice="inv_consulted", influence="inv_influence",
                         agree_at=4, group="respondent_type", staff="staff", users="user",
                         site="site")
    rate = out[out["measure"] == "tokenism_rate"]
    planted = demo.truth["staff_minus_user_tokenism"]  # -0.20 at every site
    diff = rate["difference"].to_numpy()
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert abs(diff.mean() - planted) < 4 * se
    assert (diff < 0).mean() > 0.9
    missed = int(((planted < rate["ci_low"]) | (planted > rate["ci_high"])).sum())
    assert missed <= stats.binom.ppf(0.999, len(rate), 0.06)


# -- contracts: the caller's frame is untouched, bad arguments are named ---------------------

def _calls():
    data = HAND.assign(site=list("AABBCC"), type=["staff", "user"] * 3)
    common = {"voice": "b", "influence": "c", "agree_at": 4}
    return data, [
        lambda d: ladder_placement(d, items=["a", "b", "c"], agree_at=4, id="id"),
        lambda d: ladder_reproducibility(d, items=["a", "b", "c"], agree_at=4),
        lambda d: ladder_distribution(d, items=["a", "b", "c"], agree_at=4, site="site",
                                      group="type"),
        lambda d: tokenism_status(d, **common),
        lambda d: tokenism_rates(d, site="site", group="type", **common),
        lambda d: tokenism_gap(d, voice="b", influence="c", site="site"),
        lambda d: perception_gap(d, group="type", staff="staff", users="user", site="site",
                                 items=["a", "b"], **common),
    ]


def test_callers_frame_is_unchanged():
    data, calls = _calls()
    for call in calls:
        before = data.copy(deep=True)
        call(data)
        pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"items": ["a", "nope"]}, "items"),
    ({"agree_at": "four"}, "agree_at"),
    ({"site": "nope"}, "site"),
    ({"confidence": 95}, "confidence"),
    ({"combine": "median"}, "combine"),
    ({"voice": "label"}, "voice"),
])
def test_bad_arguments_name_the_parameter(kwargs, param):
    data = HAND.assign(site="A", label="x")
    base = {"voice": "a", "influence": "b", "agree_at": 4}
    if "items" in kwargs:
        call = lambda: ladder_placement(data, agree_at=4, **kwargs)  # noqa: E731
    else:
        call = lambda: tokenism_rates(data, **{**base, **kwargs})  # noqa: E731
    with pytest.raises(ArgumentError) as info:
        call()
    assert info.value.where == param
    assert param in str(info.value)


def test_more_bad_arguments():
    with pytest.raises(ArgumentError, match="data must be a pandas DataFrame"):
        tokenism_rates([1, 2], voice="a", influence="b", agree_at=4)
    with pytest.raises(ArgumentError, match="errors must be one of"):
        ladder_reproducibility(HAND, items=["a", "b"], agree_at=4, errors="loevinger")
    with pytest.raises(ArgumentError, match="share items") as info:
        tokenism_status(HAND, voice=["a", "b"], influence="b", agree_at=4)
    assert info.value.where == "influence"
    with pytest.raises(ArgumentError, match="staff and users share") as info:
        perception_gap(HAND.assign(t="x"), voice="a", influence="b", agree_at=4, group="t",
                       staff="x", users=["x"])
    with pytest.raises(ArgumentError) as info:
        perception_gap(HAND, voice="a", influence="b", agree_at=4, group="nope", staff="x",
                       users="y")
    assert info.value.where == "group"
    with pytest.raises(ArgumentError, match="site") as info:
        tokenism_rates(HAND.assign(s="A"), voice="a", influence="b", agree_at=4, site="s",
                       group="s")


def test_every_measure_has_a_label_in_both_languages():
    from evalkit.i18n import catalogue

    data, calls = _calls()
    measures = set(calls[-1](data)["measure"])
    for lang in ("fr", "en"):
        labels = catalogue(lang)
        assert all(f"quant.measure.{m}" in labels for m in measures)
        assert "quant.non_validated_note" in labels and "common.non_validated" in labels


def test_nullable_typed_items_give_the_same_results():
    # Validated responses come typed (nullable integers, missing as <NA>).
    typed = HAND.astype({"a": "Int64", "b": "Int64", "c": "Float64"})
    typed.loc[0, "b"] = pd.NA
    plain = HAND.astype(float)
    plain.loc[0, "b"] = np.nan
    pd.testing.assert_frame_equal(
        ladder_placement(typed, items=["a", "b", "c"], agree_at=4),
        ladder_placement(plain, items=["a", "b", "c"], agree_at=4))
    pd.testing.assert_frame_equal(
        tokenism_rates(typed, voice="a", influence="b", agree_at=4),
        tokenism_rates(plain, voice="a", influence="b", agree_at=4))


def test_study_driven_helpers(tmp_path):
    study = load_study(make_demo_study(tmp_path, n_sites=3, n_per_site=40, formats="plain"))
    responses = simulate_responses(n_sites=3, n_per_site=40).responses
    responses[LADDER_ITEMS] = responses[LADDER_ITEMS].mask(responses[LADDER_ITEMS] >= 8)
    before = responses.copy(deep=True)
    rates = tokenism_from_study(responses, study=study)
    baseline = responses[responses["wave"] == 1]
    direct = tokenism_rates(baseline, voice="inv_consulted", influence="inv_influence",
                            agree_at=4, site="site", group="respondent_type")
    pd.testing.assert_frame_equal(rates, direct)
    gap = perception_gap_from_study(responses, study=study, wave=2)
    assert gap["site"].unique().tolist() == ["A", "B", "C"]
    assert gap["measure"].tolist()[:5] == ["rung", "voice_score", "influence_score",
                                           "tokenism_gap", "tokenism_rate"]
    pd.testing.assert_frame_equal(responses, before)
    with pytest.raises(ArgumentError) as info:
        tokenism_from_study(responses, study="study.yaml")
    assert info.value.where == "study"
