"""Writing REFI-QDA projects: schema validity, reproducible bytes, round trips, refusals."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from evalkit import (
    SEGMENT_COLUMNS,
    ArgumentError,
    DataError,
    read_qdpx,
    validate_qde,
    write_qdpx,
)
from evalkit.datasets.interviews import interview_codebook, make_demo_interviews

SCHEMA = Path(__file__).resolve().parents[1] / "src/evalkit/read/qda/schema/Project-mrt2019.xsd"


@pytest.fixture(scope="module")
def demo():
    return make_demo_interviews(sites=["Sherbrooke", "Magog"], seed=11, n_per_site=4)


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def test_written_project_validates_against_the_schema(tmp_path, demo):
    docs, segs, _ = demo
    path = write_qdpx(tmp_path / "e.qdpx", documents=docs, segments=segs,
                      codes=interview_codebook())
    with zipfile.ZipFile(path) as archive:
        qde = archive.read("project.qde")
        names = archive.namelist()
    schema = _schema()
    assert schema.validate(etree.fromstring(qde)), schema.error_log
    assert validate_qde(path) == [] and validate_qde(qde) == []
    assert names == sorted(names) and names[0] == "project.qde"
    assert all(n.startswith("sources/") and n.endswith(".txt") for n in names[1:])
    assert len(names) == len(docs) + 1


def test_bytes_are_reproducible(tmp_path, demo):
    docs, segs, _ = demo
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_qdpx(tmp_path / "a" / "e.qdpx", documents=docs, segments=segs)
    b = write_qdpx(tmp_path / "b" / "e.qdpx", documents=docs,
                   segments=segs.sample(frac=1, random_state=3))
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    with zipfile.ZipFile(a) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_round_trip_gives_the_same_frames(tmp_path, demo):
    docs, segs, _ = demo
    path = write_qdpx(tmp_path / "r.qdpx", documents=docs, segments=segs,
                      codes=interview_codebook())
    project = read_qdpx(path)
    assert project.warnings == []
    pd.testing.assert_frame_equal(project.documents(), docs)
    pd.testing.assert_frame_equal(project.segments(units="lines"), segs)
    codes = project.codes.set_index("path")
    book = interview_codebook().set_index("code_path")
    assert set(book.index) <= set(codes.index)
    assert codes.loc[book.index, "color"].tolist() == book["color"].tolist()
    assert not codes.loc["Tokénisme", "is_codable"]
    assert sorted(project.users["name"]) == ["codeur_A", "codeur_B"]
    # reading then writing again gives the same bytes
    again = write_qdpx(tmp_path / "r2.qdpx", documents=project.documents(),
                       segments=project.segments(units="lines"), codes=project.codes)
    assert read_qdpx(again).segments(units="lines").equals(project.segments(units="lines"))


def test_caller_frames_are_not_modified(tmp_path, demo):
    docs, segs, _ = demo
    docs_before, segs_before = docs.copy(deep=True), segs.copy(deep=True)
    write_qdpx(tmp_path / "m.qdpx", documents=docs, segments=segs)
    pd.testing.assert_frame_equal(docs, docs_before)
    pd.testing.assert_frame_equal(segs, segs_before)


def test_explicit_cases_and_users(tmp_path, demo):
    docs, segs, _ = demo
    cases = pd.DataFrame({"case": ["Site S", "Site S"], "document": docs["document"][:2],
                          "region": ["Estrie", None]})
    users = pd.DataFrame({"name": ["codeur_A"],
                          "user_id": ["{ABCDEF01-2345-4678-89AB-CDEF01234567}"]})
    path = write_qdpx(tmp_path / "c.qdpx", documents=docs, segments=segs, cases=cases,
                      users=users)
    project = read_qdpx(path, site="region")
    assert project.cases["name"].tolist() == ["Site S"]
    assert project.case_variables[["variable", "value"]].values.tolist() == [["region",
                                                                              "Estrie"]]
    assert project.case_sources["source_id"].nunique() == 2
    assert "abcdef01-2345-4678-89ab-cdef01234567" in project.users["user_id"].tolist()
    sites = project.documents()["site"]
    assert sites.tolist()[:2] == ["Estrie", "Estrie"] and sites[2:].isna().all()


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"),
                min_size=1, max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXT, min_size=1, max_size=3), data=st.data())
def test_round_trip_of_any_text_and_span(tmp_path_factory, texts, data):
    """Offsets count code points (emoji, accents, combining marks), whatever the text."""
    docs = pd.DataFrame({"document": [f"D{i}" for i in range(len(texts))], "text": texts})
    rows = []
    for i, text in enumerate(texts):
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start, len(text)))
        rows.append({"segment_id": f"s{i}", "document": f"D{i}", "participant": None,
                     "site": None, "group": None, "code": "c", "code_path": "T/c",
                     "coder": "x", "start": start, "end": end, "text": text[start:end],
                     "unit": None})
    segs = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
    path = write_qdpx(tmp_path_factory.mktemp("h") / "h.qdpx", documents=docs, segments=segs)
    back = read_qdpx(path).segments()
    assert back["text"].tolist() == segs["text"].tolist()
    assert back["start"].tolist() == segs["start"].tolist()


def test_refusals(tmp_path, demo):
    docs, segs, _ = demo
    with pytest.raises(ArgumentError, match="path must end with .qdpx"):
        write_qdpx(tmp_path / "x.zip", documents=docs, segments=segs)
    bad = segs.copy()
    bad.loc[0, "text"] = "autre chose"
    with pytest.raises(DataError, match="text differs from the text of") as info:
        write_qdpx(tmp_path / "x.qdpx", documents=docs, segments=bad)
    assert bad.loc[0, "segment_id"] in info.value.where
    bad = segs.copy()
    bad.loc[0, "document"] = "inconnu"
    with pytest.raises(DataError, match="document 'inconnu' is not among the documents"):
        write_qdpx(tmp_path / "x.qdpx", documents=docs, segments=bad)
    bad = segs.copy()
    bad["start"] = pd.array([None] * len(bad), dtype="Int64")
    bad["end"] = pd.array([None] * len(bad), dtype="Int64")
    with pytest.raises(DataError, match="needs character offsets"):
        write_qdpx(tmp_path / "x.qdpx", documents=docs, segments=bad)
    codes = pd.DataFrame({"code_path": ["Implication/Être informé"], "color": ["vert"]})
    with pytest.raises(DataError, match="colour 'vert' is not of the form #RRGGBB"):
        write_qdpx(tmp_path / "x.qdpx", documents=docs, segments=segs, codes=codes)
    assert not (tmp_path / "x.qdpx").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind
    bad = docs.copy()
    bad.loc[0, "document"] = "ENT\x01"
    seg = segs.copy()
    seg.loc[seg["document"] == docs.loc[0, "document"], "document"] = "ENT\x01"
    with pytest.raises(DataError, match="characters that XML cannot store"):
        write_qdpx(tmp_path / "x.qdpx", documents=bad, segments=seg)


def test_validate_qde_reports_problems_with_lines(tmp_path):
    problems = validate_qde(b'<Project xmlns="urn:QDA-XML:project:1.0" name="p">\n'
                            b'<Users><User name="no guid"/></Users></Project>')
    assert [p.line for p in problems] == [2]
    assert "guid" in problems[0].message
    syntax = validate_qde(b"<Project>\n<oops></Project>")
    assert syntax[0].line == 2 and "mismatch" in syntax[0].message.lower()
    unqualified = validate_qde(b'<Project name="p"/>')
    assert len(unqualified) == 1 and "Project" in unqualified[0].message
    with pytest.raises(DataError, match="refused for safety"):
        validate_qde(b'<!DOCTYPE P [<!ENTITY a "b">]><Project name="&a;"/>')
    with pytest.raises(DataError, match="File not found"):
        validate_qde(tmp_path / "none.qde")
