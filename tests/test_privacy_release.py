"""Release writers: disclosure control applied, formulas neutralised, same inputs → same bytes."""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit import (
    ArgumentError,
    DisclosurePolicy,
    neutralise_formulas,
    suppress_table,
    write_table,
)

POLICY = DisclosurePolicy(min_cell=5, min_n_for_rates=10)


def results() -> pd.DataFrame:
    return pd.DataFrame({
        "site": ["A", "B", "=HYPERLINK(\"http://x\")", "-C", "@D"],
        "n": [40, 8, 3, 25, 12],
        "consulted": [12, 6, 2, 0, 7],
        "rate": [0.1 + 0.2, 0.75, 2 / 3, -0.0, 1 / 3],
        "change": [-1.5, 2.0, np.nan, -0.25, 0.0],
    })


def test_csv_is_controlled_neutralised_and_formatted(tmp_path):
    frame = results()
    before = frame.copy()
    record = write_table(frame, tmp_path / "t.csv", counts=["consulted"],
                         estimates=["rate", "change"], n="n", policy=POLICY)
    pd.testing.assert_frame_equal(frame, before)
    text = (tmp_path / "t.csv").read_bytes().decode("utf-8")
    assert "\r" not in text
    assert text.splitlines() == [
        "site,n,consulted,rate,change,suppressed",
        "A,40,12,0.3,-1.5,False",
        "B,8,,,,True",  # one marker, whatever hid the cell: no reason per cell
        "\"'=HYPERLINK(\"\"http://x\"\")\",,,,,True",
        "'-C,25,0,0,-0.25,False",
        "'@D,12,7,0.333333333333,0,False",
    ]
    assert record == {
        "path": (tmp_path / "t.csv").as_posix(), "format": "csv",
        "sha256": hashlib.sha256(text.encode()).hexdigest(), "rows": 5,
        "columns": ["site", "n", "consulted", "rate", "change", "suppressed"],
        "counts": ["consulted"], "estimates": ["rate", "change"], "n": "n",
        "suppressed_cells": 7,
    }


def test_neutralise_formulas_only_touches_text():
    frame = pd.DataFrame({"text": ["=1+1", "+33 6", "-x", "@sum", "\tx", "\rx", "ok", None],
                          "number": [-1, -2.5, 3, 0, 1, 2, 3, 4],
                          "=bad header": range(8)})
    before = frame.copy()
    out = neutralise_formulas(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert out["text"].tolist()[:7] == ["'=1+1", "'+33 6", "'-x", "'@sum", "'\tx", "'\rx", "ok"]
    assert pd.isna(out["text"].iloc[7])
    assert out["number"].tolist() == [-1, -2.5, 3, 0, 1, 2, 3, 4]
    assert list(out.columns) == ["text", "number", "'=bad header"]


@pytest.mark.parametrize(("text", "expected"), [
    ("ok\n=1+1", "ok\n'=1+1"), ("ok\r+33", "ok\r'+33"), ("a\r\n@SUM(A1)", "a\r\n'@SUM(A1)"),
    ("a\n-b\n=c", "a\n'-b\n'=c"), ("=x\n=y", "'=x\n'=y"), ("a\nb", "a\nb"),
])
def test_a_formula_after_a_line_break_inside_a_cell_is_neutralised(text, expected, tmp_path):
    assert neutralise_formulas(pd.DataFrame({"t": [text]}))["t"].iloc[0] == expected
    write_table(pd.DataFrame({"t": [text]}), tmp_path / "t.xlsx", policy=POLICY)
    book = load_workbook(tmp_path / "t.xlsx")
    assert book["table"]["A2"].value == expected


def test_same_inputs_same_bytes(tmp_path):
    for name in ("a", "b"):
        write_table(results(), tmp_path / f"{name}.csv", counts=["consulted"], policy=POLICY)
        write_table(results(), tmp_path / f"{name}.xlsx", counts=["consulted"], policy=POLICY,
                    lang="fr")
        time.sleep(2.1)  # XLSX archives and properties would otherwise carry the time of writing
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_xlsx_cells_are_text_not_formulas(tmp_path):
    record = write_table(results(), tmp_path / "t.xlsx", counts=["consulted"],
                         estimates=["rate"], n="n", policy=POLICY, lang="en")
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["table", "notes"]
    sheet = book["table"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("site", "n", "consulted", "rate", "change", "suppressed")
    assert rows[1][:4] == ("A", 40, 12, 0.3)  # openpyxl writes 16 significant digits
    assert rows[3][0] == "'=HYPERLINK(\"http://x\")"
    assert rows[3][1] is None and rows[3][2] is None
    assert rows[4][1:3] == (25, 0) and rows[4][4] == -0.25
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert "counts of fewer than 5 people" in book["notes"]["A1"].value
    assert record["note"] == book["notes"]["A1"].value
    assert book.properties.modified.year == 2000


def test_crosstab_index_is_written_as_a_column(tmp_path):
    table = pd.DataFrame({"x": [20, 2, 22], "y": [15, 18, 33], "total": [35, 20, 55]},
                         index=pd.Index(["a", "b", "total"], name="site"))
    protected = suppress_table(table, policy=POLICY)
    record = write_table(protected, tmp_path / "ct.csv", counts=["x", "y", "total"],
                         policy=POLICY)
    lines = (tmp_path / "ct.csv").read_text().splitlines()
    assert lines[0] == "site,x,y,total,suppressed"
    assert lines[2] == "b,,,20,True"
    assert record["suppressed_cells"] == 4


def test_filtered_frame_row_numbers_are_not_written(tmp_path):
    frame = results().iloc[[0, 3]]
    write_table(frame, tmp_path / "t.csv", counts=["consulted"], policy=POLICY)
    assert (tmp_path / "t.csv").read_text().splitlines()[0].startswith("site,")


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    target.write_text("previous\n")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_table(results(), target, counts=["consulted"], policy=POLICY)
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_bad_path_and_arguments(tmp_path):
    with pytest.raises(ArgumentError, match="path must end in .csv or .xlsx"):
        write_table(results(), tmp_path / "t.txt", policy=POLICY)
    with pytest.raises(ArgumentError, match="counts='nope'"):
        write_table(results(), tmp_path / "t.csv", counts=["nope"], policy=POLICY)
    assert not (tmp_path / "t.csv").exists()
