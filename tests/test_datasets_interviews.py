"""The demo interviews: planted parameters are recovered, frames are consistent, no repeats."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from evalkit import ArgumentError, assign_units, check_segments, units_from_turns
from evalkit.datasets.interviews import CODERS, interview_codebook, make_demo_interviews

SITES = ["Sherbrooke", "Magog", "Granby", "Coaticook"]


@pytest.fixture(scope="module")
def big():
    return make_demo_interviews(sites=SITES, seed=2026, n_per_site=30, share_double_coded=0.5)


def test_same_seed_same_data_other_seed_other_data():
    a = make_demo_interviews(sites=SITES[:2], seed=5, n_per_site=3)
    b = make_demo_interviews(sites=SITES[:2], seed=5, n_per_site=3)
    c = make_demo_interviews(sites=SITES[:2], seed=6, n_per_site=3)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2] == b[2]
    assert not a[0]["text"].equals(c[0]["text"])


def test_documents_are_unique_mostly_french_and_cycle_through_groups(big):
    docs = big[0]
    assert len(docs) == 120 and docs["text"].is_unique and docs["document"].is_unique
    assert docs.groupby("site")["group"].value_counts().unstack().eq(10).all().all()
    share_en = (docs["language"] == "en").mean()
    assert 0.1 < share_en < 0.3  # planted 0.2
    french = docs.loc[docs["language"] == "fr", "text"]
    assert french.str.startswith("Q : ").all() and french.str.contains("\nR : ").all()
    english = docs.loc[docs["language"] == "en", "text"]
    assert english.str.contains("\nA: ").all()
    assert make_demo_interviews(sites=["A"], seed=1, n_per_site=4,
                                lang_share_en=0.0)[0]["language"].eq("fr").all()


def test_segments_are_the_coded_turns(big):
    docs, segs, _ = big
    check_segments(segs)
    texts = docs.set_index("document")["text"]
    assert all(texts[d][s:e] == t for d, s, e, t in
               zip(segs["document"], segs["start"], segs["end"], segs["text"], strict=True))
    # the unit is the turn that units_from_turns and assign_units find
    derived = assign_units(segs, units_from_turns(docs))
    assert derived["unit"].tolist() == segs["unit"].tolist()
    meta = docs.set_index("document")
    assert (segs["site"].to_numpy() == meta.loc[segs["document"], "site"].to_numpy()).all()
    book = set(interview_codebook()["code_path"])
    assert set(segs["code_path"]) <= book


def test_codebook_has_four_themes_with_french_names_and_english_labels():
    book = interview_codebook()
    assert 12 <= len(book) <= 20 and book["theme"].nunique() == 4
    assert book["code_path"].is_unique
    assert book.set_index("code").loc["Consultation sans effet", "label_en"] == \
        "Consultation without influence"


def test_second_coder_codes_the_shared_subset_with_the_planted_agreement(big):
    docs, segs, truth = big
    coded_by = segs.groupby("coder")["document"].unique()
    assert len(coded_by[CODERS[0]]) == len(docs)
    assert set(coded_by[CODERS[1]]) == set(truth["double_coded"])
    assert len(truth["double_coded"]) == 60
    a = segs[segs["coder"] == CODERS[0]].set_index("unit")["code"]
    b = segs[segs["coder"] == CODERS[1]].set_index("unit")["code"]
    shared = a[a.index.map(lambda u: u.split("#")[0] in set(truth["double_coded"]))]
    observed = (b.reindex(shared.index) == shared).mean()
    assert observed == pytest.approx(truth["observed_agreement"])
    assert truth["n_units_double_coded"] == len(shared)
    # binomial: 0.8 ± 3 standard errors
    se = np.sqrt(0.8 * 0.2 / len(shared))
    assert abs(observed - 0.8) < 3 * se


@pytest.mark.parametrize("agreement", [0.0, 1.0])
def test_agreement_extremes(agreement):
    _, segs, truth = make_demo_interviews(sites=SITES[:2], seed=3, n_per_site=6,
                                          agreement=agreement)
    assert truth["observed_agreement"] == agreement
    a = segs[segs["coder"] == CODERS[0]].set_index("unit")["code"]
    b = segs[segs["coder"] == CODERS[1]].set_index("unit")["code"]
    if agreement == 1.0:
        assert (b == a.reindex(b.index)).all() and len(b) == truth["n_units_double_coded"]
    else:
        assert (b != a.reindex(b.index)).all()


def test_planted_site_differences(big):
    _, segs, truth = big
    a = segs[segs["coder"] == CODERS[0]]
    theme = a["code_path"].str.split("/").str[0]
    tokenism = (theme == "Tokénisme").groupby(a["site"]).mean()
    assert truth["tokenism_site"] == "Magog"
    assert tokenism.idxmax() == "Magog" and tokenism["Magog"] > 1.5 * tokenism.drop(
        "Magog").max()
    # in what people say about involvement, tokenism dominates at the tokenism site only
    counts = theme.groupby(a["site"]).value_counts().unstack()
    dominated = counts["Tokénisme"] > counts["Implication"]
    assert dominated.to_dict() == {s: s == "Magog" for s in SITES}
    integration = a[theme == "Réseaux et intégration"]
    coordination = (integration["code"] == "Coordination des services").groupby(
        integration["site"]).sum()
    fragmented = (integration["code"] == "Services fragmentés").groupby(
        integration["site"]).sum()
    assert truth["integrated_site"] == "Sherbrooke"
    assert coordination["Sherbrooke"] > fragmented["Sherbrooke"]
    assert coordination.drop("Sherbrooke").sum() < fragmented.drop("Sherbrooke").sum()


def test_planted_identifiers_are_in_their_turns(big):
    docs, _, truth = big
    planted = pd.DataFrame(truth["planted_identifiers"])
    assert set(planted["kind"]) == {"name", "phone", "email"}
    texts = docs.set_index("document")["text"]
    units = units_from_turns(docs).set_index("unit")["text"]
    for row in planted.itertuples():
        assert row.value in units[row.unit] and row.value in texts[row.document]
    phones = planted.loc[planted["kind"] == "phone", "value"]
    assert phones.str.fullmatch(r"\(?\d{3}\)?[ -]555-01\d\d").all()
    emails = planted.loc[planted["kind"] == "email", "value"]
    assert emails.str.fullmatch(r"[a-z]+\.[a-z]+@example\.(org|com)").all()
    share = planted["document"].nunique() / len(docs)
    assert 0.1 < share < 0.4
    # no other telephone number or e-mail address anywhere in the transcripts
    found = texts.str.findall(r"\(?\d{3}\)?[ -]555-01\d\d|[\w.]+@[\w.]+").str.len().sum()
    assert found == len(phones) + len(emails)


def test_bad_arguments():
    with pytest.raises(ArgumentError, match="sites must be a non-empty list"):
        make_demo_interviews(sites=[], seed=1)
    with pytest.raises(ArgumentError, match="sites must be a non-empty list"):
        make_demo_interviews(sites=["A", "A"], seed=1)
    with pytest.raises(ArgumentError, match="sites must be a non-empty list"):
        make_demo_interviews(sites="Magog", seed=1)
    with pytest.raises(ArgumentError, match="agreement must be a number between 0 and 1"):
        make_demo_interviews(sites=["A"], seed=1, agreement=1.5)
    with pytest.raises(ArgumentError, match="n_per_site must be an integer ≥ 1"):
        make_demo_interviews(sites=["A"], seed=1, n_per_site=0)
    with pytest.raises(ArgumentError, match="seed must be a non-negative integer"):
        make_demo_interviews(sites=["A"], seed=-1)


def test_french_text_has_no_missing_elision(big):
    docs = big[0]
    assert not docs["text"].str.contains(r"\bque [aeiouéèàâ]", flags=re.IGNORECASE).any()
    assert not docs["text"].str.contains(r"\bde le |\bà le |\bde les |\bà les ").any()
