"""Text helpers of the reports: French typography and the formats of numbers with intervals.

Every number a report prints goes through :func:`evalkit.i18n.format_number` or
:func:`evalkit.i18n.format_percent`; every French sentence through :func:`typography`.
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

from evalkit.i18n import format_integer, format_number, format_percent, t

__all__ = ["ci_text", "count_text", "number_text", "other_language", "percent_text",
           "typography", "typography_html"]

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


#: Tags whose content is not prose: code, styles and scripts keep their characters.
_VERBATIM = re.compile(r"(<(style|script|code|pre|textarea)\b.*?</\2\s*>|<[^>]+>)",
                       re.DOTALL | re.IGNORECASE)


def other_language(language: Any, lang: str) -> tuple[str, str] | None:
    """For a text in ``language`` on a page in ``lang``: its language code and the visible tag
    that says so (``(en anglais)`` on a French page), or None when it is in the page's
    language or its language is unknown.

    Examples
    --------
    >>> other_language("en", "fr")
    ('en', '(en anglais)')
    >>> other_language("fr", "en")
    ('fr', '(in French)')
    >>> other_language("fr", "fr") is None, other_language(None, "en") is None
    (True, True)
    """
    if _missing(language) or not str(language).strip() or str(language) == lang:
        return None
    code = str(language).strip()
    key = f"reports.quote.in.{code}" if code in ("fr", "en") else "reports.quote.in.other"
    return code, t(key, lang)


def typography_html(html: str, lang: str) -> str:
    """:func:`typography` applied to the text of an HTML page and to the alt texts and
    labels of its elements (never inside code, styles or scripts).

    Examples
    --------
    >>> typography_html("<p>Index : <code>a : b</code></p>", "fr") == (
    ...     "<p>Index\\u00a0: <code>a : b</code></p>")
    True
    """
    if lang != "fr" or not html:
        return html
    parts = _VERBATIM.split(html)
    out = []
    # re.split with two groups yields: text, whole tag, inner group name, text, ...
    for i in range(0, len(parts), 3):
        text = parts[i]
        if text:
            out.append(escape(typography(unescape(text), lang), quote=False))
        if i + 1 < len(parts):
            tag = parts[i + 1]
            if tag.startswith("<") and not parts[i + 2]:  # a tag: its alt text is read too
                tag = _ALT.sub(lambda m: m.group(1) + m.group(2) + escape(typography(
                    unescape(m.group(3)), lang)) + m.group(2), tag)
            out.append(tag)
    return "".join(out)


_ALT = re.compile(r"(\s(?:alt|aria-label|title)=)(['\"])(.*?)\2", re.DOTALL)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(value != value)  # NaN and pandas NA
    except (TypeError, ValueError):
        return True


def percent_text(value: Any, lang: str, *, decimals: int = 0) -> str:
    """A proportion as a percentage in the locale (``78 %``)."""
    return format_percent(None if _missing(value) else float(value), lang, decimals=decimals)


def number_text(value: Any, lang: str, *, decimals: int = 2) -> str:
    """A number in the locale (``0,09``)."""
    return format_number(None if _missing(value) else float(value), lang, decimals=decimals)


def count_text(value: Any, lang: str) -> str:
    """A count in the locale (``1 234``)."""
    return format_integer(None if _missing(value) else float(value), lang)


def ci_text(low: Any, high: Any, lang: str, *, percent: bool = False, decimals: int = 2,
            confidence: float = 0.95) -> str:
    """An interval in words of the catalogue (``IC à 95 % : 65 % à 88 %``); an interval with
    a bound suppressed or unknown says it is not released rather than print dashes.

    Examples
    --------
    >>> ci_text(0.1, 0.3, "en", percent=True)
    '95% CI: 10% to 30%'
    >>> ci_text(float("nan"), 0.3, "en")
    '95% CI: not released'
    """
    if _missing(low) or _missing(high):
        return t("reports.ci.not_released", lang, level=percent_text(confidence, lang))
    fmt = percent_text if percent else number_text
    kwargs = {} if percent else {"decimals": decimals}
    return t("reports.ci", lang, level=percent_text(confidence, lang),
             low=fmt(low, lang, **kwargs), high=fmt(high, lang, **kwargs))
