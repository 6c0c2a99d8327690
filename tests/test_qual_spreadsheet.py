"""Coded segments kept in a spreadsheet (CSV, XLSX)."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from evalkit import SEGMENT_COLUMNS, ArgumentError, DataError, read_coded_segments

HEADER = "document,participant,site,group,code,coder,start,end,text"
ROWS = [
    "ENT-01,P01,Magog,user,Tokénisme/Consultation sans effet,codeur_A,4,40,"
    "\"On nous consulte, mais rien ne change.\"",
    "ENT-01,P01,Magog,user,Consultation sans effet,codeur_B,4,40,"
    "\"On nous consulte, mais rien ne change.\"",
    "ENT-02,P02,Granby,staff,Réseau,codeur_A,,,\"Les gens, ici,\nse connaissent.\"",
]


def write_csv(tmp_path, lines, *, encoding="utf-8", sep=",", name="codage.csv"):
    text = "\n".join(line.replace(",", sep) if sep != "," else line for line in lines)
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_a_csv_into_the_segments_frame(tmp_path):
    out = read_coded_segments(write_csv(tmp_path, [HEADER, *ROWS]))
    assert list(out.columns) == list(SEGMENT_COLUMNS)
    assert out["code"].tolist() == ["Consultation sans effet", "Consultation sans effet",
                                    "Réseau"]
    assert out["code_path"].tolist() == ["Tokénisme/Consultation sans effet",
                                         "Consultation sans effet", "Réseau"]
    assert out["start"].tolist()[:2] == [4, 4] and out["start"].isna().tolist()[2]
    assert out["text"].iloc[2] == "Les gens, ici,\nse connaissent."
    assert out["unit"].isna().all() and out["segment_id"].is_unique
    # stable identifiers: the same file gives the same ids
    again = read_coded_segments(write_csv(tmp_path, [HEADER, *ROWS], name="b.csv"))
    assert again["segment_id"].tolist() == out["segment_id"].tolist()


def test_french_excel_csv_semicolons_cp1252_and_french_headers(tmp_path):
    lines = ["Document;Participant;Site;Groupe;Code;Codeur;Début;Fin;Extrait",
             "ENT-01;P01;Magog;usager;Être écouté;codeuse_A;0;5;Merci"]
    out = read_coded_segments(write_csv(tmp_path, lines, encoding="cp1252", sep=";"))
    assert out[["group", "code", "coder", "start", "end", "text"]].values.tolist() == [
        ["usager", "Être écouté", "codeuse_A", 0, 5, "Merci"]]


def test_missing_required_column(tmp_path):
    path = write_csv(tmp_path, ["document,code,text", "a,b,c"])
    with pytest.raises(DataError, match="Missing column\\(s\\) coder") as info:
        read_coded_segments(path)
    assert info.value.where.endswith("row 1")


@pytest.mark.parametrize("row, column, rule", [
    ("ENT-01,P,S,G,code,A,x,4,t", "start", "whole numbers of characters"),
    ("ENT-01,P,S,G,code,A,-2,4,t", "start", "whole numbers of characters"),
    ("ENT-01,P,S,G,code,A,5,4,t", "end", "end is not before start"),
    ("ENT-01,P,S,G,code,A,5,,t", "end", "given together"),
    ("ENT-01,P,S,G,,A,1,4,t", "code", "a value is required"),
])
def test_bad_values_name_the_row_as_the_user_sees_it(tmp_path, row, column, rule):
    path = write_csv(tmp_path, [HEADER, ROWS[0], "", row])  # a blank line is still a row
    with pytest.raises(DataError, match=rule) as info:
        read_coded_segments(path)
    assert info.value.where == f"{path}, row 4, column {column}"


def test_quoted_line_breaks_do_not_shift_row_numbers(tmp_path):
    path = write_csv(tmp_path, [HEADER, ROWS[2], "ENT-03,P,S,G,code,A,9,1,t"])
    with pytest.raises(DataError) as info:
        read_coded_segments(path)
    assert info.value.where.endswith("row 3, column end")


def test_reads_an_xlsx_sheet(tmp_path):
    book = Workbook()
    book.active.title = "autre"
    sheet = book.create_sheet("codage")
    sheet.append(["document", "code", "coder", "text", "start", "end"])
    sheet.append(["ENT-01", "Écoute", "codeur_A", "Oui", 3.0, 6])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["ENT-01", "Écoute", "codeur_B", "Oui", 3, "x"])
    path = tmp_path / "codage.xlsx"
    book.save(path)
    with pytest.raises(DataError) as info:
        read_coded_segments(path, sheet="codage")
    assert info.value.where == f"{path}, row 4, column end"
    sheet.delete_rows(4)
    book.save(path)
    out = read_coded_segments(path, sheet=1)
    assert out[["code", "coder", "start", "end"]].values.tolist() == [
        ["Écoute", "codeur_A", 3, 6]]
    with pytest.raises(ArgumentError, match="No worksheet 'nope'; the workbook has: autre, "
                                            "codage"):
        read_coded_segments(path, sheet="nope")


def test_wrong_file_types_and_arguments(tmp_path):
    path = tmp_path / "codage.ods"
    path.write_bytes(b"x")
    with pytest.raises(DataError, match="Unsupported file type .ods"):
        read_coded_segments(path)
    with pytest.raises(DataError, match="File not found"):
        read_coded_segments(tmp_path / "absent.csv")
    csv_path = write_csv(tmp_path, [HEADER, *ROWS])
    with pytest.raises(ArgumentError, match="sheet applies to XLSX files only"):
        read_coded_segments(csv_path, sheet=0)
    empty = write_csv(tmp_path, [""], name="vide.csv")
    with pytest.raises(DataError, match="The file is empty"):
        read_coded_segments(empty)


def test_header_only_gives_an_empty_frame(tmp_path):
    out = read_coded_segments(write_csv(tmp_path, [HEADER]))
    assert out.empty and list(out.columns) == list(SEGMENT_COLUMNS)
    assert isinstance(out, pd.DataFrame)
