"""The Framework matrix and its Excel export."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import ArgumentError
from evalkit.analyse.qual.framework import FRAMEWORK_COLUMNS, framework_matrix, write_framework_xlsx


def make_segments(rows, coder="ana"):
    frame = pd.DataFrame(rows, columns=["segment_id", "document", "participant", "site",
                                        "code_path", "start", "text"])
    return frame.assign(coder=coder, group="user", end=frame["start"] + 10, unit=pd.NA,
                        code=frame["code_path"].str.split("/").str[-1])


@pytest.fixture
def segments():
    return make_segments([
        ("s1", "d1", "P1", "A", "Voice/Asked", 0,
         "They asked about the meals. Nothing changed after."),
        ("s2", "d1", "P1", "A", "Voice/Asked", 100,
         "The committee asked about meals and schedules. We answered."),
        ("s3", "d1", "P1", "A", "Voice/Asked", 200, "Weather was nice."),
        ("s4", "d2", "P2", "B", "Voice/Heard", 0, "My worker listened to me."),
        ("s5", "d2", "P2", "B", "Power/Staff decide", 50, "=SUM(A1) the staff decide."),
        ("s6", "d2", "P2", "B", "Power", 80, "Power is theirs."),
    ])


def cell(matrix, case, theme):
    row = matrix.loc[(matrix["case"] == case) & (matrix["theme"] == theme)]
    assert len(row) == 1
    return row.iloc[0]


def test_matrix_has_every_case_and_theme(segments):
    matrix = framework_matrix(segments, lang="en")
    assert matrix.columns.tolist() == FRAMEWORK_COLUMNS
    assert len(matrix) == 2 * 4  # P1, P2 x Asked, Heard, Staff decide, Power
    assert matrix[["theme_group", "theme"]].drop_duplicates().to_numpy().tolist() == [
        ["Power", "Power"], ["Power", "Staff decide"], ["Voice", "Asked"],
        ["Voice", "Heard"]]
    empty = cell(matrix, "P1", "Heard")
    assert (empty["n_segments"], empty["summary"], empty["quote_refs"]) == (0, "", "")
    assert (matrix["summary_source"] == "rule").all()


def test_summary_rule_quotes_the_most_representative_segments(segments):
    matrix = framework_matrix(segments, lang="en", n_quotes=2, max_chars=200)
    asked = cell(matrix, "P1", "Asked")
    # Words of 4+ letters: s1 {they asked about meals nothing changed after}, s2 {committee
    # asked about meals schedules answered}, s3 {weather nice}. Cosine with the others' counts:
    # s1 3/sqrt(7*8) = 0.401, s2 3/sqrt(6*9) = 0.408, s3 0: s2, s1, s3.
    assert asked["quote_refs"] == "s2; s1; s3"
    assert asked["summary"] == ("3 segments: “The committee asked about meals and schedules.” "
                                "“They asked about the meals.”")
    assert cell(matrix, "P2", "Heard")["summary"] == "1 segment: “My worker listened to me.”"


def test_summary_in_french(segments):
    matrix = framework_matrix(segments, lang="fr")
    summary = cell(matrix, "P2", "Heard")["summary"]
    assert summary == "1 segment : «\u00a0My worker listened to me.\u00a0»"


def test_summary_respects_the_length_limit(segments):
    matrix = framework_matrix(segments, lang="en", max_chars=70)
    asked = cell(matrix, "P1", "Asked")["summary"]
    assert asked == "3 segments: “The committee asked about meals and schedules.”"
    short = framework_matrix(segments, lang="en", max_chars=30)
    cut = cell(short, "P1", "Asked")["summary"]
    assert len(cut) <= 30 and cut.endswith("…”")


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from(list("abcdéf .!?")), max_size=300),
                      min_size=1, max_size=5),
       max_chars=st.integers(20, 300), n_quotes=st.integers(1, 4))
def test_summaries_never_exceed_max_chars(texts, max_chars, n_quotes):
    data = make_segments([(f"s{i}", "d1", "P1", "A", "T/x", i * 10, text)
                          for i, text in enumerate(texts)])
    matrix = framework_matrix(data, lang="fr", max_chars=max_chars, n_quotes=n_quotes)
    summary = matrix["summary"].iloc[0]
    assert len(summary) <= max_chars
    assert summary.count("«") <= n_quotes


def test_cases_can_be_sites_and_codes_at_the_first_level_are_themes(segments):
    matrix = framework_matrix(segments, case="site", lang="en")
    assert sorted(matrix["case"].unique()) == ["A", "B"]
    power = cell(matrix, "B", "Power")
    assert (power["theme_group"], power["n_segments"], power["quote_refs"]) == (
        "Power", 1, "s6")


def test_participant_missing_uses_the_document(segments):
    matrix = framework_matrix(segments.assign(participant=pd.NA), lang="en")
    assert sorted(matrix["case"].unique()) == ["d1", "d2"]


def test_analysts_summaries_replace_the_rule(segments):
    given = pd.DataFrame({"case": ["P1", "P2"], "theme_group": ["Voice", "Voice"],
                          "theme": ["Asked", "Heard"],
                          "summary": ["Consulted on meals, no change.", " "]})
    matrix = framework_matrix(segments, lang="en", summaries=given)
    asked = cell(matrix, "P1", "Asked")
    assert (asked["summary"], asked["summary_source"]) == ("Consulted on meals, no change.",
                                                           "analyst")
    assert cell(matrix, "P2", "Heard")["summary_source"] == "rule"  # blank: ignored
    assert asked["quote_refs"] == "s2; s1; s3"
    wrong = given.assign(theme=["Askd", "Heard"])
    with pytest.raises(ArgumentError, match="Askd") as info:
        framework_matrix(segments, summaries=wrong)
    assert info.value.where == "summaries"
    twice = pd.concat([given, given]).assign(summary="x")
    with pytest.raises(ArgumentError, match="two summaries"):
        framework_matrix(segments, summaries=twice)


def test_several_coders_need_a_choice(segments):
    both = pd.concat([segments, segments.assign(coder="ben")])
    with pytest.raises(ArgumentError, match="several coders") as info:
        framework_matrix(both)
    assert info.value.where == "coder"
    chosen = framework_matrix(both, coder="ben", lang="en")
    pd.testing.assert_frame_equal(chosen, framework_matrix(segments, lang="en"))


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"case": "person"}, "case"), ({"max_chars": 5}, "max_chars"), ({"n_quotes": 0}, "n_quotes"),
    ({"lang": "de"}, "lang"), ({"coder": "zoe"}, "coder"), ({"summaries": "file.csv"},
                                                             "summaries")])
def test_bad_arguments_name_the_parameter(segments, kwargs, param):
    with pytest.raises(ArgumentError) as info:
        framework_matrix(segments, **kwargs)
    assert info.value.where == param


def test_functions_leave_the_callers_frames_unchanged(segments, tmp_path):
    copy = segments.copy()
    matrix = framework_matrix(segments)
    matrix_copy = matrix.copy()
    write_framework_xlsx(matrix, tmp_path / "m.xlsx")
    pd.testing.assert_frame_equal(segments, copy)
    pd.testing.assert_frame_equal(matrix, matrix_copy)


def test_xlsx_has_one_sheet_per_theme_group(segments, tmp_path):
    matrix = framework_matrix(segments, lang="fr")
    path = write_framework_xlsx(matrix, tmp_path / "framework.xlsx", lang="fr")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Power", "Voice"]
    voice = book["Voice"]
    assert [c.value for c in voice[1]] == ["Cas", "Asked", "Heard"]
    assert [voice.cell(row=r, column=1).value for r in (2, 3)] == ["P1", "P2"]
    asked = voice["B2"].value
    assert asked.startswith("3 segments : «")
    assert asked.endswith("Extraits : s2; s1; s3")
    assert voice["C2"].value is None  # P1 has nothing on Heard
    assert voice.freeze_panes == "B2"
    assert voice["B2"].alignment.wrap_text and voice["A1"].font.bold
    assert voice.column_dimensions["B"].width == 50
    english = openpyxl.load_workbook(write_framework_xlsx(matrix, tmp_path / "en.xlsx",
                                                          lang="en"))
    assert english["Voice"]["A1"].value == "Case"


def test_xlsx_neutralises_formulas(segments, tmp_path):
    matrix = framework_matrix(segments, lang="en", max_chars=200).assign(
        summary=lambda m: m["summary"].where(m["n_segments"] == 0, "=HYPERLINK(\"x\")"))
    matrix.loc[matrix["case"] == "P2", "case"] = "+P2"
    matrix.loc[matrix["theme"] == "Heard", "theme"] = "@Heard"
    book = openpyxl.load_workbook(write_framework_xlsx(matrix, tmp_path / "m.xlsx"))
    values = [cell.value for sheet in book for row in sheet.iter_rows() for cell in row]
    texts = [v for v in values if isinstance(v, str)]
    assert not [v for v in texts if v.startswith(("=", "+", "-", "@"))]
    assert "'+P2" in texts and "'@Heard" in texts
    assert any(v.startswith("'=HYPERLINK") for v in texts)
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows()
               for cell in row)


def test_xlsx_sheet_names_are_valid_and_distinct(tmp_path):
    matrix = pd.DataFrame({"case": ["P1", "P1"], "theme_group": ["A/B: [x]" * 5, "a/b: [x]" * 5],
                           "theme": ["t", "t"], "n_segments": [0, 0], "summary": ["", ""],
                           "quote_refs": ["", ""], "summary_source": ["rule", "rule"]})
    book = openpyxl.load_workbook(write_framework_xlsx(matrix, tmp_path / "m.xlsx"))
    names = book.sheetnames
    assert len(names) == 2 and len({n.lower() for n in names}) == 2
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


def test_xlsx_bad_arguments(segments, tmp_path):
    with pytest.raises(ArgumentError) as info:
        write_framework_xlsx(segments, tmp_path / "m.xlsx")
    assert info.value.where == "matrix"
    with pytest.raises(ArgumentError) as info:
        write_framework_xlsx(framework_matrix(segments), tmp_path / "m.xlsx", lang="de")
    assert info.value.where == "lang"
