"""What a run writes from the machine's clock is not a leak: a run started at 10:04:40 is
``20261204-100440``, and a study whose respondents have six-digit numbers may well have a
respondent ``100440``. The release check does not find that respondent in the run's id, its
times or its durations; it still finds it everywhere else, and in a number that only looks like
the clock's."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from _studies import small_study

from evalkit import check_disclosure
from evalkit.release.bundle import bundle_members, bundle_path, write_bundle
from evalkit.run import run_study, rundir

RUN_ID = "20261204-100440"
IDENTIFIERS = ["100440", "2026", "104039", "1034", "4242"]


def _run_folder(root: Path, *, leak: str = "") -> Path:
    """A run folder as a run writes it: its id in the pages' titles and in the manifest, the
    clock's times and durations in the manifest."""
    run = root / "study" / RUN_ID
    (run / "tables").mkdir(parents=True)
    manifest = {
        "manifest_version": 1, "study": "study", "run_id": RUN_ID, "status": "ok",
        "started": "2026-12-04T10:04:39+00:00", "finished": "2026-12-04T10:40:39+00:00",
        "resumed": [{"at": "2026-12-04T10:42:00+00:00", "notebooks": ["site_profile"]}],
        "stages": {"validate": {"status": "ok", "duration": 1034.52}},
        "notebooks": [{"key": "site_profile", "status": "ok", "duration": 4242.5}],
        "files": ["index.html", "tables/counts.csv"],
    }
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (run / "index.html").write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>Étude — {RUN_ID}</title></head><body><header><p>Exécution {RUN_ID}, "
        f"commencée le 2026-12-04T10:04:39+00:00.</p></header><main><p>{leak}</p></main>"
        "</body></html>", encoding="utf-8")
    pd.DataFrame({"site": ["A", "B"], "n": [12, 30]}).to_csv(run / "tables" / "counts.csv",
                                                             index=False)
    return run


def _kinds(findings: pd.DataFrame) -> list[tuple[str, str, str]]:
    return [tuple(row) for row in findings[["file", "place", "kind"]].itertuples(index=False)]


def test_the_run_id_times_and_durations_are_not_identifiers(tmp_path):
    run = _run_folder(tmp_path)
    assert _kinds(check_disclosure(run, identifiers=IDENTIFIERS, update_manifest=False)) == []


def test_the_same_numbers_written_as_data_are_found(tmp_path):
    leak = "Répondant 100440, né en 2026 ; voir 104039 et 1034,52 $ ; le 20261204-1004401."
    run = _run_folder(tmp_path, leak=leak)
    (run / "tables" / "counts.csv").write_text("site,n\nA,100440\nB,1034.52\n",
                                               encoding="utf-8")
    found = check_disclosure(run, identifiers=[*IDENTIFIERS, "1004401"],
                             update_manifest=False)
    body = found[found["place"] == "/html/body/main/p"]
    # every number of the sentence but the clock's own forms, as whole words
    assert body["excerpt"].tolist() == ["1*****", "2***", "1*****", "1***", "1******"]
    # a table's "1034.52" is the manifest's duration, written as the clock wrote it: exempt;
    # the respondent in the table is found
    assert _kinds(found[found["file"] == "tables/counts.csv"]) == [
        ("tables/counts.csv", "2:3", "identifier")]
    assert not (found["file"] == "manifest.json").any()


def test_a_duration_of_whole_seconds_exempts_nothing(tmp_path):
    run = _run_folder(tmp_path)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    manifest["stages"]["validate"]["duration"] = 4242  # a bare number: could be data
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (run / "tables" / "counts.csv").write_text("site,n\nA,4242\n", encoding="utf-8")
    found = check_disclosure(run, identifiers=IDENTIFIERS, update_manifest=False)
    assert ("tables/counts.csv", "2:3", "identifier") in _kinds(found)


def test_a_bundle_is_checked_with_the_clock_of_its_own_manifest(tmp_path):
    run = _run_folder(tmp_path)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    bundle = run.parent / f"{RUN_ID}.release.zip"
    write_bundle(run, bundle_members(manifest), bundle)
    assert _kinds(check_disclosure(bundle, identifiers=IDENTIFIERS,
                                   update_manifest=False)) == []
    # a bundle renamed, checked elsewhere: its manifest still names its run
    moved = tmp_path / "elsewhere.release.zip"
    moved.write_bytes(bundle.read_bytes())
    assert _kinds(check_disclosure(moved, identifiers=IDENTIFIERS,
                                   update_manifest=False)) == []
    with zipfile.ZipFile(moved) as archive:
        assert RUN_ID in archive.read("index.html").decode("utf-8")


def test_the_current_folder_can_be_checked(tmp_path, monkeypatch):
    run = _run_folder(tmp_path)
    monkeypatch.chdir(run)
    assert _kinds(check_disclosure(".", identifiers=IDENTIFIERS, update_manifest=False)) == []


@pytest.fixture
def numbered_study(tmp_path) -> Path:
    """A study whose respondents are numbered 100001, 100002... (two waves, plain CSV)."""
    study_file = small_study(tmp_path / "study", n_sites=2, waves=2, n_per_site=30)
    surveys = sorted(study_file.parent.glob("survey_w*.csv"))
    texts = [survey.read_text(encoding="utf-8") for survey in surveys]
    first = re.compile(r"^([A-Z]-\d{4}),", flags=re.MULTILINE)
    ids = sorted({found for text in texts for found in first.findall(text)})
    numbers = {old: str(100001 + i) for i, old in enumerate(ids)}
    for survey, text in zip(surveys, texts, strict=True):
        survey.write_text(first.sub(lambda m: numbers[m.group(1)] + ",", text),
                          encoding="utf-8")
    assert len(surveys) == 2 and "100005" in numbers.values()
    return study_file


def test_a_run_started_at_a_respondents_number_passes_its_release_check(
        numbered_study, tmp_path, monkeypatch):
    # the run starts at 10:00:05 on 4 December 2026: its id ends with respondent 100005
    monkeypatch.setattr(rundir, "new_run_id", lambda now=None: "20261204-100005")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    (nbs / "notebooks.yaml").write_text("notebooks: []\n", encoding="utf-8")
    result = run_study(numbered_study, out=tmp_path / "reports", notebooks=nbs)
    assert result.run_dir.name == "20261204-100005"
    scan = result.manifest["disclosure_scan"]
    assert (scan["status"], scan["n_findings"], result.status) == ("passed", 0, "ok"), scan
    # the respondent's number written in a page of the run is still found (the folder
    # checked, its bundle set aside)
    bundle_path(result.run_dir).unlink()
    page = result.run_dir / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</body>", "<p>100005</p></body>"), encoding="utf-8")
    found = check_disclosure(result.run_dir, identifiers=["100005"], exclude=(".work",),
                             update_manifest=False)
    assert _kinds(found) == [("index.html", "/html/body/p", "identifier")]
