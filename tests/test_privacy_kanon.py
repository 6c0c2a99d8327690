"""k-anonymity of record-level exports, and the guard on writing them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import (
    ArgumentError,
    DisclosurePolicy,
    KAnonymityWarning,
    PrivacyError,
    export_records,
    k_anonymity,
)


def records() -> pd.DataFrame:
    return pd.DataFrame({
        "id": [f"P{i:03d}" for i in range(12)],
        "site": list("AAAAAABBBBBC"),
        "sex": list("FFFFMMFFFFFM"),
        "age": ["65+"] * 6 + ["18-34"] * 5 + [None],
        "score": np.arange(12),
    })


def test_classes_sizes_and_smallest_k():
    data = records()
    before = data.copy()
    report = k_anonymity(data, quasi_identifiers=["site", "sex", "age"], k=3)
    pd.testing.assert_frame_equal(data, before)
    assert report.k == 1
    assert report.n_records == 12 and report.n_classes == 4
    assert report.records_at_risk == 3  # C/M/NA (1) and A/M/65+ (2)
    classes = report.classes
    assert classes["age"].isna().tolist() == [True, False, False, False]
    assert classes.drop(columns="age").to_dict("list") == {
        "site": ["C", "A", "A", "B"], "sex": ["M", "M", "F", "F"],
        "class_size": [1, 2, 4, 5], "at_risk": [True, True, False, False]}
    assert classes["age"].tolist()[1:] == ["65+", "65+", "18-34"]
    assert report.summary() == {"k": 1, "k_threshold": 3, "n_records": 12, "n_classes": 4,
                                "records_at_risk": 3}


def test_threshold_from_policy():
    report = k_anonymity(records(), quasi_identifiers=["site"],
                         policy=DisclosurePolicy(min_cell=6))
    assert report.threshold == 6 and report.records_at_risk == 6  # B (5) and C (1)
    assert k_anonymity(records(), quasi_identifiers=["site"]).threshold == 5


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from("FM")), min_size=1,
                max_size=60), st.integers(1, 8))
def test_k_matches_a_direct_count(rows, k):
    data = pd.DataFrame(rows, columns=["site", "sex"])
    report = k_anonymity(data, quasi_identifiers=["site", "sex"], k=k)
    counts = pd.Series([tuple(r) for r in rows]).value_counts()
    assert report.k == counts.min()
    assert report.records_at_risk == counts[counts < k].sum()
    assert report.classes["class_size"].sum() == len(rows)


def test_export_is_refused_unless_asked(tmp_path):
    with pytest.raises(PrivacyError, match="record-level export"):
        export_records(records(), tmp_path / "r.csv", quasi_identifiers=["site"],
                       policy=DisclosurePolicy())
    with pytest.raises(PrivacyError):
        export_records(records(), tmp_path / "r.csv", quasi_identifiers=["site"],
                       policy=DisclosurePolicy(), allow_record_level="yes")
    assert not (tmp_path / "r.csv").exists()


def test_export_reports_k_and_warns(tmp_path):
    data = records()
    before = data.copy()
    with pytest.warns(KAnonymityWarning, match="1 record"):
        record = export_records(data, tmp_path / "r.csv", quasi_identifiers=["site"],
                                policy=DisclosurePolicy(min_cell=5), allow_record_level=True)
    pd.testing.assert_frame_equal(data, before)
    assert record["record_level"] is True
    assert record["k"] == 1 and record["records_at_risk"] == 1
    assert record["quasi_identifiers"] == ["site"]
    assert pd.read_csv(tmp_path / "r.csv").shape == (12, 5)


def test_bad_arguments():
    with pytest.raises(ArgumentError, match="quasi_identifiers names columns"):
        k_anonymity(records(), quasi_identifiers=["nope"])
    with pytest.raises(ArgumentError, match="k must be an integer ≥ 1"):
        k_anonymity(records(), quasi_identifiers=["site"], k=0)
