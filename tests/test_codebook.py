"""The codebook: YAML and spreadsheet forms, value sets, missing codes, located errors."""

from pathlib import Path

import pytest

from evalkit import ConfigError
from evalkit.config._model import StudyConfigError
from evalkit.config.codebook import load_codebook

YAML = """\
value_sets:
  agree5:
    1: {fr: "Pas d'accord", en: "Disagree"}
    2: {fr: "Plutôt pas d'accord", en: "Somewhat disagree"}
    3: {fr: "Plutôt d'accord", en: "Somewhat agree"}
    4: {fr: "D'accord", en: "Agree"}
variables:
  rid: {type: id, label: {fr: Identifiant, en: Identifier}, identifying: true}
  site:
    type: category
    label: {fr: Site, en: Site}
    values: {A: {fr: Site A, en: Site A}, B: {fr: Site B, en: Site B}}
  q1:
    type: likert
    label: {fr: "Écouté·e", en: Listened to}
    values: agree5
    missing: {8: {fr: Ne sait pas, en: "Don't know"}, 9: {fr: Refus, en: Refused}}
  age: {type: number, label: {fr: Âge, en: Age}, range: [18, 110], integer: true}
  visit: {type: date, label: {fr: Visite, en: Visit}, range: [2024-01-01, 2026-12-31]}
"""


def write(tmp_path: Path, text: str, name: str = "codebook.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_codebook_exposes_labels_values_and_missing_codes(tmp_path):
    cb = load_codebook(write(tmp_path, YAML))
    assert cb.names == ["rid", "site", "q1", "age", "visit"]
    assert cb.label("q1", "fr") == "Écouté·e"
    assert list(cb.values_of("q1")) == [1, 2, 3, 4]
    assert cb.value_label("q1", 9, "en") == "Refused"
    assert cb.value_label("q1", 8.0, "fr") == "Ne sait pas"
    assert cb.value_label("site", "A", "en") == "Site A"
    assert cb.numeric_codes("q1") and not cb.numeric_codes("site")
    assert cb.identifying() == ["rid"]
    assert cb["age"].range == (18.0, 110.0) and cb["age"].integer


def test_unknown_value_set_and_missing_values_are_located(tmp_path):
    text = YAML.replace("values: agree5", "values: agree7").replace(
        "  age: {type: number", "  sex: {type: category, label: {fr: Sexe, en: Sex}}\n"
        "  age: {type: number")
    with pytest.raises(StudyConfigError) as info:
        load_codebook(write(tmp_path, text))
    messages = [(p.key, p.line) for p in info.value.problems]
    assert messages == [("variables.q1.values", 16), ("variables.sex", 18)]
    assert "refers to value set 'agree7', which does not exist (known: agree5)" in \
        info.value.problems[0].message_en
    assert "a variable of type category must list its values" in info.value.problems[1].message_en


def test_unknown_type_names_the_allowed_types(tmp_path):
    text = YAML.replace("age: {type: number", "age: {type: numeric")
    with pytest.raises(StudyConfigError) as info:
        load_codebook(write(tmp_path, text))
    (problem,) = info.value.problems
    assert problem.key == "variables.age.type" and problem.line == 18
    assert "'id', 'category', 'likert', 'number', 'text' or 'date'" in problem.message_en


def test_range_order_and_overlapping_missing_codes(tmp_path):
    bad = YAML.replace("range: [18, 110]", "range: [110, 18]").replace("9: {fr: Refus", "4: {fr: Refus")
    with pytest.raises(StudyConfigError) as info:
        load_codebook(write(tmp_path, bad))
    text = info.value.render("en")
    assert "the minimum 110.0 is above the maximum 18.0" in text
    # agree5 is a named set: its code 4 is found all the same, at the variable's missing codes
    assert [(p.key, p.line) for p in info.value.problems] == [
        ("variables.q1.missing", 17), ("variables.age", 18)]
    assert "code(s) 4 are both valid values and missing codes" in text
    inline = YAML.replace("values: agree5", "values: {1: {fr: a, en: a}, 8: {fr: b, en: b}}")
    with pytest.raises(StudyConfigError, match="code\\(s\\) 8 are both valid values and missing"):
        load_codebook(write(tmp_path, inline))


def test_unsupported_extension(tmp_path):
    with pytest.raises(ConfigError, match=r"unrecognised codebook format \(.json\)"):
        load_codebook(write(tmp_path, "{}", "codebook.json"))


def test_unknown_value_set_alone_is_reported_once(tmp_path):
    with pytest.raises(StudyConfigError) as info:
        load_codebook(write(tmp_path, YAML.replace("values: agree5", "values: agree7")))
    assert [(p.key, p.line) for p in info.value.problems] == [("variables.q1.values", 16)]


TABLE_ROWS = [
    ["variable", "type", "label_fr", "label_en", "valeur", "value_label_fr", "value_label_en",
     "manquant", "min", "max", "identifiant"],
    ["rid", "id", "Identifiant", "Identifier", "", "", "", "", "", "", "oui"],
    ["q1", "likert", "Écouté·e", "Listened to", "1", "Pas d'accord", "Disagree", "", "", "", ""],
    ["", "", "", "", "2", "D'accord", "Agree", "", "", "", ""],
    ["", "", "", "", "8", "Ne sait pas", "Don't know", "oui", "", "", ""],
    ["age", "number", "Âge", "Age", "", "", "", "", "18", "110", ""],
    ["visit", "date", "Visite", "Visit", "", "", "", "", "2024-01-01", "2026-12-31", ""],
]


def _check_table_codebook(cb):
    assert cb.names == ["rid", "q1", "age", "visit"]
    assert cb["rid"].identifying is True
    assert cb.values_of("q1") == {1: cb.values_of("q1")[1], 2: cb.values_of("q1")[2]}
    assert cb.value_label("q1", 8, "fr") == "Ne sait pas"
    assert cb["age"].range == (18.0, 110.0)
    assert str(cb["visit"].range[0]) == "2024-01-01"
    assert cb.label("q1", "fr") == "Écouté·e"


def test_codebook_from_a_french_excel_csv(tmp_path):
    # French Excel writes cp1252 with ';' between fields: the survey readers handle both.
    path = tmp_path / "codebook.csv"
    text = "\r\n".join(";".join(row) for row in TABLE_ROWS).replace("·", ".")
    path.write_bytes(text.encode("cp1252"))
    cb = load_codebook(path)
    assert cb.label("q1", "fr") == "Écouté.e"
    assert cb.value_label("q1", 2, "fr") == "D'accord"


def test_codebook_from_xlsx(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    for row in TABLE_ROWS:
        wb.active.append([int(c) if c.isdigit() else (c or None) for c in row])
    wb.save(tmp_path / "codebook.xlsx")
    _check_table_codebook(load_codebook(tmp_path / "codebook.xlsx"))


def test_codebook_table_errors_name_the_spreadsheet_row(tmp_path):
    rows = [list(r) for r in TABLE_ROWS]
    rows[5][1] = "nombre"
    rows[5][8] = "dix-huit"
    path = tmp_path / "codebook.csv"
    path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    with pytest.raises(StudyConfigError) as info:
        load_codebook(path)
    problems = {(p.key, p.line) for p in info.value.problems}
    assert ("variables.age.type", 6) in problems
