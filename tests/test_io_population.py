"""Population files: long margins or a wide cross-table summed into margins per dimension."""

from __future__ import annotations

import hashlib

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit import DataError
from evalkit.read import read_population

# A cross-table of two sites; the margins below were summed by hand from it.
WIDE = """site;sexe;âge;count
Sherbrooke;F;65-74;1 200
Sherbrooke;M;65-74;1 050
Sherbrooke;F;75+;900
Sherbrooke;M;75+;600
Magog;F;65-74;300
Magog;M;65-74;280
Magog;F;75+;150
Magog;M;75+;90
"""

MARGINS = [
    ("Sherbrooke", "sexe", "F", 2100), ("Sherbrooke", "sexe", "M", 1650),
    ("Sherbrooke", "âge", "65-74", 2250), ("Sherbrooke", "âge", "75+", 1500),
    ("Magog", "sexe", "F", 450), ("Magog", "sexe", "M", 370),
    ("Magog", "âge", "65-74", 580), ("Magog", "âge", "75+", 240),
]


def as_tuples(frame):
    return [tuple(row) for row in frame.itertuples(index=False)]


def test_wide_cross_table_becomes_margins(tmp_path):
    path = tmp_path / "population.csv"
    path.write_bytes(WIDE.encode("cp1252"))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    source = read_population(path, display_path="population.csv")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert source.data.columns.tolist() == ["site", "dimension", "level", "count"]
    assert source.data["count"].dtype == np.int64
    assert as_tuples(source.data) == MARGINS
    # each margin points to the first line that contributed to it
    assert source.lines.tolist() == [2, 3, 2, 4, 6, 7, 6, 8]
    assert source.warnings == []
    assert source.provenance.path == "population.csv"


def test_long_form_is_kept_and_totals_are_checked(tmp_path):
    path = tmp_path / "marges.csv"
    rows = ["Site,Dimension,Level,Count"] + [f"{s},{d},{lv},{c}" for s, d, lv, c in MARGINS]
    rows[-1] = "Magog,âge,75+,200"  # 40 people short of the sexe margin
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    source = read_population(path)
    expected = [*MARGINS[:-1], ("Magog", "âge", "75+", 200)]
    assert as_tuples(source.data) == expected
    assert source.lines.tolist() == list(range(2, 10))
    (warning,) = source.warnings
    assert warning.key == "io.population_totals_disagree"
    assert warning.params["site"] == "Magog"
    assert "sexe: 820" in warning and "âge: 780" in warning


def test_population_workbook_with_numeric_levels(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["site", "groupe_age", "count"])
    for row in (["A", 1, 10], ["A", 2, 5.0], ["B", 1, 7]):
        sheet.append(row)
    path = tmp_path / "pop.xlsx"
    book.save(path)
    source = read_population(path)
    assert as_tuples(source.data) == [("A", "groupe_age", "1", 10), ("A", "groupe_age", "2", 5),
                                      ("B", "groupe_age", "1", 7)]


@pytest.mark.parametrize(("count", "shown"), [("-3", "'-3'"), ("12,5", "'12,5'"),
                                              ("douze", "'douze'"), ("", "''")])
def test_bad_counts_name_line_and_column(tmp_path, count, shown):
    path = tmp_path / "pop.csv"
    path.write_text(f"site;sexe;count\nA;F;10\nA;M;{count}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_population(path, display_path="pop.csv")
    error = caught.value
    assert error.where == "pop.csv, line 3"
    assert f"column count: a count must be a non-negative whole number, got {shown}" in str(error)
    assert "effectif" in error.render("fr")


def test_several_bad_counts_are_announced(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("site,sexe,count\nA,F,x\nA,M,y\nB,F,z\n", encoding="utf-8")
    with pytest.raises(DataError, match="and 2 other lines have the same problem") as caught:
        read_population(path)
    assert caught.value.where.endswith("line 2")


def test_missing_columns_and_cells_are_errors(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("territoire,sexe,n\nA,F,10\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"column\(s\) site, count; found: territoire, sexe, n"):
        read_population(path)
    path.write_text("site,count\nA,10\n", encoding="utf-8")
    with pytest.raises(DataError, match="no dimension column"):
        read_population(path)
    path.write_text("site,sexe,count\nA,F,10\n,M,4\n", encoding="utf-8")
    with pytest.raises(DataError, match="column site is empty") as caught:
        read_population(path, display_path="pop.csv")
    assert caught.value.where == "pop.csv, line 3"


def test_repeated_margin_in_long_form_is_an_error(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("site,dimension,level,count\nA,sexe,F,10\nA,sexe,M,8\nA,sexe,F,11\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"site A, sexe = F appears twice \(lines 2 and 4\)"):
        read_population(path)


def test_extra_columns_of_a_long_file_are_reported(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("site,dimension,level,count,année\nA,sexe,F,10,2021\nA,sexe,M,8,2021\n",
                    encoding="utf-8")
    source = read_population(path)
    assert [w.key for w in source.warnings] == ["io.population_extra_columns"]
    assert isinstance(source.data, pd.DataFrame) and len(source.data) == 2
