"""Funnel limits and overdispersion (Spiegelhalter 2005; Spiegelhalter et al. 2012).

No R package for funnel plots is installed here, so the exact binomial limits are checked
against a direct computation written independently below (the formula of Spiegelhalter 2005,
appendix A.1.1), and φ and τ² against small examples whose arithmetic is written out.
"""

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit import ArgumentError, DataError
from evalkit.analyse.funnel import funnel_limits, overdispersion
from evalkit.datasets import simulate_responses


def exact_limit(n, theta, p):
    """Spiegelhalter (2005), appendix A.1.1, by direct summation of binomial probabilities.

    r_p: the smallest r with P(R ≤ r) ≥ p, R ~ Bin(n, θ);
    α = (P(R ≤ r_p) - p) / (P(R ≤ r_p) - P(R ≤ r_p - 1)); limit = (r_p - α) / n in [0, 1].
    """
    cdf = 0.0
    for r in range(n + 1):
        pmf = comb(n, r) * theta**r * (1 - theta) ** (n - r)
        cdf += pmf
        if cdf >= p:
            alpha = (cdf - p) / pmf
            return min(max((r - alpha) / n, 0.0), 1.0)
    return 1.0


def site_rows(out):
    return out[out["source"] == "site"].set_index(["site", "level"])


@pytest.fixture
def sites():
    return pd.DataFrame({"site": ["A", "B", "C", "D", "E"],
                         "events": [2, 30, 9, 55, 1], "people": [8, 50, 45, 150, 20]})


# ----------------------------------------------------------------------------- exact limits


@pytest.mark.parametrize("n", [5, 8, 20, 45, 50, 150, 400])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_exact_binomial_limits_match_direct_summation(n, level):
    theta = 97 / 273  # the pooled proportion of the `sites` fixture
    data = pd.DataFrame({"site": ["X", "Y"], "events": [0, 97], "people": [n, 273 - n]})
    if n >= 273:
        data["people"] = [n, 300]
    out = site_rows(funnel_limits(data, site="site", numerator="events", denominator="people",
                                  target=theta, levels=(level,)))
    tail = (1 - level) / 2
    assert out.loc[("X", level), "lower"] == pytest.approx(exact_limit(n, theta, tail),
                                                           abs=1e-12)
    assert out.loc[("X", level), "upper"] == pytest.approx(exact_limit(n, theta, 1 - tail),
                                                           abs=1e-12)


def test_grid_limits_match_direct_summation_and_are_clipped(sites):
    out = funnel_limits(sites, site="site", numerator="events", denominator="people",
                        n_grid=40)
    grid = out[out["source"] == "grid"]
    theta = 97 / 273
    for row in grid.sample(15, random_state=1).itertuples():
        tail = (1 - row.level) / 2
        assert row.lower == pytest.approx(exact_limit(int(row.n), theta, tail), abs=1e-12)
        assert row.upper == pytest.approx(exact_limit(int(row.n), theta, 1 - tail), abs=1e-12)
    assert (grid["lower"] >= 0).all() and (grid["upper"] <= 1).all()
    # n = 6 (0.8 × 8, rounded): the 99.8 % lower limit is clipped at 0.
    small = grid[(grid["n"] == grid["n"].min()) & (grid["level"] == 0.998)]
    assert small["lower"].iloc[0] == 0.0
    assert grid["n"].min() == 6 and grid["n"].max() == 165
    assert (grid["n"] % 1 == 0).all()


def test_exact_limits_approach_normal_limits_for_large_n():
    n = 20_000
    data = pd.DataFrame({"site": ["A", "B"], "events": [6000, 6100], "people": [n, n]})
    out = site_rows(funnel_limits(data, site="site", numerator="events", denominator="people",
                                  target=0.3))
    half = stats.norm.ppf(0.999) * np.sqrt(0.3 * 0.7 / n)
    assert out.loc[("A", 0.998), "upper"] == pytest.approx(0.3 + half, abs=2e-4)
    assert out.loc[("A", 0.998), "lower"] == pytest.approx(0.3 - half, abs=2e-4)


def test_site_rows_z_and_outside(sites):
    out = site_rows(funnel_limits(sites, site="site", numerator="events",
                                  denominator="people"))
    theta = 97 / 273
    d = out.loc[("D", 0.95)]
    assert d["target"] == pytest.approx(theta)
    assert d["estimate"] == pytest.approx(55 / 150)
    assert d["z"] == pytest.approx((55 / 150 - theta) / np.sqrt(theta * (1 - theta) / 150))
    # B: 30/50 = 0.60, above both limits; E: 1/20 below the 95 % limit only.
    assert out.loc[("B", 0.95), "outside"] and out.loc[("B", 0.998), "outside"]
    assert out.loc[("B", 0.95), "direction"] == "above"
    assert out.loc[("E", 0.95), "direction"] == "below"
    assert not out.loc[("E", 0.998), "outside"]
    assert not out.loc[("D", 0.95), "outside"]
    expected = [exact_limit(50, theta, 0.975), exact_limit(20, theta, 0.025)]
    assert [out.loc[("B", 0.95), "upper"], out.loc[("E", 0.95), "lower"]] == \
        pytest.approx(expected, abs=1e-12)


def test_respondent_rows_give_the_same_limits(sites):
    rows = []
    for s in sites.itertuples():
        rows += [(s.site, 1)] * s.events + [(s.site, 0)] * (s.people - s.events)
    people = pd.DataFrame(rows, columns=["where", "tokenistic"])
    people.loc[len(people)] = ["A", None]  # a missing answer is left out
    a = funnel_limits(people, site="where", y="tokenistic")
    b = funnel_limits(sites, site="site", numerator="events", denominator="people")
    pd.testing.assert_frame_equal(a, b)


def test_means_use_normal_limits_with_the_pooled_sd():
    data = pd.DataFrame({"site": ["A", "B", "C"], "m": [10.0, 12.0, 11.0],
                         "sd": [2.0, 3.0, 2.5], "n": [10, 20, 30]})
    out = site_rows(funnel_limits(data, site="site", kind="mean", mean="m", sd="sd", n="n"))
    sigma = np.sqrt((9 * 4 + 19 * 9 + 29 * 6.25) / (9 + 19 + 29))
    theta = (10 * 10 + 12 * 20 + 11 * 30) / 60
    z = stats.norm.ppf(0.975)
    assert out.loc[("A", 0.95), "target"] == pytest.approx(theta)
    assert out.loc[("A", 0.95), "upper"] == pytest.approx(theta + z * sigma / np.sqrt(10))
    assert out.loc[("C", 0.95), "lower"] == pytest.approx(theta - z * sigma / np.sqrt(30))
    assert out.loc[("B", 0.95), "z"] == pytest.approx((12 - theta) / (sigma / np.sqrt(20)))


def test_respondent_rows_of_a_mean_give_the_site_summaries():
    gen = np.random.default_rng(5)
    people = pd.DataFrame({"site": np.repeat(["A", "B", "C"], [5, 12, 30]),
                           "score": gen.normal(20, 4, 47).round(1)})
    summary = people.groupby("site")["score"].agg(["mean", "std", "size"]).reset_index()
    a = funnel_limits(people, site="site", kind="mean", y="score")
    b = funnel_limits(summary, site="site", kind="mean", mean="mean", sd="std", n="size")
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_tau2_widens_the_limits(sites):
    out = site_rows(funnel_limits(sites, site="site", numerator="events",
                                  denominator="people", tau2=0.01))
    theta = 97 / 273
    half = stats.norm.ppf(0.975) * np.sqrt(theta * (1 - theta) / 50 + 0.01)
    assert out.loc[("B", 0.95), "upper"] == pytest.approx(theta + half)
    assert out.loc[("B", 0.95), "z"] == pytest.approx((0.6 - theta) / (half / 1.959963984540054))


# ------------------------------------------------- outside a limit: the exact tail probability

THETA = 0.37


def exact_flag(r, n, theta, level):
    """Outside the two-sided ``level`` limits: P(R ≤ r) or P(R ≥ r) below (1 - level) / 2,
    R ~ Bin(n, θ) (scipy.stats.binom directly)."""
    tail = (1 - level) / 2
    if stats.binom.cdf(r, n, theta) < tail:
        return "below"
    if stats.binom.sf(r - 1, n, theta) < tail:
        return "above"
    return None


def one_count_either_side(n, theta, level):
    """For each limit at ``level``: the count just outside it and the count just inside."""
    tail = (1 - level) / 2
    counts = np.arange(n + 1)
    up = counts[stats.binom.sf(counts - 1, n, theta) < tail].min()
    low = counts[stats.binom.cdf(counts, n, theta) < tail].max()
    return {"above": up, "inside_above": up - 1, "below": low, "inside_below": low + 1}


def test_a_site_at_one_of_one_is_not_outside():
    # P(R ≥ 1) = θ = 0.37 for one person: nowhere near either tail. The interpolated limits at
    # n = 1 lie below 1, which flagged 100 % as outside both limits before.
    data = pd.DataFrame({"site": ["tiny", "big"], "events": [1, 37], "people": [1, 100]})
    out = site_rows(funnel_limits(data, site="site", numerator="events", denominator="people",
                                  target=THETA))
    assert stats.binom.sf(0, 1, THETA) == pytest.approx(0.37)
    assert (out.loc[("tiny", 0.95), "upper"], out.loc[("tiny", 0.998), "upper"]) < (1.0, 1.0)
    assert not out.loc["tiny", "outside"].any()
    assert out.loc["tiny", "direction"].isna().all()


@pytest.mark.parametrize("n", [30, 60, 250])
def test_sites_one_count_either_side_of_each_limit(n):
    names, events = [], []
    for level in (0.95, 0.998):
        for side, r in one_count_either_side(n, THETA, level).items():
            names.append(f"{side}@{level}")
            events.append(int(r))
    data = pd.DataFrame({"site": names, "events": events, "people": n})
    out = site_rows(funnel_limits(data, site="site", numerator="events", denominator="people",
                                  target=THETA))
    for name, r in zip(names, events, strict=True):
        for level in (0.95, 0.998):
            expected = exact_flag(r, n, THETA, level)
            row = out.loc[(name, level)]
            assert bool(row["outside"]) == (expected is not None), (name, level, r)
            assert (row["direction"] if pd.notna(row["direction"]) else None) == expected
    # Each site just outside a limit is outside it; each one count inside is inside it.
    for level in (0.95, 0.998):
        for side in ("above", "below"):
            assert out.loc[(f"{side}@{level}", level), "direction"] == side
            assert not out.loc[(f"inside_{side}@{level}", level), "outside"]


def test_a_site_drawn_beyond_the_interpolated_line_can_be_inside():
    # n = 100, θ = 0.5: the interpolated upper 95 % limit is 0.593; 60 of 100 is drawn beyond
    # it, but P(R ≥ 60) = 0.0284 > 0.025, so it is not outside (61 of 100 is: 0.0176).
    data = pd.DataFrame({"site": ["a", "b"], "events": [60, 61], "people": [100, 100]})
    out = site_rows(funnel_limits(data, site="site", numerator="events", denominator="people",
                                  target=0.5))
    assert out.loc[("a", 0.95), "estimate"] > out.loc[("a", 0.95), "upper"]
    assert stats.binom.sf(59, 100, 0.5) > 0.025 > stats.binom.sf(60, 100, 0.5)
    assert not out.loc[("a", 0.95), "outside"]
    assert out.loc[("b", 0.95), "direction"] == "above"


def test_a_mean_is_outside_from_its_normal_tail():
    # Pooled SD 2 (every site), n = 16: s = 0.5; z = ±1.95 is inside 95 %, ±1.97 outside.
    data = pd.DataFrame({"site": list("ABCD"), "mean": [10.975, 11.015, 9.025, 8.985],
                         "sd": [2.0] * 4, "n": [16] * 4})
    out = site_rows(funnel_limits(data, site="site", kind="mean", mean="mean", sd="sd", n="n",
                                  target=10.0))
    z = (data["mean"] - 10.0) / 0.5
    expected = stats.norm.sf(np.abs(z)) < 0.025
    assert out.xs(0.95, level="level")["outside"].tolist() == expected.tolist() == \
        [False, True, False, True]


def test_the_adjusted_flags_come_from_the_adjusted_normal_tail():
    data = pd.DataFrame({"site": list("ABCDEFGH"), "events": [10, 30, 22, 45, 8, 60, 35, 28],
                         "people": [100] * 8})
    out = overdispersion(data, site="site", numerator="events", denominator="people")
    for level in (0.95, 0.998):
        rows = out[out["level"] == level]
        tail = stats.norm.sf(np.abs(rows["z_adjusted"].to_numpy()))
        assert rows["outside_adjusted"].tolist() == (tail < (1 - level) / 2).tolist()
        theta = data["events"].sum() / 800
        plain = [exact_flag(r, 100, theta, level) is not None for r in rows["estimate"] * 100]
        assert rows["outside"].tolist() == plain


# ----------------------------------------------------------------------------- overdispersion


def test_overdispersion_by_hand():
    # Five sites of 100 people, 40 % to 60 %: θ = 0.5, s = √(0.25/100) = 0.05 for every site,
    # z = -2, -1, 0, 1, 2. Winsorised at 10 % (type-7 percentiles): position 0.4 between the
    # two lowest, -2 + 0.4 × 1 = -1.6; likewise +1.6. φ = (2.56 + 1 + 0 + 1 + 2.56) / 5 = 1.424.
    # w = 1/s² = 400: Σw = 2000, Σw² / Σw = 400; τ² = (5 × 1.424 - 4) / (2000 - 400)
    # = 3.12 / 1600 = 0.00195. kφ = 7.12 on 4 degrees of freedom.
    data = pd.DataFrame({"site": list("ABCDE"), "events": [40, 45, 50, 55, 60],
                         "people": [100] * 5})
    out = overdispersion(data, site="site", numerator="events", denominator="people")
    first = out.iloc[0]
    assert first["phi"] == pytest.approx(1.424)
    assert first["tau2"] == pytest.approx(0.00195)
    assert first["chi2"] == pytest.approx(7.12)
    assert first["df"] == 4
    assert first["p_value"] == pytest.approx(stats.chi2.sf(7.12, 4))
    assert first["k"] == 5 and first["few_sites"]
    rows = out.set_index(["site", "level"])
    assert rows["z_winsorised"].xs(0.95, level="level").tolist() == \
        pytest.approx([-1.6, -1.0, 0.0, 1.0, 1.6])
    # Widened 95 % limits: 0.5 ± 1.959964 × √(0.0025 + 0.00195) = 0.5 ± 0.130746.
    a = rows.loc[("A", 0.95)]
    assert a["lower_adjusted"] == pytest.approx(0.5 - 1.959964 * np.sqrt(0.00445), abs=1e-6)
    assert a["upper_adjusted"] == pytest.approx(0.369254 + 2 * 0.130746, abs=1e-5)
    assert a["z_adjusted"] == pytest.approx(-0.1 / np.sqrt(0.00445))
    # Before: exact 95 % limits at n = 100, θ = 0.5. Lower: r = 40 (P(R ≤ 40) = 0.02844),
    # α = (0.02844 - 0.025) / 0.01084 = 0.3176, limit 0.39682. Upper: r = 60
    # (P(R ≤ 60) = 0.98240), α = (0.98240 - 0.975) / 0.01084 = 0.6824, limit 0.59318. The
    # interpolation spreads the mass of r over (r - 1, r], so E (0.60) is drawn just beyond the
    # upper line and A (0.40) just inside the lower one. Neither is outside: the flags come from
    # the exact tails, P(R ≥ 60) = P(R ≤ 40) = 0.02844 > 0.025; nor after widening.
    assert a["lower"] == pytest.approx(0.396824, abs=1e-6)
    assert rows.loc[("E", 0.95), "upper"] == pytest.approx(0.593176, abs=1e-6)
    assert stats.binom.sf(59, 100, 0.5) == pytest.approx(0.02844, abs=1e-5)
    assert not rows["outside"].any()
    assert not rows["outside_adjusted"].any()


def test_overdispersion_flags_change_after_widening():
    data = pd.DataFrame({"site": list("ABCDEFGH"),
                         "events": [10, 30, 22, 45, 8, 60, 35, 28],
                         "people": [100] * 8})
    out = overdispersion(data, site="site", numerator="events", denominator="people")
    at = out[out["level"] == 0.998].set_index("site")
    assert at["tau2"].iloc[0] > 0.01
    assert set(at.index[at["outside"]]) == {"A", "D", "E", "F"}
    assert not at["outside_adjusted"].any()
    assert ((at["lower_adjusted"] <= at["lower"]) & (at["upper_adjusted"] >= at["upper"])).all()


def test_no_overdispersion_keeps_the_limits():
    # Every site at the target: φ = 0 < 1, τ² = 0, the limits are unchanged.
    data = pd.DataFrame({"site": list("ABCD"), "events": [20, 10, 40, 30],
                         "people": [100, 50, 200, 150]})
    out = overdispersion(data, site="site", numerator="events", denominator="people")
    assert (out["phi"] == 0).all() and (out["tau2"] == 0).all()
    assert (out["lower"] == out["lower_adjusted"]).all()
    assert (out["z"] == out["z_adjusted"]).all()


def test_phi_between_k_minus_one_over_k_and_one_gives_no_tau2():
    # z = (-1, 0, 1) with θ = 0.5, n = 100: winsorised (-0.8, 0, 0.8), φ = 1.28 / 3 < 1.
    data = pd.DataFrame({"site": list("ABC"), "events": [45, 50, 55], "people": [100] * 3})
    out = overdispersion(data, site="site", numerator="events", denominator="people")
    assert out["phi"].iloc[0] == pytest.approx(1.28 / 3)
    assert out["tau2"].iloc[0] == 0


def test_given_target_tests_on_k_degrees_of_freedom():
    data = pd.DataFrame({"site": list("ABCDE"), "events": [40, 45, 50, 55, 60],
                         "people": [100] * 5})
    out = overdispersion(data, site="site", numerator="events", denominator="people",
                         target=0.5)
    assert out["df"].iloc[0] == 5
    assert out["p_value"].iloc[0] == pytest.approx(stats.chi2.sf(7.12, 5))


def test_overdispersion_of_means_by_hand():
    # σ pooled = 2 (every sd is 2), n = 16: s = 0.5; means 9, 10, 11 around θ = 10:
    # z = -2, 0, 2, winsorised -1.6, 0, 1.6 → φ = 5.12 / 3; w = 4: τ² = (5.12 - 2) / (12 - 4).
    data = pd.DataFrame({"site": list("ABC"), "m": [9.0, 10.0, 11.0], "sd": [2.0] * 3,
                         "n": [16] * 3})
    out = overdispersion(data, site="site", kind="mean", mean="m", sd="sd", n="n")
    assert out["phi"].iloc[0] == pytest.approx(5.12 / 3)
    assert out["tau2"].iloc[0] == pytest.approx(3.12 / 8)
    row = out[(out["site"] == "C") & (out["level"] == 0.95)].iloc[0]
    assert row["upper_adjusted"] == pytest.approx(10 + stats.norm.ppf(0.975)
                                                  * np.sqrt(0.25 + 0.39))


def test_many_sites_are_not_flagged():
    gen = np.random.default_rng(2)
    data = pd.DataFrame({"site": [f"S{i:02d}" for i in range(25)],
                         "events": gen.binomial(80, 0.3, 25), "people": 80})
    out = overdispersion(data, site="site", numerator="events", denominator="people")
    assert not out["few_sites"].any() and (out["k"] == 25).all()


# ----------------------------------------------------------------------- the planted tokenism


def test_planted_high_tokenism_site_is_above_the_998_limit():
    demo = simulate_responses(n_sites=8, n_per_site=400, waves=1, seed=11)
    r = demo.responses
    users = r[r["respondent_type"] == "user"]
    consulted = users[users["inv_consulted"].between(4, 5) & (users["inv_influence"] <= 5)]
    table = consulted.assign(tokenistic=(consulted["inv_influence"] < 4).astype(int))
    out = site_rows(funnel_limits(table, site="site", y="tokenistic"))
    high = demo.truth["high_tokenism_site"]
    assert out.loc[(high, 0.998), "direction"] == "above"
    assert out.loc[(high, 0.998), "estimate"] == pytest.approx(0.80, abs=0.08)
    # The other sites' planted rates (0.25 to 0.60) are spread, so some of them lie outside
    # too; the planted site is the farthest above.
    at = out.xs(0.998, level="level")
    assert at["z"].idxmax() == high


# ------------------------------------------------------------------ arguments and the frame


def test_bad_arguments(sites):
    kwargs = {"site": "site", "numerator": "events", "denominator": "people"}
    with pytest.raises(ArgumentError, match="kind must be one of"):
        funnel_limits(sites, kind="rate", **kwargs)
    with pytest.raises(ArgumentError, match="levels must list"):
        funnel_limits(sites, levels=(95, 99.8), **kwargs)
    with pytest.raises(ArgumentError, match="missing: denominator"):
        funnel_limits(sites, site="site", numerator="events")
    with pytest.raises(ArgumentError, match="either y"):
        funnel_limits(sites, y="events", **kwargs)
    with pytest.raises(ArgumentError, match="mean= is not used"):
        funnel_limits(sites, mean="events", **kwargs)
    with pytest.raises(ArgumentError, match="0 ≤ numerator ≤ denominator"):
        funnel_limits(sites.assign(events=sites["people"] + 1), **kwargs)
    with pytest.raises(ArgumentError, match="target"):
        funnel_limits(sites, target=1.5, **kwargs)
    with pytest.raises(ArgumentError, match="n_grid"):
        funnel_limits(sites, n_grid=1, **kwargs)
    with pytest.raises(ArgumentError, match="tau2"):
        funnel_limits(sites, tau2=-1.0, **kwargs)
    with pytest.raises(ArgumentError, match="site 'A' appears twice"):
        funnel_limits(pd.concat([sites, sites]), **kwargs)
    with pytest.raises(ArgumentError, match="y='people' must hold 0/1"):
        funnel_limits(sites, site="site", y="people")
    with pytest.raises(ArgumentError, match="winsor"):
        overdispersion(sites, winsor=0.5, **kwargs)
    with pytest.raises(DataError, match="at least 3 site"):
        overdispersion(sites.head(2), **kwargs)
    with pytest.raises(DataError, match="does not vary"):
        overdispersion(sites.assign(events=0), **kwargs)


def test_callers_frame_is_unchanged(sites):
    before = sites.copy(deep=True)
    kwargs = {"site": "site", "numerator": "events", "denominator": "people"}
    funnel_limits(sites, **kwargs)
    overdispersion(sites, **kwargs)
    pd.testing.assert_frame_equal(sites, before)


@pytest.mark.parametrize("n_sites", [8, 20, 21, 60])
def test_auto_names_every_site_of_a_few_and_only_outliers_of_many(n_sites):
    from evalkit.present.plots.sites import AUTO_LABEL_SITES, funnel_plot

    rng = np.random.default_rng(n_sites)
    sizes = rng.integers(30, 300, n_sites)
    counts = rng.binomial(sizes, rng.uniform(0.15, 0.6, n_sites))
    frame = pd.DataFrame({"site": [f"S{i:03d}" for i in range(n_sites)], "k": counts,
                          "n": sizes})
    limits = funnel_limits(frame, site="site", numerator="k", denominator="n")
    rows = limits[limits["source"] == "site"]
    rows = rows[rows["level"] == rows["level"].min()]  # the innermost limits
    outside = set(rows.loc[rows["outside"].astype(bool), "site"])
    fig = funnel_plot(limits, label_sites="auto", highlight="S001", lang="en")
    named = {t.get_text() for t in fig.axes[0].texts if t.get_gid() == "evalkit-site"}
    expected = set(rows["site"]) if n_sites <= AUTO_LABEL_SITES else outside | {"S001"}
    assert named == expected
    assert (n_sites > AUTO_LABEL_SITES) == (len(named) < n_sites)
