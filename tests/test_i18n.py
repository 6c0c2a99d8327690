import datetime as dt

import pytest

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


def test_dates_are_localised():
    assert format_date(dt.date(2026, 11, 22), "fr") == "22 novembre 2026"
    assert format_date("2026-11-22", "en") == "November 22, 2026"


def test_unknown_key_and_language_are_clear_errors():
    with pytest.raises(ValueError, match="no message 'nope'"):
        t("nope", "fr")
    with pytest.raises(ValueError, match="lang must be one of fr, en, got 'de'"):
        t("common.site", "de")
