"""Suppression: no small count or small-base estimate leaves, and no suppressed cell can be
recovered from the totals, by subtraction or by linear programming."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from evalkit import (
    ArgumentError,
    DisclosurePolicy,
    apply_disclosure_control,
    disclosure_intervals,
    suppress_table,
    suppression_note,
)

policies = st.builds(DisclosurePolicy, min_cell=st.integers(2, 11),
                     min_n_for_rates=st.integers(2, 30),
                     zero_counts=st.sampled_from(["show", "suppress"]))


# -- apply_disclosure_control --------------------------------------------------------------------
@st.composite
def result_tables(draw):
    rows = draw(st.integers(1, 25))
    counts = st.integers(0, 40) | st.integers(0, 6)
    n = draw(st.lists(st.integers(0, 60) | st.none(), min_size=rows, max_size=rows))
    return pd.DataFrame({
        "site": [f"S{i}" for i in range(rows)],
        "n": pd.array(n, dtype="Int64"),
        "count_a": draw(st.lists(counts, min_size=rows, max_size=rows)),
        "count_b": [float(x) for x in draw(st.lists(counts, min_size=rows, max_size=rows))],
        "rate": draw(st.lists(st.floats(0, 1) | st.none(), min_size=rows, max_size=rows)),
        "mean": draw(st.lists(st.floats(-5, 5), min_size=rows, max_size=rows)),
    })


@settings(max_examples=200, deadline=None)
@given(table=result_tables(), policy=policies)
def test_no_small_count_and_no_small_base_estimate_is_released(table, policy):
    before = table.copy()
    out = apply_disclosure_control(table, counts=["count_a", "count_b"],
                                   estimates=["rate", "mean"], n="n", policy=policy)
    pd.testing.assert_frame_equal(table, before)
    for column in ["count_a", "count_b", "n"]:
        shown = out[column].dropna().astype(float)
        assert not ((shown >= 1) & (shown < policy.min_cell)).any()
        if policy.zero_counts == "suppress":
            assert not (shown == 0).any()
    base = table["n"].astype(float)
    small_base = base.isna() | (base < max(policy.min_n_for_rates, policy.min_cell))
    # A hidden numerator, or a small complement n - k, would come back as rate x n or n - k.
    derived = pd.Series(False, index=table.index)
    for column in ["count_a", "count_b"]:
        k = table[column].astype(float)
        hidden = (k > 0) & (k < policy.min_cell)
        if policy.zero_counts == "suppress":
            hidden |= k == 0
        rest = base - k
        derived |= (hidden | ((rest > 0) & (rest < policy.min_cell))).fillna(False)
        shown = out[column].astype(float)
        released = pd.DataFrame({"n": out["n"].astype(float), "k": shown}).dropna()
        gap = released["n"] - released["k"]
        assert not ((gap > 0) & (gap < policy.min_cell)).any()
    for column in ["rate", "mean"]:
        assert out.loc[(small_base | derived).to_numpy(), column].isna().all()
        # What is not suppressed is left exactly as it was.
        kept = ~(small_base | derived).to_numpy()
        pd.testing.assert_series_equal(out.loc[kept, column], table.loc[kept, column],
                                       check_dtype=False)
    changed = (out[["count_a", "count_b", "n", "rate", "mean"]].isna()
               != table[["count_a", "count_b", "n", "rate", "mean"]].isna()).any(axis=1)
    assert (out["suppressed"] == changed).all()
    assert out.loc[~out["suppressed"], "suppression"].isna().all()
    again = apply_disclosure_control(out, counts=["count_a", "count_b"],
                                     estimates=["rate", "mean"], n="n", policy=policy)
    pd.testing.assert_frame_equal(again, out)


def test_reasons_and_integer_columns():
    table = pd.DataFrame({"n": [40, 8, 3, 0], "k": [12, 0, 2, 0], "rate": [0.3, 0.0, 0.67, None]})
    out = apply_disclosure_control(table, counts="k", estimates="rate", n="n",
                                   policy=DisclosurePolicy(zero_counts="suppress"))
    assert out["k"].dtype == "Int64" and out["n"].dtype == "Int64"
    assert out["k"].tolist()[0] == 12 and out["k"].isna().tolist() == [False, True, True, True]
    assert out["suppression"].tolist() == [None, "zero_count;small_base",
                                           "small_count;small_base", "zero_count"]
    assert out["suppressed"].tolist() == [False, True, True, True]


def test_a_share_never_gives_a_suppressed_count_back():
    # 3 of 60 and 57 of 60: the count and its complement are both under min_cell somewhere.
    table = pd.DataFrame({"site": ["A", "B", "C"], "n": [60, 60, 60], "k": [3, 57, 30],
                          "missing": [2, 0, 1], "share": [0.05, 0.95, 0.5]})
    out = apply_disclosure_control(table, counts=["k", "missing"], estimates=["share"], n="n",
                                   numerators=["k"], policy=DisclosurePolicy())
    assert out["share"].isna().tolist() == [True, True, False]
    assert out["k"].isna().tolist() == [True, True, False]
    assert out["missing"].isna().tolist() == [True, False, True]  # small counts, not numerators
    assert out["suppression"].tolist() == ["small_count;derived", "derived", "small_count"]
    # Numerators on their own base.
    table["n_met"], table["n_base"] = [58, 10, 20], [60, 60, 60]
    out = apply_disclosure_control(table, counts=["k", "n_met", "n_base"], estimates=["share"],
                                   n="n", numerators={"n_met": "n_base"},
                                   policy=DisclosurePolicy())
    assert out["share"].isna().tolist() == [True, False, False]
    with pytest.raises(ArgumentError, match="numerators must be columns listed in counts"):
        apply_disclosure_control(table, counts=["k"], estimates=["share"], n="n",
                                 numerators=["missing"], policy=DisclosurePolicy())


def test_policy_from_the_study_privacy_section():
    from evalkit.config.study import Privacy

    out = apply_disclosure_control(pd.DataFrame({"k": [7, 9]}), counts=["k"],
                                   policy=Privacy(min_cell=8))
    assert out["k"].isna().tolist() == [True, False]


def test_estimates_need_n_and_bad_arguments_are_named():
    table = pd.DataFrame({"k": [1], "rate": [0.5], "label": ["x"]})
    with pytest.raises(ArgumentError, match="estimates need n="):
        apply_disclosure_control(table, estimates=["rate"], policy=DisclosurePolicy())
    with pytest.raises(ArgumentError, match="counts='nope' is not a column"):
        apply_disclosure_control(table, counts=["nope"], policy=DisclosurePolicy())
    with pytest.raises(ArgumentError, match="must hold numbers"):
        apply_disclosure_control(table, counts=["label"], policy=DisclosurePolicy())
    with pytest.raises(ArgumentError, match="policy must be"):
        apply_disclosure_control(table, counts=["k"], policy=5)
    with pytest.raises(ArgumentError, match="min_cell must be ≥ 1, got 0"):
        DisclosurePolicy(min_cell=0)


@pytest.mark.parametrize(("lang", "expected"), [
    ("fr", "Valeur masquée pour protéger la confidentialité (comptes de moins de 5 personnes, "
           "estimations sur moins de 10 personnes et autres valeurs qui permettraient de les "
           "retrouver)."),
    ("en", "Value hidden to protect confidentiality (counts of fewer than 5 people, estimates "
           "on fewer than 10 people, and other values that would let them be worked out)."),
])
def test_suppression_note(lang, expected):
    out = apply_disclosure_control(pd.DataFrame({"n": [3, 40], "rate": [0.1, 0.2]}),
                                   estimates=["rate"], n="n", policy=DisclosurePolicy())
    assert suppression_note(out, lang=lang, policy=DisclosurePolicy()) == expected
    clean = apply_disclosure_control(pd.DataFrame({"n": [30]}), counts="n",
                                     policy=DisclosurePolicy())
    assert suppression_note(clean, lang=lang, policy=DisclosurePolicy()) == ""


# -- complementary suppression ---------------------------------------------------------------------
def attack_intervals(published: np.ndarray) -> dict:
    """An attacker's bounds for each missing cell of a table whose last row and column are
    totals: minimise and maximise it subject to every row and column sum and x ≥ 0."""
    n_rows, n_cols = published.shape
    missing = list(zip(*np.nonzero(np.isnan(published)), strict=True))
    position = {cell: k for k, cell in enumerate(missing)}
    a_eq, b_eq = [], []

    def add(cells_plus, cell_minus):
        coefficients, constant = np.zeros(len(missing)), 0.0
        for cell, sign in [(c, 1) for c in cells_plus] + [(cell_minus, -1)]:
            if cell in position:
                coefficients[position[cell]] += sign
            else:
                constant += sign * published[cell]
        a_eq.append(coefficients)
        b_eq.append(-constant)

    for i in range(n_rows):
        add([(i, j) for j in range(n_cols - 1)], (i, n_cols - 1))
    for j in range(n_cols):
        add([(i, j) for i in range(n_rows - 1)], (n_rows - 1, j))
    out = {}
    for cell, k in position.items():
        c = np.zeros(len(missing))
        c[k] = 1
        low = linprog(c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=np.array(a_eq), b_eq=b_eq, bounds=(0, None), method="highs")
        assert low.status == 0
        out[cell] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return out


def subtraction_attack(published: np.ndarray) -> np.ndarray:
    """Fill missing cells by repeated subtraction along rows and columns; return what is known."""
    values = published.copy()
    progress = True
    while progress:
        progress = False
        for axis in (0, 1):
            view = values if axis == 1 else values.T
            for line in view:
                missing = np.isnan(line)
                if missing.sum() == 1:
                    k = np.flatnonzero(missing)[0]
                    inner = line[:-1]
                    line[k] = (np.nansum(inner) if k == len(line) - 1
                               else line[-1] - np.nansum(inner))
                    progress = True
    return values


@st.composite
def count_tables(draw):
    n_rows, n_cols = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    cell = st.integers(0, 6) | st.integers(0, 60)
    inner = np.array(draw(st.lists(cell, min_size=n_rows * n_cols, max_size=n_rows * n_cols)),
                     dtype=np.int64).reshape(n_rows, n_cols)
    with_totals = np.vstack([inner, inner.sum(axis=0)])
    with_totals = np.hstack([with_totals, with_totals.sum(axis=1, keepdims=True)])
    return pd.DataFrame(with_totals, index=[*map(str, range(n_rows)), "total"],
                        columns=[*map(str, range(n_cols)), "total"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=count_tables(), policy=policies)
def test_no_suppressed_cell_can_be_recovered(table, policy):
    before = table.copy()
    out = suppress_table(table, policy=policy)
    pd.testing.assert_frame_equal(table, before)
    published = out.drop(columns=["suppressed", "suppression"]).to_numpy(dtype=float,
                                                                         na_value=np.nan)
    original = table.to_numpy(dtype=float)
    hidden = np.isnan(published)
    # Primary: no count from 1 to min_cell - 1 (nor zero, if suppressed) is published.
    shown = published[~hidden]
    assert not ((shown >= 1) & (shown < policy.min_cell)).any()
    if policy.zero_counts == "suppress":
        assert not (shown == 0).any()
    # Published cells are the true ones.
    assert (published[~hidden] == original[~hidden]).all()
    # Every row and column with a hidden cell has at least two.
    for lines in (hidden, hidden.T):
        assert not (lines.sum(axis=1) == 1).any()
    # Subtraction, repeated as long as it gives anything, recovers nothing.
    assert np.isnan(subtraction_attack(published)[hidden]).all()
    # Linear programming cannot pin any hidden cell down; its range contains the truth.
    for cell, (low, high) in attack_intervals(published).items():
        assert high - low >= 1 - 1e-9, (cell, low, high)
        assert low - 1e-9 <= original[cell] <= high + 1e-9


def test_a_bridge_between_two_groups_is_caught_by_the_audit():
    # Two 2 × 2 blocks of small cells joined by one small cell (row 1, column 2): every row and
    # column has two hidden cells, yet the joining cell is solved exactly by the LP.
    inner = np.array([[1, 1, 50, 50, 50],
                      [1, 1, 2, 50, 50],
                      [50, 50, 50, 50, 50],
                      [50, 50, 1, 1, 50],
                      [50, 50, 1, 1, 50]])
    table = pd.DataFrame(np.vstack([inner, inner.sum(0)]))
    table = pd.concat([table, table.sum(axis=1).rename("t")], axis=1)
    primary = np.isin(table.to_numpy(), [1, 2])
    exposed = table.to_numpy(float).copy()
    exposed[primary] = np.nan
    assert attack_intervals(exposed)[(1, 2)] == (2, 2)
    out = suppress_table(table, policy=DisclosurePolicy(min_cell=3))
    published = out.drop(columns=["suppressed", "suppression"]).to_numpy(float, na_value=np.nan)
    assert np.isnan(published).sum() > primary.sum()
    for low, high in attack_intervals(published).values():
        assert high - low >= 1


def test_worked_example_and_reasons():
    table = pd.DataFrame({"x": [20, 2, 22], "y": [15, 18, 33], "total": [35, 20, 55]},
                         index=["a", "b", "total"])
    out = suppress_table(table, policy=DisclosurePolicy())
    assert out["x"].isna().tolist() == [True, True, False]
    assert out["y"].isna().tolist() == [True, True, False]
    assert out["total"].tolist() == [35, 20, 55]
    assert out["suppression"].tolist() == ["complementary", "small_count;complementary", None]
    published = out.copy()
    intervals = disclosure_intervals(out)
    pd.testing.assert_frame_equal(out, published)
    assert intervals[["lower", "upper"]].to_numpy().tolist() == [[2, 22], [13, 33], [0, 20],
                                                                 [0, 20]]
    note = suppression_note(out, lang="fr", policy=DisclosurePolicy())
    assert "qui permettraient de les retrouver" in note


def test_protection_range_widens_the_intervals():
    table = pd.DataFrame({"x": [20, 2, 22], "y": [15, 18, 33], "total": [35, 20, 55]},
                         index=["a", "b", "total"])
    out = suppress_table(table, policy=DisclosurePolicy(), protection=15)
    assert (disclosure_intervals(out)["width"] >= 15).all()


def test_a_table_without_margins_needs_no_complement():
    table = pd.DataFrame({"x": [20, 2], "y": [15, 18]})
    out = suppress_table(table, row_totals=False, col_totals=False, policy=DisclosurePolicy())
    assert out["x"].isna().tolist() == [False, True]
    assert out["y"].isna().sum() == 0


def test_crosstab_from_pandas_with_categorical_labels():
    data = pd.DataFrame({"site": pd.Categorical(list("AABBBCCCCC") * 3),
                         "sex": list("FMFMFMFMFF") * 3})
    table = pd.crosstab(data["site"], data["sex"], margins=True, margins_name="Total")
    out = suppress_table(table, policy=DisclosurePolicy(min_cell=5))
    assert list(out.columns[:3]) == ["F", "M", "Total"]
    assert out.loc["Total", "Total"] == 30


def test_suppress_table_bad_input():
    with pytest.raises(ArgumentError, match="do not add up .row 'a'"):
        suppress_table(pd.DataFrame({"x": [1, 1], "t": [5, 1]}, index=["a", "t"]),
                       policy=DisclosurePolicy())
    with pytest.raises(ArgumentError, match="non-negative whole counts"):
        suppress_table(pd.DataFrame({"x": [1.5, 1.5], "t": [1.5, 1.5]}),
                       policy=DisclosurePolicy())
    with pytest.raises(ArgumentError, match="protection must be a positive number"):
        suppress_table(pd.DataFrame({"x": [1]}), row_totals=False, col_totals=False,
                       policy=DisclosurePolicy(), protection=0)
