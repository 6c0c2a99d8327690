"""Studies of every size the product promises, computed as a run computes them: one site, many
small sites, three waves (baseline and each follow-up), names with accents, spaces, apostrophes
and digits; each number checked against ``tests/zoo_reference.py`` (no evalkit call)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import zoo_reference as ref

from evalkit.analyse.compute import compute_results
from evalkit.config.study import load_study
from evalkit.datasets.zoo import ZooShape, make_zoo_study
from evalkit.prepare.study import prepare_study
from evalkit.validate.study import validate_study


def _results(study_file):
    report = validate_study(study_file)
    assert report.n_errors == 0 and report.n_warnings == 0, report.render_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the zoo's marked demo key
        return compute_results(prepare_study(load_study(study_file)), n_boot=100)


def test_one_site_with_two_waves_says_why_it_has_no_site_model(tmp_path):
    shape = ZooShape("one-site", n_sites=1, waves=2, n_per_site=60, population=True)
    study = make_zoo_study(tmp_path / "one", shape, seed=3)
    results = _results(study)
    truth = ref.load_truth(study.parent)
    for name in ("involvement_model", "outcome_icc", "tokenism_funnel"):
        assert name not in results.tables
        assert "(1;" in results.absence(name).text("en"), name
    # The single site's numbers are still there, and right.
    expected = ref.tokenism_by_site(ref.read_survey(study.parent), truth)
    got = results.tables["tokenism_rates"].frame
    assert got["n_consulted"].tolist() == expected["n_consulted"].tolist()
    assert got["ci_low"].to_numpy() == pytest.approx(expected["ci_low"].to_numpy(), abs=1e-12)
    assert "outcome_change" in results.tables and "tokenism_weighted" in results.tables


def test_five_hundred_small_sites_with_population_margins(tmp_path):
    shape = ZooShape("many", language="en", n_sites=500, waves=1, n_per_site=6, staff="none",
                     carers=False, formats=("csv",), tiny_site=True, population=True)
    study = make_zoo_study(tmp_path / "many", shape, seed=4)
    truth = ref.load_truth(study.parent)
    sites = list(truth["planted"]["tokenism_rate"])
    assert len(set(sites)) == 500 and any("'" in s for s in sites)
    results = _results(study)
    responses = ref.read_survey(study.parent)
    expected = ref.tokenism_by_site(responses, truth)
    got = results.tables["tokenism_rates"].frame.set_index(truth["names"]["site"])
    assert len(got) == 500
    got = got.loc[expected["site"]]
    assert got["n_tokenistic"].tolist() == expected["n_tokenistic"].tolist()
    assert got["ci_high"].to_numpy() == pytest.approx(expected["ci_high"].to_numpy(), abs=1e-12)
    counts = results.tables["response_counts"].frame
    assert counts["n"].sum() == len(responses)
    # Six people per site leave most sites with an empty age or sex level: each such site loses
    # its own weighted rate, with its reason, and the others keep theirs.
    weighted = results.tables["tokenism_weighted"].frame.set_index("site")
    assert len(weighted) == 500
    empty = ref.sites_without_a_level(study.parent, responses, truth)
    assert 0 < len(empty) < 500
    skipped = set(weighted.index[weighted["skipped_en"].notna()].astype(str))
    assert skipped == empty
    assert weighted.loc[sorted(empty), "estimate"].isna().all()
    assert weighted.drop(index=sorted(empty))["estimate"].notna().all()
    # Cross-site comparisons run on that many sites.
    funnel = results.tables["tokenism_funnel"].frame
    assert funnel["site"].nunique() == len(expected)


def test_three_waves_give_the_change_to_each_follow_up(tmp_path):
    shape = ZooShape("trois-temps", n_sites=3, waves=3, n_per_site=40, population=True,
                     tiny_site=True)
    study = make_zoo_study(tmp_path / "three", shape, seed=5)
    truth = ref.load_truth(study.parent)
    results = _results(study)
    responses = ref.read_survey(study.parent)
    table = results.tables["outcome_change_waves"].frame
    items = truth["names"]["outcomes"]
    assert sorted(table["follow_up"].unique()) == [2, 3]
    for wave in (2, 3):
        expected = ref.outcome_change_by_item(responses, truth, follow_up=wave)
        block = table[(table["follow_up"] == wave) & (table["level"] == "item")]
        block = block.set_index("outcome").loc[items]
        assert block["n_paired"].tolist() == expected["n_paired"].tolist(), wave
        np.testing.assert_allclose(block["mean_change"], expected["mean_change"], rtol=1e-12)
    # The first block is the released change to the first follow-up.
    first = results.tables["outcome_change"].frame
    np.testing.assert_allclose(table.loc[table["follow_up"] == 2, "mean_change"],
                               first["mean_change"], rtol=1e-12)
    # The model is fitted to the declared follow-up (default: the first).
    fit = results.tables["involvement_model"].frame.set_index("term")
    data = ref.change_data(responses, truth)
    expected = ref.mixed_slope(data).set_index("term")
    assert fit.loc["rung", "estimate"] == pytest.approx(expected.loc["rung", "estimate"],
                                                        rel=1e-6)
