"""Models for clustered outcomes against R (lme4::lmer, MASS::polr, psych::ICC; values stored by
tests/reference/mixed_models.R), ICC and design effect, and recovery of the demo's planted
involvement effect."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import ArgumentError
from evalkit.analyse.models import (
    ModelResult,
    design_effect,
    icc,
    involvement_change_data,
    involvement_outcome_model,
    mixed_model,
    ordinal_model,
)
from evalkit.config.study import load_study
from evalkit.datasets import make_demo_study, simulate_responses
from evalkit.datasets.demo import LADDER_ITEMS

REFERENCE = Path(__file__).parent / "reference"
R = json.loads((REFERENCE / "mixed_models.json").read_text())

pytestmark = pytest.mark.r_reference


@pytest.fixture(scope="module")
def dietox():
    # geepack's dietox, as shipped by statsmodels (see tests/reference/mixed_models.R).
    return pd.read_csv(REFERENCE / "dietox.csv")


@pytest.fixture(scope="module")
def ucla():
    data = pd.read_csv(REFERENCE / "ologit_ucla.csv")
    data["apply"] = pd.Categorical(data["apply"], ordered=True,
                                   categories=["unlikely", "somewhat likely", "very likely"])
    return data


@pytest.fixture(scope="module")
def unbalanced():
    # Ten sites of 4 to 160 people whose covariates differ between sites (mixed_models.R).
    return pd.read_csv(REFERENCE / "mixed_unbalanced.csv")


# Tolerances: lme4 and statsmodels maximise the same (RE)ML criterion with different
# optimisers (bobyqa on the relative SD, BFGS on the covariance, run to a gradient of 1e-10);
# the optimum is reached to about 1e-8 relative in the variance parameters, which moves fixed
# effects by ~1e-10 and their SEs and the BLUPs by ~1e-8. Tolerances sit above what is observed.
ENGINES = pytest.mark.parametrize("engine", ["profiled", "statsmodels"])


@ENGINES
@pytest.mark.parametrize(("key", "reml"), [("dietox_reml", True), ("dietox_ml", False)])
def test_mixed_model_matches_lme4(dietox, key, reml, engine):
    ref = R[key]
    fit = mixed_model(dietox, formula="Weight ~ Time", group="Pig", reml=reml, engine=engine)
    assert isinstance(fit, ModelResult)
    coef = fit.coefficients.set_index("term")
    assert list(coef.index) == ["Intercept", "Time"]
    np.testing.assert_allclose(coef["estimate"], list(ref["fixef"].values()), rtol=1e-7)
    np.testing.assert_allclose(coef["std_error"], list(ref["se"].values()), rtol=1e-6)
    f = fit.fit.iloc[0]
    assert f["n_obs"] == ref["nobs"] == 861 and f["n_groups"] == ref["ngroups"] == 72
    assert f["n_dropped"] == 0 and f["converged"]
    assert f["method"] == ("REML" if reml else "ML")
    assert f["log_likelihood"] == pytest.approx(ref["loglik"], abs=1e-6)
    assert f["group_variance"] == pytest.approx(ref["group_variance"], rel=1e-6)
    assert f["residual_variance"] == pytest.approx(ref["residual_variance"], rel=1e-6)
    if reml:
        assert np.isnan(f["aic"]) and np.isnan(f["bic"])  # not comparable across fixed effects
    else:
        assert f["aic"] == pytest.approx(ref["aic"], abs=1e-6)
        assert f["bic"] == pytest.approx(ref["bic"], abs=1e-6)
    vc = fit.variance_components.set_index("component")
    assert vc.loc["Pig", "variance"] == pytest.approx(ref["group_variance"], rel=2e-5)
    assert vc.loc["residual", "sd"] == pytest.approx(np.sqrt(ref["residual_variance"]), rel=1e-5)
    re = fit.random_effects.assign(group=lambda d: d["group"].astype(str)).set_index("group")
    ranef = pd.DataFrame(ref["ranef"]).set_index("group")
    assert len(re) == 72
    np.testing.assert_allclose(re.loc[ranef.index, "estimate"], ranef["condval"], atol=1e-6)
    np.testing.assert_allclose(re.loc[ranef.index, "std_error"], ranef["condsd"], rtol=1e-6)
    assert (re["ci_high"] - re["ci_low"]).to_numpy() == pytest.approx(
        2 * 1.959963984540054 * re["std_error"].to_numpy())


@ENGINES
@pytest.mark.parametrize(("key", "reml"), [("unbalanced_reml", True), ("unbalanced_ml", False)])
def test_standard_errors_match_lme4_on_unbalanced_sites(unbalanced, key, reml, engine):
    # lme4's vcov: sigma^2 (X' V^-1 X)^-1 at the estimated variances. statsmodels' own bse_fe
    # inverts the joint Hessian of fixed effects and variances instead, 0.03-0.15 % larger here.
    ref = R[key]
    fit = mixed_model(unbalanced, formula="change ~ rung + tokenistic", group="site", reml=reml,
                      engine=engine)
    coef = fit.coefficients.set_index("term")
    np.testing.assert_allclose(coef["estimate"], list(ref["fixef"].values()), rtol=1e-7)
    np.testing.assert_allclose(coef["std_error"], list(ref["se"].values()), rtol=1e-6)
    z = 1.959963984540054
    np.testing.assert_allclose(coef["ci_high"] - coef["ci_low"],
                               2 * z * np.array(list(ref["se"].values())), rtol=1e-6)
    f = fit.fit.iloc[0]
    assert f["group_variance"] == pytest.approx(ref["group_variance"], rel=1e-6)
    assert f["residual_variance"] == pytest.approx(ref["residual_variance"], rel=1e-6)
    assert f["log_likelihood"] == pytest.approx(ref["loglik"], abs=1e-8)
    re = fit.random_effects.set_index("group")
    ranef = pd.DataFrame(ref["ranef"]).set_index("group")
    np.testing.assert_allclose(re.loc[ranef.index, "estimate"], ranef["condval"], atol=1e-6)
    np.testing.assert_allclose(re.loc[ranef.index, "std_error"], ranef["condsd"], rtol=1e-6)
    if engine == "statsmodels":
        joint = fit.result.bse_fe.to_numpy() / np.array(list(ref["se"].values())) - 1
        assert joint.max() > 5e-4
    else:  # the profiled fit's covariance is lme4's vcov
        np.testing.assert_allclose(np.sqrt(np.diag(fit.result.cov_params)),
                                   list(ref["se"].values()), rtol=1e-6)


@ENGINES
def test_mixed_model_drops_incomplete_rows_like_lme4(dietox, engine):
    ref = R["dietox_feed_reml"]  # Feed has missing values; lmer uses na.omit
    fit = mixed_model(dietox, formula="Feed ~ Time", group="Pig", engine=engine)
    f = fit.fit.iloc[0]
    assert f["n_obs"] == ref["nobs"] == 789 and f["n_dropped"] == 861 - 789
    np.testing.assert_allclose(fit.coefficients["estimate"], list(ref["fixef"].values()),
                               rtol=1e-7)
    assert f["log_likelihood"] == pytest.approx(ref["loglik"], abs=1e-6)


@ENGINES
def test_mixed_model_on_the_boundary_like_lme4(dietox, engine):
    # Raw weight within pigs: REML puts the between-pig variance at 0 (lme4: singular fit).
    # statsmodels' BFGS stalls there; the Powell refit reaches the boundary. The profiled
    # search compares the boundary itself.
    ref = R["dietox_boundary"]
    fit = mixed_model(dietox, formula="Weight ~ 1", group="Pig", engine=engine)
    f = fit.fit.iloc[0]
    assert f["converged"] and f["boundary"]
    assert ("Powell" in f["warnings"]) == (engine == "statsmodels")
    assert f["group_variance"] < 1e-8 * f["residual_variance"] and ref["group_variance"] == 0
    assert f["residual_variance"] == pytest.approx(ref["residual_variance"], rel=1e-7)
    assert f["log_likelihood"] == pytest.approx(ref["loglik"], abs=1e-6)
    assert fit.coefficients["std_error"].iloc[0] == pytest.approx(
        ref["se"]["(Intercept)"], rel=1e-6)
    assert (fit.random_effects["estimate"] == 0).all()
    assert (fit.random_effects["std_error"] == 0).all()


# polr stops its BFGS search earlier than statsmodels does (statsmodels' log-likelihood is
# higher by 2e-7 for the logit model): estimates agree to about 2e-4 absolute, standard errors
# to 1e-4 relative. Tolerances: 1e-3 and 1e-3.
@pytest.mark.parametrize(("distr", "key"), [("logit", "polr_logit"), ("probit", "polr_probit")])
def test_ordinal_model_matches_mass_polr(ucla, distr, key):
    ref = R[key]
    fit = ordinal_model(ucla, formula="apply ~ pared + public + gpa", distr=distr)
    coef = fit.coefficients.set_index("term")
    terms = [*ref["coef"], *ref["zeta"]]
    assert list(coef.index) == terms  # thresholds named "lower|upper", as in R
    assert coef["kind"].tolist() == ["coefficient"] * 3 + ["threshold"] * 2
    np.testing.assert_allclose(coef["estimate"], [*ref["coef"].values(), *ref["zeta"].values()],
                               atol=1e-3)
    np.testing.assert_allclose(coef["std_error"],
                               [*ref["coef_se"].values(), *ref["zeta_se"].values()], rtol=1e-3)
    f = fit.fit.iloc[0]
    assert f["n_obs"] == 400 and f["n_levels"] == 3 and f["converged"]
    assert f["log_likelihood"] == pytest.approx(ref["loglik"], abs=1e-5)
    assert f["aic"] == pytest.approx(ref["aic"], abs=1e-4)
    assert f["bic"] == pytest.approx(ref["bic"], abs=1e-4)
    if distr == "logit":
        assert coef.loc["pared", "odds_ratio"] == pytest.approx(np.exp(coef.loc["pared",
                                                                               "estimate"]))
    assert np.isnan(coef.loc[terms[-1], "p_value"]) and np.isnan(coef.loc[terms[-1], "odds_ratio"])


def test_ordinal_model_with_a_numeric_rating_and_missing_values(ucla):
    data = ucla.assign(rating=ucla["apply"].cat.codes + 1.0)
    data.loc[[3, 10], "gpa"] = np.nan
    data.loc[[5], "rating"] = np.nan
    fit = ordinal_model(data, formula="rating ~ pared + public + gpa")
    assert fit.coefficients["term"].tolist()[3:] == ["1.0|2.0", "2.0|3.0"]
    assert fit.fit["n_obs"].iloc[0] == 397 and fit.fit["n_dropped"].iloc[0] == 3


def test_icc_matches_shrout_fleiss_and_r(dietox):
    # Shrout & Fleiss (1979), Table 2: published ICC(1,1) = .17; interval from psych::ICC.
    ratings = [9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7]
    sf = pd.DataFrame({"target": np.repeat(range(6), 4), "y": ratings})
    out = icc(sf, y="y", group="target").set_index("method")
    ref = R["shrout_fleiss_icc1"]
    assert round(out.loc["anova", "icc"], 2) == 0.17
    assert out.loc["anova", "icc"] == pytest.approx(ref["icc"], rel=1e-10)
    assert out.loc["anova", "ci_low"] == pytest.approx(ref["ci_low"], rel=1e-10)
    assert out.loc["anova", "ci_high"] == pytest.approx(ref["ci_high"], rel=1e-10)
    # Unequal group sizes (one pig has 11 weeks): n0 and the F interval, from R's aov.
    net = dietox.assign(net_weight=dietox["Weight"] - 7 * dietox["Time"])
    out = icc(net, y="net_weight", group="Pig").set_index("method")
    ref = R["dietox_icc_anova"]
    assert out.loc["anova", "n0"] == pytest.approx(ref["n0"], rel=1e-12)
    for col in ("icc", "ci_low", "ci_high"):
        assert out.loc["anova", col] == pytest.approx(ref[col], rel=1e-9)
    assert out.loc["mixed_model", "icc"] == pytest.approx(R["dietox_icc_mixed"], rel=1e-5)
    assert out.loc["anova", "n_groups"] == 72 and out.loc["anova", "n_obs"] == 861


def test_design_effect():
    assert design_effect(0.05, 21) == pytest.approx(2.0)          # Kish: 1 + (21 - 1) * 0.05
    assert design_effect(0.0, 50) == 1.0
    sizes = np.array([12, 40, 7, 25, 25, 3])
    # Eldridge et al. (2006) with the CV of the sizes at hand equals the variance inflation of a
    # mean over all observations under a common ICC: sum m (1 + (m - 1) rho) / sum m.
    rho = 0.08
    exact = (sizes * (1 + (sizes - 1) * rho)).sum() / sizes.sum()
    assert design_effect(rho, list(sizes)) == pytest.approx(exact, rel=1e-12)
    cv = sizes.std() / sizes.mean()
    assert design_effect(rho, sizes.mean(), cv=cv) == pytest.approx(exact, rel=1e-12)
    for kwargs, param in (({"icc": 2.0, "cluster_size": 10}, "icc"),
                          ({"icc": 0.1, "cluster_size": 0.5}, "cluster_size"),
                          ({"icc": 0.1, "cluster_size": [5, 0]}, "cluster_size"),
                          ({"icc": 0.1, "cluster_size": 10, "cv": -1}, "cv"),
                          ({"icc": 0.1, "cluster_size": [5, 6], "cv": 0.2}, "cv")):
        with pytest.raises(ArgumentError) as info:
            design_effect(**kwargs)
        assert info.value.where == param


@pytest.fixture(scope="module")
def large_demo():
    demo = simulate_responses(n_sites=100, n_per_site=300, seed=20261122)
    r = demo.responses
    r[LADDER_ITEMS] = r[LADDER_ITEMS].mask(r[LADDER_ITEMS] >= 8)  # codes 8 and 9 -> NaN
    return demo, r


@pytest.fixture(scope="module")
def demo_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    return load_study(make_demo_study(folder, n_sites=3, n_per_site=20, formats="plain"))


def test_mixed_model_recovers_the_planted_involvement_effect(large_demo, demo_study):
    demo, responses = large_demo
    change = involvement_change_data(responses, study=demo_study)
    assert set(change["respondent_type"]) == {"user"}
    assert change["rung"].between(0, 5).all()
    fit = mixed_model(change, formula="outcome_change ~ rung", group="site", confidence=0.999)
    rung = fit.coefficients.set_index("term").loc["rung"]
    truth = demo.truth["involvement_effect_per_rung"]  # 0.085 on the mean of the 15 items
    # One sample, a 99.9% interval: a false alarm has probability 1/1000, whatever the seed.
    assert rung["ci_low"] <= truth <= rung["ci_high"]
    assert rung["ci_high"] - rung["ci_low"] < 0.02  # and the interval is informative
    assert fit.fit["n_groups"].iloc[0] == 100
    # Thin wrapper: rung and tokenism at baseline, the study's confidence level.
    full = involvement_outcome_model(responses, study=demo_study)
    terms = full.coefficients["term"].tolist()
    assert terms == ["Intercept", "rung", "tokenistic"]
    assert full.coefficients.set_index("term").loc["rung", "estimate"] == pytest.approx(
        truth, abs=0.01)


@pytest.mark.parametrize(("n_sites", "reml"), [(7, True), (40, False), (40, True)])
def test_the_engines_agree_on_generated_sites(n_sites, reml, demo_study):
    # Any number of unequal sites, a covariate: the profiled fit and statsmodels maximise the
    # same criterion (statsmodels to a gradient of 1e-10).
    responses = simulate_responses(n_sites=n_sites, n_per_site=30, seed=n_sites).responses
    change = involvement_change_data(responses, study=demo_study, covariates=["age_group"])
    change = change.iloc[: len(change) - 3 * n_sites]  # sites of unequal sizes
    formula = "outcome_change ~ rung + tokenistic + age_group"
    fast = mixed_model(change, formula=formula, group="site", reml=reml)
    slow = mixed_model(change, formula=formula, group="site", reml=reml, engine="statsmodels")
    pd.testing.assert_series_equal(fast.coefficients["term"], slow.coefficients["term"])
    for column in ("estimate", "std_error"):
        np.testing.assert_allclose(fast.coefficients[column], slow.coefficients[column],
                                   rtol=1e-5, atol=1e-8)
    for column in ("group_variance", "residual_variance", "log_likelihood", "n_obs"):
        assert fast.fit[column].iloc[0] == pytest.approx(slow.fit[column].iloc[0], rel=1e-5,
                                                         abs=1e-8)
    np.testing.assert_allclose(fast.random_effects["estimate"],
                               slow.random_effects["estimate"], atol=1e-5)
    assert list(fast.random_effects["group"]) == list(slow.random_effects["group"])


def test_involvement_change_data_keeps_people_lost_to_follow_up(demo_study):
    responses = simulate_responses(n_sites=3, n_per_site=20).responses
    responses[LADDER_ITEMS] = responses[LADDER_ITEMS].mask(responses[LADDER_ITEMS] >= 8)
    before = responses.copy(deep=True)
    change = involvement_change_data(responses, study=demo_study, covariates=["age_group"])
    users = responses[(responses["wave"] == 1) & (responses["respondent_type"] == "user")]
    assert len(change) == len(users)
    followed = set(responses.loc[responses["wave"] == 2, "respondent_id"])
    lost = ~change["respondent_id"].isin(followed)
    assert lost.any() and change.loc[lost, "outcome_change"].isna().all()
    assert "age_group" in change.columns
    fit = involvement_outcome_model(responses, study=demo_study, covariates=["age_group"])
    assert any(t.startswith("age_group[") for t in fit.coefficients["term"])
    pd.testing.assert_frame_equal(responses, before)


def test_callers_frame_is_unchanged(dietox, ucla):
    for data, call in (
        (dietox, lambda d: mixed_model(d, formula="Weight ~ Time", group="Pig")),
        (dietox.assign(net=dietox["Weight"] - 7 * dietox["Time"]),
         lambda d: icc(d, y="net", group="Pig")),
        (ucla, lambda d: ordinal_model(d, formula="apply ~ pared + gpa")),
        (ucla.assign(r=ucla["apply"].cat.codes),
         lambda d: ordinal_model(d, formula="r ~ pared + gpa")),
    ):
        before = data.copy(deep=True)
        call(data)
        pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize(("call", "param"), [
    (lambda d: mixed_model(d, formula="Weight", group="Pig"), "formula"),
    (lambda d: mixed_model(d, formula="Weight ~ Nope", group="Pig"), "formula"),
    (lambda d: mixed_model(d, formula="Weight ~ Time", group="Nope"), "group"),
    (lambda d: mixed_model(d, formula="Weight ~ Time", group="Pig", reml="yes"), "reml"),
    (lambda d: mixed_model(d, formula="Weight ~ Time", group="Pig", confidence=0), "confidence"),
    (lambda d: mixed_model(d, formula="Weight ~ Time", group="Pig", engine="lme4"), "engine"),
    (lambda d: mixed_model(d.assign(T2=2 * d["Time"]), formula="Weight ~ Time + T2",
                           group="Pig"), "formula"),
    (lambda d: ordinal_model(d, formula="Nope ~ Time"), "formula"),
    (lambda d: ordinal_model(d, formula="Evit ~ Time", distr="cauchit"), "distr"),
    (lambda d: icc(d, y="Nope", group="Pig"), "y"),
    (lambda d: icc(d, y="Weight", group="Weight"), "group"),
])
def test_bad_arguments_name_the_parameter(dietox, call, param):
    with pytest.raises(ArgumentError) as info:
        call(dietox)
    assert info.value.where == param


def test_study_helpers_need_a_study(dietox):
    with pytest.raises(ArgumentError) as info:
        involvement_outcome_model(dietox, study={"measures": {}})
    assert info.value.where == "study"
