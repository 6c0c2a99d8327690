"""The brief's page one, for a decision-maker: no method words, short sentences, no "(s)", at
most two messages singling out a site, the non-validated notice once; on the demo study and on
a zoo study of another shape, in both languages."""

import datetime as dt
import re
import warnings

import pytest

from evalkit.analyse.compute import compute_results
from evalkit.config.study import load_study
from evalkit.datasets.zoo import make_zoo_study
from evalkit.prepare.study import prepare_study
from evalkit.present.brief import build_brief
from evalkit.present.document import Bullets, Paragraph

RUN_DATE = dt.date(2026, 11, 22)
#: Words of the method that belong in the summary and the report, not on page one.
METHOD_WORDS = {
    "fr": ("φ", "τ", "surdispersion", "entonnoir", "rétréci", "bêta", "binomial", "modèle mixte",
           "winsoris", "écart-type", "valeur p", "p =", "khi"),
    "en": ("φ", "τ", "overdispersion", "funnel", "shrunken", "shrinkage", "beta", "binomial",
           "mixed model", "winsoris", "standard deviation", "p-value", "p =", "chi-square"),
}
#: Words that overstate an association as an effect or a return.
CAUSAL_WORDS = {"fr": ("vaut la peine", "entraîne", "grâce à"),
                "en": ("worth it", "pays off", "leads to better", "thanks to")}
#: The longest sentence page one may hold, in words.
MAX_SENTENCE_WORDS = 40
_WORD = re.compile(r"\w[\w'’-]*")


def page_one_text(brief) -> str:
    texts = []
    for block in brief.part("main").blocks:
        if isinstance(block, Paragraph):
            texts.append(block.text)
        elif isinstance(block, Bullets):
            texts += [*block.items, *block.details]
    return " ".join(texts)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


@pytest.fixture(scope="module")
def briefs(project_root, tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the zoo's marked demo key
        zoo = make_zoo_study(tmp_path_factory.mktemp("zoo") / "z", "fr-sav-8sites", seed=11)
        studies = {"demo": load_study(project_root / "data_samples" / "demo"),
                   "zoo": load_study(zoo)}
        out = {}
        for name, study in studies.items():
            prepared = prepare_study(study)
            results = compute_results(prepared, n_boot=100)
            for lang in ("fr", "en"):
                out[name, lang] = build_brief(results, prepared.study, lang=lang,
                                              run_date=RUN_DATE, figures=False)
    return out


@pytest.mark.parametrize("study", ["demo", "zoo"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_page_one_speaks_without_method_words(briefs, study, lang):
    brief = briefs[study, lang]
    assert brief.messages, "the rules found nothing to say"
    text = page_one_text(brief)
    lowered = text.lower()
    for word in METHOD_WORDS[lang] + CAUSAL_WORDS[lang]:
        assert word.lower() not in lowered, (word, text)
    assert "(s)" not in text


@pytest.mark.parametrize("study", ["demo", "zoo"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_page_one_sentences_are_short(briefs, study, lang):
    text = page_one_text(briefs[study, lang])
    longest = max(sentences(text), key=lambda s: len(words(s)))
    assert len(words(longest)) <= MAX_SENTENCE_WORDS, longest


def test_method_words_move_to_the_summary(briefs):
    brief = briefs["demo", "fr"]
    summary = " ".join(b.text if isinstance(b, Paragraph) else " ".join(b.items)
                       for b in brief.part("summary").blocks
                       if isinstance(b, Paragraph | Bullets))
    assert re.search(r"Méthode\s:", summary) and "entonnoir" in summary and "φ" in summary


@pytest.mark.parametrize("study", ["demo", "zoo"])
def test_a_site_is_singled_out_at_most_twice(briefs, study):
    messages = briefs[study, "fr"].messages
    singled = [m.about[0] for m in messages if len(m.about) == 1]
    assert all(singled.count(site) <= 2 for site in singled), singled


def test_the_non_validated_notice_appears_once_on_page_one(briefs):
    for lang in ("fr", "en"):
        blocks = briefs["demo", lang].part("main").blocks
        notices = [b for b in blocks if isinstance(b, Paragraph) and b.kind == "non_validated"]
        assert len(notices) == 1


def test_scales_are_explained_on_page_one(briefs):
    assert "sur une échelle de 1 à 4" in page_one_text(briefs["demo", "fr"])
    assert "on a scale from 1 to 4" in page_one_text(briefs["demo", "en"])
