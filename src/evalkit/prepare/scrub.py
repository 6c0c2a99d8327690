"""Scrubbing free text: names, e-mails, phone numbers, postal codes, SIN and health-card numbers.

Comments and interview quotes are scrubbed before they are quoted in any report: each identifier
is replaced by a token in the report language (``[NOM]``/``[NAME]``, ``[TÉLÉPHONE]``/``[PHONE]``...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Any, NamedTuple

import pandas as pd

from evalkit.errors import ArgumentError
from evalkit.i18n import t

__all__ = ["IDENTIFIER_KINDS", "Identifier", "find_identifiers", "scrub_text", "scrub_texts"]

#: The kinds of identifier found in free text, in the order of the regular expression.
IDENTIFIER_KINDS: tuple[str, ...] = (
    "url", "email", "health_card", "phone", "sin", "postal_code", "name",
)

_TOKEN_KEYS = {
    "name": "privacy.token.name",
    "email": "privacy.token.email",
    "phone": "privacy.token.phone",
    "postal_code": "privacy.token.postal_code",
    "sin": "privacy.token.sin",
    "health_card": "privacy.token.health_card",
    "url": "privacy.token.url",
}

# Separators written between groups of digits: space, non-breaking spaces, dot, hyphen.
_SEP = r"[ \u00a0\u202f.\-]"
_EXT = r"(?:\s*,?\s*(?:poste|post\.|p\.|ext\.?|extension|x|\#)\s*\d{1,6}(?!\d))"
# Letters of Canadian postal codes: D, F, I, O, Q, U never appear; W and Z never come first.
_FSA_FIRST = "ABCEGHJ-NPRSTVXY"
_POSTAL_LETTER = "ABCEGHJ-NPRSTV-Z"

_PATTERNS: dict[str, str] = {
    "url": r"(?<![\w@])(?:(?:https?|ftp)://|www\.)[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}]",
    "email": r"(?<![\w.+\-])[\w.+\-%]+@[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}(?![\w\-])",
    # RAMQ: 4 letters (3 of the family name, 1 of the given name), then 8 digits (a date and
    # 2 more), with or without spaces. The date digits are not checked: a card mistyped or
    # invented for a test is still one. A dash is no separator ("pour 2024-2025" is a period).
    "health_card": r"(?<!\w)[a-z]{4}[ \u00a0]?\d{4}[ \u00a0]?\d{4}(?!\w)",
    # North American numbers: +1 / 1 optional, area code with or without parentheses, then
    # exchange and line, an optional extension; or a local 7-digit number written 555-0142.
    # Not after a decimal point: the decimals of 0.2345678901 are not a phone number; nor
    # 1.2162304207, a decimal whose "1." only looks like a country code (with a dot, the
    # groups that follow must be separated too: 1.819.555.0142).
    "phone": (rf"(?<![\w+])(?<!\d\.)(?:\+\s?1{_SEP}?|1(?:[ \u00a0\u202f\-]|\.(?=\d{{3}}\.))?)?"
              rf"(?:\(\s?[2-9]\d\d\s?\)\s?|[2-9]\d\d{_SEP}?)[2-9]\d\d{_SEP}?\d{{4}}(?!\d){_EXT}?"
              rf"|(?<![\w+\-])(?<!\d\.)[2-9]\d\d-\d{{4}}(?![\d\-]){_EXT}?"),
    # Social insurance numbers: 9 digits, grouped 3-3-3 with one separator or none; the Luhn
    # check (in _valid_sin) keeps 9 in 10 ordinary 9-digit numbers out. Amounts (followed by
    # decimals or a dollar sign) are not candidates.
    "sin": (r"(?<!\w)(?<!\d\.)\d{3}(?P<sinsep>[ \u00a0\-]?)\d{3}(?P=sinsep)\d{3}"
            r"(?!\w|[.,]\d|\s?\$|[ \u00a0\-]\d)"),
    # Not after '#': hexadecimal colours (#C6D9F1) look like postal codes.
    "postal_code": (rf"(?<![\w#])[{_FSA_FIRST}]\d[{_POSTAL_LETTER}][ \u00a0\-]?"
                    rf"\d[{_POSTAL_LETTER}]\d(?!\w)"),
}

# Opaque identifiers whose digits are no phone or SIN numbers: UUIDs and long hexadecimal
# digests (SHA-256 of files, commit hashes).
_UUID = re.compile(r"(?<![0-9a-f])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                   r"[0-9a-f]{12}|[0-9a-f]{16,})(?![0-9a-f])", re.IGNORECASE)

_DECIMAL_RUN = re.compile(r"\.\d{5,}")

# Particles of compound names that are never matched on their own.
_PARTICLES = frozenset({
    "de", "du", "des", "la", "le", "les", "van", "von", "der", "den", "da", "di", "do", "dos",
    "das", "del", "della", "st", "ste", "saint", "sainte", "y",
})


# What a text must hold for each kind to match (a test far cheaper than the kind's search).
_DIGIT = re.compile(r"\d")


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


_NEEDS: dict[str, Callable[[str], bool]] = {
    "url": lambda text: "://" in text or "www." in text.lower(),
    "email": lambda text: "@" in text,
    "health_card": _has_digit, "phone": _has_digit, "sin": _has_digit, "postal_code": _has_digit,
}
# A run of word characters where a name may start (not after a letter, digit or hyphen).
_WORD_START = re.compile(r"(?<![\w\-])\w+")
_RUN = re.compile(r"\w+")


class Identifier(NamedTuple):
    """One identifier found in a text: its span (in the NFC form of the text) and kind."""

    start: int
    end: int
    kind: str
    value: str


@cache
def _fold_table() -> dict[int, str]:
    """Letters with diacritics → base letter, typographic apostrophe → ASCII (same length)."""
    table: dict[int, str] = {0x2019: "'", 0x02BC: "'"}
    for code in range(0x00C0, 0x0250):
        decomposed = unicodedata.normalize("NFD", chr(code))
        base = decomposed[0]
        if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
            table[code] = base
    return table


@cache
def _foldable() -> re.Pattern:
    """The characters :func:`_fold_table` changes."""
    return re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_fold_table())) + "]")


@cache
def _fold_chars() -> dict[str, str]:
    return {chr(code): base for code, base in _fold_table().items()}


def _fold(text: str) -> str:
    """``text`` without diacritics, of the same length (so spans carry over to the original)."""
    if text.isascii():
        return text
    chars = _fold_chars()
    # Replaced where found: most characters of a text are left as they are, and a search
    # finds them faster than a translation looks each one up.
    return _foldable().sub(lambda found: chars[found.group()], text)


def _normalise_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(name)).split())


def _name_regex(name: str) -> str:
    """A pattern for one name: spaces and hyphens between its words are interchangeable."""
    words = _fold(name).split(" ")
    escaped = [re.escape(w).replace(r"\-", r"[\-\s]").replace("'", "['’]") for w in words]
    return r"[\s\-]+".join(escaped)


def _first_run(name: str) -> str | None:
    """The word characters a name's pattern starts with (folded), or None when it starts with
    something else."""
    found = _RUN.match(_fold(name))
    return found.group() if found else None


def _name_alternatives(names: tuple[str, ...]
                       ) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """Patterns for full names (with 'Last, First' for two-word names) and for their parts,
    each with the word characters it starts with (see :func:`_first_run`)."""
    full: dict[str, str | None] = {}
    parts: set[str] = set()
    folded_full = set()
    for name in names:
        words = name.split(" ")
        full[_name_regex(name)] = _first_run(name)
        folded_full.add(_fold(name).casefold())
        if len(words) == 2:
            first, last = words
            full[_name_regex(last) + r",?[\s\-]+" + _name_regex(first)] = _first_run(last)
        if len(words) >= 2:
            for word in words:
                letters = sum(ch.isalpha() for ch in word)
                if letters >= 2 and _fold(word).casefold() not in _PARTICLES:
                    parts.add(word)
    parts = {p for p in parts if _fold(p).casefold() not in folded_full}
    by_length = lambda patterns: sorted(patterns, key=lambda p: (-len(p[0]), p[0]))  # noqa: E731
    return (by_length(full.items()),
            by_length({_name_regex(p): _first_run(p) for p in parts}.items()))


def _names_pattern(full: list[str], parts: list[str]) -> str:
    """The names' part of the scrubber's expression: full names, then lone parts."""
    boundary_before, boundary_after = r"(?<![\w\-])", r"(?![\w]|-\w)"
    alternatives = []
    if full:
        alternatives.append(f"(?P<name>{boundary_before}(?:{'|'.join(full)}){boundary_after})")
    if parts:
        alternatives.append(
            f"(?P<name_part>{boundary_before}(?:{'|'.join(parts)}){boundary_after})")
    return "|".join(alternatives)


class _NameIndex:
    """The names' expression split by the word a name starts with.

    A name can only match where a word starts, and only a name whose first word is that word
    (ignoring case): at each word of a text, only those names are tried, in the order of the
    whole expression, instead of every name at every word. A word that is not plain ASCII once
    folded is tried against the whole expression (case-insensitive matching outside ASCII has
    equivalences a dictionary key would miss); names whose first word is not ASCII are tried at
    every word.
    """

    def __init__(self, full: list[tuple[str, str | None]],
                 parts: list[tuple[str, str | None]]) -> None:
        self.whole = re.compile(_names_pattern([p for p, _ in full], [p for p, _ in parts]),
                                re.IGNORECASE)
        self.full, self.parts = full, parts
        self.keys = {run.lower() for _, run in [*full, *parts] if run and run.isascii()}
        # A name that starts with no word character could start where no word does.
        self.indexed = all(run is not None for _, run in [*full, *parts])
        self._compiled: dict[str | None, re.Pattern | None] = {}

    def _for(self, key: str | None) -> re.Pattern | None:
        """The expression of the names tried at a word whose key is ``key`` (None: a word no
        name's first word is)."""
        if key not in self._compiled:
            def chosen(items):
                return [pattern for pattern, run in items if not run.isascii()
                        or (key is not None and run.lower() == key)]
            full, parts = chosen(self.full), chosen(self.parts)
            self._compiled[key] = (re.compile(_names_pattern(full, parts), re.IGNORECASE)
                                   if full or parts else None)
        return self._compiled[key]

    def finditer(self, folded: str):
        """The matches :meth:`re.Pattern.finditer` of the whole expression gives, in order."""
        if not self.indexed:
            yield from self.whole.finditer(folded)
            return
        end = 0
        for word in _WORD_START.finditer(folded):
            start = word.start()
            if start < end:
                continue
            run = word.group()
            if run.isascii():
                key = run.lower()
                expression = self._for(key if key in self.keys else None)
            else:
                expression = self.whole
            if expression is None:
                continue
            found = expression.match(folded, start)
            if found:
                end = found.end()
                yield found


class _Scrubber:
    """The compiled patterns for one list of names (built once, reused for every text).

    Each kind of identifier has an expression of its own, and the names are tried only where
    a name could start (:class:`_NameIndex`): a text is searched many times faster than by the
    one expression of every kind (:attr:`regex`), with the same result. That expression
    decides whenever two kinds match overlapping text, as its order of alternatives says
    which wins (it is the reference the tests compare the fast search with).
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        full, parts = _name_alternatives(names)
        alternatives = [f"(?P<{kind}>{pattern})" for kind, pattern in _PATTERNS.items()]
        names_pattern = _names_pattern([p for p, _ in full], [p for p, _ in parts])
        if names_pattern:
            alternatives.append(names_pattern)
        self.regex = re.compile("|".join(alternatives), re.IGNORECASE)
        self._kinds = [(kind, re.compile(pattern, re.IGNORECASE), _NEEDS[kind])
                       for kind, pattern in _PATTERNS.items()]
        self._names = _NameIndex(full, parts) if names_pattern else None

    def _matches(self, folded: str) -> list[tuple[int, int, str, str]]:
        """``(start, end, kind, matched text)`` of each match of :attr:`regex` in ``folded``,
        in order (``name_part`` included, before the capital-letter test)."""
        found = []
        tested: dict[Callable[[str], bool], bool] = {}
        for kind, expression, needs in self._kinds:
            if needs not in tested:
                tested[needs] = needs(folded)
            if tested[needs]:
                found += [(m.start(), m.end(), kind, m.group())
                          for m in expression.finditer(folded)]
        if self._names is not None:
            found += [(m.start(), m.end(), m.lastgroup or "", m.group())
                      for m in self._names.finditer(folded)]
        found.sort()
        if any(a[1] > b[0] for a, b in zip(found, found[1:], strict=False)):
            # Two kinds claim the same text: the order of the one expression decides.
            return [(m.start(), m.end(), m.lastgroup or "", m.group())
                    for m in self.regex.finditer(folded)]
        return found

    def find(self, text: str, kinds: frozenset[str] | None = None, *,
             reference: bool = False) -> list[Identifier]:
        if text.isascii():  # already NFC, nothing to fold
            folded = text
        else:
            text = unicodedata.normalize("NFC", text)
            folded = _fold(text)
        if reference:
            matches = [(m.start(), m.end(), m.lastgroup or "", m.group())
                       for m in self.regex.finditer(folded)]
        else:
            matches = self._matches(folded)
        found: list[Identifier] = []
        opaque = None
        for start, end, kind, value in matches:
            if kind in ("phone", "sin", "postal_code", "health_card"):
                # Digits inside opaque identifiers (UUIDs, digests) are no phone or SIN numbers.
                if opaque is None:
                    opaque = [m.span() for m in _UUID.finditer(folded)]
                if any(a <= start and end <= b for a, b in opaque):
                    continue
            if kind == "phone" and _DECIMAL_RUN.search(value):
                continue  # 1345.8582144 is a decimal: a phone group after a dot has 3-4 digits
            if kind == "name_part":
                # A lone given or family name counts only when written as a proper noun
                # (capital first letter): "Côté" is a name, "à côté" is not.
                if not folded[start].isupper():
                    continue
                kind = "name"
            elif kind == "sin" and not _valid_sin(value):
                continue
            if kinds is None or kind in kinds:
                previous = found[-1] if found else None
                if (kind == "name" and previous is not None and previous.kind == "name"
                        and not text[previous.end:start].strip(" \u00a0-")):
                    # A given name then a family name, each known from another person: one name.
                    found[-1] = Identifier(previous.start, end, kind, text[previous.start:end])
                else:
                    found.append(Identifier(start, end, kind, text[start:end]))
        return found

    def scrub(self, text: str, tokens: dict[str, str]) -> str:
        spans = self.find(text)
        if not spans:
            return text if text.isascii() else unicodedata.normalize("NFC", text)
        text = unicodedata.normalize("NFC", text)
        pieces, last = [], 0
        for span in spans:
            pieces += [text[last:span.start], tokens[span.kind]]
            last = span.end
        pieces.append(text[last:])
        return "".join(pieces)


def _valid_sin(candidate: str) -> bool:
    """The Luhn check of a 9-digit social insurance number."""
    digits = [int(c) for c in candidate if c.isdigit()]
    total = 0
    for position, digit in enumerate(digits):
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


@lru_cache(maxsize=32)
def _scrubber(names: tuple[str, ...]) -> _Scrubber:
    return _Scrubber(names)


def _names_key(names: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = [names]
    try:
        cleaned = {_normalise_name(n) for n in names if n is not None and not pd.isna(n)}
    except TypeError:
        raise ArgumentError(
            f"names must be a list of names of people, got {type(names).__name__}",
            where="names") from None
    return tuple(sorted(n for n in cleaned if n))


@cache
def _tokens(lang: str) -> dict[str, str]:

    if lang not in ("fr", "en"):
        raise ArgumentError(f"lang must be one of 'fr', 'en', got {lang!r}", where="lang")
    return {kind: t(key, lang) for kind, key in _TOKEN_KEYS.items()}


def find_identifiers(text: str, *, names: Iterable[str] = (),
                     kinds: Iterable[str] | None = None) -> list[Identifier]:
    """Find the identifiers in a text: where they are and of which kind.

    Parameters
    ----------
    text : str
        A free text (comment, quote, cell of a table).
    names : iterable of str, optional
        Names of people known to the study (see :func:`scrub_text` for how they are matched).
    kinds : iterable of str, optional
        Only these kinds (among :data:`IDENTIFIER_KINDS`); default all.

    Returns
    -------
    list of Identifier
        ``(start, end, kind, value)`` for each identifier, in order; ``start`` and ``end`` index
        the NFC form of ``text`` (the same string for text typed on any usual keyboard).

    Examples
    --------
    >>> [(i.kind, i.value) for i in find_identifiers("Appelez au 819-555-0142 ou a@b.ca")]
    [('phone', '819-555-0142'), ('email', 'a@b.ca')]
    """
    if not isinstance(text, str):
        raise ArgumentError(f"text must be a string, got {type(text).__name__}", where="text")
    wanted = None
    if kinds is not None:
        wanted = frozenset([kinds] if isinstance(kinds, str) else kinds)
        unknown = sorted(wanted - set(IDENTIFIER_KINDS))
        if unknown:
            raise ArgumentError(f"kinds must be among {', '.join(IDENTIFIER_KINDS)}, "
                                f"got {', '.join(map(repr, unknown))}", where="kinds")
    return _scrubber(_names_key(names)).find(text, wanted)


def scrub_text(text: str, *, lang: str = "fr", names: Iterable[str] = ()) -> str:
    """Replace the identifiers in a free text by tokens in the report language.

    Parameters
    ----------
    text : str
        A free text: a survey comment, an interview quote.
    lang : {'fr', 'en'}
        Language of the tokens: ``[NOM]``, ``[TÉLÉPHONE]``, ``[COURRIEL]``, ``[CODE POSTAL]``,
        ``[NAS]``, ``[RAMQ]``, ``[URL]`` in French; ``[NAME]``, ``[PHONE]``, ``[EMAIL]``,
        ``[POSTAL CODE]``, ``[SIN]``, ``[HEALTH CARD]``, ``[URL]`` in English.
    names : iterable of str, optional
        Names of people known to the study (``privacy.names``, a contact-name column).

    Returns
    -------
    str
        The text (in Unicode NFC form) with each identifier replaced by its token.

    Notes
    -----
    What is caught:

    - e-mail addresses and URLs (``http(s)://``, ``ftp://``, ``www.``);
    - North American phone numbers: ``819-555-0142``, ``(819) 555-0142``, ``819 555 0142``,
      ``819.555.0142``, ``8195550142``, ``+1 819 555 0142``, ``1-819-555-0142``, and local
      numbers written ``555-0142``, with an extension (``poste 221``, ``ext. 221``, ``x221``);
    - Canadian postal codes in any case, with a space, a hyphen or nothing (``H2X 1Y4``,
      ``h2x1y4``, ``H2X-1Y4``), using only the letters Canada Post uses;
    - social insurance numbers: 9 digits (``046 454 286``, ``046-454-286``, ``046454286``) that
      pass the Luhn check; 9-digit amounts (followed by decimals or ``$``) are left alone;
    - Quebec health-card (RAMQ) numbers: 4 letters and 8 digits, spaced or not, whose month
      (01–12, or 51–62 for women) and day are valid;
    - names of people known to the study, ignoring case and accents (``emilie tremblay``
      matches ``Émilie Tremblay``), with spaces or hyphens between words, also written
      ``Tremblay, Émilie``. A lone given or family name of a listed full name (``Émilie``,
      ``Tremblay``) is caught when written with a capital (``d'Émilie``, ``l’Émilie`` keep their
      elided article: ``d'[NOM]``); written in lower case it is left, so that ordinary words
      that are also family names (``à côté``, ``j'ai gagné``) are not mangled. Particles
      (``de``, ``van``, ``St``) are never matched alone, nor is one part of a hyphenated name
      (``Marie`` in ``Marie-Victorin``).

    Limits: names of people not listed are not found (use a person who reads the quotes);
    addresses other than postal codes, dates of birth and bare domains (``exemple.org``) are
    not caught; a 10-digit reference number is taken for a phone number.

    Examples
    --------
    >>> scrub_text("Merci à Émilie Tremblay (819 555-0142, poste 221).", names=["Émilie Tremblay"])
    'Merci à [NOM] ([TÉLÉPHONE]).'
    >>> scrub_text("Write to jo@example.org, J1H 5N4.", lang="en")
    'Write to [EMAIL], [POSTAL CODE].'
    """
    if not isinstance(text, str):
        raise ArgumentError(f"text must be a string, got {type(text).__name__}", where="text")
    tokens = _tokens(lang)
    return _scrubber(_names_key(names)).scrub(text, tokens)


def scrub_texts(texts: pd.Series, *, lang: str, names: Iterable[str] = ()) -> pd.Series:
    """Scrub a column of free texts (see :func:`scrub_text`); missing values stay missing.

    The patterns are compiled once for the whole column (and kept for the next call with the
    same names).

    Parameters
    ----------
    texts : pandas.Series
        Free texts; non-text values are scrubbed as their text form.
    lang : {'fr', 'en'}
        Language of the replacement tokens.
    names : iterable of str, optional
        Names of people known to the study.

    Returns
    -------
    pandas.Series
        Same index and name as ``texts``, with identifiers replaced by tokens.

    Examples
    --------
    >>> import pandas as pd
    >>> scrub_texts(pd.Series(["Tél. : 819 555 0142", None]), lang="fr").tolist()
    ['Tél. : [TÉLÉPHONE]', nan]
    """
    if not isinstance(texts, pd.Series):
        raise ArgumentError(f"texts must be a pandas Series, got {type(texts).__name__}",
                            where="texts")
    tokens = _tokens(lang)
    scrubber = _scrubber(_names_key(names))
    done: dict[str, str] = {}  # a text written by many ("Non", "RAS") is searched once

    def scrub(value: Any) -> str:
        text = str(value)
        if text not in done:
            done[text] = scrubber.scrub(text, tokens)
        return done[text]

    return texts.map(scrub, na_action="ignore")
