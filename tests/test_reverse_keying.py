"""Reverse-keyed items reach every reliability coefficient, the item table and the scale scores,
in the functions and in a run: values checked against R (psych 2.2.9).

The reference values come from tests/reference/reverse_keying.R (run it with Rscript from the
repository root); its output, tests/reference/reverse_keying.json, is what these tests read.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evalkit import ArgumentError, DataError
from evalkit.analyse.compute import compute_results
from evalkit.analyse.reliability import (
    cronbach_alpha,
    item_analysis,
    mcdonald_omega,
    ordinal_alpha,
    polychoric_correlation,
)
from evalkit.analyse.scales import reverse_keyed_items, score_scale
from evalkit.config.codebook import load_codebook
from evalkit.config.study import load_study
from evalkit.errors import ConfigError
from evalkit.prepare.study import prepare_study

REFERENCE = Path(__file__).parent / "reference"
ITEMS = [f"r{i}" for i in range(1, 8)]
NEGATIVE = ["r3", "r6"]


@pytest.fixture(scope="module")
def ref():
    return json.loads((REFERENCE / "reverse_keying.json").read_text())


@pytest.fixture(scope="module")
def answers():
    return pd.read_csv(REFERENCE / "reverse_keying_items.csv")


@pytest.fixture(scope="module")
def complete(answers):
    return answers.dropna()


def test_the_reference_data_need_the_keying(ref):
    # Without the keys the same items give a useless alpha: the test below can fail.
    assert ref["alpha"]["raw_alpha_keys_ignored"] < 0.3 < 0.8 < ref["alpha"]["raw_alpha"]


@pytest.mark.parametrize("reverse", [NEGATIVE, {"r3": (1, 5), "r6": (1, 5)}],
                         ids=["observed-range", "declared-range"])
def test_alpha_with_reverse_keys_matches_psych(ref, complete, reverse):
    # R: psych::alpha(complete, keys = c("r3", "r6"))
    out = cronbach_alpha(complete, items=ITEMS, reverse=reverse, ci="feldt")
    row = out.iloc[0]
    assert row["n"] == ref["n_complete"]
    assert row["estimate"] == pytest.approx(ref["alpha"]["raw_alpha"], abs=1e-10)
    assert row["ci_low"] == pytest.approx(ref["alpha"]["feldt_lower"], abs=1e-10)
    assert row["ci_high"] == pytest.approx(ref["alpha"]["feldt_upper"], abs=1e-10)


def test_listwise_default_uses_the_same_complete_cases(ref, answers):
    row = cronbach_alpha(answers, items=ITEMS, reverse=NEGATIVE, ci=None).iloc[0]
    assert row["n"] == ref["n_complete"]
    assert row["estimate"] == pytest.approx(ref["alpha"]["raw_alpha"], abs=1e-10)


def test_item_table_with_reverse_keys_matches_psych(ref, complete):
    table = item_analysis(complete, items=ITEMS, reverse={"r3": (1, 5), "r6": (1, 5)})
    assert table["reversed"].tolist() == [item in NEGATIVE for item in ITEMS]
    for column, key in (("mean", "item_mean"), ("sd", "item_sd"),
                        ("item_total_r", "item_total_r"), ("item_rest_r", "item_rest_r"),
                        ("alpha_if_dropped", "alpha_if_dropped")):
        np.testing.assert_allclose(table[column], ref["alpha"][key], atol=1e-10, err_msg=column)


def test_omega_with_reverse_keys_matches_psych(ref, complete):
    # R: psych::omega on the reversed items (minres), and the same criterion minimised tightly
    row = mcdonald_omega(complete, items=ITEMS, reverse=NEGATIVE, ci=None).iloc[0]
    assert row["estimate"] == pytest.approx(ref["omega"]["tight_omega_tot"], abs=1e-8)
    assert row["estimate"] == pytest.approx(ref["omega"]["psych_omega_tot"], abs=1e-6)


def test_ordinal_alpha_with_reverse_keys_matches_psych(ref, complete):
    # R: alpha of the two-step polychoric matrix of the reversed items (tight optimum)
    row = ordinal_alpha(complete, items=ITEMS, reverse=NEGATIVE, ci=None).iloc[0]
    assert row["estimate"] == pytest.approx(ref["ordinal_alpha"]["tight"], abs=1e-6)


def test_reversing_flips_the_sign_of_polychoric_correlations(complete):
    plain = polychoric_correlation(complete, items=["r1", "r3"])["rho"].iloc[0]
    keyed = polychoric_correlation(complete, items=["r1", "r3"], reverse=["r3"])["rho"].iloc[0]
    assert plain < 0 and keyed == pytest.approx(-plain, abs=1e-9)


def test_scale_scores_with_study_reverse_keys_match_psych_score_items(ref, answers):
    # R: psych::scoreItems(keys with -r3 and -r6, totals = FALSE, impute = "none"): the mean
    # of the answered items; evalkit's generic Likert rule scores those with 4 of 7 answered.
    scores = score_scale(answers, instrument="likert", items=ITEMS, reverse=NEGATIVE)
    expected = np.array(ref["scores"]["mean_score"], dtype=float)
    scored = np.array(ref["scores"]["n_answered"]) >= 4
    np.testing.assert_allclose(scores["score"].to_numpy()[scored], expected[scored], atol=1e-12)
    assert scores["score"].to_numpy()[~scored].size == 0 or \
        np.isnan(scores["score"].to_numpy()[~scored]).all()


def test_instrument_and_study_reverse_items_are_reversed_once(answers):
    inline = {"extends": "likert", "name": "wb", "items": ITEMS, "reverse": ["r3"]}
    both = score_scale(answers, instrument=inline, items=ITEMS, reverse=["r3", "r6"])
    study_only = score_scale(answers, instrument="likert", items=ITEMS, reverse=NEGATIVE)
    np.testing.assert_array_equal(both["score"].to_numpy(), study_only["score"].to_numpy())
    assert reverse_keyed_items(instrument=inline, items=ITEMS, reverse=["r3", "r6"]) == \
        {"r3": (1.0, 5.0), "r6": (1.0, 5.0)}


def test_reverse_keying_arguments_are_checked(complete):
    with pytest.raises(ArgumentError, match="not among items: 'r9'"):
        cronbach_alpha(complete, items=ITEMS, reverse=["r9"])
    with pytest.raises(ArgumentError, match="reverse must list item columns"):
        cronbach_alpha(complete, items=ITEMS, reverse="r3")
    with pytest.raises(ArgumentError, match=r"reverse\['r3'\] must be the answer range"):
        item_analysis(complete, items=ITEMS, reverse={"r3": (5, 1)})
    with pytest.raises(DataError, match="column 'r3', row .*outside the range 1–4"):
        cronbach_alpha(complete, items=ITEMS, reverse={"r3": (1, 4)})
    with pytest.raises(ArgumentError, match="not items of the scale: 'r9'"):
        score_scale(complete, instrument="likert", items=ITEMS, reverse=["r9"])


def test_reverse_keying_leaves_the_callers_frame_unchanged(complete):
    before = complete.copy()
    cronbach_alpha(complete, items=ITEMS, reverse=NEGATIVE, ci=None)
    item_analysis(complete, items=ITEMS, reverse=NEGATIVE)
    score_scale(complete, instrument="likert", items=ITEMS, reverse=NEGATIVE)
    pd.testing.assert_frame_equal(complete, before)


# -- in a run: the codebook's `reverse: true`, or the instrument's own reverse items ----------

def _study(folder: Path, answers: pd.DataFrame, *, keyed_in: str) -> Path:
    """A one-wave study of the reference answers, spread over three sites."""
    folder.mkdir()
    data = answers.copy()
    data.insert(0, "id_personne", [f"P{i:04d}" for i in range(len(data))])
    data.insert(1, "territoire", np.resize(["Nord", "Sud", "L'Île"], len(data)))
    data.to_csv(folder / "réponses.csv", index=False)
    agree = {i: {"fr": f"Niveau {i}", "en": f"Level {i}"} for i in range(1, 6)}
    variables = {
        "id_personne": {"type": "id", "label": {"fr": "Identifiant", "en": "Identifier"}},
        "territoire": {"type": "category", "label": {"fr": "Territoire", "en": "Territory"},
                       "values": {s: {"fr": s, "en": s} for s in ("Nord", "Sud", "L'Île")}},
    }
    for item in ITEMS:
        variables[item] = {"type": "likert", "label": {"fr": item, "en": item},
                           "values": "accord", "required": False}
        if keyed_in == "codebook" and item in NEGATIVE:
            variables[item]["reverse"] = True
    (folder / "codebook.yaml").write_text(yaml.safe_dump(
        {"value_sets": {"accord": agree}, "variables": variables}, allow_unicode=True),
        encoding="utf-8")
    instrument = "likert" if keyed_in == "codebook" else {
        "extends": "likert", "name": "bien_etre", "items": [f"b{i}" for i in range(1, 8)],
        "reverse": ["b3", "b6"]}
    items = ITEMS if keyed_in == "codebook" else {f"b{i}": c for i, c in enumerate(ITEMS, 1)}
    study = {"study": "cles-inversees", "title": {"fr": "Clés", "en": "Keys"},
             "sources": {"survey": [{"path": "réponses.csv"}]}, "codebook": "codebook.yaml",
             "roles": {"id": "id_personne", "site": "territoire"},
             "measures": {"scales": {"bien_etre": {"instrument": instrument, "items": items}}},
             "parameters": {"bootstrap": 100}}
    (folder / "study.yaml").write_text(yaml.safe_dump(study, allow_unicode=True,
                                                      sort_keys=False), encoding="utf-8")
    return folder / "study.yaml"


@pytest.mark.parametrize("keyed_in", ["codebook", "instrument"])
def test_the_released_alpha_of_a_run_matches_psych(tmp_path, ref, answers, keyed_in):
    prepared = prepare_study(load_study(_study(tmp_path / keyed_in, answers, keyed_in=keyed_in)))
    results = compute_results(prepared, n_boot=100)
    frame = results["reliability_bien_etre"].frame
    reliability = frame.drop_duplicates("measure").set_index("measure")
    assert reliability.loc["cronbach_alpha", "estimate"] == pytest.approx(
        ref["alpha"]["raw_alpha"], abs=1e-10)
    assert reliability.loc["cronbach_alpha", "n"] == ref["n_complete"]
    assert reliability.loc["omega_total", "estimate"] == pytest.approx(
        ref["omega"]["tight_omega_tot"], abs=1e-8)
    assert reliability.loc["ordinal_alpha", "estimate"] == pytest.approx(
        ref["ordinal_alpha"]["tight"], abs=1e-6)
    items = results["items_bien_etre"].frame
    assert items.loc[items["reversed"], "item"].tolist() == NEGATIVE
    np.testing.assert_allclose(items["mean"], ref["alpha"]["item_mean"], atol=1e-10)
    # Scale means by site from psych's scores (4 of 7 items answered at least).
    scores = pd.Series(ref["scores"]["mean_score"], dtype=float)
    scored = np.array(ref["scores"]["n_answered"]) >= 4
    sites = pd.Series(np.resize(["Nord", "Sud", "L'Île"], len(scores)))
    expected = scores[scored].groupby(sites[scored]).mean()
    by_site = results["scale_bien_etre_by_site"].frame.set_index("site")["mean"]
    pd.testing.assert_series_equal(by_site.sort_index(), expected.sort_index(),
                                   check_names=False, atol=1e-12)


def test_only_items_can_be_reverse_keyed_in_the_codebook(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump({"variables": {"site": {
        "type": "category", "label": {"fr": "Site", "en": "Site"},
        "values": {"A": {"fr": "A", "en": "A"}}, "reverse": True}}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="only a likert or number item can be reverse-keyed"):
        load_codebook(path)


def test_a_spreadsheet_codebook_declares_reverse_keying(tmp_path):
    path = tmp_path / "codebook.csv"
    path.write_text("variable,type,label_fr,label_en,valeur,value_label_fr,value_label_en,"
                    "inversé\n"
                    "q1,likert,Q1,Q1,1,Non,No,oui\n,,,,2,Oui,Yes,\n"
                    "q2,likert,Q2,Q2,1,Non,No,\n,,,,2,Oui,Yes,\n", encoding="utf-8")
    assert load_codebook(path).reverse_keyed() == ["q1"]
