"""Main-message rules: each fires when the results support it and stays silent otherwise, on
hand-built tables; on the demo study they name the planted high-tokenism site and report the
planted positive involvement effect with its interval."""

import json

import numpy as np
import pandas as pd
import pytest

from evalkit.i18n import catalogue
from evalkit.present import messages as M
from evalkit.present.joint import joint_display, tokenism_theme


def _funnel(z, outside95, outside998, sites="ABCD"):
    rows = []
    for s, zi, o95, o998 in zip(sites, z, outside95, outside998, strict=True):
        for level, out in ((0.95, o95), (0.998, o998)):
            rows.append({"source": "site", "site": s, "n": 50.0, "estimate": 0.4 + zi / 10,
                         "target": 0.4, "level": level, "z": zi, "outside": out,
                         "direction": ("above" if zi > 0 else "below") if out else np.nan})
    rows.append({"source": "grid", "site": np.nan, "n": 10.0, "estimate": np.nan,
                 "target": 0.4, "level": 0.95, "z": np.nan, "outside": pd.NA,
                 "direction": np.nan})
    return pd.DataFrame(rows)


def _dispersion(phi, z_adj, out95, out998, sites="ABCD"):
    rows = []
    for s, zi, o95, o998 in zip(sites, z_adj, out95, out998, strict=True):
        for level, out in ((0.95, o95), (0.998, o998)):
            rows.append({"site": s, "n": 50.0, "level": level, "z_adjusted": zi,
                         "outside_adjusted": out, "phi": phi})
    return pd.DataFrame(rows)


# -- funnel ----------------------------------------------------------------------------------
def test_funnel_high_alarm_without_overdispersion():
    tables = {"tokenism_funnel": _funnel([4.0, 0.1, -0.5, 0.3], [True, False, False, False],
                                         [True, False, False, False]),
              "tokenism_overdispersion": _dispersion(0.8, [4.0, 0.1, -0.5, 0.3],
                                                     [True] + [False] * 3, [True] + [False] * 3)}
    message = M.rule_funnel_high(tables)
    assert message.key == "reports.msg.funnel_high.alarm"
    assert message.params["sites"].names == ("A",)
    assert message.evidence == ("tokenism_funnel",)
    assert message.non_validated
    assert "site A" in message.text("en") and "99.8%" not in message.text("en")
    assert "99.8%" in message.text("en", method=True)


def test_funnel_uses_adjusted_limits_when_overdispersed():
    # Plain limits flag A and B at 99.8%; after adjustment only A stays outside, at 95%.
    tables = {"tokenism_funnel": _funnel([5.0, 3.5, 0.0, -0.2], [True, True, False, False],
                                         [True, True, False, False]),
              "tokenism_overdispersion": _dispersion(3.0, [2.5, 1.2, 0.0, -0.1],
                                                     [True, False, False, False],
                                                     [False] * 4)}
    message = M.rule_funnel_high(tables)
    assert message.key == "reports.msg.funnel_high.alert"
    assert message.params["sites"].names == ("A",)
    assert message.evidence == ("tokenism_overdispersion",)
    assert "φ" not in message.text("fr")
    assert "φ = 3,0" in message.text("fr", method=True)


def test_funnel_rules_silent_when_every_site_is_within_the_limits():
    tables = {"tokenism_funnel": _funnel([1.0, -1.0, 0.5, 0.0], [False] * 4, [False] * 4)}
    assert M.rule_funnel_high(tables) is None
    assert M.rule_funnel_low(tables) is None
    assert M.rule_funnel_high({}) is None


def test_funnel_low_names_sites_below_the_alarm_limits_only():
    below_alarm = {"tokenism_funnel": _funnel([0.0, -4.0, 0.2, 0.1], [False, True, False, False],
                                              [False, True, False, False])}
    assert M.rule_funnel_low(below_alarm).params["sites"].names == ("B",)
    below_alert = {"tokenism_funnel": _funnel([0.0, -2.5, 0.2, 0.1],
                                              [False, True, False, False], [False] * 4)}
    assert M.rule_funnel_low(below_alert) is None


# -- highest tokenism ------------------------------------------------------------------------
def _shrunken(values, lows, highs, sites="ABC"):
    return pd.DataFrame({"site": list(sites), "shrunken": values, "shrunken_ci_low": lows,
                         "shrunken_ci_high": highs})


def test_highest_tokenism_names_the_site_with_its_interval():
    tables = {"tokenism_shrunken": _shrunken([0.3, 0.8, 0.4], [0.2, 0.65, 0.3],
                                             [0.4, 0.9, 0.5]),
              "tokenism_overall": pd.DataFrame({"rate": [0.45]})}
    message = M.rule_highest_tokenism(tables)
    assert message.params["site"].names == ("B",)
    assert message.params["rate"].value == pytest.approx(0.8)
    assert (message.params["ci"].low, message.params["ci"].high) == (0.65, 0.9)
    text = message.text("fr")
    assert "le site B" in text and "80\u00a0%" in text and "IC à 95\u00a0%" in text
    assert "65\u00a0% à 90\u00a0%" in text


def test_highest_tokenism_silent_when_its_interval_reaches_the_overall_rate():
    tables = {"tokenism_shrunken": _shrunken([0.3, 0.55, 0.4], [0.2, 0.40, 0.3],
                                             [0.4, 0.70, 0.5]),
              "tokenism_overall": pd.DataFrame({"rate": [0.45]})}
    assert M.rule_highest_tokenism(tables) is None


def test_highest_tokenism_skips_suppressed_sites():
    tables = {"tokenism_shrunken": _shrunken([np.nan, 0.8, 0.4], [np.nan, 0.65, 0.3],
                                             [np.nan, 0.9, 0.5]),
              "tokenism_overall": pd.DataFrame({"rate": [0.45]})}
    assert M.rule_highest_tokenism(tables).params["site"].names == ("B",)


# -- involvement and outcomes --------------------------------------------------------------------
@pytest.mark.parametrize(("low", "high", "direction"), [
    (0.02, 0.10, "positive"), (-0.10, -0.02, "negative"), (-0.02, 0.08, "none")])
def test_involvement_outcomes_reads_the_interval(low, high, direction):
    model = pd.DataFrame({"term": ["Intercept", "rung"], "estimate": [0.1, (low + high) / 2],
                          "ci_low": [0.0, low], "ci_high": [0.2, high]})
    message = M.rule_involvement_outcomes({"involvement_model": model})
    assert message.key == f"reports.msg.involvement_outcomes.{direction}"
    assert message.params["ci"].low == low


def test_involvement_outcomes_silent_without_the_term():
    model = pd.DataFrame({"term": ["Intercept"], "estimate": [0.1], "ci_low": [0.0],
                          "ci_high": [0.2]})
    assert M.rule_involvement_outcomes({"involvement_model": model}) is None
    assert M.rule_involvement_outcomes({}) is None


# -- perception gap ------------------------------------------------------------------------------
def _gap(differences, lows, highs):
    k = len(differences)
    return pd.DataFrame({"site": list("ABCDEFGH"[:k]), "measure": ["rung"] * k,
                         "difference": differences, "ci_low": lows, "ci_high": highs})


def test_perception_gap_counts_sites_where_staff_see_more():
    gap = _gap([0.6, 0.5, 0.1], [0.1, 0.05, -0.3], [1.1, 0.95, 0.5])
    message = M.rule_perception_gap({"perception_gap": gap})
    assert message.key == "reports.msg.perception_gap.higher"
    assert (message.params["k"], message.params["n_sites"]) == (2, 3)
    assert message.params["sites"].names == ("A", "B")
    assert message.params["largest"].value == pytest.approx(0.6)


def test_perception_gap_the_other_way_and_silence():
    lower = _gap([-0.6, 0.1, 0.0], [-1.0, -0.2, -0.3], [-0.2, 0.4, 0.3])
    assert M.rule_perception_gap({"perception_gap": lower}).key.endswith(".lower")
    none = _gap([0.2, 0.1], [-0.1, -0.2], [0.5, 0.4])
    assert M.rule_perception_gap({"perception_gap": none}) is None


# -- networks and representativeness --------------------------------------------------------------
def _light(red_counts, n, lows=None, highs=None):
    rows = []
    for i, (c, ni) in enumerate(zip(red_counts, n, strict=True)):
        share = c / ni
        rows.append({"site": "ABC"[i], "colour": "red", "count": c, "n": ni, "share": share,
                     "ci_low": (lows or [share - 0.1] * 3)[i],
                     "ci_high": (highs or [share + 0.1] * 3)[i]})
        rows.append({"site": "ABC"[i], "colour": "green", "count": ni - c, "n": ni,
                     "share": 1 - share, "ci_low": 0.0, "ci_high": 1.0})
    return pd.DataFrame(rows)


def test_red_networks_pooled_share_and_the_site_that_stands_out():
    light = _light([10, 10, 50], [100, 100, 100], lows=[0.05, 0.05, 0.40],
                   highs=[0.17, 0.17, 0.60])
    message = M.rule_red_networks({"traffic_light": light})
    assert message.key == "reports.msg.red_networks.site"
    assert message.params["share"].value == pytest.approx(70 / 300)
    assert message.params["site"].names == ("C",)


def test_red_networks_without_a_standout_site_and_below_the_threshold():
    light = _light([20, 25, 30], [100, 100, 100])
    assert M.rule_red_networks({"traffic_light": light}).key == "reports.msg.red_networks"
    few = _light([2, 3, 4], [100, 100, 100])
    assert M.rule_red_networks({"traffic_light": few}) is None


def test_representativeness_caveat():
    rep = pd.DataFrame({"site": ["A", "A", "B", "B"], "dimension": ["age", "sex"] * 2,
                        "difference": [0.12, 0.01, 0.02, -0.01],
                        "p_value": [0.001, 0.8, 0.3, 0.9]})
    message = M.rule_representativeness({"representativeness": rep})
    assert message.params["dimensions"].names == ("age",)
    assert (message.params["k"], message.params["n_sites"]) == (1, 2)
    small_gap = rep.assign(difference=[0.03, 0.01, 0.02, -0.01])
    assert M.rule_representativeness({"representativeness": small_gap}) is None
    not_significant = rep.assign(p_value=[0.2, 0.8, 0.3, 0.9])
    assert M.rule_representativeness({"representativeness": not_significant}) is None


# -- joint display -------------------------------------------------------------------------------
def _joint_tables(segments_g):
    rates = pd.DataFrame({"site": list("ABCD"), "rate": [0.3, 0.4, 0.35, 0.8],
                          "ci_low": [0.2, 0.3, 0.25, 0.7], "ci_high": [0.4, 0.5, 0.45, 0.9]})
    funnel = _funnel([-0.5, 0.1, -0.2, 3.5], [False, False, False, True],
                     [False, False, False, True])
    rows = []
    for site, tok in zip("ABCD", [2, 2, 2, segments_g], strict=True):
        for theme, n in (("Tokénisme", tok), ("Implication", 10)):
            rows.append({"site": site, "code_path": theme, "theme": theme, "depth": 1,
                         "n_segments": n, "n_participants": 6, "n_participants_total": 6})
    return {"tokenism_rates": rates, "tokenism_funnel": funnel,
            "code_frequencies": pd.DataFrame(rows)}


def test_joint_display_converges_when_interviews_say_the_same():
    tables = _joint_tables(segments_g=8)
    joint = joint_display(tables)
    assert joint.set_index("site")["agreement"].to_dict() == {
        "A": "none", "B": "none", "C": "none", "D": "converge"}
    assert joint.set_index("site").loc["D", "share_theme"] == pytest.approx(8 / 18)
    message = M.rule_joint_display(tables)
    assert message.key == "reports.msg.joint_display.converge"
    assert message.params["converge"].names == ("D",)


def test_joint_display_diverges_and_stays_silent_without_interviews():
    tables = _joint_tables(segments_g=0)
    assert M.rule_joint_display(tables).key == "reports.msg.joint_display.diverge"
    assert M.rule_joint_display({k: v for k, v in tables.items()
                                 if k != "code_frequencies"}) is None


def test_tokenism_theme_matches_either_language():
    assert tokenism_theme(["Implication", "TOKENISME"]) == "TOKENISME"
    assert tokenism_theme(["Tokenism"]) == "Tokenism"
    assert tokenism_theme(["Implication"]) is None


# -- the messages themselves ---------------------------------------------------------------------
def test_messages_are_implications_never_calls_for_more_research():
    for lang in ("fr", "en"):
        texts = [v.lower() for k, v in catalogue(lang).items() if k.startswith("reports.msg.")]
        assert texts
        for banned in ("more research", "further research", "davantage de recherche",
                       "recherches supplémentaires", "d'autres recherches"):
            assert not any(banned in text for text in texts), banned


def test_rules_do_not_modify_the_tables():
    tables = _joint_tables(segments_g=8)
    before = {k: v.copy() for k, v in tables.items()}
    M.draft_messages(tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])


# -- on the demo ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(project_root):
    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study
    from evalkit.present.brief import released_tables

    prepared = prepare_study(load_study(project_root / "data_samples" / "demo"))
    results = compute_results(prepared, n_boot=200)
    truth = json.loads((project_root / "data_samples" / "demo" / "truth.json").read_text())
    return released_tables(results, prepared.study.privacy), truth


def test_demo_names_the_planted_high_tokenism_site(demo):
    tables, truth = demo
    by_rule = {m.rule: m for m in M.draft_messages(tables, per_site=99)}
    planted = truth["high_tokenism_site"]
    assert by_rule["highest_tokenism"].params["site"].names == (planted,)
    assert by_rule["funnel_high"].params["sites"].names == (planted,)
    assert by_rule["joint_display"].params["converge"].names == (planted,)
    assert f"site {planted}" in by_rule["highest_tokenism"].text("en")


def test_demo_reports_the_positive_involvement_effect_with_its_interval(demo):
    tables, truth = demo
    message = M.rule_involvement_outcomes(tables)
    assert message.key == "reports.msg.involvement_outcomes.positive"
    ci = message.params["ci"]
    # The planted effect per rung lies within the reported interval.
    assert ci.low < truth["involvement_effect_per_rung"] < ci.high
    assert "IC à 95\u00a0%" in message.text("fr")


def test_demo_page_singles_out_a_site_at_most_twice(demo):
    tables, truth = demo
    messages = M.draft_messages(tables)
    planted = truth["high_tokenism_site"]
    singled = [m.rule for m in messages if m.about == (planted,)]
    assert singled == ["funnel_high", "highest_tokenism"]
    # The red networks stand out at the same site: the pooled share is said instead.
    red = next(m for m in messages if m.rule == "red_networks")
    assert red.key == "reports.msg.red_networks" and red.about == ()
    every = M.draft_messages(tables, per_site=99)
    assert len([m for m in every if planted in m.about]) > 2


def test_scales_are_explained_and_associations_worded_as_such():
    model = pd.DataFrame({"term": ["rung"], "estimate": [0.08], "ci_low": [0.05],
                          "ci_high": [0.11]})
    message = M.rule_involvement_outcomes({"involvement_model": model},
                                          scales={"outcome": (1, 4)})
    assert "0,08 point de plus sur une échelle de 1 à 4" in message.text("fr")
    assert "0.08 points more on a scale from 1 to 4" in message.text("en")
    assert "association" in message.text("fr") and "association" in message.text("en")
    assert "mixte" not in message.text("fr") and "mixte" in message.text("fr", method=True)
    bare = M.rule_involvement_outcomes({"involvement_model": model})
    assert "échelle de 1" not in bare.text("fr")


def test_counts_of_sites_need_no_plural_brackets():
    gap = pd.DataFrame({"site": list("ABC"), "measure": "rung", "difference": [0.6, 0.1, 0.2],
                        "ci_low": [0.2, -0.1, -0.1], "ci_high": [1.0, 0.3, 0.5]})
    message = M.rule_perception_gap({"perception_gap": gap}, scales={"rungs": 5})
    assert "Dans 1 des 3 sites (A)" in message.text("fr")
    assert "At 1 of the 3 sites (A)" in message.text("en")
    assert "sur une échelle de 5 échelons" in message.text("fr")
    assert not any("(s)" in v for k, v in catalogue("fr").items() if k.startswith("reports.msg"))
