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


# -- attribution coarsened to groups of at least min_cell people -------------------------------

@pytest.fixture(scope="module")
def interviews():
    """Generated interviews at three sites, five of each role per site; then site Est keeps
    three of its carers, and staff are two at Nord and two at Sud (four in all)."""
    from evalkit.datasets.interviews import make_demo_interviews

    _, segments, _ = make_demo_interviews(sites=["Nord", "Sud", "Est"], seed=11,
                                          n_per_site=15, lang_share_en=0.0)
    segments = segments[segments["coder"] == "codeur_A"]
    people = segments.drop_duplicates("participant")
    carers_est = people[(people["site"] == "Est") & (people["group"] == "carer")]
    staff = people[people["group"] == "staff"]
    dropped = set(carers_est["participant"][:2]) | set(
        staff.loc[staff["site"] == "Est", "participant"]) | set(
        staff.loc[staff["site"] != "Est"].groupby("site")["participant"].apply(
            lambda s: list(s[2:])).sum())
    return segments[~segments["participant"].isin(dropped)].reset_index(drop=True)


def test_interviews_as_generated_for_the_coarsening(interviews):
    counts = interviews.groupby(["site", "group"])["participant"].nunique().to_dict()
    assert counts[("Est", "carer")] == 3 and counts[("Nord", "carer")] == 5
    assert counts[("Nord", "staff")] == 2 and counts[("Sud", "staff")] == 2
    assert ("Est", "staff") not in counts


@pytest.mark.parametrize(("lang", "carer", "staff", "user"), [
    ("fr", "Proche aidant·e", "Participant·e", "Usager·ère"),
    ("en", "Carer", "Participant", "Service user"),
])
def test_attribution_drops_the_site_then_the_role_of_a_small_group(interviews, lang, carer,
                                                                   staff, user):
    bank = quote_bank(interviews, lang=lang, min_cell=5, min_chars=20)
    # The cell of each quote, from its segment (the bank leaves out what it does not say).
    cell = interviews.drop_duplicates("segment_id").set_index("segment_id")[["site", "group"]].add_suffix("_of")
    told = bank.join(cell, on="segment_id")
    by_cell = told.drop_duplicates(["site_of", "group_of"]).set_index(
        ["site_of", "group_of"])["attribution"]
    assert by_cell[("Est", "carer")] == carer  # three carers at Est: the site is dropped
    assert by_cell[("Nord", "carer")] == f"{carer}, site Nord"
    assert by_cell[("Est", "user")] == f"{user}, site Est"
    # Four staff in all: neither the site nor the role is said.
    assert by_cell[("Nord", "staff")] == by_cell[("Sud", "staff")] == staff
    # The bank's own columns say no more than the attribution.
    est_carers = told[(told["site_of"] == "Est") & (told["group_of"] == "carer")]
    assert est_carers["site"].isna().all() and (est_carers["group"] == "carer").all()
    staff_rows = told[told["group_of"] == "staff"]
    assert staff_rows["site"].isna().all() and staff_rows["group"].isna().all()
    nord = told[(told["site_of"] == "Nord") & (told["group_of"] == "carer")]
    assert (nord["site"] == "Nord").all()
    # Without a policy the attribution is role and site, as before.
    plain = quote_bank(interviews, lang=lang, min_chars=20)
    assert set(plain.loc[plain["group"] == "staff", "attribution"]) == {
        f"{staff_label}, site {s}" for staff_label in
        [{"fr": "Intervenant·e", "en": "Staff member"}[lang]] for s in ("Nord", "Sud")}
    # With min_cell 3, the Est carers are enough for their site; the staff (2 a site) are not.
    three = quote_bank(interviews, lang=lang, min_cell=3, min_chars=20).join(
        cell, on="segment_id")
    cells = three.drop_duplicates(["site_of", "group_of"]).set_index(
        ["site_of", "group_of"])["attribution"]
    assert cells[("Est", "carer")] == f"{carer}, site Est"
    assert cells[("Nord", "staff")] == {"fr": "Intervenant·e", "en": "Staff member"}[lang]


def test_every_attribution_names_a_group_of_min_cell_people(interviews):
    bank = quote_bank(interviews, lang="en", min_cell=5, min_chars=20)
    sizes = interviews.groupby(["site", "group"])["participant"].nunique()
    named = bank.dropna(subset=["site"])
    assert len(named) and named["attribution"].str.contains(", site ").all()
    for row in named.itertuples():
        assert sizes[(row.site, row.group)] >= 5
    assert not bank.loc[bank["site"].isna(), "attribution"].str.contains("site").any()


def test_attribution_with_min_cell_needs_people():
    rows = pd.DataFrame({"site": ["A"], "group": ["carer"]})
    with pytest.raises(ArgumentError) as info:
        attribution(rows, min_cell=5)
    assert info.value.where == "people"
    with pytest.raises(ArgumentError) as info:
        quote_bank(make_segments([("s1", "P1", "A", "user", "Voice", LONG)]), min_cell=0)
    assert info.value.where == "min_cell"
