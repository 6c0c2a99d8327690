"""A released table's rows as dictionaries (what pages show row by row): the values
``iterrows`` gives, for frames of every dtype pages meet and of others."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from evalkit.present._records import row_records

COLUMNS = {
    "count": pd.Series([12, 3, 40], dtype="int64"),
    "rate": pd.Series([0.5, np.nan, 2.0]),
    "flag": pd.Series([True, False, True]),
    "site": pd.Series(["Lévis", None, "Centre-Sud"]),
    "mixed": pd.Series(["x", 1, 2.5], dtype=object),
    "n_masked": pd.Series([1, None, 3], dtype="Int64"),
    "outside": pd.Series([True, None, False], dtype="boolean"),
    "level": pd.Series(["bas", "haut", "bas"], dtype="category"),
    "date": pd.to_datetime(pd.Series(["2020-01-01", None, "2021-05-03"])),
    "label": pd.Series(["p", "q", None], dtype="string"),
    "small": pd.Series([1, 2, 3], dtype="uint8"),
    "single": pd.Series([1.5, 2.25, np.nan], dtype="float32"),
    "wait": pd.Series(pd.to_timedelta([1, 2, None], unit="s")),
    "share": pd.Series([0.1, None, 0.3], dtype="Float64"),
    "numpy_int": pd.Series([np.int64(4), None, "z"], dtype=object),
}


def missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def same(a, b) -> bool:
    """The same value of the same type, or both missing (any of pandas' markers)."""
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("size", [1, 2, 3])
def test_rows_are_the_values_iterrows_gives(size):
    for combo in itertools.combinations(COLUMNS, size):
        frame = pd.DataFrame({c: COLUMNS[c] for c in combo}).set_axis([5, 7, 9])
        want = [(i, row.to_dict()) for i, row in frame.iterrows()]
        got = list(row_records(frame))
        assert [i for i, _ in got] == [i for i, _ in want], combo
        for (_, a), (_, b) in zip(want, got, strict=True):
            assert list(a) == list(b), combo
            assert all(same(a[c], b[c]) for c in a), (combo, a, b)


def test_integers_beside_floats_are_floats_as_iterrows_gives_them():
    frame = pd.DataFrame({"n": [12, 3], "rate": [0.25, 0.5]})
    rows = [row for _, row in row_records(frame)]
    assert rows == [{"n": 12.0, "rate": 0.25}, {"n": 3.0, "rate": 0.5}]
    assert all(type(row["n"]) is float for row in rows)


def test_a_filtered_frame_keeps_its_index_and_an_empty_one_gives_nothing():
    frame = pd.DataFrame({"site": list("ABCD"), "n": [1, 2, 3, 4]})
    assert [i for i, _ in row_records(frame[frame["n"] > 2])] == [2, 3]
    assert list(row_records(frame.iloc[:0])) == []


def test_repeated_column_names_are_read_as_iterrows_reads_them():
    frame = pd.DataFrame([[1, "a", 2.5]], columns=["x", "x", "y"])
    assert [row for _, row in row_records(frame)] == [row.to_dict()
                                                      for _, row in frame.iterrows()]


def test_missing_markers_all_read_as_missing():
    frame = pd.DataFrame({"site": ["A", None], "n": pd.array([1, None], dtype="Int64")})
    (_, first), (_, second) = row_records(frame)
    assert first == {"site": "A", "n": 1}
    assert missing(second["site"]) and missing(second["n"])
    assert not math.isnan(first["n"])
