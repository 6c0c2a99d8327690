"""Interoperability: real REFI-QDA exports from NVivo, ATLAS.ti and qc (qualitative-coding).

The samples are not part of the project (their licences differ): they are read from the shared
folder beside the repository, and these tests are skipped, with the reason shown, when it is
absent. Expected figures are counted here independently of evalkit, with zipfile and
ElementTree.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import docx
import pytest

from evalkit import read_qdpx, validate_qde

ROOT = Path(__file__).resolve().parents[1]


def _samples_folder() -> Path:
    """``<repo>/../shared/refi-qda/samples``, or the same folder beside a parent of the repo."""
    for parent in ROOT.parents:
        candidate = parent / "shared" / "refi-qda" / "samples"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "refi-qda" / "samples"


SAMPLES = _samples_folder()
Q = "{urn:QDA-XML:project:1.0}"

pytestmark = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"REFI-QDA sample exports not found in {SAMPLES} (they are not shipped with "
           "evalkit; the interoperability tests run where they are present)")


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"sample {name} is missing from {SAMPLES}")
    return path


def plain_xml(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as archive:
        return ET.fromstring(archive.read("project.qde"))


def test_every_sample_is_read_and_valid():
    files = sorted(SAMPLES.glob("*.qdpx"))
    assert files, f"no .qdpx in {SAMPLES}"
    for path in files:
        project = read_qdpx(path)
        root = plain_xml(path)
        assert len(project.codes) == len(list(root.iter(Q + "Code"))), path.name
        assert len(project.users) == len(list(root.iter(Q + "User"))), path.name
        assert project.provenance["origin"] == root.get("origin")
        assert validate_qde(path) == [], path.name


def test_qc_demo_counts_and_coded_text():
    path = sample("qc_demo.qdpx")
    root = plain_xml(path)
    n_selections = len(list(root.iter(Q + "PlainTextSelection")))
    n_codings = len(list(root.iter(Q + "Coding")))
    assert (n_selections, n_codings) == (158, 205)  # as the sample's README states
    project = read_qdpx(path)
    assert (len(project.selections), len(project.codings)) == (n_selections, n_codings)
    segments = project.segments()
    assert len(segments) == n_codings
    assert set(segments["coder"]) == {"cp"}
    # qc writes bare file names for files in sources/: tolerated, with one warning
    assert [w.key for w in project.warnings] == ["qual.warn.bare_path"]
    assert set(project.sources["path"]) == {"board_2017.txt", "admin-1.txt"}
    # qc names each selection "line:N" (N counted from 0): the text at the offsets must
    # start at that line of the raw file and end on a line boundary.
    with zipfile.ZipFile(path) as archive:
        raw = archive.read("sources/board_2017.txt").decode("utf-8")
    lines = raw.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    board = project.sources.set_index("path").loc["board_2017.txt", "source_id"]
    names = {s.get("guid"): s.get("name") for s in root.iter(Q + "PlainTextSelection")}
    checked = 0
    for row in project.selections[project.selections["source_id"] == board].itertuples():
        line = int(names[row.selection_id].split(":")[1])
        assert row.start == starts[line] and row.end in starts
        assert row.text == raw[row.start:row.end]
        checked += 1
    assert checked == n_selections  # every selection of this sample is in board_2017.txt


def test_qc_demo_code_paths_follow_the_nesting():
    project = read_qdpx(sample("qc_demo.qdpx"))
    root = plain_xml(sample("qc_demo.qdpx"))
    expected = {}

    def walk(element, prefix):
        for code in element.findall(Q + "Code"):
            path = f"{prefix}/{code.get('name')}" if prefix else code.get("name")
            expected[code.get("guid").lower()] = path
            walk(code, path)

    walk(root.find(f"{Q}CodeBook/{Q}Codes"), "")
    assert dict(zip(project.codes["code_id"], project.codes["path"], strict=True)) == expected
    # the same name under two parents stays two codes
    assert (project.codes["name"] == "programming").sum() == 2


def test_atlas_nested_codes_and_no_sources():
    project = read_qdpx(sample("atlas_target.qdpx"))
    assert project.codes[["path", "depth"]].values.tolist() == [
        ["Commits", 0], ["Commits/2022-05-10T02:05:59Z 19e4dce", 1],
        ["Commits/2022-02-11T10:39:25Z cdbfd92", 1]]
    assert project.sources.empty and project.segments().empty
    assert project.warnings == []
    assert project.provenance["origin"].startswith("ATLAS.ti")
    blank = read_qdpx(sample("atlas_blank.qdpx"))
    assert blank.codes.empty and blank.users["name"].tolist() == ["Enric Llagostera", "ATLAS.ti"]


def test_nvivo_internal_paths_and_docx_text():
    path = sample("nvivo_project.qdpx")
    project = read_qdpx(path)
    sources = project.sources
    assert len(sources) == 2
    assert all(p.startswith("internal://") and p.endswith(".txt") for p in sources["path"])
    with zipfile.ZipFile(path) as archive:
        for row in sources.itertuples():
            guid = row.path.removeprefix("internal://").removesuffix(".txt")
            plain = archive.read(f"sources/{guid}.txt").decode("utf-8")
            assert plain.strip() == ""  # near-empty plain text: the text comes from the docx
            rich = docx.Document(io.BytesIO(archive.read(f"sources/{guid}.docx")))
            assert row.text == "\n".join(p.text for p in rich.paragraphs)
            assert row.origin == "docx"
    assert [w.key for w in project.warnings] == ["qual.warn.text_from_docx"]
    assert sorted(project.users["name"]) == ["chrisp", "cp"]
