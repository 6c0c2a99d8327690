"""Scale scores: the published scoring rules of SWEMWBS, WEMWBS and ASCOF 1A on hand-built rows
with known answers, the generic Likert rules, statuses, the scoring summary and argument errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import ArgumentError, ConfigError
from evalkit.analyse.scales import STATUSES, score_scale, scoring_summary

SWEMWBS_COLUMNS = [f"Q12_{i}" for i in range(1, 8)]

# The SWEMWBS raw-to-metric conversion table as published by the scale's developers
# (Warwick Medical School, SWEMWBS scoring guidance; Stewart-Brown et al. 2009,
# doi:10.1186/1477-7525-7-15), transcribed here independently of the shipped YAML file.
SWEMWBS_METRIC = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
    15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98,
    23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03,
    31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
}


def rows_with_totals(totals, k=7, low=1, high=5):
    """One respondent per total, answers spread as evenly as possible within [low, high]."""
    rows = []
    for total in totals:
        extra = total - k * low
        row = [low + min(high - low, max(0, extra - (high - low) * j)) for j in range(k)]
        assert sum(row) == total
        rows.append(row)
    return np.array(rows, dtype=float)


def swemwbs_frame(totals):
    return pd.DataFrame(rows_with_totals(totals), columns=SWEMWBS_COLUMNS)


# --------------------------------------------------------------------------------------------
# SWEMWBS


def test_swemwbs_converts_every_raw_total_by_the_published_table():
    totals = list(SWEMWBS_METRIC)
    scores = score_scale(swemwbs_frame(totals), instrument="swemwbs", items=SWEMWBS_COLUMNS)
    assert scores["raw_score"].tolist() == totals
    assert scores["score"].tolist() == [SWEMWBS_METRIC[t] for t in totals]
    assert (scores["status"] == "scored").all()
    assert (scores["reason"] == "").all()


@pytest.mark.parametrize(("total", "metric"), [(7, 7.00), (14, 15.32), (21, 19.25),
                                                (28, 25.03), (35, 35.00)])
def test_swemwbs_a_few_totals(total, metric):
    scores = score_scale(swemwbs_frame([total]), instrument="swemwbs", items=SWEMWBS_COLUMNS)
    assert scores.loc[0, "score"] == metric


def test_swemwbs_scores_complete_responses_only():
    data = swemwbs_frame([20, 20])
    data.loc[1, "Q12_4"] = np.nan
    scores = score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS)
    assert scores["status"].tolist() == ["scored", "too_few_items"]
    assert np.isnan(scores.loc[1, "raw_score"]) and np.isnan(scores.loc[1, "score"])
    assert scores.loc[1, "n_answered"] == 6 and scores.loc[1, "n_required"] == 7
    assert scores.loc[1, "reason"] == "6 of 7 items answered; at least 7 needed"


@pytest.mark.parametrize(("value", "status", "reason"), [
    (6, "out_of_range", "swemwbs_3 (column Q12_3) = 6: outside 1–5"),
    (0, "out_of_range", "swemwbs_3 (column Q12_3) = 0: outside 1–5"),
    (-9, "out_of_range", "swemwbs_3 (column Q12_3) = \u22129: outside 1–5"),
    (2.5, "invalid_value", "swemwbs_3 (column Q12_3) = 2.50: not an answer value of the item "
                           "(1–5)"),
])
def test_values_outside_the_range_are_never_scored(value, status, reason):
    data = swemwbs_frame([21])
    data.loc[0, "Q12_3"] = value
    scores = score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS)
    assert scores.loc[0, "status"] == status
    assert np.isnan(scores.loc[0, "raw_score"]) and np.isnan(scores.loc[0, "score"])
    assert scores.loc[0, "reason"] == reason


def test_out_of_range_wins_over_missing_items():
    data = swemwbs_frame([21])
    data.loc[0, "Q12_1"] = np.nan
    data.loc[0, "Q12_2"] = 7
    assert score_scale(data, instrument="swemwbs",
                       items=SWEMWBS_COLUMNS).loc[0, "status"] == "out_of_range"


def test_reasons_in_french_follow_the_locale():
    data = swemwbs_frame([21, 21])
    data.loc[0, "Q12_3"] = 2.5
    data.loc[1, "Q12_1"] = np.nan
    scores = score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS, lang="fr")
    assert scores.loc[0, "reason"] == ("swemwbs_3 (colonne Q12_3) = 2,50 : pas une valeur de "
                                       "réponse de l'item (1–5)")
    assert scores.loc[1, "reason"] == "6 items répondus sur 7; au moins 7 requis"


def test_items_as_a_mapping_from_item_keys_to_the_studys_columns():
    data = swemwbs_frame([25])
    mapping = {f"swemwbs_{i}": col for i, col in reversed(list(enumerate(SWEMWBS_COLUMNS, 1)))}
    scores = score_scale(data, instrument="swemwbs", items=mapping)
    assert scores.loc[0, "score"] == 22.35


# --------------------------------------------------------------------------------------------
# WEMWBS and ASCOF 1A


def test_wemwbs_sums_fourteen_items():
    rows = [[1] * 14, [5] * 14, [1, 2, 3, 4, 5] * 2 + [3, 3, 3, 3], [4] * 13 + [np.nan]]
    data = pd.DataFrame(rows, columns=[f"w{i}" for i in range(14)])
    scores = score_scale(data, instrument="wemwbs", items=list(data.columns))
    assert scores["raw_score"].tolist()[:3] == [14, 70, 42]
    assert scores["score"].tolist()[:3] == [14, 70, 42]
    assert scores["status"].tolist() == ["scored"] * 3 + ["too_few_items"]
    assert (scores["n_items"] == 14).all()


ASCOT_COLUMNS = {"ascot_control": "Q3a", "ascot_personal_care": "Q4a",
                 "ascot_food_drink": "Q5a", "ascot_safety": "Q7a", "ascot_social": "Q8a",
                 "ascot_occupation": "Q9a", "ascot_accommodation": "Q6a",
                 "ascot_dignity": "Q11"}


def test_ascof_1a_scores_answer_options_3_2_1_0_out_of_24():
    # ASCOF 1A: 1st answer option 3, 2nd 2, 3rd 1, 4th 0, summed over the eight domains
    # (NHS Digital's definition of the measure), all eight answered.
    answers = [[1] * 8, [4] * 8, [1, 2, 3, 4, 1, 2, 3, 4], [2] * 8, [1] * 7 + [np.nan],
               [1] * 7 + [5]]
    keys = list(ASCOT_COLUMNS)
    data = pd.DataFrame(answers, columns=[ASCOT_COLUMNS[k] for k in keys])
    scores = score_scale(data, instrument="ascof_1a", items=ASCOT_COLUMNS)
    assert scores["raw_score"].tolist()[:4] == [24, 0, 12, 16]
    assert scores["status"].tolist() == ["scored"] * 4 + ["too_few_items", "out_of_range"]
    assert scores.loc[5, "reason"] == "ascot_dignity (column Q11) = 5: outside 1–4"


def test_ascof_1a_on_data_already_coded_0_to_3():
    inst = {"extends": "ascof_1a", "range": [0, 3], "response_scores": None}
    data = pd.DataFrame([[3] * 8, [0, 1, 2, 3] * 2], columns=list(ASCOT_COLUMNS.values()))
    scores = score_scale(data, instrument=inst, items=list(data.columns))
    assert scores["raw_score"].tolist() == [24, 12]


# --------------------------------------------------------------------------------------------
# Generic Likert scales


def test_likert_mean_with_the_half_rule():
    data = pd.DataFrame({"a": [4, 4, 5, np.nan], "b": [2, np.nan, np.nan, np.nan],
                         "c": [3, 2, np.nan, np.nan], "d": [5, np.nan, np.nan, 1]})
    scores = score_scale(data, instrument="likert", items=["a", "b", "c", "d"])
    assert scores["raw_score"].tolist()[:2] == [3.5, 3.0]
    assert scores["status"].tolist() == ["scored", "scored", "too_few_items", "too_few_items"]
    assert (scores["n_required"] == 2).all()


def test_reverse_keyed_item_on_a_seven_point_scale():
    inst = {"extends": "likert", "name": "trust", "items": ["t1", "t2", "t3", "t4"],
            "reverse": ["t3"], "range": [1, 7]}
    data = pd.DataFrame({"T_1": [7, 1], "T_2": [6, 2], "T_3": [1, 7], "T_4": [7, 2]})
    scores = score_scale(data, instrument=inst, items=["T_1", "T_2", "T_3", "T_4"])
    assert scores["raw_score"].tolist() == [6.75, 1.5]


def test_prorated_sum():
    inst = {"extends": "likert", "name": "prorated", "score": "sum", "prorate": True}
    data = pd.DataFrame({"a": [4, 4], "b": [np.nan, 1], "c": [2, 1], "d": [3, 1]})
    scores = score_scale(data, instrument=inst, items=["a", "b", "c", "d"])
    assert scores["raw_score"].tolist() == [12.0, 7.0]


def test_subscales_are_scored_and_summarised():
    inst = {"name": "demo", "items": ["v1", "v2", "i1", "i2", "i3"], "range": [1, 5],
            "score": "mean", "min_answered": 0.5,
            "subscales": {"voice": {"items": ["v1", "v2"], "min_answered": "all"},
                          "influence": {"items": ["i1", "i2", "i3"]}}}
    data = pd.DataFrame({"v1": [5, 4, 1], "v2": [3, np.nan, 1], "i1": [1, 2, np.nan],
                         "i2": [2, 2, np.nan], "i3": [3, np.nan, 2]})
    scores = score_scale(data, instrument=inst, items=list(data.columns))
    assert scores["voice_score"].tolist()[0] == 4.0
    assert scores["voice_status"].tolist() == ["scored", "too_few_items", "scored"]
    assert scores["influence_score"].tolist()[:2] == [2.0, 2.0]
    assert scores["influence_status"].tolist() == ["scored", "scored", "too_few_items"]
    assert scores["influence_n_required"].tolist() == [2, 2, 2]
    summary = scoring_summary(scores)
    assert summary["scale"].unique().tolist() == ["total", "voice", "influence"]
    voice = summary[summary["scale"] == "voice"].set_index("status")
    assert voice.loc["scored", "n"] == 2 and voice.loc["too_few_items", "n"] == 1
    assert voice.loc["scored", "rule"] == "at least 2 items answered"
    plain = score_scale(data, instrument=inst, items=list(data.columns), subscales=False)
    assert not any(c.startswith(("voice", "influence")) for c in plain.columns)


def test_a_raw_score_missing_from_the_conversion_table_is_reported():
    inst = {"name": "short", "items": ["a", "b"], "range": [1, 3], "integer": False,
            "score": "sum", "prorate": True, "min_answered": 1,
            "conversion": {"table": {2: 0.0, 3: 25.0, 4: 50.0, 5: 75.0, 6: 100.0}}}
    data = pd.DataFrame({"a": [1, 3, 1.5], "b": [2, np.nan, 2]})
    scores = score_scale(data, instrument=inst, items=["a", "b"])
    assert scores["raw_score"].tolist() == [3.0, 6.0, 3.5]  # 3 alone is prorated to 6
    assert scores["score"].tolist()[:2] == [25.0, 100.0]
    assert scores["status"].tolist() == ["scored", "scored", "no_conversion"]
    assert np.isnan(scores.loc[2, "score"])
    assert scores.loc[2, "reason"] == "raw score 3.50 is not in the conversion table"


# --------------------------------------------------------------------------------------------
# Output shape, identifiers, the caller's frame


def test_id_and_index_are_kept_and_input_unchanged():
    data = swemwbs_frame([7, 35])
    data.index = ["r9", "r4"]
    data["respondent"] = ["P-001", "P-002"]
    before = data.copy(deep=True)
    scores = score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS, id="respondent")
    pd.testing.assert_frame_equal(data, before)
    assert scores.index.tolist() == ["r9", "r4"]
    assert scores.columns.tolist() == ["respondent", "raw_score", "score", "n_answered",
                                       "n_required", "n_items", "status", "reason"]
    assert scores["respondent"].tolist() == ["P-001", "P-002"]
    joined = data.join(scores[["score"]])
    assert joined.loc["r4", "score"] == 35.0


def test_scoring_summary_counts_every_status_and_states_the_rule():
    data = swemwbs_frame([20, 21, 22, 23])
    data.loc[1, "Q12_1"] = np.nan
    data.loc[2, "Q12_2"] = 9
    scores = score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS)
    before = scores.copy(deep=True)
    summary = scoring_summary(scores)
    pd.testing.assert_frame_equal(scores, before)
    assert summary.columns.tolist() == ["scale", "status", "label", "n", "proportion", "rule"]
    # Scores computed without not_asked know nothing of skip logic: no not_asked row.
    assert summary["status"].tolist() == [s for s in STATUSES if s != "not_asked"]
    assert summary["n"].tolist() == [2, 1, 1, 0, 0]
    assert summary["proportion"].tolist() == [0.5, 0.25, 0.25, 0.0, 0.0]
    assert set(summary["rule"]) == {"at least 7 items answered"}
    french = scoring_summary(scores, lang="fr")
    assert french["label"].tolist()[:2] == ["Score calculé", "Trop peu d'items répondus"]
    assert set(french["rule"]) == {"au moins 7 items répondus"}


def test_a_large_survey_is_scored_vectorised():
    gen = np.random.default_rng(0)
    data = pd.DataFrame(gen.integers(1, 6, size=(50_000, 7)).astype(float),
                        columns=SWEMWBS_COLUMNS)
    data.iloc[::97, 2] = np.nan
    scores = score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS)
    expected = data.sum(axis=1).where(data.notna().all(axis=1))
    np.testing.assert_array_equal(scores["raw_score"], expected)
    assert (scores["status"] == "too_few_items").sum() == len(range(0, 50_000, 97))


# --------------------------------------------------------------------------------------------
# Errors


def test_items_must_name_every_item_of_the_instrument():
    data = swemwbs_frame([20])
    with pytest.raises(ArgumentError, match="items must list 7 columns for 'swemwbs'"):
        score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS[:6])
    partial = {f"swemwbs_{i}": c for i, c in enumerate(SWEMWBS_COLUMNS[:6], 1)}
    with pytest.raises(ArgumentError, match="missing swemwbs_7"):
        score_scale(data, instrument="swemwbs", items=partial)
    wrong = {**partial, "swemwbs_8": "Q12_7"}
    with pytest.raises(ArgumentError, match="unknown 'swemwbs_8'"):
        score_scale(data, instrument="swemwbs", items=wrong)
    with pytest.raises(ArgumentError, match="items must be a mapping"):
        score_scale(data, instrument="swemwbs", items="Q12_1")


def test_columns_must_exist_and_be_numeric():
    data = swemwbs_frame([20])
    with pytest.raises(ArgumentError, match="items names columns that data does not have: 'Q9'"):
        score_scale(data, instrument="swemwbs", items=[*SWEMWBS_COLUMNS[:6], "Q9"])
    data["Q12_7"] = "often"
    with pytest.raises(ArgumentError, match="column 'Q12_7' is not numeric"):
        score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS)


def test_other_arguments_are_checked():
    data = swemwbs_frame([20])
    with pytest.raises(ArgumentError, match="id='who' is not a column of data"):
        score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS, id="who")
    with pytest.raises(ArgumentError, match="lang must be one of 'fr', 'en', got 'de'"):
        score_scale(data, instrument="swemwbs", items=SWEMWBS_COLUMNS, lang="de")
    with pytest.raises(ArgumentError, match="instrument must be"):
        score_scale(data, instrument=7, items=SWEMWBS_COLUMNS)
    with pytest.raises(ConfigError, match="unknown instrument 'swembws'"):
        score_scale(data, instrument="swembws", items=SWEMWBS_COLUMNS)
    with pytest.raises(ArgumentError, match="data must be a pandas DataFrame"):
        score_scale(data.to_numpy(), instrument="swemwbs", items=SWEMWBS_COLUMNS)
    with pytest.raises(ArgumentError, match="scores names columns that data does not have"):
        scoring_summary(data)
