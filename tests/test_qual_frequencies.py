"""Code frequencies, co-occurrence and the case × code matrix, on a small hand-counted study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import ArgumentError
from evalkit.analyse.qual.frequencies import (
    case_code_matrix,
    code_frequencies,
    cooccurrence,
    cooccurrence_matrix,
)

PEOPLE = {"d1": ("P1", "A", "user"), "d2": ("P2", "A", "carer"), "d3": ("P3", "B", "user"),
          "d4": ("P4", "B", "staff")}


def make_segments(rows):
    frame = pd.DataFrame(rows, columns=["segment_id", "document", "coder", "code_path", "unit"])
    people = frame["document"].map(PEOPLE)
    return frame.assign(
        participant=people.str[0], site=people.str[1], group=people.str[2],
        code=frame["code_path"].str.split("/").str[1], start=0, end=10, text="...",
    ).astype({"start": "Int64", "end": "Int64"})


@pytest.fixture
def segments():
    return make_segments([
        ("s1", "d1", "ana", "Voice/Asked", "t1"),
        ("s2", "d1", "ana", "Voice/Heard", "t1"),
        ("s3", "d1", "ana", "Voice/Asked", "t2"),
        ("s4", "d2", "ana", "Voice/Heard", "t1"),
        ("s5", "d2", "ana", "Power/Staff", "t2"),
        ("s6", "d3", "ana", "Power/Staff", "t1"),
        ("s7", "d3", "ana", "Voice/Asked", "t1"),
        ("b1", "d1", "ben", "Voice/Asked", "t1"),
        ("b2", "d1", "ben", "Power/Staff", "t2"),
    ])


@pytest.fixture
def documents():
    return pd.DataFrame([(d, *p, "fr", "...", 3) for d, p in PEOPLE.items()],
                        columns=["document", "participant", "site", "group", "language", "text",
                                 "n_chars"])


def counts(result, site, path, columns=("n_segments", "n_participants", "n_participants_total",
                                        "share_participants")):
    row = result.loc[(result["site"] == site) & (result["code_path"] == path)]
    assert len(row) == 1
    return tuple(row[list(columns)].iloc[0])


def test_frequencies_of_one_coder_roll_codes_up_to_themes(segments):
    result = code_frequencies(segments, group=None, coder="ana")
    assert result.columns.tolist() == ["site", "code_path", "theme", "depth", "n_segments",
                                       "n_participants", "n_participants_total",
                                       "share_participants"]
    assert counts(result, "A", "Voice") == (4, 2, 2, 1.0)
    assert counts(result, "A", "Voice/Asked") == (2, 1, 2, 0.5)
    assert counts(result, "A", "Voice/Heard") == (2, 2, 2, 1.0)
    assert counts(result, "A", "Power") == (1, 1, 2, 0.5)
    assert counts(result, "B", "Voice/Heard") == (0, 0, 1, 0.0)  # zeros are kept
    assert counts(result, "B", "Power/Staff") == (1, 1, 1, 1.0)
    assert result.loc[result["code_path"] == "Voice", "depth"].unique().tolist() == [1]
    assert result.loc[result["code_path"] == "Voice/Asked", "theme"].iloc[0] == "Voice"
    assert len(result) == 2 * 5


def test_a_segment_with_two_codes_of_a_theme_counts_once_for_the_theme(segments):
    both = segments.iloc[[0]].assign(code_path="Voice/Heard", code="Heard")
    data = pd.concat([segments.loc[segments["coder"] == "ana"], both])  # s1 also coded Heard
    result = code_frequencies(data, group=None)
    assert counts(result, "A", "Voice")[0] == 4
    assert counts(result, "A", "Voice/Heard")[0] == 3


def test_documents_frame_gives_the_denominators(segments, documents):
    result = code_frequencies(segments, group=None, coder="ana", documents=documents)
    assert counts(result, "B", "Voice") == (1, 1, 2, 0.5)  # P4 was interviewed, codes nothing


def test_frequencies_by_site_and_group(segments):
    result = code_frequencies(segments, coder="ana")
    assert result.columns[:2].tolist() == ["site", "group"]
    row = result.loc[(result["site"] == "A") & (result["group"] == "carer")
                     & (result["code_path"] == "Power")]
    assert row[["n_segments", "n_participants", "n_participants_total"]].iloc[0].tolist() == [
        1, 1, 1]
    overall = code_frequencies(segments, site=None, group=None, coder="ana")
    assert overall.set_index("code_path").loc["Voice", "n_participants"] == 3
    assert overall.set_index("code_path").loc["Voice", "n_participants_total"] == 3


def test_consensus_rules_count_double_coding_once(segments):
    any_ = code_frequencies(segments, group=None, consensus="any")
    # d1, coded twice: t1 {Asked, Heard} by ana and {Asked} by ben; t2 {Asked} / {Staff}.
    assert counts(any_, "A", "Voice")[:2] == (3, 2)  # units d1t1, d1t2, d2t1
    assert counts(any_, "A", "Voice/Asked")[:2] == (2, 1)
    assert counts(any_, "A", "Power/Staff")[:2] == (2, 2)
    all_ = code_frequencies(segments, group=None, consensus="all")
    assert counts(all_, "A", "Voice/Asked")[:2] == (1, 1)  # only d1t1 is agreed
    assert counts(all_, "A", "Voice/Heard")[:2] == (1, 1)  # d2t1 (one coder: her decision)
    assert counts(all_, "A", "Power/Staff")[:2] == (1, 1)
    majority = code_frequencies(segments, group=None, consensus="majority")
    pd.testing.assert_frame_equal(majority, all_)  # with two coders a majority is both


def test_participant_missing_counts_the_document(segments):
    data = segments.assign(participant=pd.NA)
    result = code_frequencies(data, group=None, coder="ana")
    assert counts(result, "A", "Voice")[1:3] == (2, 2)


def test_cooccurrence_within_units(segments):
    result = cooccurrence(segments, coder="ana")
    assert result.columns.tolist() == ["code_a", "code_b", "n_units_both", "n_units_a",
                                       "n_units_b", "jaccard"]
    rows = {(a, b): (n, na, nb, j) for a, b, n, na, nb, j in result.itertuples(index=False)}
    assert rows[("Power/Staff", "Voice/Asked")] == (1, 2, 3, 0.25)
    assert rows[("Power/Staff", "Voice/Heard")] == (0, 2, 2, 0.0)
    assert rows[("Voice/Asked", "Voice/Heard")] == (1, 3, 2, 0.25)
    themes = cooccurrence(segments, coder="ana", level="theme")
    assert themes.iloc[0].tolist() == ["Power", "Voice", 1, 2, 4, 0.2]


def test_cooccurrence_filters(segments):
    site_a = cooccurrence(segments, coder="ana", sites="A")
    rows = site_a.set_index(["code_a", "code_b"])["n_units_both"]
    assert rows[("Power/Staff", "Voice/Asked")] == 0
    assert rows[("Voice/Asked", "Voice/Heard")] == 1
    one_doc = cooccurrence(segments, coder="ana", documents=["d3"])
    assert one_doc.iloc[0].tolist() == ["Power/Staff", "Voice/Asked", 1, 1, 1, 1.0]
    users = cooccurrence(segments, coder="ana", groups=["user"])
    assert set(users["code_a"]) | set(users["code_b"]) == {"Power/Staff", "Voice/Asked",
                                                          "Voice/Heard"}


def test_cooccurrence_places_codings_in_units_by_offsets():
    units = pd.DataFrame({"document": "d1", "unit": ["t1", "t2"], "start": [0, 100],
                          "end": [100, 200], "text": ""})
    data = make_segments([("s1", "d1", "ana", "T/a", None), ("s2", "d1", "ana", "T/b", None),
                          ("s3", "d1", "ana", "T/c", None)])
    data = data.assign(start=pd.array([10, 50, 120], dtype="Int64"),
                       end=pd.array([40, 150, 130], dtype="Int64"))
    rows = cooccurrence(data, units=units).set_index(["code_a", "code_b"])["n_units_both"]
    assert rows[("T/a", "T/b")] == 1  # both in t1
    assert rows[("T/b", "T/c")] == 1  # s2 runs into t2
    assert rows[("T/a", "T/c")] == 0
    without = cooccurrence(data).set_index(["code_a", "code_b"])["n_units_both"]
    assert without.sum() == 0  # each coding is its own unit


def test_cooccurrence_matrix_is_square_and_symmetric(segments):
    long = cooccurrence(segments, coder="ana")
    counts_ = cooccurrence_matrix(long)
    assert counts_.index.tolist() == counts_.columns.tolist() == [
        "Power/Staff", "Voice/Asked", "Voice/Heard"]
    assert np.array_equal(counts_.to_numpy(), counts_.to_numpy().T)
    assert np.diag(counts_.to_numpy()).tolist() == [2, 3, 2]
    assert counts_.loc["Voice/Heard", "Voice/Asked"] == 1
    jaccard = cooccurrence_matrix(long, value="jaccard")
    assert np.diag(jaccard.to_numpy()).tolist() == [1.0, 1.0, 1.0]
    assert jaccard.loc["Voice/Asked", "Power/Staff"] == 0.25


def test_case_code_matrix(segments):
    people = case_code_matrix(segments, coder="ana")
    assert people.index.name == "participant"
    assert people.to_dict("index") == {
        "P1": {"Power/Staff": 0, "Voice/Asked": 1, "Voice/Heard": 1},
        "P2": {"Power/Staff": 1, "Voice/Asked": 0, "Voice/Heard": 1},
        "P3": {"Power/Staff": 1, "Voice/Asked": 1, "Voice/Heard": 0},
    }
    assert (people.dtypes == np.int8).all()
    sites = case_code_matrix(segments, case="site", level="theme", coder="ana")
    assert sites.to_dict("index") == {"A": {"Power": 1, "Voice": 1},
                                      "B": {"Power": 1, "Voice": 1}}


def test_functions_leave_the_callers_frames_unchanged(segments, documents):
    copy, doc_copy = segments.copy(), documents.copy()
    code_frequencies(segments, documents=documents)
    cooccurrence(segments, sites="A")
    long = cooccurrence(segments, coder="ana")
    long_copy = long.copy()
    cooccurrence_matrix(long)
    case_code_matrix(segments)
    pd.testing.assert_frame_equal(segments, copy)
    pd.testing.assert_frame_equal(documents, doc_copy)
    pd.testing.assert_frame_equal(long, long_copy)


@pytest.mark.parametrize(("func", "kwargs", "param"), [
    (code_frequencies, {"site": "nope"}, "site"),
    (code_frequencies, {"coder": "zoe"}, "coder"),
    (code_frequencies, {"consensus": "most"}, "consensus"),
    (cooccurrence, {"level": "leaf"}, "level"),
    (cooccurrence, {"sites": []}, "sites"),
    (case_code_matrix, {"case": "person"}, "case"),
])
def test_bad_arguments_name_the_parameter(segments, func, kwargs, param):
    with pytest.raises(ArgumentError) as info:
        func(segments, **kwargs)
    assert info.value.where == param


def test_missing_columns_and_bad_matrix_input(segments):
    with pytest.raises(ArgumentError, match="code_path") as info:
        code_frequencies(segments.drop(columns="code_path"))
    assert info.value.where == "segments"
    with pytest.raises(ArgumentError) as info:
        cooccurrence_matrix(segments)
    assert info.value.where == "cooccurrences"
    with pytest.raises(ArgumentError) as info:
        cooccurrence_matrix(cooccurrence(segments, coder="ana"), value="lift")
    assert info.value.where == "value"
