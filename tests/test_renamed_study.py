"""Nothing in evalkit depends on what a study calls its columns and categories: the demo study
with every column and every category renamed (codebook, study.yaml, survey files, the
population's and the partners' files, with their own headers mapped) releases the same numbers,
table by table and value by value, once the new names are read back as the old ones.

The coded interviews are left out of both studies: their case variables name the sites inside
the REFI-QDA archive (covered by the interview tests).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evalkit.analyse.compute import compute_results
from evalkit.config.study import load_study
from evalkit.datasets.demo import make_demo_study
from evalkit.prepare.study import prepare_study
from evalkit.release.tables import released_table

pytestmark = pytest.mark.slow


def _column(name: str) -> str:
    return f"Q{len(name)} {name.replace('_', ' ')} (n°1 d'ici)"


_CATEGORIES = {
    "site": lambda v: f"Territoire d'{v} 2",
    "respondent_type": {"user": "usager·ère", "carer": "proche aidant", "staff": "intervenant 1"}.get,
    "wave": lambda v: f"Temps {v}",
    "age_group": lambda v: f"âge {v}",
    "sex": {"F": "femme", "M": "homme"}.get,
}


def _rename_study(folder: Path) -> dict[str, str]:
    """Rename every column and category of the plain demo study in ``folder``; return the map
    new name → old name (columns and categories)."""
    study_file = folder / "study.yaml"
    study = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    book = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
    columns = {c: _column(c) for c in book["variables"]}
    categories = {c: {str(v): str(f(str(v))) for v in book["variables"][c]["values"]}
                  for c, f in _CATEGORIES.items()}
    back = {new: old for old, new in columns.items()}
    for mapping in categories.values():
        back |= {new: old for old, new in mapping.items()}
    # Survey files: new headers and new category codes.
    for path in sorted(folder.glob("survey_w*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column, mapping in categories.items():
            frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v))
        frame.rename(columns=columns).to_csv(path, index=False, lineterminator="\n")
    # Population and partners: their own headers, mapped in study.yaml.
    population = pd.read_csv(folder / "population.csv", dtype=str, keep_default_na=False)
    population["site"] = population["site"].map(categories["site"])
    population["level"] = [categories.get(d, {}).get(v, v)
                           for d, v in zip(population["dimension"], population["level"],
                                           strict=True)]
    population["dimension"] = population["dimension"].map(columns)
    population.columns = ["Territoire", "Variable", "Modalité", "Effectif"]
    population.to_csv(folder / "population.csv", index=False, lineterminator="\n")
    partners = pd.read_csv(folder / "partners.csv", dtype=str, keep_default_na=False)
    partners["site"] = partners["site"].map(categories["site"])
    partners.columns = ["Organisme partenaire", "Territoire", "Niveau 1-5"]
    partners.to_csv(folder / "partners.csv", index=False, lineterminator="\n")
    # The codebook.
    variables = {}
    for name, spec in book["variables"].items():
        if name in categories:
            spec["values"] = {categories[name][str(k)]: v for k, v in spec["values"].items()}
        if "waves" in spec:  # asked at some waves only: the waves under their new codes
            spec["waves"] = [categories["wave"][str(w)] for w in spec["waves"]]
        if "asked_if" in spec:  # skip logic: the filter and its codes under their new names
            rule = spec["asked_if"]
            codes = categories.get(rule["variable"], {})
            spec["asked_if"] = {"variable": columns[rule["variable"]],
                                "values": [codes.get(str(v), v) for v in rule["values"]]}
        variables[columns[name]] = spec
    book["variables"] = variables
    (folder / "codebook.yaml").write_text(yaml.safe_dump(book, allow_unicode=True,
                                                         sort_keys=False), encoding="utf-8")
    # study.yaml: every column and category it names.
    col = columns.__getitem__
    sources = study["sources"]
    sources["population"] = {"path": "population.csv", "columns": {
        "Territoire": col("site"), "Variable": "dimension", "Modalité": "level",
        "Effectif": "count"}, "set": {col("respondent_type"): categories["respondent_type"]["user"]}}
    study["roles"] = {k: col(v) for k, v in study["roles"].items()}
    study["waves"] = {"baseline": categories["wave"]["1"],
                      "follow_up": [categories["wave"]["2"]]}
    measures = study["measures"]
    inv = measures["involvement"]
    inv["ladder"] = [col(c) for c in inv["ladder"]]
    inv["tokenism"] = {k: [col(c) for c in v] for k, v in inv["tokenism"].items()}
    inv["perception"] = {k: [categories["respondent_type"][g] for g in v]
                         for k, v in inv["perception"].items()}
    out = measures["outcomes"]
    out["items"] = [col(c) for c in out["items"]]
    out["groups"] = {k: [col(c) for c in v] for k, v in out["groups"].items()}
    for scale in measures["scales"].values():
        scale["items"] = [col(c) for c in scale["items"]]
    measures["network"] = {k: col(v) for k, v in measures["network"].items()}
    measures["integration"] |= {"partner": "Organisme partenaire", "site": "Territoire",
                                "level": "Niveau 1-5"}
    for boxes in measures["logic_model"].values():
        for box in boxes:
            if box.get("indicator") in columns:
                box["indicator"] = col(box["indicator"])
    privacy = study["privacy"]
    for key in ("pseudonymise", "redact", "quasi_identifiers"):
        privacy[key] = [col(c) for c in privacy.get(key, [])]
    study_file.write_text(yaml.safe_dump(study, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
    return back


def _without_interviews(folder: Path) -> None:
    study_file = folder / "study.yaml"
    study = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    study["sources"].pop("interviews", None)
    study_file.write_text(yaml.safe_dump(study, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")


def _released(folder: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo key
        study = load_study(folder / "study.yaml")
        results = compute_results(prepare_study(study), n_boot=200)
    tables = {name: released_table(results, name, policy=study.privacy)
              for name in results.tables}
    absent = {name: results.absence(name).reason for name in catalogue_names(results)
              if results.absence(name) is not None}
    return tables, absent


def catalogue_names(results) -> list[str]:
    from evalkit.analyse.catalogue import catalogue

    return [name for name in catalogue() if "{" not in name]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("renamed")
    original = make_demo_study(root / "original", n_sites=4, n_per_site=60, formats="plain")
    renamed = make_demo_study(root / "renamed", n_sites=4, n_per_site=60, formats="plain")
    for study in (original, renamed):
        _without_interviews(study.parent)
    back = _rename_study(renamed.parent)
    return _released(original.parent), _released(renamed.parent), back


def _read_back(frame: pd.DataFrame, back: dict[str, str]) -> pd.DataFrame:
    out = frame.rename(columns=lambda c: back.get(c, c))
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) \
                and not pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].map(lambda v: back.get(v, v) if isinstance(v, str) else v)
    return out


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return ""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _comparable(got: pd.DataFrame, expected: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames with their text-like columns as text (a wave coded 1 in one study and
    'Temps 1' in the other reads back as '1' in both), rows in the same order."""
    got, expected = got.copy(), expected.copy()
    keys = []
    for column in expected.columns:
        numeric = all(pd.api.types.is_numeric_dtype(f[column])
                      and not pd.api.types.is_bool_dtype(f[column]) for f in (got, expected))
        if not numeric:
            got[column] = got[column].map(_text).astype(object)
            expected[column] = expected[column].map(_text).astype(object)
            keys.append(column)
    if keys:
        got = got.sort_values(keys, kind="stable").reset_index(drop=True)
        expected = expected.sort_values(keys, kind="stable").reset_index(drop=True)
    return got, expected


def test_the_renamed_study_releases_the_same_tables(both):
    (tables, absent), (renamed, renamed_absent), back = both
    assert set(renamed) == set(tables) and len(tables) > 25
    assert renamed_absent == absent
    for name, frame in tables.items():
        got = _read_back(renamed[name], back)
        assert list(got.columns) == list(frame.columns), name
        if name == "sources":  # the files differ, so do their fingerprints
            got, frame = got.drop(columns="sha256"), frame.drop(columns="sha256")
        got, expected = _comparable(got, frame)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9,
                                      obj=name)


def test_the_renamed_study_names_its_own_columns_and_categories(both):
    _, (renamed, _), back = both
    counts = renamed["response_counts"]
    assert _column("site") in counts.columns and "site" not in counts.columns
    assert set(counts[_column("respondent_type")].astype(str)) <= {
        "usager·ère", "proche aidant", "intervenant 1"}
    assert set(renamed["tokenism_rates"][_column("site")]) == {
        f"Territoire d'{s} 2" for s in "ABCD"}
