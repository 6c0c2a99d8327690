"""The quote bank: scrubbed, trimmed, deterministic, attributed by role and site only."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import ArgumentError
from evalkit.analyse.qual import quotes
from evalkit.analyse.qual.quotes import QUOTE_COLUMNS, attribution, quote_bank

LONG = ("We were invited to the committee in March. They asked what we thought about the "
        "new schedule. Then the decision came from the director anyway. Nobody explained why. "
        "I stopped going after that.")


def make_segments(rows, coder="ana"):
    frame = pd.DataFrame(rows, columns=["segment_id", "participant", "site", "group",
                                        "code_path", "text"])
    return frame.assign(document="doc-" + frame["participant"], coder=coder,
                        start=range(0, 100 * len(frame), 100), end=50, unit=pd.NA,
                        code=frame["code_path"].str.split("/").str[-1])


@pytest.fixture
def segments():
    return make_segments([
        ("s1", "Marie Roy", "A", "user", "Voice/Asked", LONG),
        ("s2", "Marie Roy", "A", "user", "Voice/Asked",
         "They asked again about the schedule and the meals at the committee."),
        ("s3", "Paul Dion", "A", "user", "Voice/Asked",
         "A nurse visits me at home, usually on Tuesdays, for an hour."),
        ("s4", "Lise Cyr", "A", "carer", "Voice/Asked",
         "Call me at 819 555 0142 or write to lise@example.ca about the committee."),
        ("s5", "Paul Dion", "B", "staff", "Voice/Heard", "Yes."),
        ("s6", "Ann Lee", "B", "Gestionnaire", "Power/Staff decide",
         "Decisions are taken at the management table, users are informed afterwards."),
    ])


def test_columns_and_no_identifying_field(segments):
    bank = quote_bank(segments, lang="en")
    assert bank.columns.tolist() == QUOTE_COLUMNS
    shown = " ".join(bank.astype(str).to_numpy().ravel())
    for identifying in ("Marie", "Roy", "Paul", "Dion", "Lise", "doc-"):
        assert identifying not in shown


def test_every_quote_passes_through_redact(segments, monkeypatch):
    calls = []

    def fake_scrub(texts, *, lang, names=()):
        calls.append((len(texts), lang, tuple(names)))
        return texts.map(lambda text: "<scrubbed> " + text)

    monkeypatch.setattr(quotes, "scrub_texts", fake_scrub)
    bank = quote_bank(segments, lang="fr", names=["Jean Tremblay"], min_chars=1)
    assert len(calls) == 1 and calls[0][1] == "fr"
    assert "Jean Tremblay" in calls[0][2] and "Marie Roy" in calls[0][2]  # participants too
    assert bank["quote"].str.startswith("<scrubbed> ").all()


def test_identifiers_in_the_text_are_scrubbed(segments):
    bank = quote_bank(segments, lang="en")
    carer = bank.loc[bank["group"] == "carer", "quote"].iloc[0]
    assert "819" not in carer and "lise@example.ca" not in carer
    assert "[PHONE]" in carer and "[EMAIL]" in carer


def test_quotes_are_trimmed_at_sentence_boundaries(segments):
    bank = quote_bank(segments, code="Asked", lang="en", max_chars=120)
    first = bank.loc[bank["segment_id"] == "s1", "quote"].iloc[0]
    assert first == ("We were invited to the committee in March. They asked what we thought "
                     "about the new schedule. […]")
    assert (bank["n_chars"] == bank["quote"].str.len()).all()
    assert (bank["n_chars"] <= 120).all()


@settings(max_examples=50, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("abcdé XY.!?…»")), min_size=1, max_size=400),
       max_chars=st.integers(20, 200))
def test_quotes_never_exceed_max_chars(text, max_chars):
    data = make_segments([("s1", "P001", "A", "user", "T/x", text)])
    bank = quote_bank(data, max_chars=max_chars, min_chars=0)
    assert (bank["n_chars"] <= max_chars).all()


def test_short_segments_are_not_quotes(segments):
    bank = quote_bank(segments, lang="en")
    assert "s5" not in set(bank["segment_id"])  # "Yes."
    assert "s5" in set(quote_bank(segments, lang="en", min_chars=2)["segment_id"])


def test_one_voice_does_not_fill_a_cell(segments):
    bank = quote_bank(segments, code="Voice/Asked", groups="user", n_per_cell=2, lang="en")
    # s2 shares the most words with the others (they, asked, about, schedule, committee), then
    # s1 (Marie Roy's too); s3 shares none. Paul Dion's s3 still comes before Marie Roy's second.
    assert bank["segment_id"].tolist() == ["s2", "s3"]
    assert bank["rank"].tolist() == [1, 2]
    everything = quote_bank(segments, code="Voice/Asked", groups="user", lang="en")
    assert everything["segment_id"].tolist() == ["s2", "s3", "s1"]
    no_rule = quote_bank(segments.assign(participant=["X1", "X2", "X3", "X4", "X5", "X6"]),
                         code="Voice/Asked", groups="user", lang="en")
    assert no_rule["segment_id"].tolist() == ["s2", "s1", "s3"]


def test_choice_is_deterministic_and_seedable():
    rows = [(f"s{i}", f"P{i:03d}", "A", "user", "T/x",
             f"Participant number {i} said something long enough to be quoted here.")
            for i in range(30)]
    data = make_segments(rows)
    stable = quote_bank(data, n_per_cell=5)
    pd.testing.assert_frame_equal(stable, quote_bank(data.sample(frac=1, random_state=1),
                                                     n_per_cell=5))
    seeded = quote_bank(data, n_per_cell=5, seed=7)
    pd.testing.assert_frame_equal(seeded, quote_bank(data, n_per_cell=5, seed=7))
    assert seeded["segment_id"].tolist() != quote_bank(data, n_per_cell=5, seed=8)[
        "segment_id"].tolist()


def test_cells_filters_and_levels(segments):
    bank = quote_bank(segments, lang="en", min_chars=1)
    assert bank[["code_path", "site", "group"]].drop_duplicates().to_numpy().tolist() == [
        ["Power/Staff decide", "B", "Gestionnaire"], ["Voice/Asked", "A", "carer"],
        ["Voice/Asked", "A", "user"], ["Voice/Heard", "B", "staff"]]
    themes = quote_bank(segments, level="theme", code="Voice", lang="en", min_chars=1)
    assert set(themes["code_path"]) == {"Voice"}
    assert set(quote_bank(segments, sites="B", min_chars=1)["site"]) == {"B"}
    with pytest.raises(ArgumentError, match="Nope") as info:
        quote_bank(segments, code="Nope")
    assert info.value.where == "code"


@pytest.mark.parametrize(("lang", "expected"), [
    ("fr", ["Usager·ère, site A", "Proche aidant·e, site A", "Intervenant·e, site B",
            "Gestionnaire, site B", "Participant·e, site C", "Usager·ère"]),
    ("en", ["Service user, site A", "Carer, site A", "Staff member, site B",
            "Gestionnaire, site B", "Participant, site C", "Service user"]),
])
def test_attribution_names_role_and_site_only(lang, expected):
    rows = pd.DataFrame({"site": ["A", "A", "B", "B", "C", None],
                         "group": ["usager·ère", "Proche aidant·e", "STAFF", "gestionnaire",
                                   None, "user"]})
    assert attribution(rows, lang=lang).tolist() == expected


def test_several_coders_need_a_choice(segments):
    both = pd.concat([segments, segments.assign(coder="ben")])
    with pytest.raises(ArgumentError) as info:
        quote_bank(both)
    assert info.value.where == "coder"
    assert len(quote_bank(both, coder="ben")) == len(quote_bank(segments))


def test_the_callers_frame_is_unchanged(segments):
    copy = segments.copy()
    quote_bank(segments, seed=3)
    attribution(segments)
    pd.testing.assert_frame_equal(segments, copy)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"n_per_cell": 0}, "n_per_cell"), ({"max_chars": 10}, "max_chars"),
    ({"min_chars": 500}, "min_chars"), ({"lang": "es"}, "lang"), ({"seed": -1}, "seed"),
    ({"level": "code_path"}, "level"), ({"names": 5}, "names"), ({"sites": []}, "sites")])
def test_bad_arguments_name_the_parameter(segments, kwargs, param):
    with pytest.raises(ArgumentError) as info:
        quote_bank(segments, **kwargs)
    assert info.value.where == param
