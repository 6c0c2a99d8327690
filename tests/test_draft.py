"""A study drafted from its data (``evalkit new DIR --from FILE...``): from SPSS, Stata,
Qualtrics, REDCap (data + dictionary) and XLSX files (with an XLSX codebook), the roles are
guessed and marked, and the draft validates against the files it came from."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from evalkit.cli.new import draft_new_study
from evalkit.config.codebook import load_codebook
from evalkit.config.study import load_study
from evalkit.datasets.zoo import ZOO, make_zoo_study
from evalkit.errors import ConfigError
from evalkit.read.sketch import dictionary_kind, read_data_dictionary, sketch_source
from evalkit.validate.study import validate_study

SITES = ["Saint-Élie", "L'Anse-au-Griffon", "Centre 3"]
AGREE = {1: "Pas du tout d'accord", 2: "Plutôt pas d'accord", 3: "Plutôt d'accord",
         4: "Tout à fait d'accord", 8: "Ne sait pas", 9: "Refus"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _people(n: int, seed: int) -> pd.DataFrame:
    """The same people (site and profile) at every wave, with answers drawn from ``seed``."""
    fixed = np.random.default_rng(0)
    frame = pd.DataFrame({
        "no_dossier": [f"D-{i:05d}" for i in range(n)],
        "territoire": fixed.choice(SITES, n),
        "profil": fixed.choice([1, 2, 3], n, p=[0.6, 0.2, 0.2]).astype(float),
    })
    gen = np.random.default_rng(seed)
    for k in range(1, 6):
        answers = gen.integers(1, 5, n).astype(float)
        answers[gen.random(n) < 0.05] = 8
        answers[gen.random(n) < 0.03] = 9
        frame[f"bien_etre_{k}"] = answers
    frame["age"] = gen.integers(18, 95, n).astype(float)
    frame["courriel"] = [f"p{i}@exemple.ca" for i in range(n)]
    frame["commentaire"] = np.where(gen.random(n) < 0.3, "Merci beaucoup pour l'accueil", "")
    return frame


def _assert_clean(study_file: Path) -> None:
    report = validate_study(study_file)
    problems = report.problems
    assert report.n_errors == 0, problems.to_string()
    # A draft names its data where they are: outside the new study folder, said as a warning.
    assert set(problems["rule"]) <= {"reader", "outside_study_folder"}, problems.to_string()


def _roles(study_file: Path) -> dict:
    return load_study(study_file).roles.model_dump()


def test_spss_files_of_two_waves(tmp_path):
    data_dir = tmp_path / "données"
    data_dir.mkdir()
    files = []
    for wave in (1, 2):
        frame = _people(300, seed=wave)
        frame.insert(1, "temps", float(wave))
        frame["date_reponse"] = [dt.date(2025, 3, 1) + dt.timedelta(days=int(d))
                                 for d in np.arange(len(frame)) % 60]
        path = data_dir / f"vague{wave}.sav"
        pyreadstat.write_sav(
            frame, path,
            column_labels={"territoire": "Territoire du CLSC", "profil": "Type de répondant",
                           "temps": "Temps de mesure", "age": "Âge",
                           **{f"bien_etre_{k}": f"Je me sens bien ({k})" for k in range(1, 6)}},
            variable_value_labels={"profil": {1.0: "Usager", 2.0: "Proche", 3.0: "Intervenant"},
                                   **{f"bien_etre_{k}": AGREE for k in range(1, 6)}},
            missing_ranges={f"bien_etre_{k}": [8.0, 9.0] for k in range(1, 6)},
            variable_measure={f"bien_etre_{k}": "ordinal" for k in range(1, 6)})
        files.append(path)
    before = [_digest(f) for f in files]
    study_file, draft = draft_new_study(tmp_path / "mon étude", files)
    assert [_digest(f) for f in files] == before  # inputs never written
    assert draft.roles == {"id": "no_dossier", "wave": "temps", "site": "territoire",
                           "group": "profil"}
    text = study_file.read_text(encoding="utf-8")
    assert "path: ../données/vague1.sav" in text
    assert text.count("# deviné") + text.count("deviné :") >= 4 and "guessed:" in text
    study = load_study(study_file)
    assert study.waves.baseline == 1 and study.waves.follow_up == [2]
    assert study.privacy.pseudonymise == ["no_dossier"] and study.privacy.redact == ["commentaire"]
    codebook = load_codebook(study_file.parent / "codebook.yaml")
    item = codebook["bien_etre_1"]
    assert item.type == "likert" and item.label.fr == "Je me sens bien (1)"
    assert list(codebook.values_of("bien_etre_1")) == [1, 2, 3, 4]
    assert {str(k): v.fr for k, v in item.missing.items()} == {"8": "Ne sait pas", "9": "Refus"}
    assert codebook["courriel"].identifying and codebook["no_dossier"].type == "id"
    assert codebook["date_reponse"].type == "date"
    assert [v.fr for v in codebook.values_of("profil").values()] == ["Usager", "Proche",
                                                                     "Intervenant"]
    assert set(codebook.values_of("territoire")) == set(SITES)
    assert "# measures:" in text and "bien_etre_1" in text.split("# measures:")[1]
    _assert_clean(study_file)


def test_stata_file(tmp_path):
    frame = _people(240, seed=3).drop(columns=["courriel"])
    frame = frame.replace({8.0: np.nan, 9.0: np.nan})
    path = tmp_path / "enquete.dta"
    pyreadstat.write_dta(frame, path, column_labels={"territoire": "Territoire"},
                         variable_value_labels={"profil": {1: "usager", 2: "proche",
                                                           3: "personnel"}})
    study_file, draft = draft_new_study(tmp_path / "etude", [path])
    assert draft.roles["id"] == "no_dossier" and draft.roles["site"] == "territoire"
    assert draft.roles["group"] == "profil" and draft.roles["wave"] is None
    _assert_clean(study_file)


def _qualtrics(path: Path, seed: int, n: int = 120) -> None:
    gen = np.random.default_rng(seed)
    names = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
             "Finished", "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage",
             "code_participant", "Q1", "Q2_1", "Q2_2", "Q2_3", "Q3"]
    questions = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
                 "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
                 "Distribution Channel", "User Language", "code_participant", "Votre site",
                 "Je suis écouté·e",
                 "On me demande mon avis", "Mon avis change les choses", "Commentaires"]
    rows = []
    for i in range(n):
        rows.append(["2025-02-03 10:00:00", "2025-02-03 10:12:00", "0", "10.0.0.1", "100",
                     str(int(gen.integers(100, 900))), "1", "2025-02-03 10:12:01",
                     f"R_{seed}{i:05d}xyz", "anonymous", "FR-CA", f"P{i:04d}",
                     ["Site Nord", "Site Sud", "Site de l'Est"][i % 3],
                     *[str(int(gen.integers(1, 6))) for _ in range(3)],
                     "Très bien" if gen.random() < 0.2 else ""])
    header = pd.DataFrame([names, questions, [f'{{"ImportId":"{c}"}}' for c in names]])
    pd.concat([header, pd.DataFrame(rows)]).to_csv(path, header=False, index=False)


def test_qualtrics_exports_of_two_waves_take_their_wave_from_the_file_name(tmp_path):
    files = [tmp_path / "export_T1.csv", tmp_path / "export_T2.csv"]
    for k, path in enumerate(files, 1):
        _qualtrics(path, seed=k)
    study_file, draft = draft_new_study(tmp_path / "q", files)
    # Each export numbers its responses (ResponseId); the participant code links the waves.
    assert draft.roles["id"] == "code_participant" and draft.roles["site"] == "Q1"
    study = load_study(study_file)
    assert [s.constants["wave"] for s in study.sources.survey] == [1, 2]
    assert study.roles.wave == "wave" and study.waves.baseline == 1
    codebook = load_codebook(study_file.parent / "codebook.yaml")
    assert codebook["Q2_1"].label.fr == "Je suis écouté·e"
    assert "IPAddress" not in codebook  # the reader leaves identifying metadata out
    assert codebook["ResponseId"].type == "id" and codebook["ResponseId"].identifying
    assert study.privacy.redact == ["Q3"]
    _assert_clean(study_file)


def _redcap(folder: Path) -> tuple[Path, Path]:
    dictionary = pd.DataFrame([
        ["record_id", "enquete", "", "text", "Record ID", "", "", "", "", "", "", ""],
        ["site", "enquete", "", "radio", "Site", "1, Nord | 2, Sud | 3, Île", "", "", "", "",
         "", ""],
        ["type_repondant", "enquete", "", "dropdown", "Type de répondant",
         "1, Usager | 2, Proche | 3, Intervenant", "", "", "", "", "", ""],
        ["courriel", "enquete", "", "text", "Courriel", "", "", "email", "", "", "y", ""],
        ["consent", "enquete", "", "yesno", "Consentement", "", "", "", "", "", "", ""],
        *[[f"q{k}", "enquete", "", "radio", f"Question {k}",
           "1, Jamais | 2, Rarement | 3, Parfois | 4, Souvent | 5, Toujours", "", "", "", "",
           "", ""] for k in range(1, 5)],
        ["services", "enquete", "", "checkbox", "Services reçus",
         "1, Soutien à domicile | 2, Répit | 3, Transport", "", "", "", "", "", ""],
        ["heures", "enquete", "", "text", "Heures par semaine", "", "", "integer", "0", "80",
         "", "[services(1)] = '1'"],
        ["note", "enquete", "", "descriptive", "Merci !", "", "", "", "", "", "", ""],
    ], columns=["Variable / Field Name", "Form Name", "Section Header", "Field Type",
                "Field Label", "Choices, Calculations, OR Slider Labels", "Field Note",
                "Text Validation Type OR Show Slider Number", "Text Validation Min",
                "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)"])
    dictionary_path = folder / "DataDictionary.csv"
    dictionary.to_csv(dictionary_path, index=False)
    gen = np.random.default_rng(4)
    rows = []
    for person in range(150):
        site = int(gen.integers(1, 4))
        kind = int(gen.choice([1, 2, 3], p=[0.6, 0.2, 0.2]))
        for event in ("baseline_arm_1", "followup_arm_1"):
            if event == "followup_arm_1" and gen.random() < 0.2:
                continue
            services = gen.random(3) < 0.4
            rows.append({"record_id": person + 1, "redcap_event_name": event, "site": site,
                         "type_repondant": kind, "courriel": f"x{person}@y.ca", "consent": 1,
                         **{f"q{k}": int(gen.integers(1, 6)) for k in range(1, 5)},
                         **{f"services___{c}": int(services[c - 1]) for c in (1, 2, 3)},
                         "heures": int(gen.integers(0, 40)) if services[0] else None,
                         "enquete_complete": 2})
    data_path = folder / "EXPORT_DATA_2025-03-01.csv"
    pd.DataFrame(rows).to_csv(data_path, index=False)
    return data_path, dictionary_path


def test_redcap_export_with_its_data_dictionary(tmp_path):
    data_path, dictionary_path = _redcap(tmp_path)
    assert dictionary_kind(dictionary_path) == "redcap" and dictionary_kind(data_path) is None
    study_file, draft = draft_new_study(tmp_path / "redcap", [data_path, dictionary_path])
    assert draft.roles == {"id": "record_id", "wave": "redcap_event_name", "site": "site",
                           "group": "type_repondant"}
    study = load_study(study_file)
    assert study.waves.baseline == "baseline_arm_1"
    assert study.waves.follow_up == ["followup_arm_1"]
    codebook = load_codebook(study_file.parent / "codebook.yaml")
    assert {k: v.fr for k, v in codebook.values_of("site").items()} == \
        {1: "Nord", 2: "Sud", 3: "Île"}
    assert codebook["q1"].type == "likert"  # Jamais … Toujours reads like a frequency scale
    assert codebook["courriel"].identifying
    assert codebook["services___2"].label.fr == "Services reçus : Répit"
    assert codebook["heures"].range == (0.0, 80.0)
    assert "logique de branchement" in (study_file.parent / "codebook.yaml").read_text(
        encoding="utf-8")
    _assert_clean(study_file)


def test_xlsx_data_with_an_xlsx_codebook_and_a_sheet_of_variables(tmp_path):
    frame = _people(200, seed=5).drop(columns=["courriel"])
    frame.insert(1, "vague", 1)
    data_path = tmp_path / "réponses.xlsx"
    with pd.ExcelWriter(data_path) as writer:
        frame.to_excel(writer, sheet_name="Réponses", index=False)
    codebook_path = tmp_path / "dictionnaire.xlsx"
    rows = [["territoire", "category", "Territoire", "Territory", s, s, s, ""] for s in SITES]
    rows += [["profil", "category", "Profil", "Profile", k, fr, en, ""]
             for k, fr, en in ((1, "Usager", "User"), (2, "Proche", "Carer"),
                               (3, "Intervenant", "Staff"))]
    pd.DataFrame(rows, columns=["variable", "type", "label_fr", "label_en", "valeur",
                                "value_label_fr", "value_label_en", "manquant"]).to_excel(
        codebook_path, index=False)
    sheet_path = tmp_path / "variables.xlsx"
    pd.DataFrame({"Variable": [f"bien_etre_{k}" for k in range(1, 6)],
                  "Libellé": [f"Bien-être {k}" for k in range(1, 6)],
                  "Valeurs": ["1 = Pas du tout; 2 = Un peu; 3 = Assez; 4 = Tout à fait; "
                              "8 = Ne sait pas; 9 = Refus"] * 5}).to_excel(sheet_path,
                                                                          index=False)
    assert dictionary_kind(codebook_path) == "evalkit" and dictionary_kind(sheet_path) == "sheet"
    assert read_data_dictionary(sheet_path).variables["bien_etre_2"].choices[3] == "Assez"
    study_file, draft = draft_new_study(tmp_path / "xl", [data_path, codebook_path, sheet_path])
    codebook = load_codebook(study_file.parent / "codebook.yaml")
    assert codebook["profil"].label.en == "Profile"  # kept from the XLSX codebook
    assert codebook.value_label("profil", 2, "en") == "Carer"
    assert codebook["bien_etre_3"].label.fr == "Bien-être 3"
    assert set(map(str, codebook["bien_etre_3"].missing)) == {"8", "9"}
    assert draft.roles["site"] == "territoire" and draft.roles["wave"] == "vague"
    _assert_clean(study_file)


def test_a_file_without_site_or_wave_gets_one_site_said_so(tmp_path):
    frame = pd.DataFrame({"id": [f"P{i}" for i in range(40)],
                          "q1": np.tile([1, 2, 3, 4], 10)})
    path = tmp_path / "simple.csv"
    frame.to_csv(path, index=False)
    study_file, draft = draft_new_study(tmp_path / "s", [path])
    assert draft.roles["site"] == "site" and draft.roles["wave"] is None
    assert [g.role for g in draft.guesses if g.column is None] == ["site"]
    assert load_study(study_file).sources.survey[0].constants == {"site": 1}
    assert "aucune colonne de site" in study_file.read_text(encoding="utf-8")
    _assert_clean(study_file)


def test_sketch_reads_the_metadata_and_a_spread_sample_of_a_large_spss_file(tmp_path):
    n = 20_000
    frame = pd.DataFrame({"id": [f"R{i:06d}" for i in range(n)],
                          "site": np.repeat(np.arange(1, 41), n // 40).astype(float),
                          "q": np.tile([1.0, 2.0, 3.0, 4.0], n // 4)})
    path = tmp_path / "grand.sav"
    pyreadstat.write_sav(frame, path, variable_value_labels={"q": {1.0: "a", 2.0: "b",
                                                                   3.0: "c", 4.0: "d"}})
    sketch = sketch_source(path)
    assert sketch.n_rows == n and len(sketch.sample) == 4000
    # Sorted by site: the sample's four blocks hold 4 sites; every site is read all the same.
    assert sketch.sample["site"].nunique() < 40
    assert sketch.column("site").distinct == tuple(range(1, 41))
    assert sketch.column("q").value_labels == {1: "a", 2: "b", 3: "c", 4: "d"}


def test_the_command_line_drafts_and_refuses_to_overwrite(cli, tmp_path):
    path = tmp_path / "t1.csv"
    _people(60, seed=6).to_csv(path, index=False)
    out = cli("new", str(tmp_path / "étude"), "--from", str(path))
    assert out.returncode == 0, out.stderr
    assert "id: no_dossier" in out.stdout and "site: territoire" in out.stdout
    again = cli("new", str(tmp_path / "étude"), "--from", str(path))
    assert again.returncode == 2 and "already holds study.yaml" in again.stderr
    only_dictionary = tmp_path / "dict.csv"
    pd.DataFrame({"variable": ["a"], "label": ["A"]}).to_csv(only_dictionary, index=False)
    none = cli("new", str(tmp_path / "autre"), "--from", str(only_dictionary))
    assert none.returncode == 2 and "no data file" in none.stderr
    assert not (tmp_path / "autre" / "study.yaml").exists()


def test_the_draft_is_the_same_for_the_same_files(tmp_path):
    path = tmp_path / "t1.csv"
    _people(80, seed=7).to_csv(path, index=False)
    first = draft_new_study(tmp_path / "a", [path])[1]
    second = draft_new_study(tmp_path / "b", [path])[1]
    assert first.codebook == second.codebook
    assert first.study == second.study.replace("study: b", "study: a")
    assert yaml.safe_load(first.study)["roles"]["id"] == "no_dossier"


@pytest.mark.parametrize("name", ["study.yaml", "codebook.yaml"])
def test_an_existing_study_is_never_overwritten(tmp_path, name):
    path = tmp_path / "t1.csv"
    _people(30, seed=8).to_csv(path, index=False)
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / name).write_text("kept", encoding="utf-8")
    with pytest.raises(ConfigError, match="already holds"):
        draft_new_study(folder, [path])
    assert (folder / name).read_text(encoding="utf-8") == "kept"


@pytest.mark.parametrize("shape", list(ZOO))
def test_a_zoo_study_drafted_from_its_files_finds_its_roles_and_validates(tmp_path, shape):
    folder = make_zoo_study(tmp_path / "zoo", shape, seed=4).parent
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    files = [folder / f["path"] for f in truth["files"]["survey"] if not f.get("staff")]
    study_file, draft = draft_new_study(tmp_path / "brouillon", files)
    assert draft.roles == {role: truth["names"][role] for role in ("id", "wave", "site",
                                                                   "group")}
    _assert_clean(study_file)
