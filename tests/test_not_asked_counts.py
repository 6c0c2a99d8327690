"""Missing by design is not non-response in any count: the tokenism rates and gap, the ladder
distribution and the network's traffic light count the answers not asked (skip logic) apart, in
``n_not_asked``, checked against counts written here with pandas from the files as written."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from _studies import computed, small_study

from evalkit.analyse.catalogue import additive_problems
from evalkit.analyse.compute import compute_results
from evalkit.analyse.involvement import ladder_distribution, tokenism_gap, tokenism_rates
from evalkit.analyse.network import traffic_light_distribution
from evalkit.config.study import load_study
from evalkit.errors import ArgumentError
from evalkit.prepare.study import prepare_study

VOICE, INFLUENCE, FILTER = "inv_consulted", "inv_influence", "inv_informed"
ASKED = ("4", "5")       # the voice question is asked only of those who agree they are informed
ANSWERS = ("1", "2", "3", "4", "5")


# -- the functions, by hand -------------------------------------------------------------------
def _hand_frames():
    data = pd.DataFrame({"site": ["A", "A", "A", "A", "B", "B", "B"],
                         "v": [5.0, np.nan, np.nan, 4, np.nan, 2, 5],
                         "f": [1.0, 2, np.nan, np.nan, np.nan, 1, np.nan]},
                        index=[10, 11, 12, 13, 20, 21, 22])
    # 11: v not asked; 12: v not asked, f asked and blank; 13: f not asked (consulted);
    # 20: v asked, blank; 22: f asked, blank.
    skipped = pd.DataFrame({"v": [False, True, True, False, False, False, False],
                            "f": [False, False, False, True, False, False, False]},
                           index=data.index)
    return data, skipped


def test_tokenism_rates_count_not_asked_apart_by_hand():
    data, skipped = _hand_frames()
    before = (data.copy(), skipped.copy())
    out = tokenism_rates(data, voice="v", influence="f", agree_at=4, site="site",
                         not_asked=skipped).set_index("site")
    pd.testing.assert_frame_equal(data, before[0])
    pd.testing.assert_frame_equal(skipped, before[1])
    # A: 10 answered; 11, 12 voice not asked; 13 consulted, influence not asked.
    assert out.loc["A", ["n", "n_answered", "n_excluded_missing", "n_not_asked"]].tolist() \
        == [4, 1, 0, 3]
    # B: 20 voice asked and blank; 21 not consulted (known); 22 consulted, influence blank.
    assert out.loc["B", ["n", "n_answered", "n_excluded_missing", "n_not_asked"]].tolist() \
        == [3, 1, 2, 0]
    assert list(out.columns[:4]) == ["n", "n_answered", "n_excluded_missing", "n_not_asked"]
    plain = tokenism_rates(data, voice="v", influence="f", agree_at=4, site="site")
    assert "n_not_asked" not in plain.columns
    assert plain["n_excluded_missing"].tolist() == [3, 2]
    # The rates do not change: only the reason a row is left out.
    assert plain["rate"].equals(out["rate"].reset_index(drop=True))
    with pytest.raises(ArgumentError, match="not_asked"):
        tokenism_rates(data, voice="v", influence="f", agree_at=4, not_asked=skipped.iloc[:3])


def test_tokenism_gap_counts_a_score_not_asked_apart_by_hand():
    data, skipped = _hand_frames()
    out = tokenism_gap(data, voice="v", influence="f", site="site",
                       not_asked=skipped).set_index("site")
    # A: 11 and 13 lack a score not asked only; 12 lacks a voice not asked and an influence
    # asked and left blank: non-response.
    assert out.loc["A", ["n", "n_answered", "n_excluded_missing", "n_not_asked"]].tolist() \
        == [4, 1, 1, 2]
    assert out.loc["B", ["n", "n_answered", "n_excluded_missing", "n_not_asked"]].tolist() \
        == [3, 1, 2, 0]


def test_ladder_and_traffic_light_count_not_asked_apart_by_hand():
    data = pd.DataFrame({"site": ["A", "A", "A", "B"], "a": [5.0, np.nan, np.nan, np.nan],
                         "b": [1.0, np.nan, np.nan, 4]}, index=list("wxyz"))
    skipped = pd.DataFrame({"a": [False, True, True, True], "b": [False, True, False, False]},
                           index=data.index)
    out = ladder_distribution(data, items=["a", "b"], agree_at=4, site="site",
                              not_asked=skipped)
    first = out.groupby("site").first()
    # x: asked neither item; y: asked b and left it blank; z: placed on b.
    assert first.loc["A", ["n_placed", "n_unplaced", "n_not_asked"]].tolist() == [1, 1, 1]
    assert first.loc["B", ["n_placed", "n_unplaced", "n_not_asked"]].tolist() == [1, 0, 0]
    net = pd.DataFrame({"site": ["A"] * 5, "paid": [1, 1, 1, np.nan, 2],
                        "peers": [0, np.nan, np.nan, np.nan, 1],
                        "community": [1, 0, 0, np.nan, 0]}, index=[5, 4, 3, 2, 1])
    skip_net = pd.DataFrame({"peers": [False, True, False, True, False],
                             "community": [False, False, False, True, False]}, index=net.index)
    # 4: peers not asked (colour unknown, by design); 3: peers asked, blank; 2: paid asked and
    # blank as well as the two not asked: non-response.
    lights = traffic_light_distribution(net, paid="paid", peers="peers", community="community",
                                        site="site", not_asked=skip_net)
    assert lights[["n", "n_missing", "n_not_asked"]].drop_duplicates().values.tolist() \
        == [[2, 2, 1]]


# -- a run on a study whose voice question is asked of a subset --------------------------------
def _voice_skip_study(folder: Path, *, rename: dict | None = None,
                      n_sites: int = 3) -> tuple[Path, pd.DataFrame]:
    """A study whose voice item is asked only of those who agree they are informed (blank in
    the files where not asked), with a few blanks among those asked."""
    study = small_study(folder, n_sites=n_sites, waves=2, n_per_site=40, rename=rename)
    names = {k: (rename or {}).get(k, k) for k in (VOICE, FILTER, "site", "wave",
                                                    "respondent_type", INFLUENCE)}
    gen = np.random.default_rng(3)
    raws = []
    for path in sorted(folder.glob("survey_w*.csv")):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        asked = raw[names[FILTER]].isin(ASKED)
        raw.loc[~asked, names[VOICE]] = ""
        raw.loc[asked & (gen.random(len(raw)) < 0.1), names[VOICE]] = ""
        raw.to_csv(path, index=False)
        raws.append(raw)
    book_path = folder / "codebook.yaml"
    book = yaml.safe_load(book_path.read_text(encoding="utf-8"))
    book["variables"][names[VOICE]]["asked_if"] = {"variable": names[FILTER],
                                                   "values": [int(a) for a in ASKED]}
    book_path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    return study, pd.concat(raws, ignore_index=True)


def _expected_tokenism(raw: pd.DataFrame, names: dict, users: bool) -> pd.DataFrame:
    """n, answered, missing and not asked by site, from the files as written (pandas only)."""
    base = raw[raw[names["wave"]] == "1"]
    if users:
        base = base[base[names["respondent_type"]] == "user"]
    voice = pd.to_numeric(base[names[VOICE]].where(base[names[VOICE]].isin(ANSWERS)))
    influence = pd.to_numeric(base[names[INFLUENCE]].where(
        base[names[INFLUENCE]].isin(ANSWERS)))
    consulted = voice >= 4
    known = voice.notna() & (~consulted | influence.notna())
    asked = base[names[FILTER]].isin(ASKED)
    # Voice unknown: not asked when the filter kept it from them; else a missing answer.
    by_design = voice.isna() & ~asked
    frame = pd.DataFrame({"site": base[names["site"]], "n": 1, "n_answered": known,
                          "n_excluded_missing": ~known & ~by_design, "n_not_asked": by_design,
                          # The gap needs both scores: a voice not asked with an influence
                          # asked and left blank is non-response.
                          "gap_not_asked": by_design & influence.notna()})
    return frame.groupby("site").sum().astype("int64")


@pytest.fixture(scope="module")
def voice_run(tmp_path_factory):
    study, raw = _voice_skip_study(tmp_path_factory.mktemp("voice"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo key
        prepared = prepare_study(load_study(study))
    return compute_results(prepared, n_boot=0), raw


def _names(rename: dict | None = None) -> dict:
    return {k: (rename or {}).get(k, k) for k in (VOICE, FILTER, "site", "wave",
                                                  "respondent_type", INFLUENCE)}


def test_a_run_counts_voice_not_asked_apart_in_the_tokenism_tables(voice_run):
    results, raw = voice_run
    names = _names()
    expected = _expected_tokenism(raw, names, users=True)
    rates = results.tables["tokenism_rates"].frame.set_index("site")
    columns = ["n", "n_answered", "n_excluded_missing", "n_not_asked"]
    pd.testing.assert_frame_equal(rates[columns].astype("int64"), expected[columns],
                                  check_names=False, check_index_type=False)
    assert expected["n_not_asked"].sum() > 10 and expected["n_excluded_missing"].sum() > 0
    overall = results.tables["tokenism_overall"].frame
    assert overall[columns].iloc[0].tolist() == expected[columns].sum().tolist()
    gap = results.tables["tokenism_gap"].frame.set_index("site")
    assert gap["n_not_asked"].tolist() == expected["gap_not_asked"].tolist()
    assert (gap["n_answered"] + gap["n_excluded_missing"] + gap["n_not_asked"]
            == gap["n"]).all()
    everyone = _expected_tokenism(raw, names, users=False)
    by_group = results.tables["tokenism_rates_group"].frame.groupby("site")[columns].sum()
    pd.testing.assert_frame_equal(by_group.astype("int64"), everyone[columns],
                                  check_names=False, check_index_type=False)
    specs = {name: table.spec for name, table in results.tables.items()}
    frames = {name: table.frame for name, table in results.tables.items()}
    assert additive_problems(frames, specs) == []
    relation = specs["tokenism_rates"].additive[0]
    assert relation.parts == ("n_answered", "n_excluded_missing", "n_not_asked")
    labels = {c.name: c.label for c in specs["tokenism_rates"].columns}
    assert labels["n_not_asked"] == {"fr": "Non posée (filtre)", "en": "Not asked (skip logic)"}


def test_the_ladder_and_network_tables_carry_not_asked_when_skip_logic_is_declared(voice_run):
    results, raw = voice_run
    ladder = results.tables["ladder_distribution"].frame
    # One ladder item of five skipped: everyone asked the others, nobody unplaced by design.
    assert "n_not_asked" in ladder.columns and (ladder["n_not_asked"] == 0).all()
    light = results.tables["traffic_light"].frame
    assert "n_not_asked" in light.columns and (light["n_not_asked"] == 0).all()


def test_a_renamed_study_with_other_sites_gets_the_same_counts(tmp_path):
    rename = {"site": "territoire d'accès", "wave": "temps", "respondent_type": "type_répondant"}
    study, raw = _voice_skip_study(tmp_path / "renamed", rename=rename, n_sites=2)
    results = computed(study, n_boot=0)
    expected = _expected_tokenism(raw, _names(rename), users=True)
    rates = results.tables["tokenism_rates"].frame.set_index("territoire d'accès")
    columns = ["n", "n_answered", "n_excluded_missing", "n_not_asked"]
    pd.testing.assert_frame_equal(rates[columns].astype("int64"), expected[columns],
                                  check_names=False, check_index_type=False)


def test_tables_keep_their_columns_without_skip_logic(tmp_path):
    study = small_study(tmp_path / "plain", waves=1, skip_logic=False)
    results = computed(study, n_boot=0)
    for name in ("tokenism_rates", "tokenism_overall", "tokenism_gap", "ladder_distribution",
                 "traffic_light"):
        table = results.tables[name]
        assert "n_not_asked" not in table.frame.columns, name
        assert "n_not_asked" not in {c.name for c in table.spec.columns}, name


# -- scale scores -----------------------------------------------------------------------------
def test_a_scale_with_an_item_not_asked_is_not_scored_nor_non_response_by_hand():
    from evalkit.analyse.scales import score_scale, scoring_summary

    data = pd.DataFrame({"a": [1.0, 2, np.nan, 4, np.nan], "b": [2.0, np.nan, np.nan, 5, 3],
                         "c": [3.0, 3, 1, np.nan, 2]}, index=list("pqrst"))
    skipped = pd.DataFrame({"b": [False, True, True, False, False],
                            "c": [False, False, False, True, False]}, index=data.index)
    scores = score_scale(data, instrument="likert", items=["a", "b", "c"], not_asked=skipped)
    # q, r and s lack an item not asked; t lacks an asked item and has 2 of 3 (likert: 2 needed).
    assert scores["status"].tolist() == ["scored", "not_asked", "not_asked", "not_asked",
                                         "scored"]
    assert scores["n_not_asked"].tolist() == [0, 1, 1, 1, 0]
    assert scores.loc[["q", "r", "s"], "score"].isna().all()
    assert scores.loc["q", "reason"].startswith("1 of 3 items not asked")
    summary = scoring_summary(scores).set_index("status")
    assert summary.loc["not_asked", "n"] == 3 and summary.loc["too_few_items", "n"] == 0
    plain = score_scale(data, instrument="likert", items=["a", "b", "c"])
    assert "n_not_asked" not in plain.columns
    assert (plain["status"] == "too_few_items").sum() == 1  # r: one item answered
    assert "not_asked" not in set(scoring_summary(plain)["status"])


def test_a_run_leaves_a_wellbeing_item_not_asked_out_of_non_response(tmp_path):
    """wb_7 asked only of those who agree they are informed: their scale is not asked, not
    missing; everyone else follows SWEMWBS's rule (all seven items)."""
    study = small_study(tmp_path / "wb", n_sites=3, waves=1, n_per_site=40)
    folder = study.parent
    path = folder / "survey_w1.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.loc[~raw[FILTER].isin(ASKED), "wb_7"] = ""
    raw.to_csv(path, index=False)
    book_path = folder / "codebook.yaml"
    book = yaml.safe_load(book_path.read_text(encoding="utf-8"))
    book["variables"]["wb_7"]["asked_if"] = {"variable": FILTER,
                                             "values": [int(a) for a in ASKED]}
    book_path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    results = computed(study, n_boot=0)
    summary = results.tables["scoring_wellbeing"].frame.set_index("status")["n"]
    # Independent counts: staff are asked wb_1 to wb_6 never, wb_7 when informed; users and
    # carers all but wb_7, which only the informed are asked. Someone asked no item is left
    # out; someone with an item not asked is not asked; all seven answered is scored; else too
    # few items (asked, not answered).
    items = [f"wb_{i}" for i in range(1, 8)]
    staff = raw["respondent_type"] == "staff"
    informed = raw[FILTER].isin(ASKED)
    asked_any = ~staff | informed
    rows = raw[asked_any]
    answered = rows[items].isin(["1", "2", "3", "4", "5"])
    by_design = (staff[asked_any]  # wb_1 to wb_6 not asked of staff
                 | ((rows["wb_7"] == "") & ~informed[asked_any]))
    assert summary["not_asked"] == by_design.sum() > 5
    assert summary["scored"] == (answered.all(axis=1) & ~by_design).sum()
    assert summary["too_few_items"] == (~answered.all(axis=1) & ~by_design).sum() > 0
    assert summary.sum() == len(rows)
    by_site = results.tables["scale_wellbeing_by_site"].frame
    assert by_site["n"].sum() == summary["scored"]


def test_ladder_placement_and_reproducibility_count_items_not_asked_apart_by_hand():
    from evalkit.analyse.involvement import ladder_placement, ladder_reproducibility

    data = pd.DataFrame({"a": [5.0, 4, 5, np.nan], "b": [4.0, np.nan, np.nan, np.nan],
                         "c": [2.0, 1, 5, 4]}, index=[3, 1, 2, 0])
    # 1: b not asked (complete otherwise); 2: b asked, left blank; 0: a asked and blank, b not.
    skipped = pd.DataFrame({"b": [False, True, False, True]}, index=data.index)
    placed = ladder_placement(data, items=["a", "b", "c"], agree_at=4, not_asked=skipped)
    assert placed["n_missing"].tolist() == [0, 0, 1, 1]
    assert placed["n_not_asked"].tolist() == [0, 1, 0, 1]
    out = ladder_reproducibility(data, items=["a", "b", "c"], agree_at=4, not_asked=skipped)
    assert out[["n", "n_excluded", "n_not_asked"]].iloc[0].tolist() == [1, 2, 1]
    plain = ladder_reproducibility(data, items=["a", "b", "c"], agree_at=4)
    assert "n_not_asked" not in plain.columns and plain["n_excluded"].iloc[0] == 3
    assert plain["cr"].equals(out["cr"])


def test_a_run_counts_the_ladder_not_asked_apart(voice_run):
    results, raw = voice_run
    base = raw[raw["wave"] == "1"]
    ladder = ["inv_informed", VOICE, INFLUENCE, "inv_partnership", "inv_control"]
    answered = base[ladder].isin(ANSWERS)
    # Incomplete only because the voice item was not asked of them (the filter kept it away).
    voice_skipped = (base[VOICE] == "") & ~base[FILTER].isin(ASKED)
    others_answered = answered.drop(columns=VOICE).all(axis=1)
    row = results.tables["ladder_reproducibility"].frame.iloc[0]
    assert row["n"] == answered.all(axis=1).sum()
    assert row["n_not_asked"] == (voice_skipped & others_answered).sum() > 10
    assert row["n_excluded"] == len(base) - row["n"] - row["n_not_asked"]
