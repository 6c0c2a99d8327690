"""The pluggable stages of a run: validation first, the release check last."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import DataError
from evalkit.run import run_study


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


def _broken_copy(study_file: Path, folder: Path) -> Path:
    """A copy of the study whose first respondent answered 7 on a 1-5 item."""
    shutil.copytree(study_file.parent, folder)
    path = folder / "survey_w1.csv"
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    fields = lines[1].split(";", 9)
    assert fields[8] in "12345"  # inv_informed, an agree/disagree item
    fields[8] = "7"
    lines[1] = ";".join(fields)
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return folder / "study.yaml"


def test_validation_errors_stop_the_run_before_any_run_folder(study_file, tmp_path,
                                                              no_notebooks):
    broken = _broken_copy(study_file, tmp_path / "broken")
    with pytest.raises(DataError) as info:
        run_study(broken, out=tmp_path / "reports", notebooks=no_notebooks)
    csv = tmp_path / "reports" / "demo-estrie" / "validation.csv"
    assert info.value.where == str(csv) and info.value.exit_code == 1
    assert "validation found 1 error(s)" in info.value.render("en")
    assert "validation.csv" in info.value.render("en")
    problems = pd.read_csv(csv, dtype={"value": str})
    errors = problems[problems["severity"] == "error"]
    assert errors[["source", "row", "column", "value"]].values.tolist() == [
        ["survey_w1.csv", 2, "inv_informed", "7"]]
    assert [p.name for p in csv.parent.iterdir()] == ["validation.csv"]  # no run folder


def test_clean_validation_is_kept_for_the_run(study_file, tmp_path, no_notebooks):
    seen = []
    result = run_study(study_file, out=tmp_path, notebooks=no_notebooks,
                       stage_overrides={"prepare": lambda ctx: seen.append(ctx.validation)})
    assert result.status == "ok" and result.notebooks == []
    assert result.manifest["stages"]["validate"] == {"status": "ok", "errors": 0, "warnings": 0,
                                                     "duration": pytest.approx(1, abs=60)}
    assert (result.run_dir / "validation.csv").read_bytes() == \
        (tmp_path / "demo-estrie" / "validation.csv").read_bytes()
    assert "href='validation.csv'" in result.index.read_text()
    # the prepare stage receives the typed responses: the data are not read a second time
    rows = sum(r["rows"] for r in result.manifest["inputs"] if r["kind"] == "survey")
    assert len(seen[0].responses) == rows and "respondent_id" in seen[0].responses


def test_release_findings_are_recorded_and_fail_the_run(study_file, tmp_path, no_notebooks):
    key = (study_file.parent / "demo.key").read_text().splitlines()[1]

    def prepare(ctx):
        (ctx.work_dir / "notes.txt").write_text("private: 819 555-0142\n")
        pd.DataFrame({"site": ["A", "B"], "n": [3, 12]}).to_csv(
            ctx.tables_dir / "counts.csv", index=False)
        return {"tables": [{"path": "tables/counts.csv", "counts": ["n"]}]}

    def brief(ctx):
        (ctx.brief_dir / "brief.fr.html").write_text(
            f"<p>Appelez le 819 555-0142.</p><!-- {key} -->")

    result = run_study(study_file, out=tmp_path, notebooks=no_notebooks,
                       stage_overrides={"prepare": prepare, "brief": brief})
    scan = json.loads((result.run_dir / "manifest.json").read_text())["disclosure_scan"]
    assert scan["status"] == "failed"
    found = {(f["file"], f["kind"]) for f in scan["findings"]}
    assert found == {("brief/brief.fr.html", "phone"), ("brief/brief.fr.html", "key"),
                     ("tables/counts.csv", "small_count")}
    assert key not in json.dumps(scan)
    assert result.manifest["tables"] == [{"path": "tables/counts.csv", "counts": ["n"]}]
    # the private folder was not scanned, and is back in place
    assert (result.run_dir / ".work" / "notes.txt").is_file()
    assert not (tmp_path / "demo-estrie" / f".{result.run_id}.incomplete.work").exists()
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "problems found" in result.summary("en")


def test_a_clean_run_passes_the_release_check(study_file, tmp_path, no_notebooks):
    result = run_study(study_file, out=tmp_path, notebooks=no_notebooks)
    scan = result.manifest["disclosure_scan"]
    assert (scan["status"], scan["n_findings"], result.status) == ("passed", 0, "ok")
    assert scan["scanned_files"] >= 3  # index pages, manifest, validation.csv


def test_a_plugged_brief_stage_writes_into_the_run(study_file, tmp_path, no_notebooks):
    def brief(ctx):
        (ctx.brief_dir / "brief.fr.html").write_text("<p>note</p>")
        return {"status": "ok", "files": ["brief/brief.fr.html"]}

    result = run_study(study_file, out=tmp_path, notebooks=no_notebooks,
                       stage_overrides={"validate": None, "brief": brief})
    assert result.manifest["stages"]["brief"]["files"] == ["brief/brief.fr.html"]
    assert "href='brief/brief.fr.html'" in result.index.read_text()
