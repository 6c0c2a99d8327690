"""Scrubbing free text: planted identifiers are all caught, ordinary words are left alone."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit import ArgumentError, find_identifiers, scrub_text, scrub_texts

TOKENS = {
    "fr": {"name": "[NOM]", "phone": "[TÉLÉPHONE]", "email": "[COURRIEL]",
           "postal_code": "[CODE POSTAL]", "sin": "[NAS]", "health_card": "[RAMQ]", "url": "[URL]"},
    "en": {"name": "[NAME]", "phone": "[PHONE]", "email": "[EMAIL]",
           "postal_code": "[POSTAL CODE]", "sin": "[SIN]", "health_card": "[HEALTH CARD]",
           "url": "[URL]"},
}


# -- strategies: invented names and identifiers in their written forms ---------------------------
SYLLABLES = ["é", "mi", "lie", "ga", "é", "tan", "bé", "noît", "ré", "jean", "lou", "ï", "se",
             "chan", "tal", "fran", "çois", "gé", "ne", "viè", "ve", "hé", "lè", "ne", "jé", "rô",
             "me", "trem", "blay", "gau", "thier", "pel", "le", "tier", "ouel", "let", "bé",
             "lan", "ger", "lé", "vesque", "ber", "ge", "ron", "mo", "rin", "zo", "ké", "xa"]


@st.composite
def words(draw, min_syllables=2):
    parts = draw(st.lists(st.sampled_from(SYLLABLES), min_size=min_syllables, max_size=4))
    word = "".join(parts)
    return word[0].upper() + word[1:]


@st.composite
def person(draw):
    first = draw(words())
    if draw(st.booleans()):
        first = f"{first}-{draw(words())}"
    last = draw(words(min_syllables=3))
    if draw(st.integers(0, 3)) == 0:
        last = f"{last}-{draw(words(min_syllables=3))}"
    return first, last


def luhn_complete(digits8: str) -> str:
    for check in "0123456789":
        candidate = digits8 + check
        total = 0
        for i, c in enumerate(candidate):
            d = int(c) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


@st.composite
def sin(draw):
    digits = luhn_complete(draw(st.from_regex(r"[1-9][0-9]{7}", fullmatch=True)))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join([digits[:3], digits[3:6], digits[6:]])


@st.composite
def phone(draw):
    area = draw(st.sampled_from(["819", "873", "450", "514", "438", "418", "613"]))
    exchange = str(draw(st.integers(200, 999)))
    line = f"{draw(st.integers(0, 9999)):04d}"
    form = draw(st.sampled_from([
        "{a}-{e}-{l}", "({a}) {e}-{l}", "{a} {e} {l}", "+1 {a} {e} {l}", "{a}{e}{l}",
        "{a}.{e}.{l}", "1-{a}-{e}-{l}", "+1-{a}-{e}-{l}", "({a}){e}-{l}", "{e}-{l}"]))
    ext = draw(st.sampled_from(["", " poste 221", " ext. 12", " x221", ", poste 3456", " #45"]))
    return form.format(a=area, e=exchange, l=line) + ext


@st.composite
def postal(draw):
    first = draw(st.sampled_from("ABCEGHJKLMNPRSTVXY"))
    letters = st.sampled_from("ABCEGHJKLMNPRSTVWXYZ")
    digit = st.sampled_from("0123456789")
    code = f"{first}{draw(digit)}{draw(letters)}{draw(st.sampled_from(['', ' ', '-']))}" \
           f"{draw(digit)}{draw(letters)}{draw(digit)}"
    return code.lower() if draw(st.booleans()) else code


@st.composite
def health_card(draw):
    letters = draw(st.from_regex(r"[A-Z]{4}", fullmatch=True))
    digits = f"{draw(st.integers(0, 99_999_999)):08d}"  # any date digits
    sep = draw(st.sampled_from(["", " "]))
    return f"{letters}{sep}{digits[:4]}{sep}{digits[4:]}"


@st.composite
def email(draw, first, last):
    domain = draw(st.sampled_from(["example.org", "exemple.qc.ca", "mail.example.com"]))
    from evalkit.prepare.scrub import _fold

    return f"{_fold(first).lower()}.{_fold(last).lower()}@{domain}"


FR_TEMPLATES = [
    ("Merci à {full}, elle m'a beaucoup aidée. Appelez-la au {phone}.", ["name", "phone"]),
    ("Pour me joindre : {email} ou {phone}.", ["email", "phone"]),
    ("J'habite au {postal}, c'est loin du point de service.", ["postal_code"]),
    ("Mon NAS est {sin} et ma carte {ramq}.", ["sin", "health_card"]),
    ("Le rendez-vous d'{first} est reporté ; voyez avec l’{first} du comité.", ["name", "name"]),
    ("Parlez à {last} au {phone} si vous avez des questions.", ["name", "phone"]),
    ("{full} ({email}) habite près de {postal}.", ["name", "email", "postal_code"]),
    ("Écrivez à {lastfirst} : {email}", ["name", "email"]),
]
EN_TEMPLATES = [
    ("Please thank {full} for me, her number is {phone}.", ["name", "phone"]),
    ("You can reach me at {email} or {phone}.", ["email", "phone"]),
    ("My SIN is {sin}, health card {ramq}, postal code {postal}.",
     ["sin", "health_card", "postal_code"]),
    ("{first} said {last} would call back.", ["name", "name"]),
]


@st.composite
def planted_sentence(draw, lang):
    first, last = draw(person())
    case = draw(st.sampled_from(["as is", "lower", "upper", "unaccented"]))
    full = f"{first} {last}"
    from evalkit.prepare.scrub import _fold

    shown_full = {"as is": full, "lower": full.lower(), "upper": full.upper(),
                  "unaccented": _fold(full)}[case]
    values = {
        "full": shown_full, "first": first, "last": last, "lastfirst": f"{last}, {first}",
        "phone": draw(phone()), "email": draw(email(first, last)), "postal": draw(postal()),
        "sin": draw(sin()), "ramq": draw(health_card()),
    }
    template, kinds = draw(st.sampled_from(FR_TEMPLATES if lang == "fr" else EN_TEMPLATES))
    used = [k for k in values if "{" + k + "}" in template]
    return template.format(**values), kinds, {k: values[k] for k in used}, full


@pytest.mark.parametrize("lang", ["fr", "en"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_planted_identifiers_are_all_caught(lang, data):
    text, kinds, values, full = data.draw(planted_sentence(lang))
    scrubbed = scrub_text(text, lang=lang, names=[full])
    for value in values.values():
        assert value not in scrubbed, (text, scrubbed)
    for kind in set(kinds):
        assert scrubbed.count(TOKENS[lang][kind]) >= kinds.count(kind), (text, scrubbed)
    found = sorted(i.kind for i in find_identifiers(text, names=[full]))
    assert found == sorted(kinds), (text, found)


def test_elision_keeps_the_article_with_both_apostrophes():
    text = "Le dossier d'Émilie et celui de l’Émilie d’à côté."
    assert scrub_text(text, names=["Émilie Tremblay"]) == \
        "Le dossier d'[NOM] et celui de l’[NOM] d’à côté."


def test_names_ignore_case_and_accents():
    names = ["Émilie Tremblay"]
    for text in ["EMILIE TREMBLAY", "emilie tremblay", "Émilie-Tremblay", "Tremblay, Émilie",
                 "Emilie  Tremblay"]:
        assert scrub_text(text, lang="en", names=names) == "[NAME]", text


def test_lone_lowercase_parts_that_are_words_are_left():
    names = ["Sylvie Côté", "Réjean Gagné"]
    text = "De mon côté, j'ai gagné du temps ; Côté et Gagné sont venus."
    assert scrub_text(text, names=names) == \
        "De mon côté, j'ai gagné du temps ; [NOM] et [NOM] sont venus."


def test_parts_of_two_listed_people_make_one_name():
    names = ["Émilie Tremblay", "Gaétan Côté"]
    assert scrub_text("Merci à Émilie Côté et à Gaétan.", names=names) == \
        "Merci à [NOM] et à [NOM]."
    assert [i.value for i in find_identifiers("Émilie Côté", names=names)] == ["Émilie Côté"]


def test_particles_and_parts_of_hyphenated_places_are_left():
    names = ["Marie de la Fontaine", "Jean Laurent"]
    text = "Boulevard Marie-Victorin, Saint-Laurent, rue de la Gare ; Marie viendra."
    assert scrub_text(text, names=names) == \
        "Boulevard Marie-Victorin, Saint-Laurent, rue de la Gare ; [NOM] viendra."


ORDINARY = [
    "Sherbrooke, Saint-Laurent, Rivière-du-Loup et Marie-Victorin.",
    "Rencontre le 2025-03-14 à 14 h 30 ; facture de 1 234,50 $ (TPS incluse).",
    "Le taux est de 12,5 % pour 2024-2025, soit 1 234 567 personnes.",
    "Budget : 123 456 789 $ ; 987 654 321,00 dollars ; page 12, article 3.",
    "We met on 14/03/2025 at 2:30 pm; it cost $1,234.50; 25 km away.",
    "Version 1.2.3 du formulaire ; code de site A-0001 ; question Q12_3.",
    "Le CLSC de la Haute-Yamaska et le CIUSSS de l'Estrie – CHUS.",
    "Le numéro de dossier 123456789 n'est pas un NAS.",
    "p = 0.2345678901 ; x = 1.23456789012e-05 ; y = 0.555-0142 ; z = 0.123456782",
    "odds,0.2345678901,1.046454286",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_untouched(text):
    assert scrub_text(text, names=["Émilie Tremblay", "Chantal Morin"]) == text
    assert find_identifiers(text) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(["Sherbrooke", "Saint-Laurent", "Rivière-du-Loup", "Marie-Victorin",
                     "Côté", "à côté", "les usagers", "le comité", "Québec", "l'équipe",
                     "d'accord", "TPS", "CLSC", "GMF"]),
    st.dates().map(lambda d: d.isoformat()),
    st.integers(1, 999_999).map(lambda n: f"{n:,}".replace(",", " ") + ",50 $"),
    st.integers(0, 100).map(lambda n: f"{n} %"),
    st.integers(1, 9999).map(str),
), min_size=1, max_size=8))
def test_ordinary_words_dates_and_amounts_are_not_mangled(parts):
    text = " ; ".join(parts)
    assert scrub_text(text, names=["Émilie Tremblay"]) == text


@pytest.mark.parametrize(("text", "kind"), [
    ("819-555-0142", "phone"), ("(819) 555-0142", "phone"), ("819 555 0142", "phone"),
    ("+1 819 555 0142", "phone"), ("8195550142", "phone"), ("819-555-0142 poste 221", "phone"),
    ("819-555-0142, ext. 221", "phone"), ("819-555-0142 x221", "phone"),
    ("H2X 1Y4", "postal_code"), ("h2x1y4", "postal_code"), ("H2X-1Y4", "postal_code"),
    ("046 454 286", "sin"), ("046454286", "sin"), ("046-454-286", "sin"),
    ("TREM 5001 0112", "health_card"), ("TREM50010112", "health_card"),
    # whatever the date digits: month 13, day 32, all nines
    ("TREM 5013 0112", "health_card"), ("TREM 5001 3212", "health_card"),
    ("ABCD99999999", "health_card"),
    ("a.b@example.org", "email"), ("https://example.org/x?y=1", "url"),
])
def test_each_written_form_is_one_whole_identifier(text, kind):
    found = find_identifiers(f"voir {text}.")
    assert [(i.kind, i.value) for i in found] == [(kind, text)]


def test_identifiers_in_csv_fields_are_caught():
    found = find_identifiers("A,819-555-0142,046454286,H2X1Y4,jo@x.org,12.5")
    assert [i.kind for i in found] == ["phone", "sin", "postal_code", "email"]


@pytest.mark.parametrize("text", [
    "046 454 287",        # fails the Luhn check
    "D2X 1Y4", "W2X 1Y4", "H2O 1Y4",   # letters Canada Post does not use there
    "819-555-014",        # too short
    "#C6D9F1",            # a colour
])
def test_near_misses_are_not_identifiers(text):
    assert find_identifiers(text) == []


def test_scrub_texts_keeps_index_name_and_missing_values():
    texts = pd.Series(["Tél. : 819 555 0142", None, "rien"], index=[10, 20, 30], name="comment")
    before = texts.copy()
    out = scrub_texts(texts, lang="en", names=["Émilie Tremblay"])
    assert out.index.tolist() == [10, 20, 30]
    assert out.name == "comment"
    assert out.iloc[0] == "Tél. : [PHONE]"
    assert pd.isna(out.iloc[1])
    assert out.iloc[2] == "rien"
    pd.testing.assert_series_equal(texts, before)


def test_scrub_texts_matches_scrub_text():
    texts = pd.Series(["Émilie Tremblay : emilie@example.org", "H2X 1Y4", "ok"] * 50)
    out = scrub_texts(texts, lang="fr", names=["Émilie Tremblay"])
    assert out.tolist() == [scrub_text(x, names=["Émilie Tremblay"]) for x in texts]


def test_bad_arguments_are_named():
    with pytest.raises(ArgumentError, match="lang must be one of"):
        scrub_text("x", lang="de")
    with pytest.raises(ArgumentError, match="texts must be a pandas Series"):
        scrub_texts(["x"], lang="fr")
    with pytest.raises(ArgumentError, match="text must be a string"):
        scrub_text(None)
    with pytest.raises(ArgumentError, match="kinds must be among"):
        find_identifiers("x", kinds=["nope"])
    with pytest.raises(ArgumentError, match="names must be a list"):
        scrub_text("x", names=12)


def test_demo_comments_are_scrubbed(tmp_path):
    from evalkit.datasets import _vocabulary as V

    for template in V.PLANTED_FR + V.PLANTED_EN:
        text = template.format(name="Émilie Tremblay", phone="819-555-0142",
                               email="emilie.tremblay@example.org", postal="J1H 5N4")
        scrubbed = scrub_text(text, names=["Émilie Tremblay"])
        assert not find_identifiers(scrubbed, names=["Émilie Tremblay"]), scrubbed
        assert "555" not in scrubbed and "example.org" not in scrubbed and "J1H" not in scrubbed


def test_numbers_in_result_tables_are_not_identifiers():
    # Found in real run tables: a decimal whose "1." looks like a country code, and digits
    # inside a segment's UUID; a real number written with a leading 1 and dots is still caught.
    for text in ["C,54,30,1.2162304207,44.39", "771f4764-79e1-555d-9cc8-7643605881c9",
                 "id 630e9f35-76f1-52c2-8f32-ba55d16bc555",
                 '"sha256": "9248188690c30fea337556566bcc6abfb7a3c752c35088c07d1dd855cb41d715"',
                 "S012,61,34,1345.8582144,0.57", "cb9f2149-0575-515e-8509-bbfd44091382"]:
        assert find_identifiers(text) == [], text
    assert [f.kind for f in find_identifiers("appelez au 1.819.555.0142")] == ["phone"]
