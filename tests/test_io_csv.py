"""Reading delimited text files: encodings, delimiters, decimal comma, line numbers, messages."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from evalkit import ArgumentError, DataError
from evalkit.read import parse_numbers, read_source

FRENCH = ["Hélène Côté", "François Lévesque", "Œuvre « Ça va » à l’école", "Noël, été; hiver",
          "Zoë Bérubé-Gagnon", "cœur ç à è ù â ê î ô û ë ï ü"]


def frozen(path):
    """The SHA-256 of a file, to prove it was not modified."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def survey_frame():
    return pd.DataFrame({
        "id": [1, 2, 3, 4, 5, 6],
        "nom": FRENCH,
        "site": ["Estrie", "Montréal", "Québec", "Estrie", "Laval", "Gaspésie"],
        "score": [12.5, 3.25, np.nan, 1234.5, -0.75, 8.0],
        "q1": [1, 2, 8, 9, 5, 4],
    })


def test_french_excel_csv_cp1252_semicolon_decimal_comma(tmp_path, survey_frame):
    path = tmp_path / "enquête_w1.csv"
    survey_frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252",
                        lineterminator="\r\n")
    before = frozen(path)
    source = read_source(path, display_path="data/enquête_w1.csv")
    assert frozen(path) == before
    assert source.data.columns.tolist() == ["id", "nom", "site", "score", "q1"]
    assert source.data["nom"].tolist() == FRENCH
    assert source.data["score"].tolist()[:2] == ["12,5", "3,25"]
    assert pd.isna(source.data["score"].iloc[2])
    assert source.lines.tolist() == [2, 3, 4, 5, 6, 7]
    p = source.provenance
    assert (p.encoding, p.delimiter, p.decimal, p.thousands) == ("cp1252", ";", ",", None)
    assert p.detected == {"format": "detected", "encoding": "detected", "delimiter": "detected",
                          "decimal": "detected", "thousands": "detected"}
    assert (p.path, p.format, p.rows, p.columns, p.header_rows) == (
        "data/enquête_w1.csv", "csv", 6, 5, 1)
    assert p.sha256 == before and p.size_bytes == path.stat().st_size
    values, failed = parse_numbers(source.data["score"], decimal=p.decimal,
                                   thousands=p.thousands)
    np.testing.assert_array_equal(values.to_numpy(), survey_frame["score"].to_numpy())
    assert not failed.any()
    assert source.warnings == []


def test_values_stay_text_as_written(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("id,code,q1\n007,NA,08\n8,null, 3 \n", encoding="utf-8")
    data = read_source(path).data
    assert data["id"].tolist() == ["007", "8"]
    assert data["code"].tolist() == ["NA", "null"]  # not guessed as missing
    assert data["q1"].tolist() == ["08", " 3 "]
    assert all(pd.api.types.is_string_dtype(dtype) for dtype in data.dtypes)


def test_utf8_with_bom_and_tab_delimiter(tmp_path, survey_frame):
    path = tmp_path / "export.tsv"
    survey_frame.to_csv(path, sep="\t", index=False, encoding="utf-8-sig")
    source = read_source(path)
    assert source.data.columns[0] == "id"  # the BOM is not part of the first name
    assert source.data["nom"].tolist() == FRENCH
    assert (source.provenance.encoding, source.provenance.delimiter) == ("utf-8-sig", "\t")
    assert source.provenance.decimal == "."


def test_utf8_comma_with_quoted_newlines_gives_physical_lines(tmp_path):
    rows = [["id", "commentaire", "note"],
            ["1", "Première ligne\ndeuxième ligne", "4"],
            ["2", "Sans saut", "5"],
            ["3", "Un\r\ndeux\r\ntrois « guillemets \"doubles\" »", "3"],
            ["4", "fin", ""]]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "commentaires.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    source = read_source(path)
    assert source.data["commentaire"].tolist() == [r[1] for r in rows[1:]]
    assert source.lines.tolist() == [2, 4, 5, 8]
    assert pd.isna(source.data["note"].iloc[3])


def test_declared_values_win_over_detection(tmp_path):
    path = tmp_path / "w.txt"
    path.write_bytes("a|b\n1,5|é\n".encode("latin-1"))
    source = read_source(path, encoding="latin-1", delimiter="|", decimal=",", thousands=" ")
    assert source.data.to_dict("list") == {"a": ["1,5"], "b": ["é"]}
    p = source.provenance
    assert (p.encoding, p.delimiter, p.decimal, p.thousands) == ("latin-1", "|", ",", " ")
    assert set(p.detected.values()) == {"declared", "detected"}
    assert p.detected["format"] == "detected"
    assert {k for k, v in p.detected.items() if v == "declared"} == {
        "encoding", "delimiter", "decimal", "thousands"}


def test_thousands_separators_are_detected(tmp_path):
    path = tmp_path / "revenus.csv"
    path.write_text("site;revenu\nA;1\u202f234,50\nB;12\u202f500,00\nC;950,25\n", encoding="utf-8")
    source = read_source(path)
    assert (source.provenance.decimal, source.provenance.thousands) == (",", "\u202f")
    values, failed = parse_numbers(source.data["revenu"], decimal=",",
                                   thousands=source.provenance.thousands)
    assert values.tolist() == [1234.5, 12500.0, 950.25]
    path.write_text("site,revenu\nA,\"1,234.50\"\nB,\"12,500.00\"\n", encoding="utf-8")
    p = read_source(path).provenance
    assert (p.decimal, p.thousands) == (".", ",")


def test_decimal_comma_follows_semicolon_without_evidence(tmp_path):
    path = tmp_path / "likert.csv"
    path.write_text("q1;q2\n1;2\n3;4\n", encoding="utf-8")
    assert read_source(path).provenance.decimal == ","
    path.write_text("q1,q2\n1,2\n3,4\n", encoding="utf-8")
    assert read_source(path).provenance.decimal == "."


def test_mac_roman_and_dos_code_pages_are_recognised(tmp_path):
    text = "id;nom\n1;Hélène à l’école\n2;Ça ira, François\n"
    for encoding in ("mac_roman", "cp850"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.replace("’", "'").encode(encoding))
        source = read_source(path)
        assert source.provenance.encoding == encoding
        assert source.data["nom"].tolist() == ["Hélène à l'école", "Ça ira, François"]


def test_excel_sep_line_names_the_delimiter(tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\nid;note\n1;12,5\n2;3\n", encoding="utf-8")
    source = read_source(path)
    assert source.data.to_dict("list") == {"id": ["1", "2"], "note": ["12,5", "3"]}
    assert source.lines.tolist() == [3, 4]
    assert source.provenance.delimiter == ";"


def test_blank_and_empty_rows_and_columns(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("id;q1;;\n1;4;;\n\n;;;\n2;5;;\n   \n3;;;\n", encoding="utf-8")
    source = read_source(path)
    assert source.data.to_dict("list") == {"id": ["1", "2", "3"], "q1": ["4", "5", np.nan]}
    assert source.lines.tolist() == [2, 5, 7]
    assert source.dropped_rows == {"empty_row": 1}
    assert source.dropped_columns == ["unnamed_3", "unnamed_4"]
    assert source.provenance.dropped_columns == ("unnamed_3", "unnamed_4")
    assert [w.key for w in source.warnings] == ["io.empty_rows_dropped"]


def test_header_problems_are_named(tmp_path):
    path = tmp_path / "entete.csv"
    path.write_text("id, q1 ,q1,\n1,2,3,x\n", encoding="utf-8")
    source = read_source(path)
    assert source.data.columns.tolist() == ["id", "q1", "q1.1", "unnamed_4"]
    keys = [w.key for w in source.warnings]
    assert keys == ["io.unnamed_column", "io.header_whitespace", "io.duplicate_column"]
    assert "Column 4" in source.warnings[0]
    assert "« q1 »" in source.warnings[2].render("fr")


def test_short_records_are_padded_and_stray_quotes_kept(tmp_path):
    path = tmp_path / "court.csv"
    path.write_text('id,x,y\n1,2\n2,5" écran,z\n3,"a ""b""",\n', encoding="utf-8")
    source = read_source(path)
    assert source.data["x"].tolist() == ["2", '5" écran', 'a "b"']
    assert pd.isna(source.data["y"].iloc[0]) and pd.isna(source.data["y"].iloc[2])
    assert source.lines.tolist() == [2, 3, 4]


def test_stray_quotes_with_quoted_newlines_keep_exact_lines(tmp_path):
    path = tmp_path / "irregulier.csv"
    path.write_text('id,x\n1,5" écran\n2,"a\nb"\n3,z\n', encoding="utf-8")
    source = read_source(path)
    assert source.data["x"].tolist() == ['5" écran', "a\nb", "z"]
    assert source.lines.tolist() == [2, 3, 5]


def test_old_mac_line_ends(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"id,x\r1,a\r2,b\r")
    source = read_source(path)
    assert source.data["x"].tolist() == ["a", "b"]
    assert source.lines.tolist() == [2, 3]


def test_utf16_exports(tmp_path):
    path = tmp_path / "u16.tsv"
    path.write_bytes("id\tnom\n1\tHélène\n".encode("utf-16"))
    assert read_source(path).data["nom"].tolist() == ["Hélène"]
    path.write_bytes("id\tnom\n1\tHélène\n".encode("utf-16-le"))
    source = read_source(path)
    assert source.data["nom"].tolist() == ["Hélène"]
    assert source.provenance.encoding == "utf-16-le"


def test_header_only_file_gives_an_empty_frame_and_a_warning(tmp_path):
    path = tmp_path / "vide.csv"
    path.write_text("id;site;q1\n", encoding="utf-8")
    source = read_source(path)
    assert source.data.shape == (0, 3)
    assert source.data.columns.tolist() == ["id", "site", "q1"]
    assert source.lines.tolist() == []
    assert [w.key for w in source.warnings] == ["io.no_rows"]


def test_provenance_is_json_ready_with_sorted_keys(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id;q1\n1;2\n\n", encoding="utf-8")
    record = read_source(path, display_path="p.csv").provenance.to_dict()
    assert list(record) == sorted(record)
    assert list(record["detected"]) == sorted(record["detected"])
    assert json.loads(json.dumps(record)) == record
    assert record["path"] == "p.csv" and record["rows"] == 1 and record["dropped_columns"] == []


def test_lines_cannot_be_changed(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    source = read_source(path)
    with pytest.raises(ValueError):
        source.lines[0] = 5


# -- encodings and their errors ----------------------------------------------------------------

def test_double_encoded_file_gives_a_warning_with_line(tmp_path):
    path = tmp_path / "mojibake.csv"
    garbled = "id;nom\n1;Luc\n2;Hélène d’Amours\n".encode().decode("cp1252")
    path.write_bytes(garbled.encode("utf-8"))
    source = read_source(path)
    assert source.data["nom"].iloc[1] == "HÃ©lÃ¨ne dâ€™Amours"  # kept as written
    (warning,) = source.warnings
    assert warning.key == "io.mojibake" and warning.params["line"] == 3
    assert "line 3" in warning and "HÃ©lÃ¨ne" in warning
    assert "ligne 3" in warning.render("fr")


@pytest.mark.parametrize("word", ["déjà", "à", "l’été", "« oui »", "cœur"])
def test_garbled_accents_are_found_for_each_french_character(tmp_path, word):
    path = tmp_path / "m.csv"
    path.write_bytes(f"id;mot\n1;{word}\n".encode().decode("cp1252", errors="replace")
                     .encode("utf-8"))
    assert [w.key for w in read_source(path).warnings] == ["io.mojibake"]
    path.write_text(f"id;mot\n1;{word}\n", encoding="utf-8")
    assert read_source(path).warnings == []


def test_declared_legacy_encoding_of_a_utf8_file_is_questioned(tmp_path):
    path = tmp_path / "utf8.csv"
    path.write_text("id;nom\n1;Élodie\n", encoding="utf-8")
    source = read_source(path, encoding="cp1252")
    assert source.data["nom"].tolist() == ["Ã‰lodie"]  # declared wins
    assert [w.key for w in source.warnings] == ["io.mojibake_declared"]
    assert "cp1252" in source.warnings[0]


def test_mixed_encodings_are_an_error_naming_both_lines(tmp_path):
    path = tmp_path / "mixte.csv"
    path.write_bytes("id;nom\n1;Hélène\n".encode() + "2;Gérard\n".encode("cp1252"))
    with pytest.raises(DataError) as caught:
        read_source(path, display_path="mixte.csv")
    message = str(caught.value)
    assert message.startswith("mixte.csv: the file mixes two text encodings")
    assert "line 3" in message and "line 2" in message
    assert "CSV UTF-8" in message  # the fix


def test_undecodable_bytes_with_declared_encoding(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id;nom\n1;ok\n2;caf\xe9\n")
    with pytest.raises(DataError) as caught:
        read_source(path, encoding="utf-8", display_path="bad.csv")
    error = caught.value
    assert error.where == "bad.csv, line 3"
    assert "cannot be decoded as utf-8" in error.message
    assert "cp1252" in error.hint
    assert "décodé" in error.render("fr")


def test_text_in_a_non_latin_code_page_is_an_error(tmp_path):
    path = tmp_path / "cyrillic.csv"
    path.write_bytes("id;nom\n1;Привет мир\n".encode("cp866") * 5)
    with pytest.raises(DataError, match="text encoding could not be recognised") as caught:
        read_source(path, display_path="cyrillic.csv")
    assert caught.value.where.startswith("cyrillic.csv, line 2")
    assert "encoding" in caught.value.hint


def test_binary_content_in_a_csv_is_an_error(tmp_path):
    path = tmp_path / "binaire.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DataError, match="does not look like a text file"):
        read_source(path)


# -- parsing errors ----------------------------------------------------------------------------

def test_too_many_fields_names_the_physical_line(tmp_path):
    path = tmp_path / "champs.csv"
    path.write_text('id;commentaire\n1;"deux\nlignes"\n2;a;b\n', encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_source(path, display_path="champs.csv")
    assert caught.value.where == "champs.csv, line 4"
    assert "3 fields but the header has 2" in caught.value.message
    assert "double quotes" in caught.value.hint


def test_unclosed_quote_names_its_line(tmp_path):
    path = tmp_path / "guillemet.csv"
    path.write_text('id;commentaire\n1;ok\n2;"jamais fermé\n3;x\n', encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_source(path, display_path="guillemet.csv")
    assert caught.value.where == "guillemet.csv, line 3"
    assert "never closed" in caught.value.message


@pytest.mark.parametrize("content", [b"", b"\n\r\n  \n"])
def test_empty_files_are_errors(tmp_path, content):
    path = tmp_path / "vide.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match="empty|no header row") as caught:
        read_source(path, display_path="vide.csv")
    assert caught.value.where == "vide.csv"
    assert caught.value.hint


@pytest.mark.parametrize(("option", "value", "text"), [
    ("delimiter", ";;", "delimiter must be one ASCII character"),
    ("delimiter", "§", "delimiter must be one ASCII character"),
    ("decimal", ";", "decimal must be '.' or ','"),
    ("thousands", "_", "thousands must be"),
    ("encoding", "klingon-8", "unknown text encoding 'klingon-8'"),
    ("format", "xls", "unknown format 'xls'"),
    ("sheet", -1, "sheet must be a sheet name"),
])
def test_bad_options_are_argument_errors(tmp_path, option, value, text):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match=text) as caught:
        read_source(path, **{option: value}, display_path="a.csv")
    assert caught.value.where == "a.csv"
    assert caught.value.message_fr


def test_same_thousands_and_decimal_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match="other than the decimal mark"):
        read_source(path, decimal=",", thousands=",")
