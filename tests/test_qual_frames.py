"""The shared frames: column definitions, validators, units of coding."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit import (
    DOCUMENT_COLUMNS,
    SEGMENT_COLUMNS,
    ArgumentError,
    DataError,
    assign_units,
    check_documents,
    check_segments,
    units_from_turns,
)


def segments(**changes) -> pd.DataFrame:
    base = {"segment_id": ["a", "b"], "document": ["D", "D"], "participant": ["P1", None],
            "site": ["S", "S"], "group": [None, "staff"], "code": ["x", "y"],
            "code_path": ["T/x", "T/y"], "coder": ["c1", "c2"], "start": [0, 5],
            "end": [4, 9], "text": ["abcd", "fghi"], "unit": [None, None]}
    base.update(changes)
    return pd.DataFrame(base)


def test_the_column_lists_are_the_agreed_ones():
    assert SEGMENT_COLUMNS == ("segment_id", "document", "participant", "site", "group", "code",
                               "code_path", "coder", "start", "end", "text", "unit")
    assert DOCUMENT_COLUMNS == ("document", "participant", "site", "group", "language", "text",
                                "n_chars")


def test_check_segments_normalises_without_changing_the_input():
    frame = segments()[list(reversed(SEGMENT_COLUMNS))].assign(extra=1)
    before = frame.copy(deep=True)
    out = check_segments(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == [*SEGMENT_COLUMNS, "extra"]
    assert str(out["start"].dtype) == "Int64" and out["participant"].isna().tolist() == [
        False, True]


@pytest.mark.parametrize("changes, column, rule", [
    ({"code": ["x", None]}, "code", "a value is required"),
    ({"start": [0, None]}, "end", "start and end are given together"),
    ({"start": [0, -1]}, "start", "start is 0 or more"),
    ({"end": [4, 2]}, "end", "end is not before start"),
    ({"segment_id": ["a", "a"]}, "segment_id", "values must be unique"),
    ({"start": [0, 1.5]}, "start", "offsets are whole numbers"),
])
def test_check_segments_names_row_and_column(changes, column, rule):
    with pytest.raises(DataError, match=rule) as info:
        check_segments(segments(**changes))
    assert info.value.where == f"segments, row 1, column {column}"
    assert info.value.message_fr  # both languages


def test_check_segments_missing_columns_and_type():
    with pytest.raises(ArgumentError, match="segments lacks the column\\(s\\) unit"):
        check_segments(segments().drop(columns="unit"))
    with pytest.raises(ArgumentError, match="must be a pandas DataFrame"):
        check_segments([1, 2])


def test_check_documents_fills_optional_columns_and_counts_characters():
    docs = pd.DataFrame({"text": ["é😀\n", "ab"], "document": ["A", "B"]})
    before = docs.copy(deep=True)
    out = check_documents(docs)
    pd.testing.assert_frame_equal(docs, before)
    assert list(out.columns) == list(DOCUMENT_COLUMNS)
    assert out["n_chars"].tolist() == [3, 2]  # code points, not bytes
    with pytest.raises(DataError, match="values must be unique"):
        check_documents(pd.DataFrame({"document": ["A", "A"], "text": ["", ""]}))


def test_units_from_turns_one_unit_per_non_empty_line():
    docs = pd.DataFrame({"document": ["D", "E"],
                         "text": ["Q : Bonjour.\n\n   \nR : Oui.\n", "seule ligne"]})
    before = docs.copy(deep=True)
    units = units_from_turns(docs)
    pd.testing.assert_frame_equal(docs, before)
    assert units.to_dict("records") == [
        {"document": "D", "unit": "D#1", "start": 0, "end": 12, "text": "Q : Bonjour."},
        {"document": "D", "unit": "D#2", "start": 18, "end": 26, "text": "R : Oui."},
        {"document": "E", "unit": "E#1", "start": 0, "end": 11, "text": "seule ligne"},
    ]
    text = docs["text"][0]
    for row in units[units["document"] == "D"].itertuples():
        assert text[row.start:row.end] == row.text


def test_assign_units_follows_the_documented_rule():
    units = pd.DataFrame({"document": ["D", "D", "D", "E"], "unit": ["D#1", "D#2", "D#3", "E#1"],
                          "start": [0, 10, 20, 0], "end": [8, 18, 28, 5]})
    frame = segments(segment_id=list("abcdef"), document=["D", "D", "D", "D", "E", "F"],
                     participant=[None] * 6, site=[None] * 6, group=[None] * 6,
                     code=["x"] * 6, code_path=["x"] * 6, coder=["c"] * 6,
                     start=[0, 9, 12, 8, 1, 0], end=[3, 15, 30, 9, 2, 1],
                     text=["t"] * 6, unit=[None] * 6)
    before = frame.copy(deep=True)
    out = assign_units(frame, units)
    # a: inside D#1; b: between units, next unit starts before its end → D#2;
    # c: starts in D#2 and runs into D#3 → D#2; d: between units, ends before D#2 → none;
    # e: inside E#1; f: a document without units → none.
    assert out["unit"].tolist()[:3] == ["D#1", "D#2", "D#2"]
    assert out["unit"].isna().tolist() == [False, False, False, True, False, True]
    assert out["unit"].tolist()[4] == "E#1"
    pd.testing.assert_frame_equal(frame, before)


def test_every_message_key_used_by_the_qualitative_modules_exists():
    import re
    from pathlib import Path

    from evalkit.i18n import catalogue

    src = Path(__file__).resolve().parents[1] / "src" / "evalkit"
    used = set()
    for path in [*(src / "read" / "qda").glob("*.py"), *(src / "analyse" / "qual").glob("*.py")]:
        used |= set(re.findall(r'"(qual\.(?:warn|error|rule|reason)\.[a-z_]+)"',
                               path.read_text(encoding="utf-8")))
    assert len(used) > 40
    for lang in ("fr", "en"):
        assert sorted(used - set(catalogue(lang))) == []
