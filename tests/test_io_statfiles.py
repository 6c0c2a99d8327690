"""Reading SPSS and Stata files: value labels and user-defined missing values kept."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from evalkit import DataError
from evalkit.read import detect_format, read_source

LABELS = {1: "Pas du tout d’accord", 2: "Plutôt pas", 3: "Neutre", 4: "Plutôt d’accord",
          5: "Tout à fait d’accord", 8: "Ne sait pas", 9: "Refus"}


@pytest.fixture
def sav(tmp_path):
    frame = pd.DataFrame({
        "id": [1.0, 2.0, 3.0, 4.0, 5.0],
        "q1": [4.0, 8.0, 9.0, 1.0, np.nan],
        "revenu": [98.0, 12.0, 99.0, 97.0, 30.0],
        "site": ["Estrie", "Montréal", "", "Québec", "Gaspésie"],
        "commentaire": ["À l’écoute « vraiment »", "", "Cœur", "ça va", "Noël"],
    })
    path = tmp_path / "usagers_w2.sav"
    pyreadstat.write_sav(
        frame, path,
        column_labels={"q1": "On m’a demandé mon avis", "site": "Point de service"},
        variable_value_labels={"q1": LABELS, "revenu": {97: "Inconnu", 99: "Refus"}},
        missing_ranges={"q1": [8, 9], "revenu": [{"lo": 97, "hi": 99}]},
    )
    return path


def test_user_missing_values_round_trip_through_the_writer(sav):
    _, meta = pyreadstat.read_sav(sav, user_missing=True, metadataonly=True)
    assert meta.missing_ranges == {"q1": [{"lo": 8.0, "hi": 8.0}, {"lo": 9.0, "hi": 9.0}],
                                   "revenu": [{"lo": 97.0, "hi": 99.0}]}


def test_dont_know_and_refused_stay_distinguishable(sav):
    before = hashlib.sha256(sav.read_bytes()).hexdigest()
    source = read_source(sav, display_path="usagers_w2.sav")
    assert hashlib.sha256(sav.read_bytes()).hexdigest() == before
    assert source.provenance.format == "sav"
    q1 = source.data["q1"].tolist()
    assert q1[:4] == [4.0, 8.0, 9.0, 1.0] and np.isnan(q1[4])
    assert source.missing_codes["q1"] == {8.0: "Ne sait pas", 9.0: "Refus"}
    assert source.value_labels["q1"][8] == "Ne sait pas"
    assert source.value_labels["q1"][4] == "Plutôt d’accord"


def test_missing_ranges_list_the_labelled_and_observed_codes(sav):
    source = read_source(sav)
    assert source.missing_codes["revenu"] == {97.0: "Inconnu", 98.0: None, 99.0: "Refus"}


def test_labels_text_and_case_numbers(sav):
    source = read_source(sav)
    assert source.variable_labels == {"q1": "On m’a demandé mon avis",
                                      "site": "Point de service"}
    assert source.data["commentaire"].iloc[0] == "À l’écoute « vraiment »"
    assert pd.isna(source.data["site"].iloc[2])  # SPSS's empty string is a missing text
    assert source.lines.tolist() == [1, 2, 3, 4, 5]
    assert source.provenance.encoding == "UTF-8"
    assert source.provenance.header_rows == 0


def test_stata_extended_missing_values(tmp_path):
    frame = pd.DataFrame({"q1": pd.Series([1, 2, "a", "b", 3], dtype=object),
                          "nom": ["Hélène", "François", "Zoë", "Œuvre", "ç"]})
    path = tmp_path / "vague3.dta"
    pyreadstat.write_dta(frame, path, variable_value_labels={"q1": {1: "Oui", 2: "Non"}},
                         missing_user_values={"q1": ["a", "b"]},
                         column_labels={"q1": "Êtes-vous d’accord ?"})
    _, meta = pyreadstat.read_dta(path, user_missing=True)
    assert meta.missing_user_values == {"q1": ["a", "b"]}
    assert detect_format(path) == "dta"
    source = read_source(path)
    assert source.data["q1"].tolist() == [1, 2, "a", "b", 3]
    assert source.missing_codes == {"q1": {"a": None, "b": None}}
    assert source.value_labels == {"q1": {1: "Oui", 2: "Non"}}
    assert source.variable_labels == {"q1": "Êtes-vous d’accord ?"}
    assert source.data["nom"].tolist() == ["Hélène", "François", "Zoë", "Œuvre", "ç"]


def test_files_are_recognised_by_content(sav, tmp_path):
    renamed = tmp_path / "export.dat"
    renamed.write_bytes(sav.read_bytes())
    assert detect_format(renamed) == "sav"
    assert read_source(renamed).provenance.format == "sav"


def test_corrupted_spss_file_is_a_data_error(sav, tmp_path):
    broken = tmp_path / "abîmé.sav"
    broken.write_bytes(sav.read_bytes()[:300])
    with pytest.raises(DataError) as caught:
        read_source(broken, display_path="abîmé.sav")
    assert caught.value.where == "abîmé.sav"
    assert "cannot be read as SPSS" in caught.value.message
    assert "SPSS" in caught.value.hint
