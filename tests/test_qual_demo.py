"""The analyses of coded interviews on the demo interviews, whose true values are planted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import (
    NO_CODE,
    agreement_table,
    code_frequencies,
    coding_table,
    cooccurrence,
    disagreement_table,
    framework_matrix,
    krippendorff_alpha,
    quote_bank,
    units_from_turns,
)
from evalkit.datasets.interviews import make_demo_interviews


@pytest.fixture(scope="module")
def demo():
    documents, segments, truth = make_demo_interviews(
        sites=["Sherbrooke", "Magog", "Granby"], seed=7, n_per_site=6, share_double_coded=0.4)
    return documents, segments, units_from_turns(documents), truth


def test_coding_table_recovers_the_planted_agreement(demo):
    documents, segments, units, truth = demo
    table = coding_table(segments, units=units, layout="single")
    double = table.loc[table["document"].isin(truth["double_coded"])]
    wide = double.pivot(index=["document", "unit"], columns="coder", values="code_path")
    coded_by_a = wide.loc[wide["codeur_A"] != NO_CODE]
    assert len(coded_by_a) == truth["n_units_double_coded"]
    observed = (coded_by_a["codeur_A"] == coded_by_a["codeur_B"]).mean()
    assert observed == pytest.approx(truth["observed_agreement"])


def test_agreement_on_the_demo_is_high_and_consistent(demo):
    documents, segments, units, truth = demo
    presence = coding_table(segments, units=units)
    result = agreement_table(presence, unit=["document", "unit"], n_boot=300, seed=1)
    overall = result.loc[result["scope"] == "overall"].set_index("measure")
    alpha = overall.loc["krippendorff_alpha_nominal"]
    assert alpha["ci_low"] <= alpha["estimate"] <= alpha["ci_high"]
    assert alpha["estimate"] > 0.6
    n_double_units = units["document"].isin(truth["double_coded"]).sum()
    assert alpha["n_units"] == n_double_units
    single = coding_table(segments, units=units, layout="single")
    nominal = krippendorff_alpha(single, unit=["document", "unit"], value="code_path",
                                 n_boot=0)
    assert 0.6 < nominal["estimate"].iloc[0] <= 1
    disputes = disagreement_table(segments, units=units)
    assert set(disputes["document"]) <= set(truth["double_coded"])
    assert disputes["excerpt"].str.len().le(160).all()


def test_frequencies_and_cooccurrence_count_every_coding_of_coder_a(demo):
    documents, segments, units, truth = demo
    coder_a = segments.loc[segments["coder"] == "codeur_A"]
    freq = code_frequencies(segments, site=None, group=None, coder="codeur_A",
                            documents=documents)
    themes = freq.loc[freq["depth"] == 1]
    segment_themes = pd.DataFrame({"segment": coder_a["segment_id"],
                                   "theme": coder_a["code_path"].str.split("/").str[0]})
    assert themes["n_segments"].sum() == len(segment_themes.drop_duplicates())
    assert (freq["n_participants_total"] == len(documents)).all()
    pairs = cooccurrence(segments, coder="codeur_A", units=units)
    assert (pairs["n_units_both"] <= np.minimum(pairs["n_units_a"], pairs["n_units_b"])).all()


def test_framework_and_quotes_never_show_planted_identifiers(demo):
    documents, segments, units, truth = demo
    planted = truth["planted_identifiers"]
    names = [p["value"] for p in planted if p["kind"] == "name"]
    coded_text = " ".join(segments.loc[segments["coder"] == "codeur_A", "text"])
    assert any(p["value"] in coded_text for p in planted)  # there is something to scrub
    bank = quote_bank(segments, coder="codeur_A", names=names, n_per_cell=10, min_chars=1)
    matrix = framework_matrix(segments, coder="codeur_A", names=names, n_quotes=4,
                              max_chars=2000)
    shown = " ".join([*bank["quote"], *matrix["summary"]])
    assert len(bank) > 0
    for identifier in planted:
        assert identifier["value"] not in shown, identifier
    assert not set(documents["participant"]) & set(bank.to_numpy().ravel())
    assert matrix["n_segments"].sum() == len(
        segments.loc[segments["coder"] == "codeur_A"].drop_duplicates(
            ["participant", "code_path", "segment_id"]))


def test_inputs_are_unchanged(demo):
    documents, segments, units, truth = demo
    before = segments.copy()
    coding_table(segments, units=units)
    quote_bank(segments, coder="codeur_A")
    pd.testing.assert_frame_equal(segments, before)
