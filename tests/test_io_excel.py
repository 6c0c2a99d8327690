"""Reading Excel workbooks: sheets by name or position, cell types, Excel row numbers."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit import ConfigError, DataError
from evalkit.read import detect_format, read_source


@pytest.fixture
def workbook(tmp_path):
    """Two sheets, as a research assistant would build them: title rows, blanks, dates."""
    book = openpyxl.Workbook()
    answers = book.active
    answers.title = "Réponses"
    answers.append(["id", "site", "q1", "score", "date_entrevue", "commentaire"])
    answers.append([1, "Estrie", 4, 12.5, dt.datetime(2026, 3, 2), "Très à l’écoute « vraiment »"])
    answers.append([2, "Montréal", 8, None, dt.datetime(2026, 3, 3), None])
    answers.append([None, None, None, None, None, None])
    answers.append([3, "Québec", 5, 7.25, dt.datetime(2026, 3, 4), "Ça a changé ma vie; merci"])
    answers.append([4, "Laval", "NSP", 3, None, ""])
    notes = book.create_sheet("Notes")
    notes.append(["Fichier saisi par l’équipe"])
    notes.append([])
    notes.append(["site", "n"])
    notes.append(["Estrie", 12])
    path = tmp_path / "saisie.xlsx"
    book.save(path)
    return path


def test_first_sheet_is_read_with_a_warning_naming_the_others(workbook):
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    source = read_source(workbook, display_path="saisie.xlsx")
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before
    assert source.provenance.format == "xlsx" and source.provenance.sheet == "Réponses"
    assert source.provenance.detected["sheet"] == "detected"
    assert [w.key for w in source.warnings] == ["io.several_sheets", "io.empty_rows_dropped"]
    assert "'Réponses'" in source.warnings[0] and "Notes" in source.warnings[0]
    assert "« Réponses »" in source.warnings[0].render("fr")


def test_cells_keep_their_types_and_excel_row_numbers(workbook):
    source = read_source(workbook, sheet="Réponses")
    data = source.data
    assert source.lines.tolist() == [2, 3, 5, 6]
    assert source.dropped_rows == {"empty_row": 1}
    assert data["id"].dtype == np.int64 and data["id"].tolist() == [1, 2, 3, 4]
    assert data["site"].tolist() == ["Estrie", "Montréal", "Québec", "Laval"]
    assert data["score"].dtype == np.float64
    np.testing.assert_array_equal(data["score"].to_numpy(), [12.5, np.nan, 7.25, 3.0])
    assert data["q1"].tolist() == [4, 8, 5, "NSP"]  # mixed: kept as is for validation
    assert pd.api.types.is_datetime64_any_dtype(data["date_entrevue"].dtype)
    assert data["date_entrevue"].iloc[0] == pd.Timestamp("2026-03-02")
    assert data["commentaire"].iloc[0] == "Très à l’écoute « vraiment »"
    assert pd.isna(data["commentaire"].iloc[3])  # an empty string is an empty cell
    assert source.provenance.detected["sheet"] == "declared"


def test_sheet_by_position_and_header_below_title_rows(workbook):
    source = read_source(workbook, sheet=1)
    assert source.provenance.sheet == "Notes"
    # the first non-empty row is the header: a title above the table
    assert source.data.columns.tolist() == ["Fichier saisi par l’équipe", "unnamed_2"]
    assert source.lines.tolist() == [3, 4]  # blank row 2 left out
    assert source.data.iloc[:, 1].tolist() == ["n", 12]
    assert [w.key for w in source.warnings] == ["io.unnamed_column", "io.empty_rows_dropped"]


def test_declared_sheet_absent_is_a_configuration_error(workbook):
    with pytest.raises(ConfigError) as caught:
        read_source(workbook, sheet="Feuil1", display_path="saisie.xlsx")
    error = caught.value
    assert error.where == "saisie.xlsx"
    assert "no sheet 'Feuil1'" in error.message and "0: 'Réponses', 1: 'Notes'" in error.message
    assert "sheet:" in error.hint
    with pytest.raises(ConfigError, match="no sheet 5"):
        read_source(workbook, sheet=5)


def test_corrupted_workbook_is_a_data_error(workbook, tmp_path):
    broken = tmp_path / "tronqué.xlsx"
    broken.write_bytes(workbook.read_bytes()[:1500])
    with pytest.raises(DataError) as caught:
        read_source(broken, display_path="tronqué.xlsx")
    assert caught.value.where == "tronqué.xlsx"
    assert "not a readable Excel workbook" in caught.value.message
    assert ".xlsx" in caught.value.hint


def test_a_text_file_named_xlsx_is_a_data_error(tmp_path):
    path = tmp_path / "faux.xlsx"
    path.write_text("id;site\n1;A\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a readable Excel workbook"):
        read_source(path)


def test_encrypted_or_old_workbook_is_explained(tmp_path):
    path = tmp_path / "protégé.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    with pytest.raises(DataError, match="password-protected or in the old Excel format"):
        read_source(path)


def test_a_workbook_renamed_csv_is_read_as_a_workbook(workbook, tmp_path):
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(workbook.read_bytes())
    assert detect_format(renamed) == "xlsx"
    source = read_source(renamed)
    assert source.provenance.format == "xlsx"
    assert "io.extension_mismatch" in [w.key for w in source.warnings]


def test_empty_sheet_is_an_error_and_header_only_sheet_a_warning(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Vide"
    header = book.create_sheet("Entête")
    header.append(["id", "site"])
    path = tmp_path / "vide.xlsx"
    book.save(path)
    with pytest.raises(DataError, match="sheet 'Vide' is empty"):
        read_source(path)
    source = read_source(path, sheet="Entête")
    assert source.data.shape == (0, 2)
    assert [w.key for w in source.warnings] == ["io.no_rows"]
