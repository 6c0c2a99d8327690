"""The scrubber's fast search (an expression per kind, names tried only where a name's first
word stands) finds exactly what the one expression of every kind finds, on hostile texts: names
inside e-mail addresses and URLs, a family name followed by a health-card number, names that
start with letters outside ASCII, case equivalences outside ASCII (the Kelvin sign, the long s),
names that start with no letter, elided articles, hyphens and non-breaking spaces."""

from __future__ import annotations

import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit import scrub_texts
from evalkit.prepare import scrub
from evalkit.prepare.scrub import _fold, _names_key, _Scrubber

NAMES = [
    "Émilie Tremblay", "Jean-François Côté", "Marie de la Fontaine", "Benoît Côté",
    "Ødegård Søren", "Œdipe Lebœuf", "Luc St-Pierre", "Kevin O'Brien", "Ana Ruiz y Pérez",
    "Zoé", "Chantal Bélanger-Roy", "Ibrahim Al-Hassan", "Nguyễn Văn An", "Simon Dubois",
]

FRAGMENTS = [
    # names, parts and their written variants
    "Émilie Tremblay", "emilie tremblay", "EMILIE TREMBLAY", "Tremblay, Émilie", "Tremblay",
    "tremblay", "Émilie", "d'Émilie", "l’Émilie", "Jean-François Côté", "Jean François Côté",
    "Côté", "à côté", "Côté, Benoît", "Benoît", "Søren", "Ødegård", "Œdipe Lebœuf", "Lebœuf",
    "St-Pierre", "Luc St Pierre", "O'Brien", "O’Brien", "Kevin", "Ruiz y Pérez", "Zoé", "ZOÉ",
    "Bélanger-Roy", "Bélanger", "Al-Hassan", "Ibrahim", "Nguyễn Văn An", "Văn",
    "Marie-Victorin", "de la Fontaine", "Fontaine", "\u212aevin", "Kevin\u017f",
    "\u017fimon Dubois", "\u017fimon", "Simon",
    # other identifiers, alone and made of names
    "emilie.tremblay@example.org", "Benoit.Cote@exemple.qc.ca", "www.cote.ca/Tremblay",
    "https://example.org/Émilie", "Cote 1234 5678", "TREM 1234 5678", "819 555-0142",
    "(819) 555-0142 poste 221", "555-0142", "046 454 286", "046454286", "H2X 1Y4", "h2x1y4",
    "1.2162304207", "0.2345678901", "#C6D9F1", "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "1345.8582144", "12,5 %", "2024-2025",
    # separators and ordinary words
    " ", " ", " ", "\u00a0", "-", ", ", "; ", ". ", "\n", "(", ")", "'", "’", "le", "la", "de",
    "service", "suivi", "intervenante", "cœur", "Straße", "İstanbul", "ıi",
]


def _both(scrubber: _Scrubber, text: str) -> tuple[list, list]:
    return scrubber.find(text), scrubber.find(text, reference=True)


@pytest.fixture(scope="module")
def scrubber() -> _Scrubber:
    return _Scrubber(_names_key(NAMES))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14))
def test_fast_search_finds_what_the_one_expression_finds(scrubber, fragments):
    text = "".join(fragments)
    fast, reference = _both(scrubber, text)
    assert fast == reference, text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(string.ascii_letters + string.digits + " -'.@,:/()#"
                                        + "éÉôçœŒøØ’\u00a0\u212a\u017f"), max_size=80),
       st.lists(st.sampled_from(NAMES), max_size=5))
def test_fast_search_on_any_characters_and_names(text, names):
    mine = _Scrubber(_names_key(names))
    fast, reference = _both(mine, text)
    assert fast == reference, text


@pytest.mark.parametrize("names", [
    ["'Ali Baba"],                 # starts with no word character: every place is tried
    ["Søren Ødegård", "Émilie Tremblay"],
    ["\u212aarl Berg"],            # a Kelvin sign: only the one expression knows its case
    ["Simon Dubois"],              # matched by "\u017fimon" (a long s) though not its lower case
    [],
])
def test_unusual_names_give_the_same_finds(names):
    mine = _Scrubber(_names_key(names))
    for text in ["Merci à 'Ali Baba et à ali baba.", "Voir søren ØDEGÅRD, Ødegård, Søren.",
                 "karl berg, KARL BERG, \u212aarl Berg", "Émilie Tremblay (819 555-0142)",
                 "\u017fimon Dubois et \u017fimon"]:
        fast, reference = _both(mine, text)
        assert fast == reference, text


class _Counting:
    """A stand-in for the one expression that counts the searches made with it."""

    def __init__(self, expression):
        self.expression, self.calls = expression, 0

    def finditer(self, text):
        self.calls += 1
        return self.expression.finditer(text)


def test_the_one_expression_is_used_only_where_kinds_overlap():
    mine = _Scrubber(_names_key(NAMES))
    counting = _Counting(mine.regex)
    mine.regex = counting
    found = mine.find("Merci à Émilie Tremblay (819 555-0142), H2X 1Y4, https://example.org.")
    assert [f.kind for f in found] == ["name", "phone", "postal_code", "url"]
    assert counting.calls == 0
    # a family name followed by a health-card number: both claim "Cote"
    found = mine.find("Benoît Cote 1234 5678")
    assert counting.calls == 1
    assert found == mine.find("Benoît Cote 1234 5678", reference=True)


def test_names_are_tried_only_at_words_a_name_starts_with(monkeypatch):
    mine = _Scrubber(_names_key(NAMES))
    tried = []
    original = mine._names._for

    def spy(key):
        tried.append(key)
        return original(key)

    monkeypatch.setattr(mine._names, "_for", spy)
    mine.find("Le suivi avec Émilie a été utile, merci à Tremblay.")
    # every word is looked up, and only two keys lead to names
    assert set(tried) - {None} == {"emilie", "tremblay"}


def test_fold_keeps_length_and_strips_accents():
    text = "Émilie Côté, l’Œuvre, Søren, straße, ĳ"
    folded = _fold(text)
    assert len(folded) == len(text)
    assert folded.startswith("Emilie Cote, l'")
    assert folded == text.translate(scrub._fold_table())


def test_scrub_texts_searches_a_repeated_text_once(monkeypatch):
    texts = pd.Series(["Non", "Émilie Tremblay m'a aidée", "Non", None, "Non"])
    mine = scrub._scrubber(_names_key(NAMES))
    calls = []
    original = mine.scrub
    monkeypatch.setattr(mine, "scrub", lambda text, tokens: calls.append(text) or
                        original(text, tokens))
    out = scrub_texts(texts, lang="fr", names=NAMES)
    assert out.tolist()[:3] == ["Non", "[NOM] m'a aidée", "Non"]
    assert pd.isna(out.iloc[3])
    assert sorted(calls) == ["Non", "Émilie Tremblay m'a aidée"]
