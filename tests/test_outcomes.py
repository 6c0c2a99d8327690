"""Personal outcome change: accounting of who is lost, paired intervals and effect size checked
against R (tests/reference/intervals.R), outcome groups, and the study-driven helper."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import ArgumentError, DataError
from evalkit.analyse import _intervals
from evalkit.analyse.outcomes import outcome_change, outcome_change_from_study
from evalkit.config.study import load_study
from evalkit.datasets import make_demo_study, simulate_responses
from evalkit.datasets.demo import LADDER_ITEMS, OUTCOME_ITEMS

INTERVALS = json.loads((Path(__file__).parent / "reference" / "intervals.json").read_text())
DRUG1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
DRUG2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def _long(baseline, follow_up, ids=None, **extra):
    ids = ids or list(range(len(baseline)))
    rows = [{"pid": i, "wave": "t0", **{k: v[0][j] for k, v in extra.items()}, "y": b}
            for j, (i, b) in enumerate(zip(ids, baseline, strict=True))]
    rows += [{"pid": i, "wave": "t1", **{k: v[1][j] for k, v in extra.items()}, "y": f}
             for j, (i, f) in enumerate(zip(ids, follow_up, strict=True)) if f is not None]
    return pd.DataFrame(rows)


def test_paired_change_and_effect_size_match_r():
    # `sleep` as a two-wave outcome: baseline = drug 1, follow-up = drug 2.
    data = _long(DRUG1, DRUG2)
    out = outcome_change(data, items=["y"], id="pid", wave="wave", baseline="t0",
                         follow_up="t1").iloc[0]
    paired, dz = INTERVALS["paired"], INTERVALS["d_z"]
    assert out["n_paired"] == 10 and out["mean_change"] == pytest.approx(paired["mean"])
    assert out["change_ci_low"] == pytest.approx(paired["low"], abs=1e-10)  # R t.test(paired)
    assert out["change_ci_high"] == pytest.approx(paired["high"], abs=1e-10)
    assert out["d_z"] == pytest.approx(dz["d_z"], rel=1e-12)
    # R: uniroot on pt(t, df, ncp); both solve to ~1e-12, compared at 1e-8.
    assert out["d_z_ci_low"] == pytest.approx(dz["low"], abs=1e-8)
    assert out["d_z_ci_high"] == pytest.approx(dz["high"], abs=1e-8)
    out90 = outcome_change(data, items=["y"], id="pid", wave="wave", baseline="t0",
                           follow_up="t1", confidence=0.90).iloc[0]
    assert out90["d_z_ci_low"] == pytest.approx(dz["low90"], abs=1e-8)
    assert out90["d_z_ci_high"] == pytest.approx(dz["high90"], abs=1e-8)
    # Changes of `sleep`: 9 up, 1 same (-0.1 to -0.1), 0 down.
    assert (out["share_improved"], out["share_same"], out["share_worse"]) == (0.9, 0.1, 0.0)
    low, high = _intervals.wilson(np.array([9]), np.array([10]), 0.95)
    assert (out["improved_ci_low"], out["improved_ci_high"]) == (low[0], high[0])
    assert out["worse_ci_low"] == 0.0


def test_nobody_is_dropped_silently():
    # 6 people at baseline: 4 seen again (one without a follow-up rating), 2 lost; 1 new person
    # seen only at follow-up; one baseline rating missing.
    data = pd.DataFrame({
        "pid": [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 7],
        "wave": [1] * 6 + [2] * 5,
        "y": [2, 3, 1, 4, 2, np.nan, 3, 3, np.nan, 3, 4]})
    out = outcome_change(data, items=["y"], id="pid", wave="wave", baseline=1, follow_up=2,
                         met_at=3).iloc[0]
    assert out["n_baseline"] == 5 and out["n_follow_up"] == 4 and out["n_paired"] == 3
    assert out["n_lost"] == 1            # person 5 (person 6 had no baseline rating)
    assert out["n_item_missing"] == 1    # person 3
    assert out["n_baseline"] == out["n_paired"] + out["n_lost"] + out["n_item_missing"]
    assert out["mean_baseline"] == pytest.approx(12 / 5)
    assert out["mean_follow_up"] == pytest.approx(13 / 4)
    assert out["mean_change"] == pytest.approx((1 + 0 - 1) / 3)
    assert out["share_met_baseline"] == pytest.approx(2 / 5)
    assert out["share_met_follow_up"] == pytest.approx(4 / 4)
    assert out["met_follow_up_ci_high"] == 1.0


def test_outcome_groups_use_the_half_rule():
    data = pd.DataFrame({
        "pid": [1, 2, 3, 1, 2, 3], "wave": [1, 1, 1, 2, 2, 2],
        "a": [1, 2, 3, 2, 2, np.nan], "b": [2, np.nan, 3, 4, 3, np.nan],
        "c": [3, np.nan, 1, 3, 4, 2]})
    out = outcome_change(data, items=["a", "b", "c"], id="pid", wave="wave", baseline=1,
                         follow_up=2, group_items={"g": ["a", "b", "c"]}).set_index("outcome")
    g = out.loc["g"]
    assert g["level"] == "group" and out.loc["a", "level"] == "item"
    # Baseline scores: 1 -> 2.0; 2 -> 1 item of 3 (< 2 needed) -> missing; 3 -> 7/3.
    assert g["n_baseline"] == 2 and g["mean_baseline"] == pytest.approx((2 + 7 / 3) / 2)
    # Changes: person 1 -> mean(1, 2, 0) = 1; person 3 -> only c paired (1 < 2) -> missing.
    assert g["n_paired"] == 1 and g["mean_change"] == pytest.approx(1.0)
    assert g["n_item_missing"] == 1 and g["n_lost"] == 0
    # Follow-up scores: 1 -> 3; 2 -> 3; 3 -> 1 item of 3 -> missing.
    assert g["n_follow_up"] == 2 and g["mean_follow_up"] == pytest.approx(3.0)


def test_results_by_site_follow_the_baseline_site():
    # Person 1 moves from site A to B at follow-up: counted in A, the site of the baseline.
    data = _long([1, 2, 3, 2], [2, 2, None, 4], site=(["A", "A", "B", "B"], ["A", "B", "B", "B"]))
    out = outcome_change(data, items=["y"], id="pid", wave="wave", baseline="t0",
                         follow_up="t1", site="site").set_index("site")
    assert out.loc["A", "n_paired"] == 2 and out.loc["A", "mean_change"] == pytest.approx(0.5)
    assert out.loc["B", "n_lost"] == 1 and out.loc["B", "n_paired"] == 1


def test_demo_counts_add_up():
    demo = simulate_responses(n_sites=4, n_per_site=200, seed=3)
    users = demo.responses[demo.responses["respondent_type"] == "user"]
    out = outcome_change(users, items=OUTCOME_ITEMS, id="respondent_id", wave="wave",
                         baseline=1, follow_up=2, met_at=3)
    assert len(out) == 15
    # Users at baseline: 3 x 120 + 157 (the last site has 3 carers) = 517, about 2% of ratings
    # missing; follow-up response 0.85 -> about 78 lost.
    assert out["n_baseline"].between(490, 517).all()
    assert out["n_lost"].between(50, 110).all()
    assert (out["n_baseline"] == out["n_paired"] + out["n_lost"] + out["n_item_missing"]).all()
    assert ((out["share_improved"] + out["share_same"] + out["share_worse"]) - 1).abs().max() \
        < 1e-12


def test_outcome_change_from_study(tmp_path):
    study = load_study(make_demo_study(tmp_path, n_sites=3, n_per_site=40, formats="plain"))
    responses = simulate_responses(n_sites=3, n_per_site=40).responses
    responses[LADDER_ITEMS] = responses[LADDER_ITEMS].mask(responses[LADDER_ITEMS] >= 8)
    out = outcome_change_from_study(responses, study=study)
    assert out["site"].unique().tolist() == ["A", "B", "C"]
    assert out.groupby("site").size().tolist() == [18, 18, 18]  # 15 items + 3 groups
    assert {"share_met_baseline", "share_met_follow_up"} <= set(out.columns)
    whole = outcome_change_from_study(responses, study=study, by_site=False)
    assert len(whole) == 18 and "site" not in whole.columns


def test_callers_frame_is_unchanged():
    data = _long(DRUG1, DRUG2, site=(["A"] * 10, ["A"] * 10))
    before = data.copy(deep=True)
    outcome_change(data, items=["y"], id="pid", wave="wave", baseline="t0", follow_up="t1",
                   met_at=1, group_items={"g": ["y"]}, site="site")
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"items": ["nope"]}, "items"),
    ({"id": "nope"}, "id"),
    ({"wave": "nope"}, "wave"),
    ({"baseline": "t9"}, "baseline"),
    ({"follow_up": "t0"}, "follow_up"),
    ({"met_at": "3"}, "met_at"),
    ({"group_items": {"g": ["zz"]}}, "group_items"),
    ({"group_items": {"y": ["y"]}}, "group_items"),
    ({"group_items": ["y"]}, "group_items"),
    ({"confidence": 1.5}, "confidence"),
    ({"site": "wave"}, "site"),
])
def test_bad_arguments_name_the_parameter(kwargs, param):
    data = _long(DRUG1, DRUG2)
    args = {"items": ["y"], "id": "pid", "wave": "wave", "baseline": "t0", "follow_up": "t1",
            **kwargs}
    with pytest.raises(ArgumentError) as info:
        outcome_change(data, **args)
    assert info.value.where == param


def test_duplicate_rows_are_a_data_error():
    data = pd.concat([_long(DRUG1, DRUG2), _long([1.0], [2.0])], ignore_index=True)
    with pytest.raises(DataError, match="several rows at wave 't0'"):
        outcome_change(data, items=["y"], id="pid", wave="wave", baseline="t0", follow_up="t1")
