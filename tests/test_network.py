"""The traffic light of networks and the integration profile of partners."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit import ArgumentError, DataError
from evalkit.analyse.integration import integration_profile
from evalkit.analyse.network import traffic_light, traffic_light_distribution
from evalkit.config.study import Bilingual
from evalkit.datasets import simulate_responses
from evalkit.datasets._vocabulary import INTEGRATION_LEVELS
from evalkit.i18n import t

NET = {"paid": "net_paid", "peers": "net_peers", "community": "net_community"}


@pytest.fixture
def networks():
    return pd.DataFrame({
        "site": ["A", "A", "A", "A", "B", "B", "B", "B", "B", None],
        "net_paid": [3, 2, 0, 0, 1, None, 4, 0, None, 1],
        "net_peers": [0, 1, 0, 2, 0, 1, None, 0, None, 0],
        "net_community": [0, 0, 3, 0, 0, 0, 0, 0, None, 0],
    }, index=[10, 11, 12, 13, 14, 15, 16, 17, 18, 19])


def test_each_colour_and_the_edge_cases(networks):
    out = traffic_light(networks, **NET)
    assert out.index.equals(networks.index)
    assert out["traffic_light"].tolist()[:9] == [
        "red",      # only paid people
        "orange",   # paid and peers, no citizen
        "green",    # citizens and no one else
        "orange",   # peers only
        "red",
        "orange",   # paid unknown, but a peer and no citizen: orange whatever paid is
        np.nan,     # no citizen, peers unknown: orange or red, cannot tell
        "red",      # no one at all: red by default
        np.nan,     # nothing known
    ]
    assert out["traffic_light"].cat.ordered
    assert list(out["traffic_light"].cat.categories) == ["red", "orange", "green"]
    missing = traffic_light(networks, empty="missing", **NET)["traffic_light"]
    assert pd.isna(missing.loc[17]) and missing.loc[10] == "red"


def test_citizens_make_a_network_green_whatever_else_is_missing():
    data = pd.DataFrame({"p": [None], "q": [None], "c": [2]})
    assert traffic_light(data, paid="p", peers="q", community="c")["traffic_light"][0] == \
        "green"


def test_distribution_counts_shares_and_wilson(networks):
    out = traffic_light_distribution(networks, site="site", **NET)
    assert out["colour"].tolist() == ["red", "orange", "green"] * 2
    a = out[out["site"] == "A"].set_index("colour")
    assert a["count"].tolist() == [1, 2, 1] and (a["n"] == 4).all()
    assert (a["n_missing"] == 0).all()
    b = out[out["site"] == "B"].set_index("colour")
    assert b["count"].tolist() == [2, 1, 0] and (b["n"] == 3).all()
    assert (b["n_missing"] == 2).all()
    # Wilson, written out: (p + z²/2n ± z √(p(1-p)/n + z²/4n²)) / (1 + z²/n).
    z = stats.norm.ppf(0.975)
    p, n = 2 / 4, 4
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert a.loc["orange", "share"] == 0.5
    assert (a.loc["orange", "ci_low"], a.loc["orange", "ci_high"]) == \
        pytest.approx((centre - half, centre + half))
    assert b.loc["green", "ci_low"] == pytest.approx(0.0, abs=1e-12)
    assert b.loc["green", "ci_high"] == pytest.approx(z**2 / (3 + z**2))


def test_distribution_without_site_and_with_group(networks):
    overall = traffic_light_distribution(networks, **NET)
    assert "site" not in overall and overall["n"].iloc[0] == 8
    data = networks.assign(kind=["u", "c"] * 5)
    by = traffic_light_distribution(data, site="site", group="kind", **NET)
    assert list(by.columns[:3]) == ["site", "group", "colour"]
    assert len(by) == 2 * 2 * 3


def test_planted_traffic_light_shares_are_recovered():
    demo = simulate_responses(n_sites=5, n_per_site=2000, waves=1, seed=21)
    users = demo.responses[demo.responses["respondent_type"] == "user"]
    out = traffic_light_distribution(users, site="site", confidence=0.999, **NET)
    for row in out.itertuples():
        expected = demo.truth["sites"][row.site]["traffic_light"][row.colour]
        assert row.ci_low <= expected <= row.ci_high, (row.site, row.colour)
        assert row.share == pytest.approx(expected, abs=0.06)
    n_users = users.groupby("site").size()
    assert (out["n"].to_numpy() == n_users[out["site"]].to_numpy()).all()
    assert (out["n_missing"] == 0).all()


def test_colour_labels_are_bilingual():
    assert [t(f"quant.traffic_light.{c}", "fr") for c in ("red", "orange", "green")] == \
        ["rouge", "orange", "vert"]
    assert t("quant.traffic_light.green", "en") == "green"


def test_network_bad_arguments(networks):
    with pytest.raises(ArgumentError, match="empty must be one of"):
        traffic_light(networks, empty="grey", **NET)
    with pytest.raises(ArgumentError, match="paid='nope' is not a column"):
        traffic_light(networks, paid="nope", peers="net_peers", community="net_community")
    with pytest.raises(ArgumentError, match="negative counts"):
        traffic_light(networks.assign(net_peers=-1), **NET)
    with pytest.raises(ArgumentError, match="must hold counts"):
        traffic_light(networks.assign(net_community="many"), **NET)
    with pytest.raises(ArgumentError, match="site="):
        traffic_light_distribution(networks, site="where", **NET)


# ----------------------------------------------------------------------------- integration


LEVELS = [{"fr": fr, "en": en} for fr, en in INTEGRATION_LEVELS]


@pytest.fixture
def partners():
    return pd.DataFrame({"partner": ["p1", "p2", "p3", "p4", "p5", "p6", "p7"],
                         "site": ["A", "A", "A", "A", "B", "B", "B"],
                         "level": [1, 2, 2, 5, 3, None, 4]})


def test_integration_profile_counts_shares_median_mean(partners):
    out = integration_profile(partners, site="site", level="level", levels=LEVELS)
    assert len(out) == 2 * len(LEVELS)
    a = out[out["site"] == "A"].set_index("level")
    assert a["count"].tolist() == [1, 2, 0, 0, 1]
    assert a["share"].tolist() == pytest.approx([0.25, 0.5, 0, 0, 0.25])
    assert (a["n_partners"] == 4).all()
    assert (a["median_level"] == 2).all()  # cumulative shares 0.25, 0.75: level 2
    assert a["mean_level"].iloc[0] == pytest.approx(10 / 4)
    assert a.loc[1, "label_fr"] == INTEGRATION_LEVELS[0][0]
    assert a.loc[5, "label_en"] == INTEGRATION_LEVELS[-1][1]
    b = out[out["site"] == "B"].set_index("level")
    assert (b["n_partners"] == 2).all() and (b["median_level"] == 3).all()
    assert b["mean_level"].iloc[0] == pytest.approx(3.5)


def test_levels_from_the_study_model_and_plain_labels(partners):
    bilingual = [Bilingual(fr=fr, en=en) for fr, en in INTEGRATION_LEVELS]
    a = integration_profile(partners, site="site", level="level", levels=bilingual)
    b = integration_profile(partners, site="site", level="level", levels=LEVELS)
    pd.testing.assert_frame_equal(a, b)
    names = ["low", "mid", "high"]
    data = pd.DataFrame({"site": ["A", "A", "A"], "level": ["low", "high", "high"]})
    out = integration_profile(data, site="site", level="level", levels=names)
    assert out["count"].tolist() == [1, 0, 2]
    assert (out["median_level"] == 3).all()


def test_planted_integration_means_are_recovered():
    demo = simulate_responses(n_sites=6, n_per_site=20, waves=1, seed=3)
    out = integration_profile(demo.partners, site="site", level="level", levels=LEVELS)
    per_site = out.groupby("site")[["mean_level", "n_partners"]].first()
    truth = pd.Series({s: v["integration_mean_level"] for s, v in demo.truth["sites"].items()})
    # 4 to 7 partners per site, ratings around the planted mean with SD 0.8 (clipped 1-5).
    assert np.corrcoef(per_site["mean_level"], truth[per_site.index])[0, 1] > 0.8
    assert (per_site["n_partners"].between(4, 7)).all()


def test_integration_bad_data_and_arguments(partners):
    with pytest.raises(DataError, match="'6' is not a level") as info:
        integration_profile(partners.assign(level=[1, 2, 3, 6, 1, 1, 1]), site="site",
                            level="level", levels=LEVELS)
    assert "continuum" in info.value.render("fr")
    with pytest.raises(DataError, match="is not a level"):
        integration_profile(partners.assign(level=1.5), site="site", level="level",
                            levels=LEVELS)
    with pytest.raises(ArgumentError, match="levels must list at least two"):
        integration_profile(partners, site="site", level="level", levels=["only"])
    with pytest.raises(ArgumentError, match="level='rating'"):
        integration_profile(partners, site="site", level="rating", levels=LEVELS)


def test_callers_frames_are_unchanged(networks, partners):
    before = networks.copy(deep=True), partners.copy(deep=True)
    traffic_light(networks, **NET)
    traffic_light_distribution(networks, site="site", **NET)
    integration_profile(partners, site="site", level="level", levels=LEVELS)
    pd.testing.assert_frame_equal(networks, before[0])
    pd.testing.assert_frame_equal(partners, before[1])
