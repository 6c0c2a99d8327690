"""The demo generator: reproducible files, the messy formats promised, the truths it plants."""

import hashlib
import json

import numpy as np
import pytest

from evalkit import ArgumentError
from evalkit.datasets import make_demo_study, simulate_responses
from evalkit.datasets.demo import LADDER_ITEMS, OUTCOME_ITEMS


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def test_same_seed_gives_the_same_bytes(tmp_path):
    a = make_demo_study(tmp_path / "a", n_sites=3, n_per_site=30, seed=5).parent
    b = make_demo_study(tmp_path / "b", n_sites=3, n_per_site=30, seed=5).parent
    c = make_demo_study(tmp_path / "c", n_sites=3, n_per_site=30, seed=6).parent
    assert digest(a) == digest(b)
    assert digest(a)["survey_w1.csv"] != digest(c)["survey_w1.csv"]


def test_messy_formats_are_written(tmp_path):
    folder = make_demo_study(tmp_path, n_sites=2, n_per_site=20).parent
    raw = (folder / "survey_w1.csv").read_bytes()
    assert b"\r\n" in raw and raw.split(b"\r\n")[0].count(b";") > 30
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # cp1252 accents, as French Excel writes them
    text = raw.decode("cp1252")
    assert "é" in text
    assert (folder / "survey_w2.sav").read_bytes()[:4] == b"$FL2"
    assert "DEMO KEY" in (folder / "demo.key").read_text()


def test_small_group_and_missing_codes_are_planted():
    demo = simulate_responses(n_sites=4, n_per_site=100, seed=1)
    r = demo.responses
    last = demo.sites["site"].iloc[-1]
    carers = r[(r["site"] == last) & (r["respondent_type"] == "carer") & (r["wave"] == 1)]
    assert len(carers) == 3
    ladder = r[LADDER_ITEMS].to_numpy()
    assert (ladder == 8).mean() == pytest.approx(0.02, abs=0.006)
    assert (ladder == 9).mean() == pytest.approx(0.01, abs=0.005)
    comments = r["comment"].dropna()
    assert comments.str.contains(r"\d{3}-555-\d{4}").any()
    assert comments.str.contains("@example.org").any()


def test_planted_tokenism_rates_are_what_the_data_show():
    # Large sites: the observed rate among consulted users is the planted rate.
    demo = simulate_responses(n_sites=4, n_per_site=4000, waves=1, seed=3)
    r = demo.responses
    users = r[r["respondent_type"] == "user"]
    consulted = users[(users["inv_consulted"] >= 4) & (users["inv_consulted"] <= 5)]
    answered = consulted[consulted["inv_influence"] <= 5]
    observed = (answered["inv_influence"] < 4).groupby(answered["site"]).mean()
    planted = demo.sites.set_index("site")["tokenism_rate"]
    n = answered.groupby("site").size()
    se = np.sqrt(planted * (1 - planted) / n)
    assert (np.abs(observed - planted) < 4 * se).all()
    assert planted.iloc[-2] == 0.80


def test_planted_effect_of_involvement_on_observed_change():
    demo = simulate_responses(n_sites=6, n_per_site=5000, seed=11)
    r = demo.responses[demo.responses["respondent_type"] == "user"]
    w1 = r[r["wave"] == 1].set_index("respondent_id")
    w2 = r[r["wave"] == 2].set_index("respondent_id")
    both = w1.index.intersection(w2.index)
    items = w1.loc[both, LADDER_ITEMS].to_numpy()
    endorsed = (items >= 4) & (items <= 5)
    rung = np.where(endorsed, np.arange(1, 6), 0).max(axis=1)
    change = (w2.loc[both, OUTCOME_ITEMS] - w1.loc[both, OUTCOME_ITEMS]).mean(axis=1)
    ok = change.notna().to_numpy()
    # Within-site slope (site fixed effects), to compare with the planted per-rung effect.
    site = w1.loc[both, "site"].to_numpy()[ok]
    x = rung[ok].astype(float)
    y = change.to_numpy()[ok]
    for s in np.unique(site):
        x[site == s] -= x[site == s].mean()
        y[site == s] -= y[site == s].mean()
    slope = (x @ y) / (x @ x)
    assert slope == pytest.approx(demo.truth["involvement_effect_per_rung"], abs=0.006)


def test_truth_is_written_with_the_study(tmp_path):
    folder = make_demo_study(tmp_path, n_sites=3, n_per_site=20).parent
    truth = json.loads((folder / "truth.json").read_text())
    assert set(truth["sites"]) == {"A", "B", "C"}
    readme = (folder / "README.md").read_text()
    assert f"{truth['involvement_effect_per_rung']:+.4f} per ladder rung" in readme
    assert 0.80 < truth["expected_cronbach_alpha_wellbeing"] < 0.90


def test_bad_arguments_name_the_parameter(tmp_path):
    with pytest.raises(ArgumentError, match="n_sites must be an integer ≥ 1"):
        simulate_responses(n_sites=0)
    with pytest.raises(ArgumentError, match="formats must be one of 'messy', 'plain'"):
        make_demo_study(tmp_path, formats="tidy")
