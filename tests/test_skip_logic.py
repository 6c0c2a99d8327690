"""Skip logic: items asked of a subset (``asked_if`` in the codebook) are missing by design where
they were not asked, told apart from non-response in validation, in the n's and in reports."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
import zoo_reference as ref
from _studies import computed, small_study

from evalkit.analyse.compute import compute_results
from evalkit.config._model import StudyConfigError
from evalkit.config.codebook import load_codebook
from evalkit.config.study import load_study
from evalkit.datasets.zoo import make_zoo_study
from evalkit.prepare.study import prepare_study
from evalkit.validate.study import validate_study

ITEM = "avis_suivi"           # asked only of those who agree they are consulted
FILTER = "inv_consulted"
AGREE = (4, 5)
MISSING = {8: {"fr": "Ne sait pas", "en": "Don't know"}, 9: {"fr": "Refus", "en": "Refused"}}


def _skip_study(folder: Path, *, seed: int = 7, n_stray: int = 3) -> tuple[Path, pd.DataFrame]:
    """A two-wave demo-like study with ``ITEM`` asked only when ``FILTER`` is agree: blank where
    not asked, except ``n_stray`` answers given anyway; some blanks and 9s among those asked.
    Returns the study file and the raw wave files stacked (text, as written)."""
    study = small_study(folder, waves=2)
    gen = np.random.default_rng(seed)
    raws = []
    for path in sorted(folder.glob("survey_w*.csv")):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        asked = raw[FILTER].isin([str(a) for a in AGREE]).to_numpy()
        answer = gen.integers(1, 6, len(raw)).astype(str).astype(object)
        draw = gen.random(len(raw))
        answer[asked & (draw < 0.15)] = ""
        answer[asked & (draw > 0.93)] = "9"
        answer[~asked] = ""
        stray = np.flatnonzero(~asked)[:n_stray]
        answer[stray] = "2"
        raw[ITEM] = answer
        raw.to_csv(path, index=False)
        raws.append(raw.assign(_file=path.name, _line=np.arange(len(raw)) + 2))
    book_path = folder / "codebook.yaml"
    book = yaml.safe_load(book_path.read_text(encoding="utf-8"))
    book["variables"][ITEM] = {
        "type": "likert", "values": "agree5", "missing": MISSING,
        "label": {"fr": "Mon avis a été pris en compte", "en": "My view was acted upon"},
        "asked_if": {"variable": FILTER, "values": list(AGREE)}}
    book_path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    return study, pd.concat(raws, ignore_index=True)


@pytest.fixture(scope="module")
def skip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("skip")
    study, raw = _skip_study(folder)
    return validate_study(study), raw


def test_answers_given_where_not_asked_are_warned_with_file_and_row(skip):
    report, raw = skip
    not_asked = ~raw[FILTER].isin([str(a) for a in AGREE])
    stray = raw[not_asked & (raw[ITEM] != "")]
    assert len(stray) == 6  # three per wave file
    warned = report.problems[report.problems["rule"] == "answered_not_asked"]
    assert (warned["severity"] == "warning").all() and (warned["column"] == ITEM).all()
    assert sorted(zip(warned["source"], warned["row"].astype(int), strict=True)) == sorted(
        zip(stray["_file"], stray["_line"].astype(int), strict=True))
    assert "inv_consulted" in warned["message_en"].iloc[0]
    assert "posée seulement si" in warned["message_fr"].iloc[0]
    assert report.ok  # a warning: the answer is kept
    kept = report.responses.loc[report.responses["source_row"].isin(stray["_line"]), ITEM]
    assert kept.notna().any()


def test_item_response_excludes_missing_by_design_from_non_response(skip):
    report, raw = skip
    table = report.item_response().set_index("variable")
    row = table.loc[ITEM]
    # Independent count from the files as written.
    asked_by_filter = raw[FILTER].isin([str(a) for a in AGREE])
    blank = raw[ITEM] == ""
    by_design = ~asked_by_filter & blank
    asked = ~by_design
    no_answer = asked & (blank | raw[ITEM].isin(["8", "9"]))
    assert row["n_rows"] == len(raw)
    assert row["n_not_asked"] == by_design.sum() > 10
    assert row["n_asked"] == asked.sum()
    assert row["n_no_answer"] == no_answer.sum() > 0
    assert row["n_missing_code"] == (asked & raw[ITEM].isin(["8", "9"])).sum() > 0
    assert row["n_answered"] == (asked & ~no_answer).sum()
    assert row["share_no_answer"] == pytest.approx(no_answer.sum() / asked.sum())
    # Without skip logic every blank would have been non-response: the cells not asked are
    # the difference.
    assert blank.sum() + raw[ITEM].isin(["8", "9"]).sum() == (row["n_no_answer"]
                                                             + row["n_not_asked"])
    # An item every row is asked keeps all its blanks as non-response.
    other = table.loc["inv_influence"]
    assert other["n_not_asked"] == 0
    assert other["n_no_answer"] == (raw["inv_influence"].isin(["", "8", "9"])).sum()
    assert (table["n_not_asked"] + table["n_asked"] == table["n_rows"]).all()
    assert (table["n_answered"] + table["n_no_answer"] == table["n_asked"]).all()


def test_not_asked_marks_cells_empty_by_design(skip):
    report, raw = skip
    mask = report.not_asked[ITEM].to_numpy()
    expected = (~raw[FILTER].isin([str(a) for a in AGREE]) & (raw[ITEM] == "")).to_numpy()
    assert (mask == expected).all()
    assert report.responses.loc[mask, ITEM].isna().all()
    # A variable asked at baseline only is not asked at the follow-up wave; at baseline it is
    # asked of users only (the demo's codebook).
    paid = report.not_asked["net_paid"].to_numpy()
    wave2 = (raw["wave"] == "2").to_numpy()
    user = (raw["respondent_type"] == "user").to_numpy()
    assert paid[wave2].all() and not paid[~wave2 & user].any()
    assert paid[~wave2 & ~user].all()


def test_a_study_without_skip_logic_counts_every_blank(tmp_path):
    study = small_study(tmp_path / "plain", waves=1, skip_logic=False)
    report = validate_study(study)
    table = report.item_response().set_index("variable")
    raw = pd.read_csv(tmp_path / "plain" / "survey_w1.csv", dtype=str, keep_default_na=False)
    for item in ("inv_consulted", "tp_safe", "wb_1"):
        assert table.loc[item, "n_not_asked"] == 0
        assert table.loc[item, "n_no_answer"] == raw[item].isin(["", "8", "9"]).sum()
    assert "answered_not_asked" not in set(report.problems["rule"])
    assert "asked_if" not in report.render_text("en")


BOOK = """\
value_sets:
  agree5: {1: {fr: a, en: a}, 2: {fr: b, en: b}, 3: {fr: c, en: c}, 4: {fr: d, en: d}, 5: {fr: e, en: e}}
variables:
  used:
    type: category
    label: {fr: Services reçus, en: Services used}
    values: {0: {fr: Non, en: "No"}, 1: {fr: Oui, en: "Yes"}}
  age: {type: number, label: {fr: Âge, en: Age}}
  satisfied:
    type: likert
    label: {fr: Satisfait, en: Satisfied}
    values: agree5
    asked_if:
      variable: used
      values: [1]
"""


@pytest.mark.parametrize("change, line, words", [
    ("variable: used", "variable: usde", "no other variable 'usde'"),
    ("variable: used", "variable: age", "type number"),
    ("variable: used", "variable: satisfied", "no other variable 'satisfied'"),
    ("values: [1]\n", "values: [1, 2]\n", "code(s) 2 of asked_if are not values of 'used'"),
])
def test_a_bad_declaration_is_located(tmp_path, change, line, words):
    path = tmp_path / "codebook.yaml"
    path.write_text(BOOK.replace(change, line), encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        load_codebook(path)
    problem, = info.value.problems
    assert words in problem.message_en
    wanted = 15 if "values" in line and "[" in line else 14
    assert problem.line == wanted and problem.key.startswith("variables.satisfied.asked_if")
    assert problem.message_fr != problem.message_en


def test_an_empty_condition_is_refused(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(BOOK.replace("values: [1]\n", "values: []\n"), encoding="utf-8")
    with pytest.raises(StudyConfigError, match="asked_if"):
        load_codebook(path)


def test_a_good_declaration_and_its_spreadsheet_form(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(BOOK, encoding="utf-8")
    book = load_codebook(path)
    assert book.skip_logic()["satisfied"].variable == "used"
    assert book.skip_logic()["satisfied"].values == [1]
    table = tmp_path / "codebook.csv"
    table.write_text(
        "variable;type;label_fr;label_en;value;value_label_fr;value_label_en;filtre\n"
        "used;category;Reçus;Used;0;Non;No;\n;;;;1;Oui;Yes;\n"
        "satisfied;likert;Satisfait;Satisfied;1;a;a;used = 1\n;;;;2;b;b;\n",
        encoding="utf-8")
    rule = load_codebook(table).skip_logic()["satisfied"]
    assert (rule.variable, rule.values) == ("used", [1])
    table.write_text(table.read_text(encoding="utf-8").replace("used = 1", "used = 1, 3"),
                     encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        load_codebook(table)
    assert info.value.problems[0].line == 4


def test_validate_exits_2_on_a_bad_declaration(cli, tmp_path):
    study, _ = _skip_study(tmp_path / "s")
    book = study.parent / "codebook.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace(
        "variable: inv_consulted", "variable: inv_consultee"), encoding="utf-8")
    out = cli("validate", str(study), env={"EVALKIT_KEY": "5e" * 32})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "inv_consultee" in out.stderr + out.stdout and "codebook.yaml" in out.stderr + out.stdout


def test_a_run_counts_the_zoo_s_skip_logic_apart_from_non_response(tmp_path):
    """The zoo's satisfaction item is asked only of those who used the services, itself asked
    of users only: the run's item_response table against the files read with pandas."""
    study = make_zoo_study(tmp_path / "zoo", "en-2sites-uuid", seed=5)
    truth = ref.load_truth(study.parent)
    raw = ref.read_survey(study.parent)
    names = truth["names"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the zoo's marked demo key
        prepared = prepare_study(load_study(study))
    assert prepared.not_asked.shape == prepared.responses.drop(
        columns=["source", "source_row"]).shape
    results = compute_results(prepared, n_boot=100)
    table = results.tables["item_response"].frame.set_index("variable")
    used, satisfaction, group = names["used"], names["satisfaction"], names["group"]
    user = raw[group] == "service user"
    checks = {used: (~user & raw[used].isna(), raw[used].isna()),
              satisfaction: ((raw[used] != 1) & raw[satisfaction].isna(),
                             raw[satisfaction].isna())}
    for item, (by_design, empty) in checks.items():
        assert table.loc[item, "n_not_asked"] == by_design.sum() > 10, item
        assert table.loc[item, "n_asked"] == len(raw) - by_design.sum(), item
        assert table.loc[item, "n_no_answer"] == (empty & ~by_design).sum(), item
    # An item asked of everyone keeps every blank as non-response.
    wellbeing = names["wellbeing"][0]
    assert table.loc[wellbeing, "n_not_asked"] == 0
    assert table.loc[wellbeing, "n_no_answer"] == raw[wellbeing].isna().sum()
    spec = results.tables["item_response"].spec
    labels = {c.name: c.label for c in spec.columns}
    assert labels["n_not_asked"] == {"fr": "Non posée (filtre)", "en": "Not asked (skip logic)"}
    assert labels["n_no_answer"] == {"fr": "Sans réponse", "en": "No answer"}


def _outcome_skip_study(folder: Path) -> tuple[Path, pd.DataFrame]:
    """A two-wave study whose outcome ``tp_say`` is asked only of those who agree they are
    consulted (``FILTER``): blank in the files where not asked."""
    study = small_study(folder, waves=2, n_per_site=50)
    raws = []
    for path in sorted(folder.glob("survey_w*.csv")):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        raw.loc[~raw[FILTER].isin([str(a) for a in AGREE]), "tp_say"] = ""
        raw.to_csv(path, index=False)
        raws.append(raw)
    book_path = folder / "codebook.yaml"
    book = yaml.safe_load(book_path.read_text(encoding="utf-8"))
    book["variables"]["tp_say"]["asked_if"] = {"variable": FILTER, "values": list(AGREE)}
    book_path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    return study, pd.concat(raws, ignore_index=True)


def test_an_outcome_not_asked_at_follow_up_is_not_a_missing_rating(tmp_path):
    from evalkit.analyse.catalogue import additive_problems

    study, raw = _outcome_skip_study(tmp_path / "s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo key
        prepared = prepare_study(load_study(study))
    results = compute_results(prepared, n_boot=100)
    change = results.tables["outcome_change"].frame.set_index("outcome")
    # Independent counts from the files: users rated at baseline, seen at follow-up without a
    # rating, told apart by whether they were asked at follow-up.
    rating = raw["tp_say"].isin(["1", "2", "3", "4"])
    base = raw[(raw["wave"] == "1") & rating].set_index("respondent_id")
    follow = raw[raw["wave"] == "2"].set_index("respondent_id")
    seen = follow.reindex(base.index)
    present = seen["wave"].notna()
    empty = present & ~seen["tp_say"].isin(["1", "2", "3", "4"])
    asked = seen[FILTER].isin([str(a) for a in AGREE])
    row = change.loc["tp_say"]
    assert row["n_baseline"] == len(base)
    assert row["n_lost"] == (~present).sum()
    assert row["n_not_asked"] == (empty & ~asked).sum() > 0
    assert row["n_item_missing"] == (empty & asked).sum()
    assert row["n_paired"] + row["n_lost"] + row["n_item_missing"] + row["n_not_asked"] \
        == row["n_baseline"]
    # Items asked of everyone have nothing not asked; the relations of the catalogue hold.
    assert (change.loc["tp_safe", "n_not_asked"]) == 0
    specs = {name: table.spec for name, table in results.tables.items()}
    frames = {name: table.frame for name, table in results.tables.items()}
    assert additive_problems(frames, specs) == []
    by_site = results.tables["outcome_change_site"].frame
    assert by_site.loc[by_site["outcome"] == "tp_say", "n_not_asked"].sum() == row["n_not_asked"]


def test_outcomes_without_skip_logic_keep_their_columns(tmp_path):
    study = small_study(tmp_path / "plain", waves=2, skip_logic=False)
    results = computed(study, n_boot=100)
    change = results.tables["outcome_change"]
    assert "n_not_asked" not in change.frame.columns
    assert "n_not_asked" not in {c.name for c in change.spec.columns}
    relation = change.spec.additive[0]
    assert relation.parts == ("n_paired", "n_lost", "n_item_missing")


def test_outcome_change_counts_not_asked_by_hand():
    from evalkit.analyse.outcomes import outcome_change
    from evalkit.errors import ArgumentError

    # p1 paired on both; p2 not asked b at follow-up; p3 asked b, no answer; p4 lost.
    data = pd.DataFrame({"pid": ["p1", "p2", "p3", "p4", "p1", "p2", "p3"],
                         "wave": [1, 1, 1, 1, 2, 2, 2],
                         "a": [2.0, 3, 1, 2, 3, 3, 2],
                         "b": [1.0, 2, 2, 3, 2, np.nan, np.nan]})
    skipped = pd.DataFrame({"b": [False, False, False, False, False, True, False]})
    before = (data.copy(), skipped.copy())
    out = outcome_change(data, items=["a", "b"], id="pid", wave="wave", baseline=1,
                         follow_up=2, group_items={"g": ["a", "b"], "h": ["b"]},
                         not_asked=skipped)
    pd.testing.assert_frame_equal(data, before[0])
    pd.testing.assert_frame_equal(skipped, before[1])
    out = out.set_index("outcome")
    assert out.loc["b", ["n_baseline", "n_paired", "n_lost", "n_item_missing",
                         "n_not_asked"]].tolist() == [4, 1, 1, 1, 1]
    assert out.loc["a", ["n_item_missing", "n_not_asked"]].tolist() == [0, 0]
    # The group needs half its items at both waves: everyone seen at follow-up has a change.
    assert out.loc["g", ["n_paired", "n_item_missing", "n_not_asked"]].tolist() == [3, 0, 0]
    # A group of b alone: p2 was not asked it, p3 was and did not answer.
    assert out.loc["h", ["n_paired", "n_item_missing", "n_not_asked"]].tolist() == [1, 1, 1]
    plain = outcome_change(data, items=["a", "b"], id="pid", wave="wave", baseline=1,
                           follow_up=2).set_index("outcome")
    assert "n_not_asked" not in plain.columns and plain.loc["b", "n_item_missing"] == 2
    with pytest.raises(ArgumentError, match="not_asked"):
        outcome_change(data, items=["a", "b"], id="pid", wave="wave", baseline=1,
                       follow_up=2, not_asked=skipped.iloc[:3])


def test_the_terminal_summary_says_not_asked_apart_from_no_answer(skip):
    report, _ = skip
    row = report.item_response().set_index("variable").loc[ITEM, [
        "n_asked", "n_no_answer", "n_not_asked"]].astype(int)
    english = report.render_text("en")
    assert (f"My view was acted upon: asked {row['n_asked']}, no answer {row['n_no_answer']}"
            in english)
    assert f"not asked (skip logic) {row['n_not_asked']}" in english
    french = report.render_text("fr")
    assert f"Mon avis a été pris en compte : posée {row['n_asked']}" in french
    assert f"non posée (filtre) {row['n_not_asked']}" in french


def test_a_wave_the_data_do_not_have_under_waves_is_reported(tmp_path):
    """A codebook ``waves`` list naming a wave code no survey row has (a typo, a wave not yet
    collected) is a warning on the codebook file, naming the variable and the code."""
    study = small_study(tmp_path / "s", waves=2)
    book_path = study.parent / "codebook.yaml"
    book = yaml.safe_load(book_path.read_text(encoding="utf-8"))
    book["variables"]["net_paid"]["waves"] = [1, 3]
    book["variables"]["hours_support"]["waves"] = ["T2"]
    book_path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    report = validate_study(study)
    found = report.problems[report.problems["rule"] == "variable_wave_absent"]
    assert sorted(zip(found["column"], found["value"], strict=True)) == [
        ("hours_support", "T2"), ("net_paid", "3")]
    assert (found["severity"] == "warning").all() and (found["source"] == "codebook.yaml").all()
    message = found.set_index("column").loc["net_paid"]
    assert "wave 3 under waves of 'net_paid'" in message["message_en"]
    assert "waves in the data: 1, 2" in message["message_en"]
    assert "temps de mesure 3 sous waves de « net_paid »" in message["message_fr"]
    assert report.ok  # a warning: run goes on


def test_waves_the_data_have_are_not_reported(tmp_path):
    report = validate_study(small_study(tmp_path / "s", waves=2))
    assert "variable_wave_absent" not in set(report.problems["rule"])
