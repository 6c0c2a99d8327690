"""Shrunken site estimates: closed forms, metafor (DerSimonian-Laird BLUPs) and a
beta-binomial fitted by R's optim (tests/reference/shrinkage.R)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from evalkit import ArgumentError, DataError
from evalkit.analyse.shrinkage import shrunken_estimates
from evalkit.datasets import simulate_responses

REFERENCE = Path(__file__).parent / "reference"

# The two examples of shrinkage.R.
MEANS = pd.DataFrame({"site": ["A", "B", "C", "D"], "mean": [3.0, 3.5, 2.5, 4.0],
                      "sd": [1.0, 1.2, 0.8, 1.1], "n": [25, 100, 4, 16]})
PROPS = pd.DataFrame({"site": list("ABCDEFGH"), "x": [3, 10, 22, 5, 30, 12, 8, 40],
                      "n": [20, 50, 60, 30, 80, 40, 25, 90]})


def by_site(out):
    return out.set_index("site").sort_index()


def test_normal_normal_closed_form():
    # y = 0, 2, 4 with v = sd²/n = 4/4 = 1: w = 1, ȳ_w = 2, Q = 4 + 0 + 4 = 8,
    # τ² = (8 - 2) / (3 - 3/3) = 3; B = 1 / (1 + 3) = 0.25; μ = 2;
    # shrunken = 2 + 0.75 (y - 2) = 0.5, 2, 3.5; var = 0.75 × 1 + 0.25² / (3 / 4) = 0.8333.
    data = pd.DataFrame({"site": list("ABC"), "m": [0.0, 2.0, 4.0], "sd": [2.0] * 3,
                         "n": [4] * 3})
    out = by_site(shrunken_estimates(data, site="site", kind="mean", mean="m", sd="sd", n="n"))
    assert out["tau2"].tolist() == pytest.approx([3.0] * 3)
    assert out["prior_mean"].tolist() == pytest.approx([2.0] * 3)
    assert out["shrunken"].tolist() == pytest.approx([0.5, 2.0, 3.5])
    assert out["weight"].tolist() == pytest.approx([0.75] * 3)
    half = stats.norm.ppf(0.975) * np.sqrt(0.75 + 0.0625 / 0.75)
    assert out["shrunken_ci_high"].tolist() == pytest.approx([0.5 + half, 2 + half, 3.5 + half])
    # Raw interval: t on n - 1 = 3 degrees of freedom, 2 / √4 = 1.
    assert out.loc["A", "ci_low"] == pytest.approx(0 - stats.t.ppf(0.975, 3))


def test_tau2_zero_shrinks_every_site_to_the_pooled_mean():
    # Site means closer together than chance: Q < k - 1, τ² = 0, every shrunken estimate is
    # the inverse-variance pooled mean Σ w y / Σ w, with weight 0 on the site's own data.
    data = pd.DataFrame({"site": list("ABCD"), "m": [5.0, 5.1, 4.9, 5.05],
                         "sd": [1.0, 2.0, 1.5, 1.0], "n": [20, 40, 30, 10]})
    out = shrunken_estimates(data, site="site", kind="mean", mean="m", sd="sd", n="n")
    w = data["n"] / data["sd"] ** 2
    pooled = (w * data["m"]).sum() / w.sum()
    assert (out["tau2"] == 0).all()
    assert out["shrunken"].tolist() == pytest.approx([pooled] * 4)
    assert (out["weight"] == 0).all()
    # The interval is that of the pooled mean: ± z / √Σw.
    half = stats.norm.ppf(0.975) / np.sqrt(w.sum())
    assert (out["shrunken_ci_high"] - out["shrunken"]).tolist() == pytest.approx([half] * 4)


@pytest.mark.r_reference
@pytest.mark.parametrize("example", ["means", "proportions"])
def test_normal_normal_matches_metafor_blup(example):
    # R: fit <- rma(yi, vi, method = "DL"); blup(fit)
    ref = pd.read_csv(REFERENCE / "shrinkage_normal.csv")
    ref = ref[ref["example"] == example].set_index("site").sort_index()
    if example == "means":
        out = shrunken_estimates(MEANS, site="site", kind="mean", mean="mean", sd="sd", n="n")
    else:
        out = shrunken_estimates(PROPS, site="site", numerator="x", denominator="n",
                                 method="normal")
    out = by_site(out)
    np.testing.assert_allclose(out["tau2"], ref["tau2"], rtol=1e-10)
    np.testing.assert_allclose(out["prior_mean"], ref["mu"], rtol=1e-10)
    np.testing.assert_allclose(out["shrunken"], ref["shrunken"], rtol=1e-10)
    np.testing.assert_allclose(out["shrunken_ci_low"], ref["ci_low"], rtol=1e-10)
    np.testing.assert_allclose(out["shrunken_ci_high"], ref["ci_high"], rtol=1e-10)


@pytest.mark.r_reference
def test_beta_binomial_matches_r_optim():
    # R: optim over (logit μ, log M) of Σ lbeta(x + a, n - x + b) - lbeta(a, b), then the
    # Beta(a + x, b + n - x) posterior. The two optimisers (BFGS in R, L-BFGS-B here) stop
    # near the same optimum, about 1e-7 apart (relative): compared at 1e-6, a tiny fraction
    # of any interval's width.
    ref = pd.read_csv(REFERENCE / "shrinkage_betabinomial.csv").set_index("site").sort_index()
    out = by_site(shrunken_estimates(PROPS, site="site", numerator="x", denominator="n"))
    assert (out["method"] == "beta_binomial").all()
    np.testing.assert_allclose(out["prior_mean"], ref["mu"], rtol=1e-6)
    m = ref["m"].iloc[0]
    np.testing.assert_allclose(out["weight"], PROPS.set_index("site")["n"] / (PROPS.set_index(
        "site")["n"] + m), rtol=1e-6)
    np.testing.assert_allclose(out["shrunken"], ref["shrunken"], rtol=1e-6)
    np.testing.assert_allclose(out["shrunken_ci_low"], ref["ci_low"], rtol=1e-6)
    np.testing.assert_allclose(out["shrunken_ci_high"], ref["ci_high"], rtol=1e-6)


def test_beta_binomial_posterior_closed_form():
    out = by_site(shrunken_estimates(PROPS, site="site", numerator="x", denominator="n"))
    mu = out["prior_mean"].iloc[0]
    m = mu * (1 - mu) / out["tau2"].iloc[0] - 1
    x, n = PROPS.set_index("site")["x"], PROPS.set_index("site")["n"]
    np.testing.assert_allclose(out["shrunken"], (mu * m + x) / (m + n), rtol=1e-9)
    # The fit is a maximum: the log-likelihood is lower a little away in every direction.
    def loglik(mu_, m_):
        a, b = mu_ * m_, (1 - mu_) * m_
        return (special.betaln(x + a, n - x + b) - special.betaln(a, b)).sum()
    best = loglik(mu, m)
    for dm, dmu in [(1.05, 0), (0.95, 0), (1, 0.005), (1, -0.005)]:
        assert loglik(mu + dmu, m * dm) < best


def test_no_between_site_variation_gives_full_shrinkage_in_the_beta_binomial():
    data = pd.DataFrame({"site": list("ABCD"), "x": [30, 30, 30, 30], "n": [100] * 4})
    out = shrunken_estimates(data, site="site", numerator="x", denominator="n")
    assert out["shrunken"].tolist() == pytest.approx([0.3] * 4, abs=1e-6)
    assert (out["weight"] < 1e-5).all()


def test_output_is_ordered_without_ranks_and_few_sites_flagged():
    out = shrunken_estimates(PROPS, site="site", numerator="x", denominator="n")
    assert out["shrunken"].is_monotonic_increasing
    assert not any("rank" in c for c in out.columns)
    assert out["few_sites"].all()
    assert list(out.columns) == ["site", "n", "estimate", "ci_low", "ci_high", "shrunken",
                                 "shrunken_ci_low", "shrunken_ci_high", "weight",
                                 "prior_mean", "tau2", "method", "few_sites"]
    # Wilson interval for the raw estimate (A: 3 of 20).
    a = out.set_index("site").loc["A"]
    z = stats.norm.ppf(0.975)
    p, n = 0.15, 20
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((centre - half, centre + half))


def test_small_sites_shrink_more_on_the_demo():
    demo = simulate_responses(n_sites=6, n_per_site=300, waves=1, seed=8)
    users = demo.responses[demo.responses["respondent_type"] == "user"]
    consulted = users[users["inv_consulted"].between(4, 5) & (users["inv_influence"] <= 5)]
    table = consulted.assign(tokenistic=(consulted["inv_influence"] < 4).astype(int))
    # Keep a few respondents of one site: it becomes small and is pulled hardest.
    small_site = "B"
    table = pd.concat([table[table["site"] != small_site],
                       table[table["site"] == small_site].head(8)])
    out = shrunken_estimates(table, site="site", y="tokenistic").set_index("site")
    assert out["weight"].idxmin() == small_site
    assert out.loc[small_site, "n"] == 8
    truth = {s: v["tokenism_rate_users"] for s, v in demo.truth["sites"].items()}
    covered = [out.loc[s, "shrunken_ci_low"] <= truth[s] <= out.loc[s, "shrunken_ci_high"]
               for s in out.index]
    assert sum(covered) >= 5


def test_bad_arguments_and_frame_unchanged():
    before = PROPS.copy(deep=True)
    with pytest.raises(ArgumentError, match="method must be one of"):
        shrunken_estimates(PROPS, site="site", numerator="x", denominator="n", method="bayes")
    with pytest.raises(ArgumentError, match="kind='proportion' only"):
        shrunken_estimates(MEANS, site="site", kind="mean", mean="mean", sd="sd", n="n",
                           method="beta_binomial")
    with pytest.raises(ArgumentError, match="confidence"):
        shrunken_estimates(PROPS, site="site", numerator="x", denominator="n", confidence=2)
    with pytest.raises(DataError, match="at least 3 site"):
        shrunken_estimates(PROPS.head(2), site="site", numerator="x", denominator="n")
    with pytest.raises(DataError, match="does not vary"):
        shrunken_estimates(PROPS.assign(x=0), site="site", numerator="x", denominator="n")
    pd.testing.assert_frame_equal(PROPS, before)
