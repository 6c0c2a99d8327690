"""A source declares its shape: its own column names, constants, and any registered format.

The study here is written by someone else: French names for every role (the site is
``territoire``, the wave ``vague``), staff kept in a workbook's second sheet with its own
identifier column, wave 1 given by a constant, a population file with French headers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evalkit import DataError, load_study, validate_study
from evalkit.config._model import StudyConfigError
from evalkit.config.study import study_json_schema
from evalkit.prepare.study import prepare_study
from evalkit.read import (
    ReadOptions,
    ReadResult,
    SourceFile,
    read_population,
    register_reader,
    registered_formats,
    unregister_reader,
)

CODEBOOK = """\
value_sets:
  accord: {1: {fr: Pas du tout, en: Not at all}, 2: {fr: Peu, en: A little},
           3: {fr: Assez, en: Somewhat}, 4: {fr: Beaucoup, en: A lot}}
variables:
  id_personne: {type: id, label: {fr: Identifiant, en: Identifier}, identifying: true}
  territoire:
    type: category
    label: {fr: Territoire, en: Territory}
    values: {Estrie: {fr: Estrie, en: Estrie}, "Montérégie": {fr: Montérégie, en: Montérégie}}
  vague:
    type: category
    label: {fr: Vague, en: Wave}
    values: {1: {fr: Vague 1, en: Wave 1}, 2: {fr: Vague 2, en: Wave 2}}
  type_repondant:
    type: category
    label: {fr: Type de répondant, en: Respondent type}
    values: {usager: {fr: Usager, en: User}, personnel: {fr: Personnel, en: Staff}}
  sexe:
    type: category
    label: {fr: Sexe, en: Sex}
    values: {F: {fr: Femme, en: Woman}, M: {fr: Homme, en: Man}}
  q_ecoute: {type: likert, label: {fr: On m'écoute, en: I am listened to}, values: accord}
"""

STUDY = """\
study: etude-fr
title: {fr: Étude, en: Study}
sources:
  survey:
    - {path: usagers_v1.csv, set: {vague: 1}}
    - path: personnel.xlsx
      sheet: Personnel
      columns: {No_employe: id_personne, Région: territoire, Écoute: q_ecoute, Genre: sexe}
      set: {type_repondant: personnel, vague: 1}
  population:
    path: population.csv
    columns: {Région: territoire, Genre: sexe, Effectif: count}
    set: {type_repondant: usager}
codebook: codebook.yaml
roles: {id: id_personne, site: territoire, wave: vague, group: type_repondant}
"""

USERS = """\
id_personne;territoire;type_repondant;sexe;q_ecoute
U1;Estrie;usager;F;4
U2;Estrie;usager;M;3
U3;Montérégie;usager;F;2
"""

POPULATION = """\
Région;Genre;Effectif
Estrie;F;1 200
Estrie;M;1 100
Montérégie;F;900
Montérégie;M;950
"""


def write_staff(path: Path, rows: list[list]) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Ce classeur contient les réponses du personnel."])
    sheet = book.create_sheet("Personnel")
    sheet.append(["No_employe", "Région", "Genre", "Écoute"])
    for row in rows:
        sheet.append(row)
    book.save(path)


@pytest.fixture
def study_dir(tmp_path) -> Path:
    folder = tmp_path / "etude"
    folder.mkdir()
    (folder / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (folder / "study.yaml").write_text(STUDY, encoding="utf-8")
    (folder / "usagers_v1.csv").write_text(USERS, encoding="utf-8")
    (folder / "population.csv").write_text(POPULATION, encoding="utf-8")
    write_staff(folder / "personnel.xlsx", [["E-101", "Estrie", "F", 4],
                                            ["E-102", "Montérégie", "M", 1]])
    return folder


def test_a_staff_sheet_with_its_own_names_joins_the_survey(study_dir):
    report = validate_study(study_dir / "study.yaml")
    assert report.n_errors == 0, report.render_text()
    assert report.n_warnings == 0, report.render_text()
    staff = report.responses[report.responses["source"] == "personnel.xlsx"]
    assert staff["id_personne"].tolist() == ["E-101", "E-102"]
    assert staff["territoire"].tolist() == ["Estrie", "Montérégie"]
    assert staff["type_repondant"].tolist() == ["personnel", "personnel"]
    assert staff["q_ecoute"].tolist() == [4, 1]
    assert staff["source_row"].tolist() == [2, 3]  # rows of the Personnel sheet
    # The wave is set by a constant in both files.
    assert report.responses["vague"].tolist() == [1] * 5


def test_a_population_file_with_french_headers_gives_margins(study_dir):
    report = validate_study(study_dir / "study.yaml")
    population = report.population
    assert population.to_dict("records") == [
        {"site": "Estrie", "dimension": "sexe", "level": "F", "count": 1200},
        {"site": "Estrie", "dimension": "sexe", "level": "M", "count": 1100},
        {"site": "Montérégie", "dimension": "sexe", "level": "F", "count": 900},
        {"site": "Montérégie", "dimension": "sexe", "level": "M", "count": 950},
    ]
    study = load_study(study_dir / "study.yaml")
    prepared = prepare_study(study, report=validate_study(study))
    assert prepared.population_group == "usager"


def test_a_long_population_file_with_its_own_headers(study_dir):
    (study_dir / "population.csv").write_text(
        "Territoire;Variable;Modalité;Nombre\nEstrie;sexe;F;10\nEstrie;sexe;M;12\n"
        "Montérégie;sexe;F;8\nMontérégie;sexe;M;9\n",
        encoding="utf-8")
    text = (study_dir / "study.yaml").read_text(encoding="utf-8").replace(
        "columns: {Région: territoire, Genre: sexe, Effectif: count}",
        "columns: {Territoire: territoire, Variable: dimension, Modalité: level, Nombre: count}")
    (study_dir / "study.yaml").write_text(text, encoding="utf-8")
    report = validate_study(study_dir / "study.yaml")
    assert report.n_errors == 0, report.render_text()
    assert report.population["count"].tolist() == [10, 12, 8, 9]


def test_read_population_takes_the_names_of_its_columns(study_dir):
    margins = read_population(study_dir / "population.csv", site="région", count="EFFECTIF",
                              dimensions={"Genre": "sexe"})
    assert margins.data["dimension"].unique().tolist() == ["sexe"]
    assert margins.data["count"].sum() == 4150
    with pytest.raises(DataError, match="needs the column") as info:
        read_population(study_dir / "population.csv")
    assert "site, count" in str(info.value) and "Région" in str(info.value)


def test_problems_name_the_file_s_own_columns_and_rows(study_dir):
    write_staff(study_dir / "personnel.xlsx", [["E-101", "Estrie", "F", 4],
                                               ["E-101", "Laval", "M", 7]])
    (study_dir / "population.csv").write_text(POPULATION + "Estrie;X;5\n", encoding="utf-8")
    report = validate_study(study_dir / "study.yaml")
    problems = report.problems
    staff = problems[problems["source"] == "personnel.xlsx"]
    assert staff[["row", "column", "value", "rule"]].astype(str).values.tolist() == [
        ["3", "Région", "Laval", "out_of_codebook"],
        ["3", "Écoute", "7", "out_of_codebook"],
        ["3", "No_employe", "***", "duplicate_id_wave"],  # identifiers are masked
    ]
    population = problems[problems["source"] == "population.csv"]
    assert population[["row", "column", "value", "rule"]].astype(str).values.tolist() == [
        ["6", "Genre", "X", "population_unknown_level"]]


def test_a_constant_outside_the_codebook_is_one_problem(study_dir):
    text = (study_dir / "study.yaml").read_text(encoding="utf-8")
    (study_dir / "study.yaml").write_text(text.replace("set: {vague: 1}", "set: {vague: 7}"),
                                          encoding="utf-8")
    problems = validate_study(study_dir / "study.yaml").problems
    wrong = problems[problems["rule"] == "out_of_codebook"]
    assert len(wrong) == 1
    assert wrong.iloc[0][["source", "column", "value"]].tolist() == [
        "usagers_v1.csv", "set.vague", "7"]
    assert pd.isna(wrong.iloc[0]["row"])


def test_a_renamed_column_the_file_lacks_and_a_replaced_column(study_dir):
    write_staff(study_dir / "personnel.xlsx", [["E-101", "Estrie", "F", 4]])
    text = (study_dir / "study.yaml").read_text(encoding="utf-8").replace(
        "Écoute: q_ecoute", "Ecoute: q_ecoute")
    (study_dir / "study.yaml").write_text(text, encoding="utf-8")
    (study_dir / "usagers_v1.csv").write_text(USERS.replace("q_ecoute", "q_ecoute;vague")
                                              .replace(";4\n", ";4;2\n"), encoding="utf-8")
    report = validate_study(study_dir / "study.yaml")
    rules = report.problems.set_index(["source", "rule"])["column"]
    assert rules.loc[("personnel.xlsx", "renamed_column_missing")] == "Ecoute"
    assert rules.loc[("personnel.xlsx", "unknown_column")] == "Écoute"
    assert rules.loc[("usagers_v1.csv", "set_replaces_column")] == "vague"


@pytest.mark.parametrize(("edit", "key"), [
    ("Écoute: q_ecoute", "Écoute: q_ecout"),
    ("Effectif: count", "Effectif: total"),
    ("set: {type_repondant: usager}", "set: {sexe: F}"),
])
def test_names_the_study_does_not_know_are_configuration_errors(study_dir, edit, key):
    text = (study_dir / "study.yaml").read_text(encoding="utf-8")
    (study_dir / "study.yaml").write_text(text.replace(edit, key), encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        validate_study(study_dir / "study.yaml")
    assert info.value.exit_code == 2
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert problem.line is not None and problem.key.startswith("sources.")


def test_a_file_column_renamed_twice_or_renamed_and_set_is_refused(study_dir):
    text = (study_dir / "study.yaml").read_text(encoding="utf-8")
    for edit, key in (("Genre: sexe}", "Genre: territoire}"),
                      ("Écoute: q_ecoute, Genre: sexe}", "Écoute: q_ecoute, Genre: vague}")):
        (study_dir / "study.yaml").write_text(text.replace(edit, key, 1), encoding="utf-8")
        with pytest.raises(StudyConfigError) as info:
            load_study(study_dir / "study.yaml")
        assert info.value.problems[0].key == "sources.survey.1"


def test_the_study_file_is_not_changed(study_dir):
    before = {p.name: p.read_bytes() for p in study_dir.iterdir()}
    validate_study(study_dir / "study.yaml")
    assert {p.name: p.read_bytes() for p in study_dir.iterdir()} == before


# -- the registry drives what study.yaml accepts -------------------------------------------------
def _read_lines(file: SourceFile, options: ReadOptions) -> ReadResult:
    """A toy format: 'key=value' pairs separated by '|', one record per line."""
    records = [dict(pair.split("=", 1) for pair in line.split("|"))
               for line in file.content.decode("utf-8").splitlines() if line]
    return ReadResult(data=pd.DataFrame(records), lines=np.arange(1, len(records) + 1))


@pytest.fixture
def pairs_format():
    register_reader("pairs", extensions=[".pairs"], sniff=None, read=_read_lines)
    yield "pairs"
    unregister_reader("pairs")


def test_a_registered_format_is_accepted_by_study_yaml(study_dir, pairs_format):
    (study_dir / "v2.pairs").write_text(
        "id_personne=U1|territoire=Estrie|type_repondant=usager|sexe=F|q_ecoute=2\n",
        encoding="utf-8")
    text = (study_dir / "study.yaml").read_text(encoding="utf-8").replace(
        "  population:", "    - {path: v2.pairs, format: pairs, set: {vague: 2}}\n  population:")
    (study_dir / "study.yaml").write_text(text, encoding="utf-8")
    report = validate_study(study_dir / "study.yaml")
    assert report.n_errors == 0, report.render_text()
    assert report.responses["source"].iloc[-1] == "v2.pairs"
    assert report.responses["q_ecoute"].iloc[-1] == 2
    schema = study_json_schema()["$defs"]["SourceSpec"]["properties"]["format"]
    assert "pairs" in schema["anyOf"][0]["enum"]


def test_an_unregistered_format_is_a_located_error(study_dir):
    assert "pairs" not in registered_formats()
    text = (study_dir / "study.yaml").read_text(encoding="utf-8").replace(
        "{path: usagers_v1.csv,", "{path: usagers_v1.csv, format: pairs,")
    (study_dir / "study.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        load_study(study_dir / "study.yaml")
    rendered = info.value.render("en")
    assert "line 5, `sources.survey.0.format`: must be one of csv, qualtrics" in rendered
    assert "got 'pairs'" in rendered


def test_interview_formats_are_the_interview_kind_s(study_dir):
    schema = study_json_schema()["$defs"]
    assert schema["InterviewSource"]["properties"]["format"]["anyOf"][0]["enum"] == [
        "qdpx", "segments"]
    assert "qdpx" not in schema["SourceSpec"]["properties"]["format"]["anyOf"][0]["enum"]
    assert {"columns", "set"} <= set(schema["SourceSpec"]["properties"])
    text = (study_dir / "study.yaml").read_text(encoding="utf-8").replace(
        "{path: usagers_v1.csv,", "{path: usagers_v1.csv, format: qdpx,")
    (study_dir / "study.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(StudyConfigError, match="sources.survey.0.format"):
        load_study(study_dir / "study.yaml")
