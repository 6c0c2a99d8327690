"""On a finished run of a generated study (French names, eight sites, Word and HTML briefs,
notebook outputs): every number of people in a sentence carries its origin, the release
check finds nothing, and a number changed in a sentence of the released bundle (HTML brief,
Word brief, notebook output) or derived from a hidden cell is found, named by file and place.

The demo's brief is held to the same rule in ``tests/test_reports_brief.py``."""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from collections.abc import Callable
from html import escape
from pathlib import Path

import pandas as pd
import pytest
from _people_numbers import html_unmarked, run_unmarked

from evalkit.release.disclosure import check_disclosure

pytestmark = pytest.mark.slow

#: A number of running text derived from released cells, as the HTML brief writes it.
_SUM = re.compile(r"(data-sum='([^']*)'>)([^<]+)(</span>)")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A generated study of another shape than the demo, run with its brief only."""
    from evalkit.datasets.zoo import make_zoo_study
    from evalkit.run import run_study

    root = tmp_path_factory.mktemp("shown-run")
    study = make_zoo_study(root / "study", "fr-sav-8sites", seed=11)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CI", "true")  # fewer bootstrap resamples
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the zoo's marked demo key
            run = run_study(study, out=root / "reports", jobs=1, quiet=True,
                            only=["06_evidence_brief"])
    return run.run_dir


def _bundle(run_dir: Path) -> Path:
    return run_dir.with_name(run_dir.name + ".release.zip")


def _tampered(run_dir: Path, tmp_path: Path, member: str,
              change: Callable[[bytes], bytes]) -> Path:
    """A copy of the run's release bundle with ``member`` changed."""
    copy = tmp_path / _bundle(run_dir).name
    with zipfile.ZipFile(_bundle(run_dir)) as source, \
            zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, change(data) if info.filename == member else data)
    return copy


def _found(bundle: Path) -> list[list[str]]:
    findings = check_disclosure(bundle, update_manifest=False)
    return findings[["file", "place", "kind"]].values.tolist()


def test_every_number_of_people_in_a_sentence_carries_its_origin(finished):
    assert run_unmarked(finished) == {}
    page = (finished / "brief" / "brief.fr.html").read_text(encoding="utf-8")
    assert len(_SUM.findall(page)) == 2  # respondents, in the summary and the report
    assert page.count("data-distinct=") == 4  # sites and waves, twice
    assert "\ue000" not in page
    # The detector is not blind: the same sentence without its marks is a finding.
    assert html_unmarked("<p>Nous avons interrogé 1\u00a0197 personnes et mené 48 entrevues."
                         "</p>") == ["1\u00a0197 personnes", "48 entrevues"]


def test_the_finished_run_releases_and_its_check_finds_nothing(finished):
    manifest = json.loads((finished / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["disclosure_scan"]["status"] == "passed"
    assert check_disclosure(_bundle(finished), update_manifest=False).empty


def test_a_changed_sum_in_a_sentence_of_the_html_brief_is_found(finished, tmp_path):
    from evalkit.cli import main

    def change(data: bytes) -> bytes:
        text = data.decode("utf-8")
        match = _SUM.search(text)
        return (text[:match.start(3)] + "9" + text[match.end(3):]).encode("utf-8")

    bundle = _tampered(finished, tmp_path, "brief/brief.fr.html", change)
    assert _found(bundle) == [["brief/brief.fr.html", "text[4]:sum:response_counts:n",
                               "shown_differs"]]
    assert main(["check-disclosure", str(bundle)]) == 1


def test_a_changed_number_in_a_sentence_of_the_word_brief_is_found(finished, tmp_path):
    def change_xml(xml: str) -> str:
        # The first number of running text: its run follows the bookmark _ek_text_1.
        match = re.search(r'w:name="_ek_text_1"/><w:r>(?:<w:rPr>.*?</w:rPr>)?<w:t[^>]*>'
                          r"([^<]+)</w:t>", xml)
        return xml[:match.start(1)] + "7" + xml[match.end(1):]

    def change(data: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                part = source.read(info.filename)
                if info.filename == "word/document.xml":
                    part = change_xml(part.decode("utf-8")).encode("utf-8")
                target.writestr(info, part)
        return out.getvalue()

    bundle = _tampered(finished, tmp_path, "brief/brief.en.docx", change)
    found = _found(bundle)
    assert len(found) == 1 and found[0][0] == "brief/brief.en.docx"
    assert found[0][1].startswith("text[1]:") and found[0][2] == "shown_differs"


def test_a_changed_rate_in_a_notebook_sentence_is_found(finished, tmp_path):
    def change(data: bytes) -> bytes:
        notebook = json.loads(data.decode("utf-8"))
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                html = output.get("data", {}).get("text/html")
                if html and "data-column=" in "".join(html):
                    text = "".join(html)
                    match = re.search(r"data-row='[^']*' data-column='([^']*)'>([^<]+)<", text)
                    output["data"]["text/html"] = (text[:match.start(2)] + "97\u00a0%" +
                                                   text[match.end(2):])
                    return json.dumps(notebook).encode("utf-8")
        raise AssertionError("no sentence with a marked number in the notebook")

    bundle = _tampered(finished, tmp_path, "notebooks/06_evidence_brief.ipynb", change)
    found = _found(bundle)
    assert [f[0] for f in found] == ["notebooks/06_evidence_brief.ipynb"]
    assert re.fullmatch(r"cell\[\d+\]:output\[\d+\]:text\[1\]:\w+:\S+", found[0][1])
    # A rate of a sentence is held against the released rate rounded as the sentence writes it.
    assert found[0][2] == "shown_differs"


def test_a_sentence_derived_from_a_hidden_cell_is_found(finished, tmp_path):
    codes = pd.read_csv(finished / "tables" / "code_frequencies.csv", dtype=str,
                        keep_default_na=False)
    hidden = codes[(codes["suppressed"] == "True") & (codes["n_participants_total"] == "")]
    assert not hidden.empty
    row = {"code_path": hidden["code_path"].iloc[0], "site": hidden["site"].iloc[0]}
    derived = escape(json.dumps({"column": "n_participants_total", "rows": [row],
                                 "table": "code_frequencies"}, ensure_ascii=False,
                                separators=(",", ":")))

    def change(data: bytes) -> bytes:
        text = data.decode("utf-8")
        match = _SUM.search(text)
        return (text[:match.start(2)] + derived + text[match.end(2):]).encode("utf-8")

    bundle = _tampered(finished, tmp_path, "brief/brief.en.html", change)
    assert _found(bundle) == [["brief/brief.en.html",
                               "text[4]:sum:code_frequencies:n_participants_total",
                               "shown_hidden"]]


def test_two_processes_find_what_one_finds_in_a_tampered_bundle(finished, tmp_path,
                                                                monkeypatch):
    """The cells of the pages read by forked processes are judged as when read here."""
    import multiprocessing

    from evalkit.release import _parallel

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("forked processes only where the platform forks")

    def change(data: bytes) -> bytes:
        text = data.decode("utf-8")
        match = _SUM.search(text)
        return (text[:match.start(3)] + "9" + text[match.end(3):] +
                "<p>Émilie Tremblay, 819 555-0142</p>").encode("utf-8")

    bundle = _tampered(finished, tmp_path, "brief/brief.fr.html", change)
    monkeypatch.setattr(_parallel, "PARALLEL_MIN_ITEMS", 2)
    monkeypatch.setattr(_parallel, "usable_jobs", lambda jobs: max(1, min(int(jobs or 1), 2)))
    one = check_disclosure(bundle, update_manifest=False, names=["Émilie Tremblay"], jobs=1)
    two = check_disclosure(bundle, update_manifest=False, names=["Émilie Tremblay"], jobs=2)
    assert {"shown_differs", "name", "phone"} <= set(one["kind"])
    assert one.equals(two)
    assert one.attrs == two.attrs


def test_the_release_check_of_linked_members_finds_what_the_trial_bundle_finds(
        finished, tmp_path, monkeypatch):
    """The run's release check reads the bundle's members hard-linked in place of a bundle
    written and extracted again: the same record, findings included; the linked folder is
    gone afterwards, and a file system without hard links falls back to the bundle."""
    import importlib
    import os
    import shutil

    from evalkit.release import bundle as bundle_module

    stages = importlib.import_module("evalkit.run.stages")

    run = tmp_path / finished.name
    shutil.copytree(finished, run)
    page = run / "brief" / "brief.fr.html"
    text = page.read_text(encoding="utf-8")
    match = _SUM.search(text)
    page.write_text(text[:match.start(3)] + "9" + text[match.end(3):]
                    + "<p>Joindre au 819 555-0142</p>", encoding="utf-8")
    written = []
    original_write = stages.write_bundle
    monkeypatch.setattr(stages, "write_bundle",
                        lambda *a, **k: written.append(a) or original_write(*a, **k))
    linked = stages.release_check(run)
    assert written == [] and not (run / ".work" / "release-check").exists()

    def no_links(*_):
        raise OSError("no hard links here")

    monkeypatch.setattr(bundle_module.os, "link", no_links)
    through_bundle = stages.release_check(run)
    assert len(written) == 1 and not (run / ".work" / "release-check").exists()
    assert {f["kind"] for f in linked["findings"]} >= {"shown_differs", "phone"}
    assert linked == through_bundle
    assert os.path.isfile(page)
