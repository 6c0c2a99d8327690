"""A small study of its own shape, that every robustness case breaks in one place.

Its names are not the demo's (items ``Q12_1``..., sites ``Nord`` and ``Sud``, waves ``T0`` and
``T1``, groups ``usager``/``proche``/``personnel``), and it uses every reader: a semicolon CSV
with decimal commas (wave T0), an SPSS file with value labels and user-missing codes (wave T1),
an Excel sheet of staff answers, a population file and a partners file. It validates without a
single problem.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

STUDY_YAML = """\
# A study written for the robustness tests: its own names, every kind of source.
study: etude-robuste
title:
  fr: "Étude de robustesse"
  en: "Robustness study"
languages: [fr, en]
sources:
  survey:
    - path: donnees/reponses_t0.csv
      set: {Temps: T0}
    - path: donnees/reponses_t1.sav
    - path: donnees/personnel.xlsx
      sheet: Personnel
      set: {Temps: T0}
  population: {columns: {site: Territoire},
    path: donnees/population.csv}
  partners:
    path: donnees/partenaires.csv
codebook: dictionnaire.yaml
roles:
  id: No_repondant
  site: Territoire
  wave: Temps
  group: Profil
waves:
  baseline: T0
  follow_up: [T1]
measures:
  involvement:
    ladder: [Q12_1, Q12_2, Q12_3, Q12_4]
    agree_at: 3
  integration:
    levels:
      - {fr: "Fragmenté", en: "Fragmented"}
      - {fr: "Coordonné", en: "Coordinated"}
      - {fr: "Intégré", en: "Integrated"}
privacy:
  min_cell: 3
  pseudonymise: [No_repondant]
  redact: [Commentaire]
  key: {env: EVALKIT_ROBUSTNESS_KEY}
parameters:
  seed: 7
  bootstrap: 100
"""

CODEBOOK_YAML = """\
value_sets:
  accord4:
    1: {fr: "Pas du tout d'accord", en: "Strongly disagree"}
    2: {fr: "Plutôt en désaccord", en: "Disagree"}
    3: {fr: "Plutôt d'accord", en: "Agree"}
    4: {fr: "Tout à fait d'accord", en: "Strongly agree"}
variables:
  No_repondant:
    type: id
    label: {fr: "Numéro du répondant", en: "Respondent number"}
    identifying: true
  Territoire:
    type: category
    label: {fr: "Territoire", en: "Territory"}
    values:
      Nord: {fr: "Nord", en: "North"}
      Sud: {fr: "Sud", en: "South"}
  Temps:
    type: category
    label: {fr: "Temps de mesure", en: "Wave"}
    values:
      T0: {fr: "Début", en: "Start"}
      T1: {fr: "Six mois", en: "Six months"}
  Profil:
    type: category
    label: {fr: "Profil", en: "Profile"}
    values:
      usager: {fr: "Usager", en: "Service user"}
      proche: {fr: "Proche aidant", en: "Carer"}
      personnel: {fr: "Personnel", en: "Staff"}
  Q12_1: &item
    type: likert
    label: {fr: "On m'informe", en: "I am informed"}
    values: accord4
    missing:
      8: {fr: "Ne sait pas", en: "Don't know"}
      9: {fr: "Refus", en: "Refused"}
  Q12_2:
    <<: *item
    label: {fr: "On me consulte", en: "I am consulted"}
  Q12_3:
    <<: *item
    label: {fr: "Mon avis compte", en: "My view counts"}
  Q12_4:
    <<: *item
    label: {fr: "Je décide", en: "I decide"}
  Heures:
    type: number
    label: {fr: "Heures de soutien par semaine", en: "Support hours per week"}
    range: [0, 80]
  Visites:
    type: number
    label: {fr: "Visites", en: "Visits"}
    range: [0, 50]
    integer: true
  Date_reponse:
    type: date
    label: {fr: "Date de réponse", en: "Response date"}
    range: [2025-01-01, 2026-12-31]
    required: false
  Commentaire:
    type: text
    label: {fr: "Commentaire", en: "Comment"}
    required: false
"""

#: Rows of wave T0 (CSV): site, profile, four items, hours, visits, date, comment.
T0_ROWS = [
    ("N-001", "Nord", "usager", 1, 2, 1, 1, "2,5", 3, "12/03/2025", "Très bien"),
    ("N-002", "Nord", "usager", 3, 3, 2, 1, "4", 5, "13/03/2025", ""),
    ("N-003", "Nord", "proche", 4, 4, 3, 2, "0,5", 0, "14/03/2025", "Merci"),
    ("N-004", "Nord", "usager", 2, 8, 1, 1, "6", 2, "15/03/2025", ""),
    ("S-001", "Sud", "usager", 4, 4, 4, 3, "1", 4, "12/03/2025", ""),
    ("S-002", "Sud", "proche", 3, 2, 2, 9, "3,25", 1, "16/03/2025", "Rien à dire"),
    ("S-003", "Sud", "usager", 1, 1, 1, 1, "2", 6, "17/03/2025", ""),
    ("S-004", "Sud", "usager", 2, 3, 3, 2, "7,5", 2, "18/03/2025", ""),
]
T0_HEADER = ("No_repondant", "Territoire", "Profil", "Q12_1", "Q12_2", "Q12_3", "Q12_4",
             "Heures", "Visites", "Date_reponse", "Commentaire")

#: Wave T1 (SPSS): the same people, six months later.
T1_ROWS = [
    ("N-001", "Nord", "T1", "usager", 2, 2, 2, 1, 3.0, 2.0),
    ("N-002", "Nord", "T1", "usager", 3, 4, 3, 2, 4.5, 4.0),
    ("N-003", "Nord", "T1", "proche", 4, 4, 4, 3, 1.0, 1.0),
    ("S-001", "Sud", "T1", "usager", 4, 3, 3, 8, 2.0, 3.0),
    ("S-002", "Sud", "T1", "proche", 3, 3, 2, 1, 3.0, 0.0),
    ("S-003", "Sud", "T1", "usager", 2, 1, 1, 1, 2.5, 5.0),
]
T1_COLUMNS = ["No_repondant", "Territoire", "Temps", "Profil", "Q12_1", "Q12_2", "Q12_3",
              "Q12_4", "Heures", "Visites"]

#: Staff (Excel, sheet "Personnel"), wave T0 for every row (declared in study.yaml).
STAFF_ROWS = [
    ("P-01", "Nord", "personnel", 3, 3, 2, 2, 35, 10),
    ("P-02", "Nord", "personnel", 4, 3, 3, 2, 30, 12),
    ("P-03", "Sud", "personnel", 4, 4, 3, 3, 37.5, 8),
]
STAFF_COLUMNS = ["No_repondant", "Territoire", "Profil", "Q12_1", "Q12_2", "Q12_3", "Q12_4",
                 "Heures", "Visites"]

POPULATION_CSV = """\
site,dimension,level,count
Nord,Profil,usager,120
Nord,Profil,proche,40
Sud,Profil,usager,150
Sud,Profil,proche,35
"""

PARTNERS_CSV = """\
partner,site,level
Centre de jour,Nord,2
Popote roulante,Nord,3
Maison des aînés,Sud,1
"""

#: The SPSS file's value labels for the items: the codebook's, in French.
ITEM_LABELS = {1.0: "Pas du tout d'accord", 2.0: "Plutôt en désaccord", 3.0: "Plutôt d'accord",
               4.0: "Tout à fait d'accord", 8.0: "Ne sait pas", 9.0: "Refus"}


def t0_csv(rows=T0_ROWS, header=T0_HEADER) -> bytes:
    """Wave T0 as a French Excel export: semicolons, decimal commas, Windows line ends."""
    lines = [";".join(header)] + [";".join(str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_sav(path: Path, rows=T1_ROWS, labels: dict | None = None) -> None:
    """Wave T1 as an SPSS file: value labels on the items, 8 and 9 user-missing."""
    import pyreadstat

    frame = pd.DataFrame(rows, columns=T1_COLUMNS)
    items = ["Q12_1", "Q12_2", "Q12_3", "Q12_4"]
    frame[items] = frame[items].astype(float)
    value_labels = {item: dict(ITEM_LABELS) for item in items}
    value_labels.update(labels or {})
    pyreadstat.write_sav(frame, str(path), variable_value_labels=value_labels,
                         missing_ranges={item: [8.0, 9.0] for item in items})


def write_xlsx(path: Path, rows=STAFF_ROWS, sheet: str = "Personnel") -> None:
    """The staff sheet, with a cover sheet first (as exported by a survey tool)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Lisez-moi"
    book.active["A1"] = "Réponses du personnel : voir la feuille suivante."
    sheet_ = book.create_sheet(sheet)
    sheet_.append(STAFF_COLUMNS)
    for row in rows:
        sheet_.append(list(row))
    book.save(path)


def write_base_study(folder: Path) -> Path:
    """Write the study into ``folder``; return its ``study.yaml``."""
    data = folder / "donnees"
    data.mkdir(parents=True)
    (folder / "study.yaml").write_text(STUDY_YAML, encoding="utf-8")
    (folder / "dictionnaire.yaml").write_text(CODEBOOK_YAML, encoding="utf-8")
    (data / "reponses_t0.csv").write_bytes(t0_csv())
    write_sav(data / "reponses_t1.sav")
    write_xlsx(data / "personnel.xlsx")
    (data / "population.csv").write_text(POPULATION_CSV, encoding="utf-8")
    (data / "partenaires.csv").write_text(PARTNERS_CSV, encoding="utf-8")
    return folder / "study.yaml"
