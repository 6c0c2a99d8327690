"""Numbers written as text: decimal marks, thousands separators, signs, failures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import ArgumentError
from evalkit.read import ParsedNumbers, parse_numbers


def parsed(cells, **kwargs):
    values, failed = parse_numbers(pd.Series(cells, dtype="str"), **kwargs)
    return values.tolist(), failed.tolist()


def test_french_numbers():
    values, failed = parsed(["12,5", "-0,75", "+3", ",5", "7,", "1 234,5", "1\u00a0234",
                             "1\u202f234\u202f567,25", " 8 ", "\u22124,5"], decimal=",")
    assert values == [12.5, -0.75, 3.0, 0.5, 7.0, 1234.5, 1234.0, 1234567.25, 8.0, -4.5]
    assert not any(failed)


def test_english_numbers_and_exponents():
    values, failed = parsed(["12.5", "1e3", "-2.5E-2", "1,234.5", "1 000"], thousands=",")
    assert values == [12.5, 1000.0, -0.025, 1234.5, 1000.0]
    assert not any(failed)


def test_dot_thousands_with_decimal_comma():
    values, failed = parsed(["1.234,5", "1.234.567", "12,5"], decimal=",", thousands=".")
    assert values == [1234.5, 1234567.0, 12.5] and not any(failed)


def test_what_is_not_a_number_fails_and_empty_cells_do_not():
    cells = ["12.5", "12,5", "n.d.", "", "   ", None, "1 23", "1,2,3", "inf", "nan", "--1",
             "12 %", "0x1F", "1_000"]
    values, failed = parsed(cells)
    assert values[0] == 12.5 and all(np.isnan(v) for v in values[1:])
    assert failed == [False, True, True, False, False, False, True, True, True, True, True,
                      True, True, True]


def test_a_separator_is_never_taken_for_a_decimal_mark():
    # without a declared thousands separator, "1.234" with a decimal comma is not 1234
    values, failed = parsed(["1.234", "1,234"], decimal=",")
    assert np.isnan(values[0]) and failed[0]
    assert values[1] == 1.234


def test_numbers_already_numeric_are_kept():
    series = pd.Series([1, 2, None], dtype="Int64", name="q1", index=[10, 11, 12])
    values, failed = parse_numbers(series)
    assert values.dtype == np.float64 and values.name == "q1"
    assert values.index.tolist() == [10, 11, 12]
    np.testing.assert_array_equal(values.to_numpy(), [1.0, 2.0, np.nan])
    assert not failed.any()
    values, _ = parse_numbers(pd.Series([1.5, np.nan]))
    np.testing.assert_array_equal(values.to_numpy(), [1.5, np.nan])


def test_mixed_cells_from_a_workbook():
    series = pd.Series([4, 2.5, "3,5", "NSP", None, dt.datetime(2026, 1, 1), True],
                       dtype="object")
    values, failed = parse_numbers(series, decimal=",")
    np.testing.assert_array_equal(values.to_numpy(),
                                  [4.0, 2.5, 3.5, np.nan, np.nan, np.nan, np.nan])
    assert failed.tolist() == [False, False, False, True, False, True, True]


def test_booleans_are_not_numbers():
    values, failed = parse_numbers(pd.Series([True, False]))
    assert values.isna().all() and failed.all()


def test_returns_a_named_tuple_and_leaves_the_input_alone():
    series = pd.Series(["1,5", " 2 ", None], dtype="str", name="score")
    copy = series.copy()
    result = parse_numbers(series, decimal=",")
    assert isinstance(result, ParsedNumbers)
    assert result.values.tolist()[:2] == [1.5, 2.0]
    assert result.failed.name == "score"
    pd.testing.assert_series_equal(series, copy)


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"decimal": ";"}, "decimal must be one of"),
    ({"thousands": "_"}, "thousands must be one of"),
    ({"decimal": ",", "thousands": ","}, "thousands must differ from decimal"),
])
def test_bad_arguments(kwargs, text):
    with pytest.raises(ArgumentError, match=text):
        parse_numbers(pd.Series(["1"]), **kwargs)


def test_data_must_be_a_series():
    with pytest.raises(ArgumentError, match="data must be a pandas Series, got list"):
        parse_numbers(["1"])


def _french(value: float, decimals: int, separator: str) -> str:
    text = f"{abs(value):,.{decimals}f}".replace(",", separator).replace(".", ",")
    return ("-" if value < 0 else "") + text


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=20),
       decimals=st.integers(0, 4), separator=st.sampled_from([" ", "\u00a0", "\u202f", ""]))
def test_french_formatted_numbers_read_back(values, decimals, separator):
    cells = pd.Series([_french(v, decimals, separator) for v in values], dtype="str")
    parsed_values, failed = parse_numbers(cells, decimal=",")
    assert not failed.any()
    expected = [float(f"{v:.{decimals}f}") for v in values]
    np.testing.assert_allclose(parsed_values.to_numpy(), expected, rtol=0, atol=0)
