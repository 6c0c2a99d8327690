"""The registry of readers, format detection, file errors and warning records."""

from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

from evalkit import ArgumentError, DataError
from evalkit.read import (
    ReaderWarning,
    ReadOptions,
    ReadResult,
    SourceFile,
    detect_format,
    read_source,
    register_reader,
    registered_formats,
    unregister_reader,
)


def test_built_in_formats_are_registered():
    assert registered_formats()[:5] == ("csv", "qualtrics", "xlsx", "sav", "dta")


def _read_notes(file: SourceFile, options: ReadOptions) -> ReadResult:
    """A toy reader: one row per line of a zipped 'notes.txt'."""
    import io

    with zipfile.ZipFile(io.BytesIO(file.content)) as archive:
        lines = archive.read("notes.txt").decode("utf-8").splitlines()
    result = ReadResult(data=pd.DataFrame({"note": lines}),
                        lines=np.arange(1, len(lines) + 1))
    result.warn("io.no_rows")
    return result


def _sniff_notes(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") and b"notes.txt" in head


@pytest.fixture
def notes_format():
    register_reader("notes", extensions=["QDNOTES"], sniff=_sniff_notes, read=_read_notes)
    yield "notes"
    unregister_reader("notes")


def _notes_file(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "Entretien 1 : écoute\nEntretien 2 : « pouvoir »\n")
    return path


def test_a_new_format_plugs_in_like_the_built_in_ones(notes_format, tmp_path):
    path = _notes_file(tmp_path / "codage.qdnotes")
    assert detect_format(path) == "notes"
    source = read_source(path, display_path="codage.qdnotes")
    assert source.data["note"].tolist() == ["Entretien 1 : écoute", "Entretien 2 : « pouvoir »"]
    assert source.provenance.format == "notes"
    assert source.provenance.detected == {"format": "detected"}
    assert source.lines.tolist() == [1, 2]
    renamed = _notes_file(tmp_path / "codage.zip")
    assert detect_format(renamed) == "notes"  # recognised by content whatever the extension


def test_readers_can_be_registered_by_name_and_imported_lazily(tmp_path):
    register_reader("lazy-csv", extensions=".lazy", sniff=None,
                    read="evalkit.read._delimited:read_csv")
    try:
        path = tmp_path / "a.lazy"
        path.write_text("a;b\n1;2\n", encoding="utf-8")
        assert read_source(path).data.to_dict("list") == {"a": ["1"], "b": ["2"]}
    finally:
        unregister_reader("lazy-csv")


def test_registering_twice_needs_replace(notes_format):
    with pytest.raises(ArgumentError, match="already registered"):
        register_reader("notes", extensions=[".x"], sniff=None, read=_read_notes)
    spec = register_reader("notes", extensions=[".y"], sniff=None, read=_read_notes,
                           replace=True)
    assert spec.extensions == (".y",)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"extensions": []}, "extensions must list"),
    ({"read": 3}, "read must be a function"),
    ({"sniff": "no-colon"}, "sniff must be a function"),
])
def test_register_reader_checks_its_arguments(kwargs, text):
    arguments = {"extensions": [".z"], "sniff": None, "read": _read_notes, **kwargs}
    with pytest.raises(ArgumentError, match=text):
        register_reader("bad", **arguments)
    assert "bad" not in registered_formats()


def test_missing_file_is_a_data_error_naming_it(tmp_path):
    with pytest.raises(DataError) as caught:
        read_source(tmp_path / "absent.csv", display_path="donnees/absent.csv")
    error = caught.value
    assert error.where == "donnees/absent.csv"
    assert error.message == "file not found."
    assert "relative to the folder of study.yaml" in error.hint
    assert error.render("fr").startswith("donnees/absent.csv : fichier introuvable.")


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="this is a folder"):
        read_source(tmp_path)


@pytest.mark.parametrize(("name", "text"), [("notes.docx", "cannot tell the format"),
                                            ("ancien.xls", "'.xls' are not read"),
                                            ("classeur.ods", "'.ods' are not read")])
def test_unknown_extensions_say_what_to_do(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(b"\x01\x02 data")
    with pytest.raises(DataError, match=text) as caught:
        read_source(path, display_path=name)
    assert caught.value.where == name
    assert caught.value.hint and caught.value.hint_fr


def test_declared_format_wins(tmp_path):
    path = tmp_path / "export.data"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    source = read_source(path, format="csv")
    assert source.provenance.format == "csv"
    assert source.provenance.detected["format"] == "declared"


def test_options_that_do_not_apply_are_reported(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    source = read_source(path, sheet="Feuil1")
    assert [w.key for w in source.warnings] == ["io.options_ignored"]
    assert source.warnings[0] == ("Declared options that do not apply to a csv file were "
                                  "ignored: sheet.")


def test_reader_warnings_are_text_with_a_catalogue_key():
    warning = ReaderWarning("io.several_sheets", n=3, sheets="A, B, C", sheet="A")
    assert isinstance(warning, str)
    assert warning == ("The workbook has 3 sheets (A, B, C); the first, 'A', was read. "
                       "Declare sheet: in study.yaml to read another.")
    assert warning.render("fr").startswith("Le classeur a 3 feuilles (A, B, C)")
    assert ReaderWarning("io.empty_rows_dropped", n=1234).render("fr") == (
        "Lignes vides écartées : 1\u00a0234.")
    assert pickle.loads(pickle.dumps(warning)).params == warning.params
    assert json.dumps(warning.to_dict())
    assert warning.to_dict()["key"] == "io.several_sheets"


def test_detect_format_reads_the_head_itself(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert detect_format(path) == "csv"
    with pytest.raises(DataError, match="file not found"):
        detect_format(tmp_path / "absent.sav")


def test_every_kind_of_source_is_read_through_the_registry(tmp_path, project_root):
    from evalkit import read_coded_segments, read_qdpx

    assert registered_formats("interviews") == ("qdpx", "segments")
    assert "qdpx" not in registered_formats("survey")
    sheet = tmp_path / "codage.csv"
    sheet.write_text("document;codeur;code;texte\nENT-01;A;Écoute;On m'écoute.\n",
                     encoding="utf-8")
    assert detect_format(sheet) == "csv"
    assert detect_format(sheet, kind="interviews") == "segments"
    source = read_source(sheet, kind="interviews")
    pd.testing.assert_frame_equal(source.data, read_coded_segments(sheet))
    assert source.provenance.format == "segments" and source.documents is None
    project = project_root / "data_samples" / "demo" / "interviews.qdpx"
    source = read_source(project, kind="interviews", display_path="interviews.qdpx")
    expected = read_qdpx(project)
    pd.testing.assert_frame_equal(source.data, expected.segments(units="lines"))
    pd.testing.assert_frame_equal(source.documents, expected.documents())
    assert source.lines.tolist() == list(range(1, len(source.data) + 1))
    with pytest.raises(ArgumentError, match="unknown format 'qdpx'"):
        read_source(project, format="qdpx")  # not a survey format
    with pytest.raises(ArgumentError, match="kind must be"):
        read_source(project, kind="transcripts")
