"""Text helpers of the reports: French typography and the formats of numbers with intervals.

Every number a report prints goes through :func:`evalkit.i18n.format_number` or
:func:`evalkit.i18n.format_percent`; every French sentence through :func:`typography`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from html import escape, unescape
from typing import Any

from evalkit.i18n import format_integer, format_number, format_percent, t, typography
from evalkit.release.shown import origin_columns, origin_key

__all__ = ["ci_text", "count_text", "distinct_origin", "marked", "marked_html", "number_text",
           "origin", "other_language", "percent_text", "plain", "ratio_origin", "spans",
           "sum_origin", "typography", "typography_html"]

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
            confidence: float = 0.95,
            where: tuple[Mapping[str, Any] | None, Mapping[str, Any] | None] | None = None
            ) -> str:
    """An interval in words of the catalogue (``IC à 95 % : 65 % à 88 %``); an interval with
    a bound suppressed or unknown says it is not released rather than print dashes.

    Examples
    --------
    >>> ci_text(0.1, 0.3, "en", percent=True)
    '95% CI: 10% to 30%'
    >>> ci_text(float("nan"), 0.3, "en")
    '95% CI: not released'

    ``where`` gives the origins of the two bounds (see :func:`marked`); the confidence level
    is not read from data and carries none.
    """
    if _missing(low) or _missing(high):
        return t("reports.ci.not_released", lang, level=percent_text(confidence, lang))
    fmt = percent_text if percent else number_text
    kwargs = {} if percent else {"decimals": decimals}
    low_where, high_where = where or (None, None)
    return t("reports.ci", lang, level=percent_text(confidence, lang),
             low=marked(fmt(low, lang, **kwargs), low_where),
             high=marked(fmt(high, lang, **kwargs), high_where))


# -- numbers of running text that carry their origin --------------------------------------------
# A number a sentence takes from a released table travels through the sentence between
# invisible marks (characters of Unicode's private use area, which no catalogue text holds):
# ``\ue000<origin as hex of its JSON>\ue001<the number as written>\ue002``. The writers turn
# the marks into the markup the release check reads (:mod:`evalkit.release.shown`); the page
# estimate and every plain use of the text drop them (:func:`plain`). Hex keeps the origin out
# of reach of typography and escaping.
_OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARK = re.compile("\ue000([0-9a-f]*)\ue001(.*?)\ue002", re.DOTALL)


def origin(table: str, row: Mapping[str, Any], column: str | Iterable[str]) -> dict[str, Any]:
    """The origin of a number read from one cell of a released table: its ``table``, the
    ``row``'s keys and the ``column`` (or the columns, such as an interval's bounds).

    >>> origin("tokenism_overall", {}, "rate")
    {'table': 'tokenism_overall', 'row': {}, 'column': 'rate'}
    """
    columns = origin_columns([column] if isinstance(column, str) else column)
    return {"table": table, "row": json.loads(origin_key(row)), "column": columns}


def sum_origin(table: str, column: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The origin of a number that adds up ``column`` of released ``table`` over ``rows``
    (their keys): the release check adds them up again.

    >>> sum_origin("response_counts", "n", [{"site": "A"}, {"site": "B"}])
    {'sum': {'table': 'response_counts', 'column': 'n', 'rows': [{'site': 'A'}, {'site': 'B'}]}}
    """
    return {"sum": {"table": table, "column": column,
                    "rows": [json.loads(origin_key(r)) for r in rows]}}


def ratio_origin(table: str, numerator: str, denominator: str,
                 rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The origin of a share computed on the page: the sum of ``numerator`` over ``rows`` of
    released ``table`` divided by the sum of ``denominator`` over the same rows.

    >>> ratio_origin("traffic_light", "count", "n", [{"site": "A", "colour": "red"}])["ratio"]
    {'table': 'traffic_light', 'column': 'count', 'denominator': 'n', 'rows': [{'site': 'A', 'colour': 'red'}]}
    """
    return {"ratio": {"table": table, "column": numerator, "denominator": denominator,
                      "rows": [json.loads(origin_key(r)) for r in rows]}}


def distinct_origin(table: str, column: str) -> dict[str, Any]:
    """The origin of a number that counts the distinct values of key ``column`` of released
    ``table`` (the sites, the waves): the release check counts them again.

    >>> distinct_origin("response_counts", "site")
    {'distinct': {'table': 'response_counts', 'column': 'site'}}
    """
    return {"distinct": {"table": table, "column": column}}


def marked(text: str, where: Mapping[str, Any] | None) -> str:
    """``text`` (a number as written) carrying its origin ``where`` through a sentence; as it
    is without an origin.

    >>> plain(marked("12 %", origin("t", {}, "rate"))), marked("3", None)
    ('12 %', '3')
    """
    if not where or not text:
        return text
    payload = json.dumps(dict(where), ensure_ascii=False, separators=(",", ":"),
                         sort_keys=True).encode("utf-8").hex()
    return f"{_OPEN}{payload}{_MID}{text}{_CLOSE}"


def plain(text: str) -> str:
    """``text`` as a reader reads it: the marks of :func:`marked` dropped, numbers kept."""
    return _MARK.sub(r"\2", text) if _OPEN in text else text


def spans(text: str) -> list[tuple[str, dict[str, Any] | None]]:
    """``text`` cut into its pieces: ``(text, origin)`` for a marked number, ``(text, None)``
    for the words between.

    >>> spans("n = " + marked("12", origin("t", {}, "n")) + ".")
    [('n = ', None), ('12', {'column': 'n', 'row': {}, 'table': 't'}), ('.', None)]
    """
    out: list[tuple[str, dict[str, Any] | None]] = []
    at = 0
    for match in _MARK.finditer(text):
        if match.start() > at:
            out.append((text[at:match.start()], None))
        out.append((match.group(2), json.loads(bytes.fromhex(match.group(1)).decode("utf-8"))))
        at = match.end()
    if at < len(text):
        out.append((text[at:], None))
    return out


def _span_attributes(where: Mapping[str, Any]) -> str:
    """The attributes of a ``<span>`` around a marked number (see :mod:`evalkit.release.shown`)."""
    def attr(name: str, value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(
            value, ensure_ascii=False, separators=(",", ":"))
        return f" {name}='{escape(text)}'"

    if "sum" in where:
        return attr("data-sum", where["sum"])
    if "distinct" in where:
        return attr("data-distinct", where["distinct"])
    if "ratio" in where:
        return attr("data-ratio", where["ratio"])
    return (attr("data-table", where["table"]) + attr("data-row", where.get("row") or {})
            + attr("data-column", where["column"]))


def marked_html(html: str) -> str:
    """HTML text (already escaped) with each marked number as a ``<span>`` naming its origin.

    >>> marked_html("Parmi les " + marked("473", origin("tokenism_overall", {}, "n_consulted")))
    "Parmi les <span data-table='tokenism_overall' data-row='{}' data-column='n_consulted'>473</span>"
    """
    if _OPEN not in html:
        return html
    return _MARK.sub(lambda m: "<span" + _span_attributes(json.loads(bytes.fromhex(
        m.group(1)).decode("utf-8"))) + f">{m.group(2)}</span>", html)
