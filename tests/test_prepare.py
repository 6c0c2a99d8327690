"""Preparation: identifiers replaced once, identifying columns gone, free text scrubbed."""

import shutil

import pandas as pd
import pytest

from evalkit import ConfigError, DataError
from evalkit.config.study import load_study
from evalkit.prepare.study import prepare_study

DEMO_NAMES = ("Tremblay", "Gagnon", "Lavoie")


@pytest.fixture(scope="module")
def prepared(project_root):
    return prepare_study(load_study(project_root / "data_samples" / "demo"))


def test_identifiers_are_pseudonymised_and_other_identifying_columns_dropped(prepared):
    raw = prepared.report.responses
    out = prepared.responses
    assert "contact_name" not in out.columns
    assert not set(out["respondent_id"]) & set(raw["respondent_id"])
    # The same person has the same pseudonym at both waves.
    assert out.groupby("respondent_id")["wave"].nunique().max() == 2
    assert out["respondent_id"].str.fullmatch(r"P[0-9A-Z]{12}").all()
    assert len(prepared.identifiers) >= raw["respondent_id"].nunique()


def test_free_text_is_scrubbed_of_planted_identifiers(prepared):
    comments = prepared.responses["comment"].dropna()
    raw = prepared.report.responses["comment"].dropna()
    assert raw.str.contains(r"555-\d{4}").any() and raw.str.contains("@example.org").any()
    assert not comments.str.contains(r"555").any()
    assert not comments.str.contains("@").any()
    for name in prepared.study.privacy.names:
        assert not comments.str.contains(name, regex=False).any(), name
    assert comments.str.contains(r"\[NOM\]").any()


def test_interview_participants_are_pseudonymised(prepared):
    raw = prepared.report.segments["participant"]
    assert not set(prepared.segments["participant"]) & set(raw)
    assert prepared.segments["participant"].nunique() == raw.nunique()


def test_segments_are_named_by_keyed_pseudonyms_not_the_exports_ids(prepared):
    from evalkit.prepare.study import segment_pseudonyms

    raw = prepared.report.segments["segment_id"].astype(str)
    named = prepared.segments["segment_id"].astype(str)
    assert not set(named) & set(raw)
    assert named.str.fullmatch(r"S[0-9A-Z]{12}").all()
    # one name per segment of the export, the same in every coder's row
    assert pd.crosstab(raw, named).astype(bool).sum().eq(1).all()
    assert named.nunique() == raw.nunique()
    assert segment_pseudonyms(raw, key=prepared.key).tolist() == named.tolist()
    assert segment_pseudonyms(raw, key=b"another key of 32 bytes........").tolist() != \
        named.tolist()


def test_the_caller_data_are_not_changed(prepared):
    assert "contact_name" in prepared.report.responses.columns


def test_a_study_with_errors_is_not_prepared(project_root):
    with pytest.raises(DataError, match="validation found 1 error"):
        prepare_study(load_study(project_root / "tests" / "broken_studies" / "data_wrong_type"))


def test_pseudonymising_without_a_key_says_how_to_make_one(project_root, tmp_path,
                                                          monkeypatch):
    study = shutil.copytree(project_root / "tests" / "broken_studies" / "data_follow_up_without_baseline",
                            tmp_path / "s")
    monkeypatch.delenv("EVALKIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="EVALKIT_KEY") as info:
        prepare_study(load_study(study))
    assert "evalkit keygen" in info.value.render("en")
