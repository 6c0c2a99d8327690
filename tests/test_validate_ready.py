"""A clean ``evalkit validate`` means ``evalkit run`` does not stop for a configuration or key
reason: validate checks the key (never showing it) and the scales' instruments, and a run stops
on the same problems before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalkit.analyse.compute import compute_results
from evalkit.cli.new import new_study
from evalkit.config._model import StudyConfigError
from evalkit.config.study import load_study
from evalkit.prepare.ready import run_problems
from evalkit.prepare.study import prepare_study
from evalkit.run.runner import run_study

KEY = "5e" * 32


@pytest.fixture
def template(tmp_path):
    return new_study(tmp_path / "étude").parent


def _edit(folder: Path, change) -> None:
    path = folder / "study.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_validate_says_the_key_is_missing(cli, template, tmp_path):
    env = {"EVALKIT_KEY": ""}
    out = cli("validate", str(template), "--out", str(tmp_path / "v.csv"), env=env)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "`privacy.key`" in out.stderr and "EVALKIT_KEY" in out.stderr
    assert "evalkit keygen" in out.stderr and "Traceback" not in out.stderr
    assert (tmp_path / "v.csv").is_file()  # the data were checked all the same
    fr = cli("--lang", "fr", "validate", str(template), "--out", str(tmp_path / "v.csv"),
             env=env)
    assert fr.returncode == 2 and "la variable d'environnement EVALKIT_KEY" in fr.stderr
    ok = cli("validate", str(template), "--out", str(tmp_path / "v.csv"),
             env={"EVALKIT_KEY": KEY})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert KEY not in ok.stdout + ok.stderr


def test_a_malformed_key_is_reported_without_its_value(cli, template, tmp_path):
    secret = "not-hex-but-secret-Z9Q7"
    out = cli("validate", str(template), "--format", "json", "--out", str(tmp_path / "v.csv"),
              env={"EVALKIT_KEY": secret})
    assert out.returncode == 2
    assert secret not in out.stdout + out.stderr
    payload = json.loads(out.stdout)
    assert [p["key"] for p in payload["run_problems"]] == ["privacy.key"]
    assert payload["ok"] is True  # the data themselves are clean


def test_a_key_file_inside_the_study_folder_is_refused(template, monkeypatch):
    (template / "my.key").write_text("# key\n" + KEY + "\n", encoding="utf-8")
    _edit(template, lambda d: d["privacy"].update(key={"file": "my.key"}))
    problems = run_problems(load_study(template))
    assert [p.key for p in problems] == ["privacy.key"]
    assert "inside the study folder" in problems[0].message_en
    assert KEY not in problems[0].message_en + problems[0].message_fr


def test_scales_whose_instrument_would_stop_the_run(template, monkeypatch):
    monkeypatch.setenv("EVALKIT_KEY", KEY)

    def scales(data):
        data["measures"]["scales"] = {
            "unknown": {"instrument": "swemwbs_xl", "items": ["tp_safe", "tp_listened"]},
            "short": {"instrument": "swemwbs", "items": ["tp_safe", "tp_listened"]},
            "missing_file": {"instrument": "instruments/nowhere.yaml", "items": ["tp_safe"]},
            "fine": {"instrument": "likert", "items": ["tp_safe", "tp_listened"]},
        }

    _edit(template, scales)
    problems = run_problems(load_study(template))
    assert [p.key for p in problems] == ["measures.scales.unknown.instrument",
                                         "measures.scales.short.items",
                                         "measures.scales.missing_file.instrument"]
    assert "unknown instrument 'swemwbs_xl'" in problems[0].message_en
    assert "items must list 7 columns for 'swemwbs'" in problems[1].message_en
    assert "items doit lister 7 colonnes" in problems[1].message_fr
    assert all(p.line for p in problems)


def test_a_clean_validation_lets_the_run_prepare_and_compute(template, monkeypatch):
    monkeypatch.setenv("EVALKIT_KEY", KEY)
    study = load_study(template)
    assert run_problems(study) == []
    results = compute_results(prepare_study(study), n_boot=100)
    assert "response_counts" in results


def test_the_run_stops_on_the_same_problem_before_writing_anything(template, tmp_path,
                                                                   monkeypatch):
    monkeypatch.delenv("EVALKIT_KEY", raising=False)
    out = tmp_path / "reports"
    with pytest.raises(StudyConfigError, match="EVALKIT_KEY") as info:
        run_study(template, out=out, quiet=True)
    assert info.value.exit_code == 2
    assert [p.key for p in info.value.problems] == ["privacy.key"]
    study_dir = out / load_study(template).study
    assert not study_dir.exists() or not any(p.is_dir() for p in study_dir.iterdir())


def test_outcomes_without_follow_up_waves_would_stop_the_run(template, monkeypatch):
    monkeypatch.setenv("EVALKIT_KEY", KEY)
    _edit(template, lambda d: d.pop("waves"))
    problems = run_problems(load_study(template))
    assert [p.key for p in problems] == ["measures.outcomes"]
    assert "waves: {baseline" in problems[0].message_en and "wave" in problems[0].message_en
    assert "mesurer le changement" in problems[0].message_fr


@pytest.mark.parametrize(("bootstrap", "problem"), [(0, False), (99, True), (100, False)])
def test_a_bootstrap_too_small_for_an_interval_is_said(template, monkeypatch, bootstrap,
                                                      problem):
    monkeypatch.setenv("EVALKIT_KEY", KEY)
    _edit(template, lambda d: d["parameters"].update(bootstrap=bootstrap))
    study = load_study(template)
    problems = run_problems(study)
    assert [p.key for p in problems] == (["parameters.bootstrap"] if problem else [])
    if not problem:  # and the run computes its tables with it (0: Feldt intervals only)
        results = compute_results(prepare_study(study))
        methods = set(results["reliability_ladder"].frame["ci_method"])
        assert methods == ({"feldt", "none"} if bootstrap == 0 else
                           {"feldt", "bootstrap"})
