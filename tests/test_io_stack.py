"""Stacking survey files (waves, sites) while remembering each row's file and line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from evalkit import ArgumentError, DataError
from evalkit.read import read_source, stack_sources


@pytest.fixture
def sources(tmp_path):
    w1 = tmp_path / "w1.csv"
    w1.write_bytes("id;site;q1\n1;Estrie;4\n\n2;Montréal;5\n".encode("cp1252"))
    w2 = tmp_path / "w2.sav"
    pyreadstat.write_sav(pd.DataFrame({"id": [3.0], "q2": [8.0], "q1": [2.0]}), w2,
                         missing_ranges={"q2": [8]})
    return [read_source(w1, display_path="w1.csv"), read_source(w2, display_path="w2.sav")]


def test_rows_keep_their_file_and_line(sources):
    stacked = stack_sources(sources)
    assert stacked.columns.tolist() == ["source", "source_row", "id", "site", "q1", "q2"]
    assert stacked["source"].tolist() == ["w1.csv", "w1.csv", "w2.sav"]
    assert stacked["source_row"].tolist() == [2, 4, 1]
    assert stacked["source_row"].dtype == np.int64
    assert stacked["site"].tolist()[:2] == ["Estrie", "Montréal"]
    assert pd.isna(stacked["site"].iloc[2]) and pd.isna(stacked["q2"].iloc[0])
    assert stacked["q2"].iloc[2] == 8.0


def test_sources_are_not_modified(sources):
    copies = [s.data.copy() for s in sources]
    stack_sources(sources)
    for source, copy in zip(sources, copies, strict=True):
        pd.testing.assert_frame_equal(source.data, copy)


def test_origin_columns_must_not_exist_already(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,source\n1,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="already has a column named 'source'") as caught:
        stack_sources([read_source(path, display_path="a.csv")])
    assert caught.value.where == "a.csv"


@pytest.mark.parametrize("bad", [[], None, "w1.csv", [pd.DataFrame()]])
def test_bad_arguments(bad):
    with pytest.raises(ArgumentError, match="sources"):
        stack_sources(bad)
