"""The pluggable stages of a run: validation first, the release check last."""

from __future__ import annotations

import json
import sys
import types

import pandas as pd
import pytest

from evalkit.errors import DataError
from evalkit.run import release_check, run_study


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    from evalkit.datasets import make_demo_study

    return make_demo_study(tmp_path_factory.mktemp("study"), n_sites=2, n_per_site=20)


@pytest.fixture
def no_notebooks(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    (folder / "notebooks.yaml").write_text("notebooks: []\n")
    return folder


def _fake_validate(monkeypatch, problems: pd.DataFrame) -> list:
    seen = []

    def validate_study(study):
        seen.append(study.study)
        return problems

    module = types.ModuleType("evalkit.validate")
    module.validate_study = validate_study
    monkeypatch.setitem(sys.modules, "evalkit.validate", module)
    return seen


PROBLEM = {"file": "survey_w1.csv", "row": 12, "column": "age", "value": "***", "rule":
           "wrong_type", "severity": "error", "message_en": "not a number",
           "message_fr": "pas un nombre"}


def test_validation_errors_stop_the_run_before_any_run_folder(monkeypatch, study_file, tmp_path,
                                                              no_notebooks):
    problems = pd.DataFrame([PROBLEM, {**PROBLEM, "row": 13, "severity": "warning"}])
    seen = _fake_validate(monkeypatch, problems)
    with pytest.raises(DataError) as info:
        run_study(study_file, out=tmp_path / "reports", notebooks=no_notebooks)
    csv = tmp_path / "reports" / "demo-estrie" / "validation.csv"
    assert seen == ["demo-estrie"] and info.value.where == str(csv)
    assert "1 error(s) and 1 warning(s)" in info.value.render("en")
    assert "validation.csv" in info.value.render("en")
    assert pd.read_csv(csv)["row"].tolist() == [12, 13]
    assert [p.name for p in csv.parent.iterdir()] == ["validation.csv"]


def test_clean_validation_is_copied_into_the_run(monkeypatch, study_file, tmp_path,
                                                 no_notebooks):
    _fake_validate(monkeypatch, pd.DataFrame([{**PROBLEM, "severity": "warning"}]))
    result = run_study(study_file, out=tmp_path, notebooks=no_notebooks)
    assert result.status == "ok" and result.notebooks == []
    assert pd.read_csv(result.run_dir / "validation.csv")["severity"].tolist() == ["warning"]
    assert result.manifest["stages"]["validate"]["warnings"] == 1
    assert "href='validation.csv'" in result.index.read_text()


def test_release_check_is_not_available_until_the_privacy_part_provides_it(monkeypatch,
                                                                           tmp_path):
    monkeypatch.setitem(sys.modules, "evalkit.privacy", None)  # importing it fails
    assert release_check(tmp_path) == {"status": "not available"}


def test_release_findings_are_recorded_and_fail_the_run(monkeypatch, study_file, tmp_path,
                                                        no_notebooks):
    calls = []

    def check_disclosure(run_dir, *, study=None):
        calls.append((run_dir, study.study))
        return pd.DataFrame([{"file": "tables/x.csv", "row": 2, "problem": "small cell"}])

    module = types.ModuleType("evalkit.privacy")
    module.check_disclosure = check_disclosure
    monkeypatch.setitem(sys.modules, "evalkit.privacy", module)
    result = run_study(study_file, out=tmp_path, notebooks=no_notebooks,
                       stage_overrides={"validate": None})
    assert calls[0][1] == "demo-estrie" and calls[0][0].name.endswith(".incomplete")
    scan = json.loads((result.run_dir / "manifest.json").read_text())["disclosure_scan"]
    assert scan["status"] == "failed"
    assert scan["findings"] == [{"file": "tables/x.csv", "row": 2, "problem": "small cell"}]
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "problems found" in result.summary("en")


def test_a_plugged_brief_stage_writes_into_the_run(study_file, tmp_path, no_notebooks):
    def brief(ctx):
        (ctx.brief_dir / "brief.fr.html").write_text("<p>note</p>")
        return {"status": "ok", "files": ["brief/brief.fr.html"]}

    result = run_study(study_file, out=tmp_path, notebooks=no_notebooks,
                       stage_overrides={"validate": None, "brief": brief})
    assert result.manifest["stages"]["brief"]["files"] == ["brief/brief.fr.html"]
    assert "href='brief/brief.fr.html'" in result.index.read_text()
