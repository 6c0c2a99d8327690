import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.i18n import (
    LANGUAGES,
    catalogue,
    format_date,
    format_integer,
    format_number,
    format_percent,
    placeholders,
    t,
)


def test_catalogues_have_the_same_keys():
    fr, en = catalogue("fr"), catalogue("en")
    assert set(fr) == set(en), sorted(set(fr) ^ set(en))


def test_catalogues_have_the_same_placeholders():
    fr, en = catalogue("fr"), catalogue("en")
    mismatched = [k for k in en if placeholders(en[k]) != placeholders(fr[k])]
    assert mismatched == []


def test_no_empty_message():
    for lang in LANGUAGES:
        assert [k for k, v in catalogue(lang).items() if not v.strip()] == []


def test_french_numbers_follow_the_locale():
    assert format_percent(0.125, "fr") == "12,5\u00a0%"
    assert format_percent(0.125, "en") == "12.5%"
    assert format_integer(1234, "fr").replace("\u202f", " ").replace("\u00a0", " ") == "1 234"
    assert format_integer(1234, "en") == "1,234"
    assert format_number(float("nan"), "fr") == "–"
    assert format_number(2.25, "fr", decimals=2) == "2,25"


@settings(max_examples=300, deadline=None)
@given(x=st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.integers(-10**9, 10**9),
                   st.sampled_from([0.0, -0.0, 0.05, -0.049, 0.125, 1234.5, 0.995, 2.675])),
       lang=st.sampled_from(LANGUAGES), decimals=st.integers(0, 3))
def test_numbers_are_babels_own_formats(x, lang, decimals):
    # Numbers are formatted with the locale and the pattern parsed once; the text is what
    # babel's format_decimal and format_percent give (then the sign and French spacing).
    from babel.numbers import format_decimal
    from babel.numbers import format_percent as babel_percent

    from evalkit.i18n import LOCALES, _signed

    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    assert format_number(x, lang, decimals=decimals) == _signed(
        format_decimal(x, format=fmt, locale=LOCALES[lang]))
    expected = _signed(babel_percent(x, format=fmt + "%", locale=LOCALES[lang]))
    if lang == "fr":
        expected = _signed(babel_percent(x, format=fmt + "%", locale=LOCALES[lang]).replace(
            "%", "").rstrip("\u00a0\u202f ") + "\u00a0%")
    assert format_percent(x, lang, decimals=decimals) == expected


def test_dates_are_localised():
    assert format_date(dt.date(2026, 11, 22), "fr") == "22 novembre 2026"
    assert format_date("2026-11-22", "en") == "November 22, 2026"


def test_unknown_key_and_language_are_clear_errors():
    with pytest.raises(ValueError, match="no message 'nope'"):
        t("nope", "fr")
    with pytest.raises(ValueError, match="lang must be one of fr, en, got 'de'"):
        t("common.site", "de")
