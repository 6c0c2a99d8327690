"""The run folder: computed once, deterministic tables, never overwritten, resumed in place.

Interrupts, kills and damaged runs are faults of tests/robustness/test_faults.py."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.run import run_study

NOTEBOOKS = Path(__file__).parent / "notebooks"
CALLS: list[Path] = []


def compute_once(ctx) -> dict:
    """A stand-in for the compute stage: a seeded bootstrap table and the shared working data."""
    CALLS.append(ctx.run_dir)
    population = pd.read_csv(ctx.study.resolve("population.csv"))
    gen = np.random.default_rng(ctx.parameters["seed"])
    counts = population["count"].to_numpy(dtype=float)
    means = gen.choice(counts, size=(200, counts.size)).mean(axis=1)
    table = pd.DataFrame({"statistic": ["mean", "low", "high"],
                          "value": [counts.mean(), *np.quantile(means, [0.025, 0.975])]})
    table.to_csv(ctx.tables_dir / "bootstrap.csv", index=False, lineterminator="\n",
                 float_format="%.12g")
    (ctx.work_dir / "prepared.json").write_text(json.dumps({"n": len(population)}))
    return {"status": "ok", "tables": ["tables/bootstrap.csv"]}


OVERRIDES = {"validate": None, "prepare": compute_once}


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    from evalkit.datasets import make_demo_study

    return make_demo_study(tmp_path_factory.mktemp("study"), n_sites=2, n_per_site=20)


@pytest.fixture(scope="module")
def two_runs(study_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    CALLS.clear()
    runs = [run_study(study_file, out=out, notebooks=NOTEBOOKS, only="hello,site_profile",
                      lang="fr", quiet=True, stage_overrides=OVERRIDES) for _ in range(2)]
    return runs, out, list(CALLS)


def _tables(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((run_dir / "tables").iterdir())}


def test_same_inputs_same_table_bytes(two_runs):
    (first, second), _, _ = two_runs
    assert first.status == second.status == "ok"
    tables = _tables(first.run_dir)
    assert sorted(tables) == ["bootstrap.csv", "hello_fr.csv", "site_A_fr.csv", "site_B_fr.csv"]
    assert tables == _tables(second.run_dir)


def test_tables_hold_the_seeded_values(two_runs, study_file):
    import random

    (first, _), _, _ = two_runs
    rng = random.Random(20261122)  # the study's seed, passed to the notebook
    expected = "draw,value\n" + "".join(f"{i},{rng.random():.12g}\n" for i in range(2000))
    assert (first.run_dir / "tables" / "hello_fr.csv").read_text() == expected
    counts = pd.read_csv(study_file.parent / "population.csv")["count"]
    table = pd.read_csv(first.run_dir / "tables" / "bootstrap.csv")
    assert table["value"][0] == pytest.approx(counts.mean(), rel=1e-11)


def test_computed_once_per_run_and_read_by_the_notebooks(two_runs):
    (first, second), _, calls = two_runs
    # one call per run, although three notebooks ran in each
    assert [c.name for c in calls] == [f".{first.run_id}.incomplete",
                                       f".{second.run_id}.incomplete"]
    nb = nbformat.read(first.run_dir / "notebooks" / "hello.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "prepared: 14" in text
    assert first.manifest["stages"]["prepare"]["tables"] == ["tables/bootstrap.csv"]
    assert (first.run_dir / ".work").stat().st_mode & 0o777 == 0o700
    assert ".work" not in (first.run_dir / "index.html").read_text()


def test_a_second_run_never_overwrites_the_first(two_runs):
    (first, second), out, _ = two_runs
    assert first.run_id != second.run_id and first.run_dir.is_dir() and second.run_dir.is_dir()
    assert json.loads((first.run_dir / "manifest.json").read_text())["run_id"] == first.run_id
    assert sorted(p.name for p in (out / "demo-estrie").iterdir()) == sorted(
        [first.run_id, second.run_id, f"{first.run_id}.release.zip",
         f"{second.run_id}.release.zip"])  # no temporary folder left behind


def _members(run) -> dict[str, bytes]:
    with zipfile.ZipFile(run.run_dir.with_name(f"{run.run_id}.release.zip")) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_bundle_holds_only_what_the_manifest_releases(two_runs):
    (first, second), _, _ = two_runs
    members = _members(first)
    manifest = json.loads(members["manifest.json"])
    assert not any(name.startswith(".") or "/." in name for name in members)
    assert set(members) == {"manifest.json", *manifest["files"]}
    assert {"index.html", "tables/bootstrap.csv", "notebooks/hello.ipynb",
            "html/hello.fr.html"} <= set(members)
    assert not any(name.endswith(".log") for name in members)
    for name, data in members.items():
        if name != "manifest.json":
            assert data == (first.run_dir / name).read_bytes(), name
    # the folder's manifest records the bundle and its digest; the bundle's names it
    recorded = first.manifest["release_bundle"]
    assert manifest["release_bundle"] == {"name": f"{first.run_id}.release.zip"}
    bundle = first.run_dir.with_name(recorded["name"])
    assert recorded["sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    # the bundle left is the one the release check read, byte for byte: the manifest and
    # index pages rewritten after the full check were read again, the rest was not
    assert recorded["checked_sha256"] == recorded["sha256"]
    assert {"manifest.json", "index.html"} <= set(recorded["rescanned"])
    assert not any(p.startswith(("tables/", "notebooks/")) for p in recorded["rescanned"])
    # a second run of the same inputs: the same members, the same tables
    again = _members(second)
    assert sorted(again) == sorted(members)
    assert {n: d for n, d in again.items() if n.startswith("tables/")} == \
        {n: d for n, d in members.items() if n.startswith("tables/")}


def test_a_private_file_in_the_run_folder_is_not_shared(study_file, tmp_path):
    def plant(ctx):
        record = compute_once(ctx)
        (ctx.run_dir / "contacts.csv").write_text("name,phone\nÉmilie,819 555-0142\n")
        (ctx.work_dir / "notes.txt").write_text("Émilie: 819 555-0142\n")
        return record

    run = run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only="hello", lang="fr",
                    quiet=True, stage_overrides={**OVERRIDES, "prepare": plant})
    assert run.status == "ok" and run.manifest["disclosure_scan"]["status"] == "passed"
    members = _members(run)
    assert "contacts.csv" not in members and not any("notes" in n for n in members)
    assert "contacts.csv" not in run.manifest["files"]


def test_a_run_whose_release_check_fails_leaves_no_bundle(study_file, tmp_path):
    def leak(ctx):
        record = compute_once(ctx)
        (ctx.tables_dir / "contacts.csv").write_text("site,contact\nA,emilie@example.org\n")
        return record

    run = run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only="hello", lang="fr",
                    quiet=True, stage_overrides={**OVERRIDES, "prepare": leak})
    scan = run.manifest["disclosure_scan"]
    assert run.status == "failed" and scan["by_kind"] == {"email": 1}
    assert "release_bundle" not in run.manifest
    assert sorted(p.name for p in (tmp_path / "demo-estrie").iterdir()) == [run.run_id]


def test_only_and_sites_select_the_jobs(study_file, tmp_path):
    result = run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only=["site_profile"],
                       sites="B", lang="all", quiet=True, stage_overrides=OVERRIDES)
    # Executed once, shown in both languages: one page per language.
    assert [r["key"] for r in result.notebooks] == ["site_profile.B"]
    assert result.notebooks[0]["outputs"]["html"] == {"fr": "html/site_profile.B.fr.html",
                                                     "en": "html/site_profile.B.en.html"}
    assert result.manifest["options"]["sites"] == ["B"]
    assert sorted(p.name for p in (result.run_dir / "tables").iterdir()) == [
        "bootstrap.csv", "site_B_all.csv"]
    assert "<html lang='en'>" in (result.run_dir / "index.en.html").read_text()
    assert "href='index.en.html'" in (result.run_dir / "index.html").read_text()
    with pytest.raises(ConfigError, match=r"unknown site\(s\): Z \(sites of the codebook: A, B"):
        run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only="site_profile",
                  sites="B,Z", stage_overrides=OVERRIDES)


def test_resume_reruns_only_what_failed_and_updates_the_run(study_file, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_TEST_FLAKY", "fail")
    CALLS.clear()
    first = run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only="hello,flaky",
                      lang="fr", quiet=True, stage_overrides=OVERRIDES)
    assert [r["status"] for r in first.notebooks] == ["ok", "failed"]
    hello = (first.run_dir / "notebooks" / "hello.ipynb").read_bytes()
    monkeypatch.delenv("EVALKIT_TEST_FLAKY")
    resumed = run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, resume=first.run_id,
                        quiet=True, stage_overrides=OVERRIDES)
    assert (resumed.run_id, resumed.run_dir, resumed.status) == (first.run_id, first.run_dir,
                                                                  "ok")
    assert resumed.rerun == ["flaky"]
    assert (first.run_dir / "notebooks" / "hello.ipynb").read_bytes() == hello
    assert "FLAKY-OK" in (first.run_dir / "html" / "flaky.fr.html").read_text()
    manifest = json.loads((first.run_dir / "manifest.json").read_text())
    assert [r["status"] for r in manifest["notebooks"]] == ["ok", "ok"]
    assert [r["notebooks"] for r in manifest["resumed"]] == [["flaky"]]
    assert len(CALLS) == 1  # the working data of the run were reused
    # the failed run had no bundle; the resumed one has
    assert sorted(p.name for p in (tmp_path / "demo-estrie").iterdir()) == [
        first.run_id, f"{first.run_id}.release.zip"]
    # nothing left to re-run: a second resume executes nothing
    assert run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, resume=first.run_id,
                     quiet=True, stage_overrides=OVERRIDES).rerun == []


def test_resume_refuses_changed_inputs_and_unknown_runs(study_file, tmp_path):
    first = run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only="flaky", lang="fr",
                      quiet=True, stage_overrides=OVERRIDES)
    with pytest.raises(ConfigError, match="no run 19990101-000000 to resume"):
        run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, resume="19990101-000000")
    partners = study_file.parent / "partners.csv"
    original = partners.read_bytes()
    try:
        partners.write_bytes(original + b"P9,A,3\n")
        with pytest.raises(ConfigError, match="input files changed since the run: partners.csv"):
            run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, resume=first.run_id)
    finally:
        partners.write_bytes(original)


def test_demo_study_is_generated_when_the_checkout_has_none(tmp_path, monkeypatch):
    from evalkit.datasets import make_demo_study
    from evalkit.run.demo import demo_study

    monkeypatch.setattr("evalkit.run.demo.source_checkout", lambda: None)
    study, generated = demo_study(tmp_path / "reports")
    assert generated and study.name == "study.yaml"
    assert study.parent.parent == tmp_path / "reports"
    reference = make_demo_study(tmp_path / "reference")
    for name in ("survey_w1.csv", "population.csv", "codebook.yaml", "study.yaml"):
        assert (study.parent / name).read_bytes() == (reference.parent / name).read_bytes()
    assert demo_study(tmp_path / "reports") == (study, False)
    assert [p.name for p in (tmp_path / "reports").iterdir()] == [study.parent.name]


def test_demo_command_prints_the_index(cli, tmp_path):
    result = cli("demo", "--out", str(tmp_path), "--notebooks", str(NOTEBOOKS), "--only",
                 "hello", "--lang", "en", "--quiet")
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip().splitlines()[-1].removeprefix("Index: "))
    assert index.name == "index.html" and index.is_file()
    assert index.parents[1].name == "demo-estrie"


def test_what_the_index_gains_after_the_full_check_is_checked_too(study_file, tmp_path,
                                                                  monkeypatch):
    import evalkit.run.runner as runner

    write_index = runner.write_index

    def leaky_index(run_dir, manifest, languages):
        written = write_index(run_dir, manifest, languages)
        if (manifest.get("disclosure_scan") or {}).get("status") == "passed":
            page = Path(run_dir) / "index.html"  # after the full check only
            text = page.read_text(encoding="utf-8")
            page.write_text(text.replace("</main>", "<p>Émilie : 819 555-0142</p></main>"),
                            encoding="utf-8")
        return written

    monkeypatch.setattr(runner, "write_index", leaky_index)
    run = run_study(study_file, out=tmp_path, notebooks=NOTEBOOKS, only="hello", lang="fr",
                    quiet=True, stage_overrides=OVERRIDES)
    scan = run.manifest["disclosure_scan"]
    assert run.status == "failed" and scan["status"] == "failed"
    assert [(f["file"], f["kind"]) for f in scan["findings"]] == [("index.html", "phone")]
    assert scan["by_kind"] == {"phone": 1}
    assert scan["final_bundle"]["rescanned"] == ["index.html", "manifest.json"]
    assert "release_bundle" not in run.manifest
    assert sorted(p.name for p in (tmp_path / "demo-estrie").iterdir()) == [run.run_id]
