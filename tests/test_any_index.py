"""Every public analysis function accepts frames with any index: a repeated index (what
``pd.concat`` of two files gives), text labels, or integers out of order. The result is the one
the same rows give with a default index; functions with one row per respondent keep the index
of ``data``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from evalkit.analyse import (
    describe,
    funnel,
    integration,
    involvement,
    models,
    network,
    outcomes,
    reliability,
    scales,
    shrinkage,
    weights,
)
from evalkit.analyse.qual import agreement, framework, frequencies, quotes
from evalkit.datasets import make_demo_interviews, simulate_responses
from evalkit.read.qda.frames import units_from_turns

LADDER = ["inv_informed", "inv_consulted", "inv_influence", "inv_partnership", "inv_control"]
WB = [f"wb_{i}" for i in range(1, 8)]
TP = ["tp_safe", "tp_seeing_people", "tp_listened", "tp_say"]
TOK = {"voice": "inv_consulted", "influence": "inv_influence", "agree_at": 4}


def _frames() -> dict[str, pd.DataFrame]:
    demo = simulate_responses(n_sites=4, n_per_site=60, waves=2, seed=5)
    answers = demo.responses.copy()
    items = [c for c in answers.columns if c.startswith(("inv_", "tp_", "wb_"))]
    answers[items] = answers[items].where(answers[items] < 8)  # 8, 9: don't know, refused
    base = answers[answers["wave"] == 1].reset_index(drop=True)
    users = base[base["respondent_type"] == "user"].reset_index(drop=True)
    site_rates = involvement.tokenism_rates(users, **TOK, site="site")
    means = base.groupby("site")["tp_safe"].agg(mean="mean", sd="std", n="count").reset_index()
    documents, segments, _ = make_demo_interviews(sites=["A", "B", "C", "D"], seed=5)
    units = units_from_turns(documents)
    double = segments.groupby("document")["coder"].nunique()
    shared = segments[segments["document"].isin(double[double >= 2].index)]
    coding = agreement.coding_table(shared, units=units[units["document"].isin(
        shared["document"])])
    first_code = coding[coding["code_path"] == coding["code_path"].iloc[0]]
    change = answers[answers["respondent_type"] == "user"].reset_index(drop=True)
    wide = users.assign(change=users["tp_safe"] - users["tp_listened"],
                        rating=users["tp_safe"]).dropna(subset=["change", "inv_consulted"])
    weighted = users.assign(weight=np.linspace(0.5, 2.0, len(users)),
                            tokenistic=(users["inv_influence"] < 4).astype(float))
    return {"base": base, "users": users, "answers": change, "population": demo.population,
            "partners": demo.partners, "rates": site_rates, "means": means,
            "segments": segments, "documents": documents, "units": units,
            "shared": shared, "coding": coding, "first_code": first_code, "wide": wide,
            "weighted": weighted}


# name → (frames used, call, one row per row of `data`?)
CASES: dict[str, tuple[tuple[str, ...], Callable, bool]] = {
    "response_counts": (("base",), lambda f: describe.response_counts(
        f["base"], site="site", group="respondent_type"), False),
    "likert_distribution": (("base",), lambda f: describe.likert_distribution(
        f["base"], items=LADDER, categories=[1, 2, 3, 4, 5], group="respondent_type"), False),
    "score_scale": (("base",), lambda f: scales.score_scale(
        f["base"], instrument="swemwbs", items=WB, reverse=["wb_2"]), True),
    "scoring_summary": (("base",), lambda f: scales.scoring_summary(scales.score_scale(
        f["base"], instrument="swemwbs", items=WB)), False),
    "cronbach_alpha": (("base",), lambda f: reliability.cronbach_alpha(
        f["base"], items=WB, n_boot=100, seed=1, reverse=["wb_2"]), False),
    "item_analysis": (("base",), lambda f: reliability.item_analysis(
        f["base"], items=WB, missing="pairwise"), False),
    "polychoric_correlation": (("base",), lambda f: reliability.polychoric_correlation(
        f["base"], items=WB[:3]), False),
    "polychoric_thresholds": (("base",), lambda f: reliability.polychoric_thresholds(
        f["base"], items=WB[:3]), False),
    "ordinal_alpha": (("base",), lambda f: reliability.ordinal_alpha(
        f["base"], items=WB[:4], n_boot=100, seed=1), False),
    "mcdonald_omega": (("base",), lambda f: reliability.mcdonald_omega(
        f["base"], items=WB, n_boot=100, seed=1), False),
    "ladder_placement": (("base",), lambda f: involvement.ladder_placement(
        f["base"], items=LADDER, agree_at=4, id="respondent_id"), True),
    "ladder_reproducibility": (("base",), lambda f: involvement.ladder_reproducibility(
        f["base"], items=LADDER, agree_at=4), False),
    "ladder_distribution": (("base",), lambda f: involvement.ladder_distribution(
        f["base"], items=LADDER, agree_at=4, site="site", group="respondent_type"), False),
    "tokenism_status": (("base",), lambda f: involvement.tokenism_status(
        f["base"], **TOK), True),
    "tokenism_rates": (("users",), lambda f: involvement.tokenism_rates(
        f["users"], **TOK, site="site"), False),
    "tokenism_gap": (("users",), lambda f: involvement.tokenism_gap(
        f["users"], voice="inv_consulted", influence="inv_influence", site="site"), False),
    "perception_gap": (("base",), lambda f: involvement.perception_gap(
        f["base"], **TOK, group="respondent_type", staff="staff", users="user",
        site="site"), False),
    "outcome_change": (("answers",), lambda f: outcomes.outcome_change(
        f["answers"], items=TP, id="respondent_id", wave="wave", baseline=1, follow_up=2,
        met_at=3, group_items={"some": TP[:2]}, site="site"), False),
    "mixed_model": (("wide",), lambda f: models.mixed_model(
        f["wide"], formula="change ~ inv_consulted", group="site"), False),
    "ordinal_model": (("wide",), lambda f: models.ordinal_model(
        f["wide"], formula="rating ~ inv_consulted"), False),
    "icc": (("wide",), lambda f: models.icc(f["wide"], y="change", group="site"), False),
    "representativeness": (("base", "population"), lambda f: weights.representativeness(
        f["base"].dropna(subset=["age_group", "sex"]), population=f["population"],
        site="site", dimensions=["age_group", "sex"]), False),
    "rake_weights": (("base", "population"), lambda f: weights.rake_weights(
        f["base"].dropna(subset=["age_group", "sex"]), population=f["population"],
        site="site", dimensions=["age_group", "sex"]), True),
    "weighted_proportion": (("weighted",), lambda f: weights.weighted_proportion(
        f["weighted"], y="tokenistic", weight="weight", site="site"), False),
    "weighted_mean": (("weighted",), lambda f: weights.weighted_mean(
        f["weighted"], y="tp_safe", weight="weight", site="site"), False),
    "funnel_limits": (("rates",), lambda f: funnel.funnel_limits(
        f["rates"], site="site", numerator="n_tokenistic", denominator="n_consulted"), False),
    "funnel_limits_respondents": (("weighted",), lambda f: funnel.funnel_limits(
        f["weighted"], site="site", y="tokenistic"), False),
    "overdispersion": (("means",), lambda f: funnel.overdispersion(
        f["means"], site="site", kind="mean", mean="mean", sd="sd", n="n"), False),
    "shrunken_estimates": (("rates",), lambda f: shrinkage.shrunken_estimates(
        f["rates"], site="site", numerator="n_tokenistic", denominator="n_consulted"), False),
    "traffic_light": (("base",), lambda f: network.traffic_light(
        f["base"], paid="net_paid", peers="net_peers", community="net_community"), True),
    "traffic_light_distribution": (("base",), lambda f: network.traffic_light_distribution(
        f["base"], paid="net_paid", peers="net_peers", community="net_community",
        site="site"), False),
    "integration_profile": (("partners",), lambda f: integration.integration_profile(
        f["partners"], site="site", level="level", levels=[1, 2, 3, 4, 5]), False),
    "coding_table": (("shared", "units"), lambda f: agreement.coding_table(
        f["shared"], units=f["units"]), False),
    "disagreement_table": (("shared", "units"), lambda f: agreement.disagreement_table(
        f["shared"], units=f["units"]), False),
    "agreement_table": (("coding",), lambda f: agreement.agreement_table(
        f["coding"], n_boot=100, seed=1), False),
    "cohen_kappa": (("first_code",), lambda f: agreement.cohen_kappa(
        f["first_code"], value="present", n_boot=100, seed=1), False),
    "fleiss_kappa": (("first_code",), lambda f: agreement.fleiss_kappa(
        f["first_code"], value="present", n_boot=100, seed=1), False),
    "krippendorff_alpha": (("first_code",), lambda f: agreement.krippendorff_alpha(
        f["first_code"], value="present", n_boot=100, seed=1), False),
    "percent_agreement": (("first_code",), lambda f: agreement.percent_agreement(
        f["first_code"], value="present", n_boot=100, seed=1), False),
    "framework_matrix": (("segments",), lambda f: framework.framework_matrix(
        f["segments"], case="site", coder="codeur_A"), False),
    "case_code_matrix": (("segments",), lambda f: frequencies.case_code_matrix(
        f["segments"], case="site"), False),
    "code_frequencies": (("segments", "documents"), lambda f: frequencies.code_frequencies(
        f["segments"], documents=f["documents"]), False),
    "cooccurrence": (("segments",), lambda f: frequencies.cooccurrence(f["segments"]), False),
    "attribution": (("documents",), lambda f: quotes.attribution(f["documents"]), True),
    "quote_bank": (("segments",), lambda f: quotes.quote_bank(f["segments"], coder="codeur_A", seed=1), False),
}


def _reindexed(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    n = len(frame)
    if kind == "repeated":  # two files stacked with pd.concat: 0..k-1, 0..n-k-1
        half = n // 2
        index = pd.Index(np.r_[np.arange(half), np.arange(n - half)])
    elif kind == "labels":
        index = pd.Index([f"ligne {i}" for i in range(n)])
    else:  # integers out of order, with gaps
        index = pd.Index(np.arange(n)[::-1] * 3 + 7)
    return frame.set_axis(index, axis=0)


def _plain(result):
    if isinstance(result, models.ModelResult):
        return [result.coefficients, result.fit.drop(columns="warnings")]
    if isinstance(result, pd.Series):
        return [result.reset_index(drop=True).to_frame()]
    return [result.reset_index(drop=True)]


@pytest.fixture(scope="module")
def frames():
    return _frames()


@pytest.fixture(scope="module")
def expected(frames):
    return {}


@pytest.mark.parametrize("kind", ["repeated", "labels", "shuffled"])
@pytest.mark.parametrize("name", list(CASES))
def test_any_index_gives_the_same_result(frames, expected, name, kind):
    used, call, rowwise = CASES[name]
    if name not in expected:
        expected[name] = call(frames)
    odd = dict(frames)
    for key in used:
        odd[key] = _reindexed(frames[key], kind)
    before = {key: odd[key].copy() for key in used}
    result = call(odd)
    for got, want in zip(_plain(result), _plain(expected[name]), strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-12)
    if rowwise:
        data = odd[used[0]]
        shown = result.index
        if name in ("representativeness", "rake_weights"):
            data = data.dropna(subset=["age_group", "sex"])
        assert shown.equals(data.index), name
    for key in used:  # the caller's frames are unchanged, index included
        pd.testing.assert_frame_equal(odd[key], before[key])
