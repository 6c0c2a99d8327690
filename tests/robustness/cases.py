"""The robustness cases: each breaks the base study (or a run) in one way, with the exact outcome
a user must get. ``docs/robustness.md`` is generated from this table::

    python tests/robustness/cases.py > docs/robustness.md

Input cases run ``evalkit validate`` on a copy of the base study (see ``test_inputs.py``); fault
cases are tests of their own (``test_faults.py``), listed here for the documentation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `robustness` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from robustness import base_study as B

Mutate = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One broken input or fault, and what must come of it.

    ``words`` must appear in what the user reads (the error message for exit 2, the summary for
    exit 0 and 1); ``rule`` is the rule of the row ``validation.csv`` must hold (data
    problems). ``fr`` are words of the French message.
    """

    id: str
    group: str
    broken: str
    exit: int
    words: str
    mutate: Mutate | None = None
    rule: str | None = None
    fr: str | None = None
    test: str | None = None  # fault cases: the test that checks them


# -- editing the base study --------------------------------------------------------------------

def edit(name: str, old: str, new: str, count: int = 1) -> Mutate:
    def mutate(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise AssertionError(f"{old!r} not in {name}")
        path.write_text(text.replace(old, new, count), encoding="utf-8")
    return mutate


def write(name: str, content: bytes | str | Callable[[], bytes]) -> Mutate:
    def mutate(folder: Path) -> None:
        data = content() if callable(content) else content
        path = folder / name
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
    return mutate


def remove(name: str) -> Mutate:
    return lambda folder: (folder / name).unlink()


def call(function: Callable[[Path], None]) -> Mutate:
    return function


def both(*steps: Mutate) -> Mutate:
    def mutate(folder: Path) -> None:
        for step in steps:
            step(folder)
    return mutate


def laughs(levels: int = 9) -> str:
    lines = ["l0: &l0 [ha, ha, ha, ha, ha, ha, ha, ha, ha, ha]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def t0_rows(change: Callable[[list], list]) -> Mutate:
    return write("donnees/reponses_t0.csv", lambda: B.t0_csv(change([list(r) for r in B.T0_ROWS])))


def set_cell(row: int, column: str, value) -> Callable[[list], list]:
    def change(rows: list) -> list:
        rows[row][B.T0_HEADER.index(column)] = value
        return rows
    return change


def sav(**kwargs) -> Mutate:
    def mutate(folder: Path) -> None:
        B.write_sav(folder / "donnees" / "reponses_t1.sav", **kwargs)
    return mutate


def reversed_labels() -> dict:
    flipped = {1.0: B.ITEM_LABELS[4.0], 2.0: B.ITEM_LABELS[3.0], 3.0: B.ITEM_LABELS[2.0],
               4.0: B.ITEM_LABELS[1.0], 8.0: B.ITEM_LABELS[8.0], 9.0: B.ITEM_LABELS[9.0]}
    return {"Q12_3": flipped}


def truncate(name: str, keep: int) -> Mutate:
    def mutate(folder: Path) -> None:
        path = folder / name
        data = path.read_bytes()
        path.write_bytes(data[:keep] if keep >= 0 else data[:keep])
    return mutate


STUDY = "study.yaml"
CODEBOOK = "dictionnaire.yaml"
T0 = "donnees/reponses_t0.csv"
T1 = "donnees/reponses_t1.sav"
STAFF = "donnees/personnel.xlsx"
POPULATION = "donnees/population.csv"
PARTNERS = "donnees/partenaires.csv"

# -- the cases ----------------------------------------------------------------------------------

INPUT_CASES: list[Case] = [
    # study.yaml
    Case("study_yaml_syntax", "study.yaml", "a key indented under a value", 2,
         "study.yaml, line 9: invalid YAML syntax: mapping values are not allowed in this context",
         edit(STUDY, "  survey:\n", "  survey: x\n   y: 2\n"),
         fr="study.yaml, ligne 9 : syntaxe YAML invalide ; message de l'analyseur YAML, en anglais : « mapping values"),
    Case("study_tabs", "study.yaml", "a tab used for indentation", 2,
         "invalid YAML syntax", edit(STUDY, "  id: No_repondant", "\tid: No_repondant"),
         fr="Vérifiez l'indentation"),
    Case("study_duplicate_key", "study.yaml", "a key written twice", 2,
         "study.yaml, line 45: the key `parameters` appears twice (first at line 42)",
         edit(STUDY, "  bootstrap: 100\n", "  bootstrap: 100\nparameters:\n  seed: 8\n"),
         fr="study.yaml, ligne 45 : la clé `parameters` apparaît deux fois"),
    Case("study_not_utf8", "study.yaml", "saved in Windows-1252, not UTF-8", 2,
         "the file is not UTF-8",
         call(lambda f: (f / STUDY).write_bytes((f / STUDY).read_text().encode("cp1252"))),
         fr="n'est pas en UTF-8"),
    Case("study_empty", "study.yaml", "an empty file", 2,
         "study.yaml: the file must hold keys", write(STUDY, "")),
    Case("study_list", "study.yaml", "a list instead of keys", 2,
         "study.yaml: the file must hold keys", write(STUDY, "- study\n- title\n")),
    Case("study_missing", "study.yaml", "no study.yaml in the folder", 2,
         "study.yaml: file not found", remove(STUDY), fr="fichier introuvable"),
    Case("study_alias_bomb", "study.yaml", "nested aliases ('billion laughs', 10^9 values)", 2,
         "the file's aliases (*name) expand to more than 1,000,000 values",
         write(STUDY, lambda: (B.STUDY_YAML + laughs()).encode()),
         fr="se développent en plus de 1\u00a0000\u00a0000 valeurs"),
    Case("study_deep", "study.yaml", "nested 100,000 levels deep", 2,
         "nests mappings and lists more than 64 levels deep",
         write(STUDY, "x: " + "[" * 100_000 + "]" * 100_000 + "\n")),
    Case("study_recursive_alias", "study.yaml", "an alias inside its own anchor", 2,
         "the alias *r refers to the mapping or list that contains it",
         write(STUDY, lambda: (B.STUDY_YAML + "loop: &r [1, *r]\n").encode())),
    Case("study_too_large", "study.yaml", "a 17 MB file", 2,
         "evalkit reads configuration files of at most 16,777,216 bytes",
         write(STUDY, lambda: B.STUDY_YAML.encode() + b"#" * (17 * 1024 * 1024) + b"\n")),
    Case("study_unknown_key", "study.yaml", "a misspelt section (privcy)", 2,
         "study.yaml, line 37, `privcy`: unknown key (allowed keys: study, title, languages",
         edit(STUDY, "privacy:", "privcy:"), fr="ligne 37, `privcy` : clé inconnue"),
    Case("study_missing_section", "study.yaml", "no roles section", 2,
         "`roles`", edit(STUDY, "roles:\n  id: No_repondant\n  site: Territoire\n"
                                "  wave: Temps\n  group: Profil\n", "")),
    Case("study_wrong_type", "study.yaml", "a word where a number is expected", 2,
         "study.yaml, line 38, `privacy.min_cell`: must be an integer ≥ 1, got 'trois'",
         edit(STUDY, "min_cell: 3", "min_cell: trois"),
         fr="ligne 38, `privacy.min_cell` : doit être un entier ≥ 1"),
    Case("study_bad_id", "study.yaml", "a study id with spaces", 2,
         "study.yaml, line 2, `study`", edit(STUDY, "study: etude-robuste", "study: étude robuste")),
    Case("study_bad_language", "study.yaml", "a report language evalkit does not have", 2,
         "`languages.1`", edit(STUDY, "languages: [fr, en]", "languages: [fr, de]")),
    Case("study_bound", "study.yaml", "a confidence level of 1.5", 2,
         "`parameters.confidence`", edit(STUDY, "  seed: 7\n", "  seed: 7\n  confidence: 1.5\n")),
    Case("study_role_unknown", "study.yaml", "a role naming a column the codebook lacks", 2,
         "study.yaml, line 24, `roles.group`: column 'Type' is not a variable of the codebook",
         edit(STUDY, "group: Profil", "group: Type"),
         fr="ligne 24, `roles.group` : la colonne « Type » n'est pas une variable"),
    Case("study_role_twice", "study.yaml", "one column in two roles", 2,
         "study.yaml, line 24, `roles.group`: one column plays several roles: Territoire",
         edit(STUDY, "group: Profil", "group: Territoire"),
         fr="ligne 24, `roles.group` : une même colonne joue plusieurs rôles"),
    Case("study_item_text", "study.yaml", "a ladder item that is free text", 2,
         "`measures.involvement.ladder.3`: variable 'Commentaire' is of type text",
         edit(STUDY, "Q12_3, Q12_4]", "Q12_3, Commentaire]")),
    Case("study_codebook_missing", "study.yaml", "a codebook file that does not exist", 2,
         "dictionnaire.yaml: file not found", remove(CODEBOOK)),
    # codebook
    Case("codebook_syntax", "codebook", "an unclosed bracket", 2,
         "dictionnaire.yaml, line 4: invalid YAML syntax: did not find expected ',' or '}'",
         edit(CODEBOOK, '{fr: "Pas du tout d\'accord", en: "Strongly disagree"}',
              '{fr: "Pas du tout d\'accord", en: "Strongly disagree"'),
         fr="dictionnaire.yaml, ligne 4 : syntaxe YAML invalide"),
    Case("codebook_alias_bomb", "codebook", "nested aliases ('billion laughs')", 2,
         "dictionnaire.yaml, line 6: the file's aliases (*name) expand to more than 1,000,000 values",
         write(CODEBOOK, lambda: (laughs() + B.CODEBOOK_YAML).encode())),
    Case("codebook_unknown_set", "codebook", "a variable naming a value set that does not exist",
         2, "refers to value set 'accord5', which does not exist (known: accord4)",
         edit(CODEBOOK, "values: accord4", "values: accord5")),
    Case("codebook_missing_in_set", "codebook",
         "a missing code that the variable's named value set also lists (4)", 2,
         "dictionnaire.yaml, line 35, `variables.Q12_1.missing`: code(s) 4 are both valid "
         "values and missing codes",
         edit(CODEBOOK, "      9: {fr: \"Refus\"", "      4: {fr: \"Refus\""),
         fr="ligne 35, `variables.Q12_1.missing` : le ou les codes 4 sont à la fois"),
    Case("codebook_missing_inline", "codebook", "a missing code among inline values", 2,
         "code(s) Sud are both valid values and missing codes",
         edit(CODEBOOK, '      Sud: {fr: "Sud", en: "South"}\n',
              '      Sud: {fr: "Sud", en: "South"}\n    missing:\n'
              '      Sud: {fr: "Inconnu", en: "Unknown"}\n')),
    Case("codebook_unknown_type", "codebook", "a type evalkit does not know (numeric)", 2,
         "`variables.Heures.type`",
         edit(CODEBOOK, "    type: number\n    label: {fr: \"Heures",
              "    type: numeric\n    label: {fr: \"Heures")),
    Case("codebook_range_order", "codebook", "a range whose minimum is above its maximum", 2,
         "the minimum 80.0 is above the maximum 0.0", edit(CODEBOOK, "range: [0, 80]",
                                                          "range: [80, 0]")),
    Case("codebook_no_values", "codebook", "a category without its values", 2,
         "dictionnaire.yaml, line 27, `variables.Profil.valeurs`: unknown key (allowed keys: "
         "type, label, values,",
         edit(CODEBOOK, "    values:\n      usager:", "    valeurs:\n      usager:")),
    Case("codebook_duplicate_variable", "codebook", "a variable written twice", 2,
         "the key `variables.Heures` appears twice",
         edit(CODEBOOK, "  Visites:\n", "  Heures:\n    type: text\n    label: {fr: a, en: a}\n"
                                        "  Visites:\n")),
    Case("codebook_asked_if_unknown", "codebook",
         "skip logic naming a filter question the codebook does not have", 2,
         "dictionnaire.yaml, line 47, `variables.Q12_4.asked_if.variable`: variable 'Q12_4' is "
         "asked if 'Q12_9' has some values, but the codebook has no other variable 'Q12_9'",
         edit(CODEBOOK, '    label: {fr: "Je décide", en: "I decide"}\n',
              '    label: {fr: "Je décide", en: "I decide"}\n'
              '    asked_if: {variable: Q12_9, values: [3, 4]}\n'),
         fr="la variable « Q12_4 » est posée si « Q12_9 » a certaines valeurs"),
    Case("codebook_asked_if_values", "codebook",
         "skip logic on codes the filter question does not have (5 on a 1–4 scale)", 2,
         "code(s) 5 of asked_if are not values of 'Q12_2' (its values: 1, 2, 3, 4)",
         edit(CODEBOOK, '    label: {fr: "Je décide", en: "I decide"}\n',
              '    label: {fr: "Je décide", en: "I decide"}\n'
              '    asked_if: {variable: Q12_2, values: [4, 5]}\n')),
    Case("codebook_format", "codebook", "a codebook in an unknown format (.json)", 2,
         "unrecognised codebook format (.json)",
         both(edit(STUDY, "codebook: dictionnaire.yaml", "codebook: dictionnaire.json"),
              write("dictionnaire.json", "{}"))),
    Case("codebook_sheet_column", "codebook", "a codebook sheet without its label_en column", 2,
         "column 'label_en' is missing",
         both(edit(STUDY, "codebook: dictionnaire.yaml", "codebook: dictionnaire.csv"),
              write("dictionnaire.csv", "variable,type,label_fr\nNo_repondant,id,Numéro\n"))),
    # CSV
    Case("csv_ragged", "CSV", "a row with more fields than the header", 1,
         "donnees/reponses_t0.csv, line 4: this line has 12 fields but the header has 11",
         t0_rows(set_cell(2, "Commentaire", "Merci;encore")), rule="unreadable_file",
         fr="donnees/reponses_t0.csv, ligne 4 : cette ligne compte 12 champs"),
    Case("csv_unclosed_quote", "CSV", "a quote opened and never closed", 1,
         "a double quote opened on this line is never closed",
         t0_rows(set_cell(5, "Commentaire", '"Rien à dire')), rule="unreadable_file",
         fr="un guillemet droit ouvert sur cette ligne n'est jamais fermé"),
    Case("csv_mixed_encoding", "CSV", "UTF-8 and Windows-1252 accents in one file", 1,
         "the file mixes two text encodings: line 7 is in a Windows code page, but line 2 "
         "holds UTF-8 accents",
         call(lambda f: (f / T0).write_bytes((f / T0).read_bytes().replace(
             "Rien à dire".encode(), "Rien à dire".encode("cp1252")))), rule="unreadable_file"),
    Case("csv_wrong_encoding", "CSV", "declared UTF-8 but saved in Windows-1252", 1,
         "cannot be decoded as utf-8",
         both(edit(STUDY, "      set: {Temps: T0}\n", "      set: {Temps: T0}\n      encoding: utf-8\n"),
              call(lambda f: (f / T0).write_bytes((f / T0).read_bytes().decode().encode(
                  "cp1252")))), rule="unreadable_file"),
    Case("csv_binary", "CSV", "a binary file named .csv", 1, "binary",
         write(T0, bytes(range(256)) * 40), rule="unreadable_file"),
    Case("csv_empty", "CSV", "an empty file", 1, "the file is empty", write(T0, b""),
         rule="unreadable_file"),
    Case("csv_header_only", "CSV", "a header and no rows", 1, "the file holds no data row",
         write(T0, lambda: B.t0_csv(rows=[])), rule="empty_file"),
    Case("csv_cut_off", "CSV", "the last row cut off (an interrupted copy)", 0,
         "The last row (line 9) has 10 of the 11 fields and the file does not end with a line "
         "break", truncate(T0, -13), rule="reader",
         fr="La dernière ligne (ligne 9) compte 10 des 11 champs"),
    Case("csv_out_of_codebook", "CSV", "an answer outside the scale (5 on a 1–4 scale)", 1,
         "'5' is not an allowed value of Q12_2 (allowed: 1, 2, 3, 4)",
         t0_rows(set_cell(1, "Q12_2", 5)), rule="out_of_codebook"),
    Case("csv_answered_not_asked", "CSV",
         "an answer to a question the codebook's skip logic says was not asked", 0,
         "answer '1' given where the question is not asked (asked only if Q12_2 is 3, 4)",
         edit(CODEBOOK, '    label: {fr: "Je décide", en: "I decide"}\n',
              '    label: {fr: "Je décide", en: "I decide"}\n'
              '    asked_if: {variable: Q12_2, values: [3, 4]}\n'),
         rule="answered_not_asked",
         fr="réponse « 1 » donnée alors que la question n'est pas posée"),
    Case("csv_wrong_type", "CSV", "a word in a number column", 1,
         "'beaucoup' is not of the type expected for Heures",
         t0_rows(set_cell(0, "Heures", "beaucoup")), rule="wrong_type"),
    Case("csv_decimal_count", "CSV", "a decimal in a whole-number column", 1,
         "'2,5' is not an allowed value of Visites (allowed: a whole number [0, 50])",
         t0_rows(set_cell(3, "Visites", "2,5")), rule="out_of_codebook"),
    Case("csv_impossible_date", "CSV", "the 31st of February", 1,
         "'31/02/2025' is not of the type expected for Date_reponse",
         t0_rows(set_cell(4, "Date_reponse", "31/02/2025")), rule="wrong_type"),
    Case("csv_date_out_of_range", "CSV", "a date before the study", 1,
         "is not an allowed value of Date_reponse",
         t0_rows(set_cell(4, "Date_reponse", "01/01/1999")), rule="out_of_codebook"),
    Case("csv_undeclared_missing", "CSV", "99 used as a missing code without declaring it", 1,
         "'99' looks like an undeclared missing-value code for Q12_1",
         t0_rows(set_cell(6, "Q12_1", 99)), rule="undeclared_missing_code"),
    Case("csv_duplicate_id", "CSV", "one respondent twice at the same wave", 1,
         "respondent *** appears twice at the same wave (first: donnees/reponses_t0.csv, line 2)",
         t0_rows(set_cell(1, "No_repondant", "N-001")), rule="duplicate_id_wave",
         fr="(première fois : donnees/reponses_t0.csv, ligne 2)"),
    Case("csv_missing_column", "CSV", "a codebook column missing from the file", 1,
         "codebook column 'Q12_4' is missing from this file",
         write(T0, lambda: B.t0_csv(rows=[r[:6] + r[7:] for r in B.T0_ROWS],
                                    header=B.T0_HEADER[:6] + B.T0_HEADER[7:])),
         rule="missing_column"),
    Case("csv_empty_site", "CSV", "a row without its site", 1,
         "Territoire is empty; every row needs an identifier, a site and a wave",
         t0_rows(set_cell(2, "Territoire", "")), rule="empty_key"),
    Case("csv_unknown_site", "CSV", "a site the codebook does not list", 1,
         "'Est' is not an allowed value of Territoire",
         t0_rows(set_cell(2, "Territoire", "Est")), rule="out_of_codebook"),
    Case("csv_group_changes", "CSV", "a respondent whose group changes between waves", 1,
         "the respondent type changes across waves ('usager' here, 'proche' before)",
         t0_rows(set_cell(0, "Profil", "proche")),
         rule="inconsistent_group"),
    Case("csv_file_missing", "CSV", "a survey file that does not exist", 1,
         "file not found", remove(T0), rule="unreadable_file"),
    Case("csv_outside_folder", "CSV", "a data file outside the study folder (../)", 0,
         "this file lies outside the study folder",
         call(lambda f: (
             (f.parent / "ailleurs").mkdir(exist_ok=True),
             (f.parent / "ailleurs" / "reponses_t0.csv").write_bytes((f / T0).read_bytes()),
             edit(STUDY, "path: donnees/reponses_t0.csv", "path: ../ailleurs/reponses_t0.csv")(f))),
         rule="outside_study_folder", fr="ce fichier est hors du dossier de l'étude"),
    Case("csv_absolute_path", "CSV", "a data file given by an absolute path outside the folder",
         0, "this file lies outside the study folder",
         call(lambda f: (
             (f.parent / "partage").mkdir(exist_ok=True),
             (f.parent / "partage" / "population.csv").write_bytes((f / POPULATION).read_bytes()),
             edit(STUDY, "path: donnees/population.csv",
                  f"path: {(f.parent / 'partage' / 'population.csv').as_posix()}")(f))),
         rule="outside_study_folder"),
    # XLSX
    Case("xlsx_missing_sheet", "XLSX", "a sheet name that the workbook does not have", 1,
         "sheet 'Personnel'", call(lambda f: B.write_xlsx(f / STAFF, sheet="Staff")),
         rule="unreadable_file"),
    Case("xlsx_encrypted", "XLSX", "a password-protected workbook", 1, "password",
         write(STAFF, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)), rule="unreadable_file"),
    Case("xlsx_truncated", "XLSX", "a workbook cut off in the copy", 1,
         "this is not a readable Excel workbook", truncate(STAFF, 1500), rule="unreadable_file",
         fr="ce n'est pas un classeur Excel lisible ; message de la bibliothèque openpyxl, "
            "en anglais"),
    Case("xlsx_empty_sheet", "XLSX", "an empty sheet", 1, "sheet 'Personnel' is empty",
         call(lambda f: _empty_sheet(f)),
         rule="unreadable_file"),
    Case("xlsx_out_of_codebook", "XLSX", "a staff answer outside the scale", 1,
         "'7' is not an allowed value of Q12_1",
         call(lambda f: B.write_xlsx(f / STAFF, rows=[("P-01", "Nord", "personnel", 7, 3, 2, 2,
                                                       35, 10)])),
         rule="out_of_codebook"),
    # SPSS
    Case("sav_reversed_labels", "SPSS", "value labels running opposite to the codebook", 1,
         "the file labels code 1 of Q12_3 'Tout à fait d'accord', a label the codebook gives "
         "to code 4", sav(labels=reversed_labels()), rule="value_labels_differ",
         fr="le fichier donne au code 1 de Q12_3 l'étiquette « Tout à fait d'accord »"),
    Case("sav_truncated", "SPSS", "an SPSS file cut off in the copy", 1,
         "the file cannot be read as SPSS", truncate(T1, 700), rule="unreadable_file",
         fr="message de la bibliothèque pyreadstat, en anglais"),
    Case("sav_renamed_csv", "SPSS", "a CSV export named .sav", 1,
         "donnees/reponses_t1.sav: this is not a SPSS file but text (a CSV export?)",
         write(T1, lambda: B.t0_csv()), rule="unreadable_file"),
    Case("csv_renamed_sav", "SPSS", "an SPSS file named .csv", 0,
         "The file ends in '.csv' but its content is in the sav format; it was read as sav.",
         both(call(lambda f: (f / T1).rename(f / "donnees" / "reponses_t1.csv")),
              edit(STUDY, "path: donnees/reponses_t1.sav", "path: donnees/reponses_t1.csv")),
         rule="reader"),
    Case("sav_out_of_codebook", "SPSS", "a code outside the scale in the SPSS file", 1,
         "'6' is not an allowed value of Q12_2",
         sav(rows=[(*B.T1_ROWS[0][:5], 6, *B.T1_ROWS[0][6:]), *B.T1_ROWS[1:]]),
         rule="out_of_codebook"),
    Case("sav_unknown_site", "SPSS", "a site the codebook does not list, in the SPSS file", 1,
         "'Ouest' is not an allowed value of Territoire",
         sav(rows=[("N-001", "Ouest", *B.T1_ROWS[0][2:]), *B.T1_ROWS[1:]]),
         rule="out_of_codebook"),
    # population
    Case("population_unknown_site", "population", "a site the codebook does not list", 1,
         "site 'Est' of the population file is not in the codebook",
         edit(POPULATION, "Sud,Profil,proche,35\n", "Sud,Profil,proche,35\nEst,Profil,usager,9\n"),
         rule="population_unknown_site"),
    Case("population_negative", "population", "a negative count", 1, "count",
         edit(POPULATION, "Sud,Profil,proche,35", "Sud,Profil,proche,-35"),
         rule="unreadable_file"),
    Case("population_no_count", "population", "no count column", 1, "count",
         edit(POPULATION, "site,dimension,level,count", "site,dimension,level,effectif"),
         rule="unreadable_file"),
    Case("population_unknown_dimension", "population", "a dimension that is not a variable", 1,
         "dimension 'Sexe' is not a variable of the codebook",
         edit(POPULATION, "Sud,Profil,proche,35\n", "Sud,Profil,proche,35\nSud,Sexe,F,90\n"),
         rule="population_unknown_dimension"),
    Case("population_unknown_level", "population", "a level the codebook does not list", 1,
         "'aidant' is not a value of Profil in the codebook",
         edit(POPULATION, "Sud,Profil,proche,35", "Sud,Profil,aidant,35"),
         rule="population_unknown_level"),
    Case("population_site_absent", "population", "a surveyed site missing from the file", 1,
         "site 'Sud' is not in the population file",
         edit(POPULATION, "Sud,Profil,usager,150\nSud,Profil,proche,35\n", ""),
         rule="site_not_in_population"),
    # partners
    Case("partners_unknown_site", "partners", "a partner linked to a site the codebook lacks",
         1, "site 'Ouest' of the partners file is not in the codebook",
         edit(PARTNERS, "Maison des aînés,Sud,1", "Maison des aînés,Ouest,1"),
         rule="partner_unknown_site",
         fr="le site « Ouest » du fichier des partenaires n'est pas dans le dictionnaire"),
    Case("partners_level", "partners", "an integration level beyond the continuum", 1,
         "'4' is not an allowed value of level (allowed: 1–3)",
         edit(PARTNERS, "Popote roulante,Nord,3", "Popote roulante,Nord,4"),
         rule="out_of_codebook"),
    Case("partners_missing_column", "partners", "no level column", 1,
         "codebook column 'level' is missing from this file",
         edit(PARTNERS, "partner,site,level", "partner,site,niveau"), rule="missing_column"),
]


def _empty_sheet(folder: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Personnel"
    book.save(folder / STAFF)


FAULT_CASES: list[Case] = [
    Case("kernel_killed", "faults", "a notebook's kernel killed (SIGKILL) while a cell runs", 1,
         "the kernel died", test="test_a_killed_kernel_fails_only_its_notebook"),
    Case("cell_timeout", "faults", "a cell running past --timeout", 1,
         "cell time limit exceeded", test="test_a_cell_past_its_time_limit_is_named"),
    Case("parent_killed", "faults", "the evalkit process killed with kill -9 mid-run", 137,
         "no worker or kernel left within seconds; the next run removes the leftover folder",
         test="test_killing_the_run_leaves_no_process_and_the_next_run_cleans_up"),
    Case("ctrl_c", "faults", "Ctrl-C (SIGINT) while a notebook runs", 130,
         "interrupted / interrompu; within 10 s; no run folder, no process left",
         test="test_an_interrupt_ends_the_run_within_ten_seconds"),
    Case("sigterm", "faults", "SIGTERM (a scheduler stopping the job) while a notebook runs", 130,
         "interrupted / interrompu; within 10 s; no run folder, no process left",
         test="test_an_interrupt_ends_the_run_within_ten_seconds"),
    Case("disk_full", "faults", "the disk fills up while the run is written (ENOSPC)", 1,
         "there is no room left to write", test="test_a_full_disk_is_said_and_leaves_nothing"),
    Case("file_size_limit", "faults", "a file-size limit reached while writing (EFBIG)", 1,
         "there is no room left to write", test="test_a_file_size_limit_is_said_plainly"),
    Case("read_only_out", "faults", "--out in a folder that cannot be written to", 2,
         "evalkit cannot write here", test="test_a_read_only_output_folder_is_refused_at_once"),
    Case("two_runs", "faults", "two runs of one study started at the same second", 0,
         "two run folders with distinct ids, both complete",
         test="test_two_runs_at_once_get_their_own_folders"),
    Case("leftover_folder", "faults", "an unfinished folder left by a run killed earlier", 0,
         "removed by the next run, and said in its summary",
         test="test_killing_the_run_leaves_no_process_and_the_next_run_cleans_up"),
    Case("resume_truncated_manifest", "faults", "--resume of a run whose manifest.json is cut",
         2, "cannot be resumed: its manifest is damaged",
         test="test_resume_refuses_a_damaged_manifest"),
    Case("resume_missing_table", "faults", "--resume after a released table was deleted", 0,
         "Re-created (missing or changed since the run): tables/...",
         test="test_resume_recreates_what_was_deleted_or_changed"),
    Case("resume_changed_page", "faults", "--resume after a notebook's page was edited", 0,
         "the notebook is run again; the page is the run's own again",
         test="test_resume_recreates_what_was_deleted_or_changed"),
    Case("resume_lost_file", "faults", "--resume that cannot re-create a lost file", 1,
         "Missing from the run folder (not listed as released)",
         test="test_resume_recreates_what_was_deleted_or_changed"),
    Case("resume_unknown_run", "faults", "--resume of a run id that does not exist", 2,
         "no run ... to resume", test="test_resume_refuses_a_damaged_manifest"),
]

CASES: list[Case] = INPUT_CASES + FAULT_CASES


def markdown() -> str:
    """``docs/robustness.md``: every case, grouped, with its outcome."""
    lines = [
        "# Robustness: bad input and faults",
        "",
        "Every way of breaking a study or a run that evalkit is tested against, and what the user",
        "gets. Each case is a test (`tests/robustness/`); this page is generated from the table of",
        "cases (`python tests/robustness/cases.py > docs/robustness.md`), and a test keeps it in",
        "step.",
        "",
        "For every case: no traceback (unless `--debug`), the input files are byte-identical",
        "afterwards, and nothing is written but `validation.csv` (for data problems) — a",
        "configuration error (exit 2) writes nothing at all. French messages say the same, with",
        "French places (`ligne 12`) and library messages quoted as such. Exit codes: 0 success",
        "(warnings allowed), 1 problems in the data or the run, 2 configuration or usage, 130",
        "interrupted, 137 killed.",
        "",
        "Input cases run `evalkit validate` on a small study of its own shape (a semicolon CSV",
        "with decimal commas, an SPSS file with value labels and missing codes, an Excel sheet,",
        "population and partners files; `tests/robustness/base_study.py`), broken in one place.",
        "",
        f"{len(CASES)} cases: {len(INPUT_CASES)} of input, {len(FAULT_CASES)} of faults.",
    ]
    groups: dict[str, list[Case]] = {}
    for case in CASES:
        groups.setdefault(case.group, []).append(case)
    for group, cases in groups.items():
        lines += ["", f"## {group}", "", "| case | what is broken | exit | what the user reads |",
                  "|---|---|---|---|"]
        for case in cases:
            said = case.words.replace("|", "\\|")
            if case.rule:
                said = f"`{case.rule}`: {said}"
            lines.append(f"| `{case.id}` | {case.broken} | {case.exit} | {said} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
