"""The release bundle (what is shared) and the release check of what it holds."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.release.bundle import bundle_members, bundle_path, write_bundle
from evalkit.release.disclosure import check_disclosure


def _run(folder: Path) -> Path:
    run = folder / "20260101-120000"
    (run / "tables").mkdir(parents=True)
    (run / ".work" / "results").mkdir(parents=True)
    (run / "tables" / "counts.csv").write_text("site,n\nA,12\nB,30\n", encoding="utf-8")
    (run / ".work" / "results" / "counts.parquet").write_bytes(b"private")
    (run / "index.html").write_text("<html><body><p>Index</p></body></html>",
                                    encoding="utf-8")
    manifest = {"run_id": run.name, "files": {"tables/counts.csv": "", "index.html": ""}}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run


def test_members_are_the_manifest_and_what_it_lists_never_a_private_file():
    manifest = {"files": {"tables/a.csv": "", "index.html": "", ".work/results/a.parquet": "",
                          "html/.hidden": "", "/etc/passwd": ""}}
    assert bundle_members(manifest) == ["index.html", "manifest.json", "tables/a.csv"]


def test_same_files_same_bytes_and_no_private_member(tmp_path):
    run = _run(tmp_path)
    members = bundle_members(json.loads((run / "manifest.json").read_text()))
    first = write_bundle(run, members, tmp_path / "a.zip")
    (run / "private.csv").write_text("name\nÉmilie Tremblay\n")  # planted: not listed
    second = write_bundle(run, members, tmp_path / "b.zip")
    assert first == second
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert names == ["index.html", "manifest.json", "tables/counts.csv"]


def test_the_check_scans_the_bundle_not_the_folder(tmp_path):
    run = _run(tmp_path)
    members = bundle_members(json.loads((run / "manifest.json").read_text()))
    write_bundle(run, members, bundle_path(run))
    (run / "notes.txt").write_text("Appelez Émilie au 819 555-0142.\n")  # not shared
    findings = check_disclosure(run, names=["Émilie Tremblay"], update_manifest=False)
    assert findings.empty
    assert findings.attrs["scanned_files"] == 3
    # without the bundle, the folder is what would be shared: the note is found
    bundle_path(run).unlink()
    findings = check_disclosure(run, names=["Émilie Tremblay"], update_manifest=False,
                                exclude=(".work",))
    assert set(findings["file"]) == {"notes.txt"}


def test_a_member_the_manifest_does_not_list_is_reported(tmp_path):
    run = _run(tmp_path)
    with zipfile.ZipFile(bundle_path(run), "w") as archive:
        for member in ("manifest.json", "tables/counts.csv", "index.html"):
            archive.write(run / member, member)
        archive.writestr("extra/summary.txt", "nothing identifying")
    findings = check_disclosure(bundle_path(run), update_manifest=False)
    assert findings[["file", "kind"]].values.tolist() == [["extra/summary.txt", "unlisted"]]


def test_a_bundle_that_is_not_a_zip_file_is_said_so(tmp_path):
    bundle = tmp_path / "run.release.zip"
    bundle.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="bundle"):
        check_disclosure(bundle)


def test_an_absolute_path_of_the_machine_is_a_finding(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home" / "ann"))
    study = tmp_path / "projects" / "study"
    run = tmp_path / "run"
    run.mkdir()
    (run / "page.html").write_text(f"<p>Lu dans {study}/data/survey.csv</p>", encoding="utf-8")
    (run / "cell.ipynb").write_text(json.dumps({"metadata": {}, "cells": [
        {"cell_type": "code", "source": f'study_file = "{Path.home()}/study.yaml"',
         "outputs": []}]}), encoding="utf-8")
    (run / "other.txt").write_text(f"{study}-old is another folder; data/survey.csv is fine\n")
    findings = check_disclosure(run, machine_paths=[study], update_manifest=False)
    assert sorted(findings[findings["kind"] == "machine_path"]["file"]) == ["cell.ipynb",
                                                                            "page.html"]


def test_the_command_checks_the_bundle_of_a_run(tmp_path, cli):
    run = _run(tmp_path)
    write_bundle(run, bundle_members(json.loads((run / "manifest.json").read_text())),
                 bundle_path(run))
    (run / "notes.txt").write_text("Écrire à emilie@example.org\n")  # in the folder, not sent
    done = cli("check-disclosure", str(run))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"release bundle {bundle_path(run).name}: send this file" in done.stdout
    bundle_path(run).unlink()
    done = cli("check-disclosure", str(run))
    assert done.returncode == 1 and "notes.txt" in done.stdout


def test_compressed_members_are_stored_and_the_others_deflated(tmp_path):
    run = tmp_path / "run"
    (run / "figures").mkdir(parents=True)
    (run / "figures" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    (run / "tables").mkdir()
    (run / "tables" / "t.csv").write_text("site,n\n" + "A,12\n" * 2000)
    members = ["figures/a.png", "tables/t.csv"]
    digest = write_bundle(run, members, tmp_path / "one.zip")
    assert digest == write_bundle(run, members, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        kinds = {i.filename: i.compress_type for i in archive.infolist()}
        assert kinds == {"figures/a.png": zipfile.ZIP_STORED,
                         "tables/t.csv": zipfile.ZIP_DEFLATED}
        assert archive.read("tables/t.csv") == (run / "tables" / "t.csv").read_bytes()
        assert archive.getinfo("tables/t.csv").compress_size < 1000
