"""Message catalogues and locale-aware number formats, in French and in English.

Every sentence and label a user reads comes from ``fr.yaml`` or ``en.yaml`` (same keys in both);
numbers, percentages and dates follow the locale (``12,5 %`` and ``1 234`` in French).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import string
from functools import cache, lru_cache
from importlib import resources
from numbers import Real
from typing import Any

import yaml

__all__ = [
    "LANGUAGES",
    "LOCALES",
    "catalogue",
    "format_date",
    "format_integer",
    "format_number",
    "format_percent",
    "has_key",
    "label",
    "t",
    "typography",
    "warm_up",
]

#: The report languages, French first.
LANGUAGES: tuple[str, ...] = ("fr", "en")
#: The babel locale used for each language (Canadian usage).
LOCALES: dict[str, str] = {"fr": "fr_CA", "en": "en_CA"}


def _check_lang(lang: str) -> str:
    # A plain ValueError: the error hierarchy renders its messages from these catalogues, so
    # this module sits below it (``evalkit.errors.ArgumentError`` is a ValueError too).
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The message catalogue of ``lang``: a flat mapping of dotted keys to format strings."""
    _check_lang(lang)
    text = resources.files(__name__).joinpath(f"{lang}.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster
    data = yaml.load(text, Loader=loader) or {}
    return {str(k): str(v) for k, v in data.items()}


def has_key(key: str) -> bool:
    """Whether ``key`` exists in the catalogues."""
    return key in catalogue("en")


def t(key: str, lang: str, /, **params: Any) -> str:
    """The sentence or label ``key`` in ``lang``, with ``{placeholders}`` filled from ``params``.

    Numbers passed as parameters are not formatted here: format them first with
    :func:`format_number` or :func:`format_percent` so that they follow the locale.

    Examples
    --------
    >>> t("common.site", "fr")
    'Site'
    >>> t("common.n_respondents", "en", n="12")
    '12 respondents'
    """
    messages = catalogue(lang)
    try:
        template = messages[key]
    except KeyError:
        raise ValueError(f"no message {key!r} in the {lang} catalogue") from None
    return template.format(**params) if params else template


def placeholders(template: str) -> set[str]:
    """The names of the ``{placeholders}`` in a catalogue template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def label(value: Any, lang: str) -> str:
    """Pick ``lang`` from a ``{"fr": ..., "en": ...}`` mapping (or return a plain string as is)."""
    _check_lang(lang)
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("fr") or value.get("en") or "")
    if hasattr(value, lang):
        return str(getattr(value, lang))
    return "" if value is None else str(value)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, Real) and math.isnan(float(x)))


def format_number(x: Any, lang: str, *, decimals: int = 1, missing: str = "–") -> str:
    """``x`` with ``decimals`` decimals in the locale of ``lang`` (``1 234,5`` in French).

    Examples
    --------
    >>> format_number(1234.5, "en")
    '1,234.5'
    >>> format_number(1234.5, "fr") == "1\\u00a0234,5"
    True
    >>> format_number(-0.5, "en"), format_number(-0.001, "fr", decimals=2)
    ('\u22120.5', '0,00')
    """
    _check_lang(lang)
    if _missing(x):
        return missing
    x = float(x)
    return _number_text(x, lang, decimals, math.copysign(1.0, x))


# Figures and tables format the same few values thousands of times (labels tried on bars,
# cells of every table): the locale's text of a value is kept once made.
@cache
def _babel_locale(lang: str) -> Any:
    from babel import Locale

    return Locale.parse(LOCALES[lang])


@cache
def _number_pattern(decimals: int, percent: bool) -> Any:
    # What babel's format_decimal and format_percent do with a format, without parsing the
    # locale and the format again for every value (a quarter of the time).
    from babel.numbers import parse_pattern

    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals > 0 else "")
                         + ("%" if percent else ""))


@lru_cache(maxsize=65536)
def _number_text(x: float, lang: str, decimals: int, sign: float) -> str:
    # ``sign`` keeps -0.0 apart from 0.0 (equal as keys, not in print).
    return _signed(_number_pattern(decimals, False).apply(x, _babel_locale(lang)))


#: The true minus sign (U+2212): a hyphen-minus is a hyphen, and a line may break after it.
MINUS = "\u2212"


def _signed(text: str) -> str:
    """``text`` with a true minus sign, and without a sign when every digit shown is zero
    (``-0,00`` is no number a reader can use)."""
    if not text.startswith(("-", MINUS)):
        return text
    if not any(c in "123456789" for c in text):
        return text[1:]
    return MINUS + text[1:]


def format_integer(x: Any, lang: str, *, missing: str = "–") -> str:
    """A count with the locale's thousands separator (``1 234`` in French)."""
    return format_number(x, lang, decimals=0, missing=missing)


def format_percent(p: Any, lang: str, *, decimals: int = 1, missing: str = "–") -> str:
    """A proportion ``p`` (0–1) as a percentage in the locale of ``lang``.

    Examples
    --------
    >>> format_percent(0.125, "en")
    '12.5%'
    >>> format_percent(0.125, "fr") == "12,5\\u00a0%"
    True
    """
    _check_lang(lang)
    if _missing(p):
        return missing
    p = float(p)
    return _percent_text(p, lang, decimals, math.copysign(1.0, p))


@lru_cache(maxsize=65536)
def _percent_text(p: float, lang: str, decimals: int, sign: float) -> str:
    text = _number_pattern(decimals, True).apply(p, _babel_locale(lang))
    if lang == "fr":
        # French sets the percent sign apart with a non-breaking space (OQLF, Statistique Canada).
        text = text.replace("%", "").rstrip("\u00a0\u202f ") + "\u00a0%"
    return _signed(text)


def format_date(d: _dt.date | str, lang: str, *, style: str = "long") -> str:
    """A date in the locale of ``lang`` (``22 novembre 2026`` / ``November 22, 2026``)."""
    from babel.dates import format_date as _format_date

    _check_lang(lang)
    if isinstance(d, str):
        d = _dt.date.fromisoformat(d[:10])
    return _format_date(d, format=style, locale=LOCALES[lang])


def warm_up() -> None:
    """Read both catalogues and babel's data for both locales now (a process that forks
    others does it once for all of them)."""
    for lang in LANGUAGES:
        catalogue(lang)
        format_percent(0.125, lang)
        format_date("2026-01-01", lang)


# -- French typography ------------------------------------------------------------------------
NBSP = "\u00a0"
NNBSP = "\u202f"

# French sets ':' and '%' and '»' apart with a non-breaking space, ';', '!' and '?' with a
# narrow one (OQLF, Banque de dépannage linguistique); '«' is followed by a non-breaking space.
_BEFORE_WIDE = re.compile(r"[ \t]+(?=[:%»])")
_BEFORE_NARROW = re.compile(r"[ \t]+(?=[;!?])")
_AFTER_GUILLEMET = re.compile(r"«[ \t]+")
# A sign set against the word before it ("titre; autre", "Index:") takes its space too, when
# a space or the end follows it: ratios (1:3:25), times, addresses and URLs keep theirs.
_GLUED_WIDE = re.compile(r"(?<=[^\s\d:/\u00a0\u202f]):(?=\s|$)")
_GLUED_NARROW = re.compile(r"(?<=[^\s\u00a0\u202f!?;])([;!?])(?=\s|$)")


def typography(text: str, lang: str) -> str:
    """``text`` with the spacing rules of ``lang`` (French: non-breaking spaces before
    ``:`` ``;`` ``%`` ``?`` ``!`` and inside guillemets; English: unchanged).

    Examples
    --------
    >>> typography("Question : oui ? « non »", "fr") == (
    ...     "Question\\u00a0: oui\\u202f? «\\u00a0non\\u00a0»")
    True
    >>> typography("Titre; autre: 1:3:25", "fr") == "Titre\\u202f; autre\\u00a0: 1:3:25"
    True
    >>> typography("Question: yes?", "en")
    'Question: yes?'
    """
    if lang != "fr" or not text:
        return text
    text = _BEFORE_WIDE.sub(NBSP, text)
    text = _BEFORE_NARROW.sub(NNBSP, text)
    text = _GLUED_WIDE.sub(NBSP + ":", text)
    text = _GLUED_NARROW.sub(NNBSP + r"\1", text)
    return _AFTER_GUILLEMET.sub("«" + NBSP, text)
