"""Coded interviews in a study: sources outside the archive are read only where study.yaml says."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from evalkit import make_demo_study, validate_study


def _move_sources_out(study_yaml: Path, folder: str) -> dict[str, str]:
    """Rewrite the study's project so that its sources sit in ``folder``, beside it, named
    with ``relative://`` paths, as some tools export them; return the texts by file name."""
    root = study_yaml.parent
    path = root / "interviews.qdpx"
    (root / folder).mkdir()
    texts = {}
    with zipfile.ZipFile(path) as archive:
        qde = archive.read("project.qde").decode("utf-8")
        for name in archive.namelist():
            if name.startswith("sources/"):
                data = archive.read(name)
                (root / folder / Path(name).name).write_bytes(data)
                texts[Path(name).name] = data.decode("utf-8")
    qde = re.sub(r'plainTextPath="internal://', 'plainTextPath="relative://', qde)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
    return texts


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    study_yaml = make_demo_study(tmp_path_factory.mktemp("study"), n_sites=2, n_per_site=20)
    texts = _move_sources_out(study_yaml, "transcripts")
    return study_yaml, texts


def test_sources_outside_the_archive_are_not_read_by_default(study):
    study_yaml, texts = study
    report = validate_study(study_yaml)
    assert (report.documents["text"] == "").all()
    messages = report.problems.loc[report.problems["source"] == "interviews.qdpx",
                                   "message_en"].tolist()
    assert any("external_sources" in m and "were not read" in m for m in messages)


def test_study_yaml_names_the_folder_of_outside_sources(study, tmp_path):
    study_yaml, texts = study
    allowed = tmp_path / "study.yaml"
    for item in study_yaml.parent.iterdir():
        target = tmp_path / item.name
        if item.is_dir():
            target.symlink_to(item, target_is_directory=True)
        elif item.name != "study.yaml":
            target.symlink_to(item)
    allowed.write_text(study_yaml.read_text(encoding="utf-8").replace(
        "  - path: interviews.qdpx\n",
        "  - path: interviews.qdpx\n    external_sources: transcripts\n"), encoding="utf-8")
    report = validate_study(allowed)
    assert sorted(report.documents["text"]) == sorted(texts.values())
    assert not report.segments["text"].eq("").any()
