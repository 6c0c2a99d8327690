"""The released outcome model is the one study.yaml declares (measures.outcomes.model): its
formula, who enters and the follow-up, each with its documented default, and the run's method
notes print it as fitted."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import yaml
import zoo_reference as ref

from evalkit.analyse.compute import compute_results
from evalkit.analyse.models import (
    involvement_change_data,
    involvement_outcome_model,
    model_follow_up,
    model_respondents,
)
from evalkit.config.study import DEFAULT_MODEL_FORMULA, StudyConfigError, load_study
from evalkit.datasets.zoo import make_zoo_study
from evalkit.errors import ArgumentError
from evalkit.prepare.study import prepare_study


@pytest.fixture(scope="module")
def demo(project_root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = load_study(project_root / "data_samples" / "demo" / "study.yaml")
        return prepare_study(study)


def _carers_rate_outcomes(prepared):
    """The demo's responses with carers who rated the outcome items too (as in real studies)."""
    study = prepared.study
    r = prepared.responses.copy()
    items = study.measures.outcomes.items
    users = r[r[study.roles.group] == "user"]
    carers = np.flatnonzero((r[study.roles.group] == "carer").to_numpy())
    gen = np.random.default_rng(4)
    for item in items:
        values = users[item].dropna().to_numpy()
        r[item] = r[item].astype("float64")
        r.iloc[carers, r.columns.get_loc(item)] = gen.choice(values, len(carers))
    return r


def test_defaults_are_documented_values(demo):
    study = demo.study
    model = study.measures.outcomes.model
    assert model.formula == DEFAULT_MODEL_FORMULA == "outcome_change ~ rung + tokenistic"
    assert model.respondents is None and model.follow_up is None
    # Who enters by default: the perception's users; the follow-up: the first follow-up wave.
    assert model_respondents(study) == list(study.measures.involvement.perception.users)
    assert model_follow_up(study) == study.waves.follow_up[0]


def test_who_enters_is_declared_not_decided_by_who_answered(demo):
    study = demo.study
    responses = _carers_rate_outcomes(demo)
    users = involvement_outcome_model(responses, study=study, respondents=["user"])
    both = involvement_outcome_model(responses, study=study, respondents=["user", "carer"])
    default = involvement_outcome_model(responses, study=study)
    assert default.fit["n_obs"].iloc[0] == users.fit["n_obs"].iloc[0]
    data = involvement_change_data(responses, study=study, respondents=["user", "carer"])
    n_carers = int(data.loc[data[study.roles.group] == "carer", "outcome_change"].notna().sum())
    assert n_carers > 50
    assert both.fit["n_obs"].iloc[0] > users.fit["n_obs"].iloc[0]
    assert set(data[study.roles.group]) == {"user", "carer"}


def test_the_formula_chooses_the_terms(demo):
    fit = involvement_outcome_model(demo.responses, study=demo.study,
                                    formula="outcome_change ~ rung + baseline_mean")
    assert fit.coefficients["term"].tolist() == ["Intercept", "rung", "baseline_mean"]
    with pytest.raises(ArgumentError, match="outcome_change ~ terms"):
        involvement_outcome_model(demo.responses, study=demo.study, formula="y ~ rung")


@pytest.mark.parametrize("formula", ["change ~ rung", "outcome_change ~ rung + age",
                                     "outcome_change ~ rung + rung", "outcome_change"])
def test_a_formula_study_yaml_cannot_fit_is_a_configuration_error(tmp_path, formula):
    study_file = make_zoo_study(tmp_path / "z", "fr-csv-3sites", seed=2)
    data = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    data["measures"]["outcomes"]["model"] = {"formula": formula}
    study_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        load_study(study_file)
    assert "outcome_change ~" in info.value.render("en")
    assert "outcome_change ~" in info.value.render("fr")


def test_the_run_fits_and_prints_the_declared_model(tmp_path):
    study_file = make_zoo_study(tmp_path / "z", "fr-csv-3sites", seed=2)
    data = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    truth = ref.load_truth(study_file.parent)
    user = truth["groups"]["user"]
    data["measures"]["outcomes"]["model"] = {
        "formula": "outcome_change ~ rung + tokenistic + baseline_mean",
        "respondents": [user], "follow_up": 2}
    study_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = compute_results(prepare_study(load_study(study_file)), n_boot=100)
    table = results.tables["involvement_model"]
    assert table.frame["term"].tolist() == ["Intercept", "rung", "tokenistic", "baseline_mean"]
    call = next(c for c in table.calls if c.function == "involvement_outcome_model")
    assert call.args["formula"] == "outcome_change ~ rung + tokenistic + baseline_mean"
    assert call.args["respondents"] == [user] and call.args["follow_up"] == 2
