"""The study zoo: every shape is a study folder that validation accepts, with the planted values
and the names written down; and the independent reference computations (tests/zoo_reference.py,
no evalkit call) checked against published values, R, and evalkit's functions on zoo data.

The end-to-end runs of every shape, with the released tables compared with these references,
need the source column mapping and the role-name fixes of the same release; they are added then.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
import zoo_reference as ref

from evalkit.analyse.describe import response_counts
from evalkit.analyse.involvement import tokenism_rates
from evalkit.analyse.models import involvement_change_data, mixed_model
from evalkit.analyse.reliability import cronbach_alpha
from evalkit.analyse.scales import reverse_keyed_items
from evalkit.config.study import load_study
from evalkit.datasets.zoo import FEATURES, PENDING, ZOO, ZooShape, make_zoo_study, zoo_shapes
from evalkit.errors import ArgumentError
from evalkit.prepare.study import prepare_study
from evalkit.validate.study import validate_study

REFERENCE = Path(__file__).parent / "reference"
SHAPES = list(ZOO)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """Every shape, written once for the module (seed 11)."""
    root = tmp_path_factory.mktemp("zoo")
    return {name: make_zoo_study(root / name, name, seed=11) for name in zoo_shapes()}


@pytest.fixture(scope="module")
def prepared(zoo):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the zoo's marked demo key
        return {name: prepare_study(load_study(zoo[name])) for name in SHAPES}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


# -- the generator ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", zoo_shapes())
def test_every_shape_validates_clean(zoo, name):
    report = validate_study(zoo[name])
    assert report.n_errors == 0 and report.n_warnings == 0, report.render_text()
    assert len(report.responses) > 0


def test_the_shapes_cover_what_real_studies_bring():
    shapes = list(ZOO.values())
    assert {s.n_sites for s in shapes} >= {1, 2, 3, 8, 40}
    assert {s.waves for s in shapes} == {1, 2, 3}
    assert {s.language for s in shapes} == {"fr", "en"}
    assert {s.id_format for s in shapes} == {"prefixed", "integer", "uuid", "dossier"}
    assert {f for s in shapes for f in s.formats} == {"csv", "csv_fr", "xlsx", "sav"}
    assert any(len(set(s.formats)) >= 2 for s in shapes)  # CSV / XLSX / SPSS mixes
    for feature in ("interviews", "population", "partners", "tiny_site", "carers"):
        assert {getattr(s, feature) for s in shapes} == {True, False}, feature
    assert {s.staff for s in shapes} == {"none", "inline", "file"}
    assert {s.reverse for s in shapes} == {"none", "codebook", "instrument"}
    assert {s.skip_logic for s in shapes} == {True, False}
    assert "template" in zoo_shapes()


def test_names_carry_accents_spaces_apostrophes_and_digits(zoo):
    truth = ref.load_truth(zoo["fr-csv-3sites"].parent)
    columns = [v for v in truth["names"].values() if isinstance(v, str)] + \
        [c for v in truth["names"].values() if isinstance(v, list) for c in v]
    assert any(" " in c for c in columns) and any("'" in c for c in columns)
    assert any(re.search(r"[éèêàâîôûç°]", c) for c in columns)
    assert any(re.search(r"\d", c) for c in columns)
    sites = list(truth["planted"]["tokenism_rate"])
    assert any("'" in s for s in sites) and any(re.search(r"\d", s) for s in sites)
    assert any(re.search(r"[ÉéÎî]", s) for s in sites)
    en = ref.load_truth(zoo["en-2sites-uuid"].parent)
    assert en["waves"] == ["T1", "T2"]  # text wave codes
    ids = ref.read_survey(zoo["en-2sites-uuid"].parent)[en["names"]["id"]]
    assert ids.str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                             r"[0-9a-f]{12}").all()


def test_items_carry_labels_in_both_languages_not_their_column_names(zoo):
    for name, study in zoo.items():
        truth = ref.load_truth(study.parent)
        codebook = yaml.safe_load((study.parent / "codebook.yaml").read_text(encoding="utf-8"))
        variables = codebook["variables"]
        for measure in ("ladder", "outcomes", "wellbeing"):
            for column in truth["names"].get(measure) or []:
                label = variables[column]["label"]
                assert column not in label.values(), (name, column, label)
                assert label["fr"] != label["en"], (name, column, label)


def test_the_truth_is_what_the_files_hold(zoo):
    for name in SHAPES:
        folder = zoo[name].parent
        truth = ref.load_truth(folder)
        responses = ref.read_survey(folder)
        assert len(responses) == sum(truth["rows_by_wave"]), name
        counts = ref.counts_by_site_group(responses, truth)
        base = counts[counts["wave"] == truth["waves"][0]]
        written = {(s, g): int(n) for s, g, n in zip(base["site"], base["group"], base["n"],
                                                      strict=True)}
        planted = {}
        for key, n in truth["baseline_counts"].items():  # group codes → the study's words
            site, group = key.split("|")
            planted[(site, truth["groups"][group])] = n
        assert written == planted, name
        shape = ZOO[name]
        assert responses[truth["names"]["site"]].nunique() == shape.n_sites
        assert responses[truth["names"]["wave"]].nunique() == shape.waves
        if shape.tiny_site:
            tiny = responses[responses[truth["names"]["site"]] == truth["tiny_site"]]
            assert tiny[truth["names"]["id"]].nunique() <= 4


def test_skip_logic_leaves_items_unasked_by_design(zoo):
    folder = zoo["en-2sites-uuid"].parent
    truth = ref.load_truth(folder)
    responses = ref.read_survey(folder)
    rule = truth["skip_logic"]
    (condition, value), = rule["asked_if"].items()
    not_asked = responses[condition].notna() & (responses[condition] != value)
    assert not_asked.sum() > 10 and responses.loc[not_asked, rule["item"]].isna().all()
    asked = responses[condition] == value
    assert responses.loc[asked, rule["item"]].notna().mean() > 0.9
    assert truth["pending"] == [] and PENDING == ()
    book = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
    assert book["variables"][rule["item"]]["asked_if"] == {"variable": condition,
                                                           "values": [value]}


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    for name in ("en-mixed-8sites-3waves", "fr-csv-3sites"):
        first = make_zoo_study(tmp_path / f"{name}-a", name, seed=5).parent
        second = make_zoo_study(tmp_path / f"{name}-b", name, seed=5).parent
        assert _digests(first) == _digests(second)
        third = make_zoo_study(tmp_path / f"{name}-c", name, seed=6).parent
        assert _digests(third)["truth.json"] != _digests(first)["truth.json"]


def test_files_keep_their_own_column_names_mapped_in_the_study(tmp_path):
    study = make_zoo_study(tmp_path / "a", "fr-sav-8sites", seed=3)
    data = yaml.safe_load(study.read_text(encoding="utf-8"))
    staff = next(s for s in data["sources"]["survey"] if s["path"] == "personnel.xlsx")
    assert staff["columns"] == {"matricule": "no_dossier"}
    assert "matricule" in pd.read_excel(study.parent / "personnel.xlsx", sheet_name="Personnel")
    truth = ref.load_truth(study.parent)
    assert set(truth["enabled"]) == set(FEATURES) and truth["pending"] == []
    assert ref.read_survey(study.parent)["no_dossier"].notna().all()
    study = make_zoo_study(tmp_path / "b", "fr-40sites", seed=3)
    data = yaml.safe_load(study.read_text(encoding="utf-8"))
    assert data["sources"]["population"]["columns"] == {
        "Territoire": "territoire", "Variable": "dimension", "Modalité": "level", "Effectif": "count"}
    with pytest.raises(ArgumentError, match="enable must be one of"):
        make_zoo_study(tmp_path / "c", "fr-40sites", enable=["models"])
    assert set(FEATURES) == {"source_columns", "population_columns", "skip_logic"}
    # The names of features always on are still accepted.
    again = make_zoo_study(tmp_path / "d", "fr-40sites", seed=3, enable=["population_columns"])
    assert again.read_bytes() == study.read_bytes()


def test_spss_files_need_spss_names(tmp_path):
    shape = ZooShape("x", formats=("sav",), spss_names=False)
    with pytest.raises(ArgumentError, match="SPSS files need column names"):
        make_zoo_study(tmp_path / "x", shape)


# -- the reference computations, checked on their own -----------------------------------------

@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score).
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718)])
def test_reference_wilson_interval_matches_newcombe(k, n, low, high):
    got = ref.wilson(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_reference_alpha_matches_psych_with_keys():
    # tests/reference/reverse_keying.R: psych::alpha(complete, keys = c("r3", "r6"))
    expected = json.loads((REFERENCE / "reverse_keying.json").read_text())
    items = pd.read_csv(REFERENCE / "reverse_keying_items.csv")
    alpha, n = ref.cronbach_alpha(items, reverse=["r3", "r6"], low_high=(1, 5))
    assert n == expected["n_complete"]
    assert alpha == pytest.approx(expected["alpha"]["raw_alpha"], abs=1e-12)


def test_reference_mixed_slope_matches_lme4():
    # tests/reference/mixed_models.R: lmer(change ~ rung + tokenistic + (1 | site))
    expected = json.loads((REFERENCE / "mixed_models.json").read_text())["unbalanced_reml"]
    data = pd.read_csv(REFERENCE / "mixed_unbalanced.csv")
    fit = ref.mixed_slope(data).set_index("term")
    np.testing.assert_allclose(fit["estimate"], list(expected["fixef"].values()), rtol=1e-7)
    np.testing.assert_allclose(fit["std_error"], list(expected["se"].values()), rtol=1e-6)


def test_reference_tokenism_recovers_the_planted_rates(tmp_path):
    big = ZooShape("big", n_sites=4, waves=1, n_per_site=1500, staff="none", carers=False)
    folder = make_zoo_study(tmp_path / "big", big, seed=8).parent
    truth = ref.load_truth(folder)
    rates = ref.tokenism_by_site(ref.read_survey(folder), truth, confidence=0.999,
                                 users_only=True)
    planted = pd.Series(truth["planted"]["tokenism_rate"])
    inside = (rates["ci_low"].to_numpy() <= planted[rates["site"]].to_numpy()) & \
        (planted[rates["site"]].to_numpy() <= rates["ci_high"].to_numpy())
    assert inside.all(), rates.assign(planted=planted[rates["site"]].to_numpy())


# -- evalkit's functions on zoo data against the references -------------------------------------

def _roles(prepared_study):
    return prepared_study.study.roles


def _at_wave(responses: pd.DataFrame, column: str, wave) -> pd.DataFrame:
    """Rows of ``wave``: numeric wave codes are typed as numbers in the prepared data."""
    values = responses[column]
    if isinstance(wave, int | float):
        return responses[pd.to_numeric(values, errors="coerce") == wave]
    return responses[values.astype(str) == str(wave)]


@pytest.mark.parametrize("name", SHAPES)
def test_tokenism_by_site_matches_the_reference(zoo, prepared, name):
    folder = zoo[name].parent
    truth = ref.load_truth(folder)
    expected = ref.tokenism_by_site(ref.read_survey(folder), truth, users_only=True)
    p = prepared[name]
    roles = _roles(p)
    r = p.responses
    users = _at_wave(r[r[roles.group] == truth["groups"]["user"]], roles.wave,
                     truth["waves"][0])
    got = tokenism_rates(users, voice=truth["voice"], influence=truth["influence"],
                         agree_at=truth["agree_at"], site=roles.site)
    got = got[got["n_consulted"] > 0].set_index(roles.site).loc[expected["site"]]
    np.testing.assert_array_equal(got["n_consulted"], expected["n_consulted"])
    np.testing.assert_array_equal(got["n_tokenistic"], expected["n_tokenistic"])
    np.testing.assert_allclose(got["ci_low"], expected["ci_low"], atol=1e-12)
    np.testing.assert_allclose(got["ci_high"], expected["ci_high"], atol=1e-12)


@pytest.mark.parametrize("name", [s for s in SHAPES if ZOO[s].reverse != "none"])
def test_alpha_with_reverse_keying_matches_the_reference(zoo, prepared, name):
    folder = zoo[name].parent
    truth = ref.load_truth(folder)
    expected, n = ref.alpha_reversed(ref.read_survey(folder), truth)
    p = prepared[name]
    scale = p.study.measures.scales["bien_etre"]
    items = list(scale.items.values()) if isinstance(scale.items, dict) else scale.items
    extra = [c for c in items if c in p.codebook.reverse_keyed()]
    keyed = reverse_keyed_items(instrument=scale.instrument, items=scale.items, reverse=extra)
    assert sorted(keyed) == sorted(truth["reversed_items"])
    base = _at_wave(p.responses, p.study.roles.wave, truth["waves"][0])
    got = cronbach_alpha(base, items=items, reverse=keyed, ci=None).iloc[0]
    assert got["n"] == n
    assert got["estimate"] == pytest.approx(expected, abs=1e-12)
    assert expected > 0.6  # the keying matters: unreversed, the items do not hang together
    plain, _ = ref.cronbach_alpha(base[items])
    assert plain < expected - 0.2


@pytest.mark.parametrize("name", [s for s in SHAPES if ZOO[s].waves >= 2 and ZOO[s].n_sites > 1])
def test_mixed_model_slope_matches_the_reference(zoo, prepared, name):
    folder = zoo[name].parent
    truth = ref.load_truth(folder)
    expected = ref.mixed_slope(ref.change_data(ref.read_survey(folder), truth)).set_index("term")
    p = prepared[name]
    roles = _roles(p)
    users = p.responses[p.responses[roles.group] == truth["groups"]["user"]]
    data = involvement_change_data(users, study=p.study)
    fit = mixed_model(data, formula="outcome_change ~ rung + tokenistic", group=roles.site)
    got = fit.coefficients.set_index("term")
    assert got.loc["rung", "estimate"] == pytest.approx(expected.loc["rung", "estimate"],
                                                        rel=1e-6)
    assert got.loc["rung", "std_error"] == pytest.approx(expected.loc["rung", "std_error"],
                                                         rel=1e-5)
    assert fit.fit["n_obs"].iloc[0] == len(ref.change_data(ref.read_survey(folder),
                                                           truth).dropna())


@pytest.mark.parametrize("name", SHAPES)
def test_counts_by_site_and_group_match_the_reference(zoo, prepared, name):
    folder = zoo[name].parent
    truth = ref.load_truth(folder)
    expected = ref.counts_by_site_group(ref.read_survey(folder), truth)
    p = prepared[name]
    roles = _roles(p)
    got = response_counts(p.responses, site=roles.site, wave=roles.wave, group=roles.group)
    got = got[got["n"] > 0].rename(columns={roles.site: "site", roles.wave: "wave",
                                           roles.group: "group"})
    key = ["site", "wave", "group"]
    def wave_text(frame):
        return frame.assign(wave=frame["wave"].map(
            lambda w: str(int(w)) if isinstance(w, int | float) else str(w)))

    merged = wave_text(expected).merge(wave_text(got), on=key, how="outer",
                                       suffixes=("_ref", "_evalkit"))
    assert (merged["n_ref"] == merged["n_evalkit"]).all(), merged
    assert not math.isnan(merged["n_ref"].sum())
