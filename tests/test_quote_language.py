"""A quote in another language than its page is marked: its language is declared by the data
or told from its words, and pages and the Word brief tag it (``lang`` and a visible tag)."""

from __future__ import annotations

import datetime as dt
import zipfile

import pandas as pd
import pytest

from evalkit.analyse.qual.quotes import quote_bank, quote_language
from evalkit.datasets.interviews import make_demo_interviews
from evalkit.present.brief import Brief
from evalkit.present.document import Part, Quote
from evalkit.present.writers import write_brief_docx, write_brief_html

SITES = ["Rive-Nord", "Centre Sud", "Île Verte"]


@pytest.fixture(scope="module")
def interviews():
    documents, segments, _ = make_demo_interviews(sites=SITES, seed=11, n_per_site=4,
                                                  lang_share_en=0.5)
    assert set(documents["language"]) == {"fr", "en"}  # each language is there
    return documents, segments


def test_the_words_of_a_transcript_tell_its_language(interviews):
    documents, _ = interviews
    told = documents["text"].map(quote_language)
    assert told.tolist() == documents["language"].tolist()


def test_the_words_of_short_sentences_tell_their_language():
    assert quote_language("Personne ne m'a demandé mon avis sur les soins de ma mère.") == "fr"
    assert quote_language("Nobody asked me about the care of my mother, not once.") == "en"
    assert quote_language("Oui.") is None and quote_language(None) is None


def test_a_quote_takes_the_language_of_its_document(interviews):
    documents, segments = interviews
    coder = segments["coder"].value_counts().index[0]
    bank = quote_bank(segments, coder=coder, lang="fr", documents=documents, min_chars=20)
    by_segment = segments.drop_duplicates("segment_id").set_index("segment_id")["document"]
    declared = documents.set_index("document")["language"]
    expected = bank["segment_id"].map(by_segment).map(declared)
    assert bank["language"].tolist() == expected.tolist()
    assert set(bank["language"]) == {"fr", "en"}
    # Without the documents, the words tell the same languages.
    told = quote_bank(segments, coder=coder, lang="fr", min_chars=20)
    assert told["language"].tolist() == bank["language"].tolist()


def test_a_declared_language_wins_over_the_words():
    segments = pd.DataFrame({
        "segment_id": ["s1", "s2"], "document": ["d1", "d2"], "participant": ["P1", "P2"],
        "site": "A", "group": "user", "code_path": "Voice/Asked", "coder": "ana",
        "start": [0, 0], "text": ["They asked what I wanted and nothing changed at all.",
                                  "On m'a demandé ce que je voulais et rien n'a changé."],
        "language": ["French", None]})
    documents = pd.DataFrame({"document": ["d1", "d2"], "language": ["en-CA", "en-CA"]})
    bank = quote_bank(segments, lang="en", documents=documents, min_chars=10)
    assert dict(zip(bank["segment_id"], bank["language"], strict=True)) == {"s1": "fr",
                                                                          "s2": "en"}


def _brief(lang):
    quotes = [Quote("They asked what I wanted and nothing changed.", "Proche, site A", "en"),
              Quote("On m'a demandé ce que je voulais.", "Usager, site B", "fr"),
              Quote("Sin cambios.", "Usager, site C", "es"),
              Quote("Aucun changement.", "Usager, site D", None)]
    part = Part("report", "Rapport", list(quotes))
    return Brief(lang=lang, study="etude", title="Étude", subtitle="", run_date=dt.date(2026, 1, 5),
                 parts=[part], messages=[], budget={})


@pytest.mark.parametrize(("lang", "other", "tag"), [("fr", "en", "(en anglais)"),
                                                     ("en", "fr", "(in French)")])
def test_pages_mark_a_quote_in_the_other_language(tmp_path, lang, other, tag):
    page = write_brief_html(_brief(lang), tmp_path / "brief.html").read_text(encoding="utf-8")
    quotes = page.split("<blockquote>")[1:]
    assert len(quotes) == 4
    marked = [q for q in quotes if f"lang='{other}'" in q]
    assert len(marked) == 1 and tag in marked[0]
    assert "lang='es'" in page  # a third language is marked too, with a general tag
    assert sum("lang=" in q for q in quotes) == 2  # the page's language and unknown: unmarked
    assert page.count("ek-quote-language") == 2


def test_the_word_brief_tags_a_quote_in_the_other_language(tmp_path):
    path = write_brief_docx(_brief("fr"), tmp_path / "brief.docx")
    with zipfile.ZipFile(path) as archive:
        document = archive.read("word/document.xml").decode("utf-8")
        styles = archive.read("word/styles.xml").decode("utf-8")
    from docx import Document

    doc = Document(str(path))
    runs = [(r.text, r.style.name) for p in doc.paragraphs for r in p.runs]
    english = [style for text, style in runs if "They asked" in text]
    assert english == ["Language en-CA"]
    assert [style for text, style in runs if "On m'a" in text] == ["Default Paragraph Font"]
    assert 'w:val="en-CA"' in styles and "Language es" in styles
    attributions = [p.text for p in doc.paragraphs if p.text.startswith("—")]
    assert any("site A" in a and "(en anglais)" in a for a in attributions)
    assert any("site C" in a and "(dans une autre langue)" in a for a in attributions)
    assert sum("(en " in a or "(dans" in a for a in attributions) == 2
    assert "w:lang" not in document  # the language is in the style, not on the run
