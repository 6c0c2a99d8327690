"""How a source's selection offsets were counted: the candidate conventions, the evidence, the choice.

REFI-QDA counts the Unicode code points of the text as stored; NVivo counts UTF-16 code units;
some tools count line ends or a byte-order mark differently. The reader reads each source under
every convention that would give different positions and keeps the one the evidence supports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

import numpy as np

from evalkit.read.qda._text import (
    Counting,
    name_as_quote,
    newline_positions,
    squash,
    to_text_offsets,
)

#: Selection names compared with their text, per source, at most (the comparison is bounded).
MAX_NAMES_CHECKED = 1_000
#: Names that match under no convention searched for in the whole text, per source, at most.
MAX_NAMES_SEARCHED = 50
# Weights of the evidence: a name that quotes the text at the offsets, and an offset outside
# the text or inside a character, each outweigh many selections that happen to start a line.
_NAME_WEIGHT = 10
_INVALID_WEIGHT = 10


@dataclass(frozen=True)
class Choice:
    """The convention chosen for a source and the positions it gives.

    Attributes
    ----------
    counting : Counting
        The convention followed.
    starts, ends : ndarray
        Positions in the normalised text (not yet clipped to it).
    n_checked : int
        Selection names that quote the text (the evidence of names).
    n_matched : int
        Of those, how many match the text at the chosen positions.
    overruled : bool
        True when the evidence overruled the convention expected from the exporting tool.
    """

    counting: Counting
    starts: np.ndarray
    ends: np.ndarray
    n_checked: int
    n_matched: int
    overruled: bool


def candidates(*, prior: Counting, origin: str | None, has_crlf: bool, has_bom: bool,
               has_non_bmp: bool, has_newline: bool, unit: str | None = None) -> list[Counting]:
    """The conventions worth comparing for one source, the ``prior`` first.

    Only conventions that can give different positions are listed: UTF-16 units when the text
    holds characters outside the Basic Multilingual Plane, single line feeds when the file
    stores ``\\r\\n``, doubled line ends for text that evalkit only has with ``\\n`` (from a
    Word document or inline XML), a counted byte-order mark when the file starts with one.
    ``unit`` restricts the units to the one the caller gave.
    """
    units = [unit] if unit else [prior.unit] + [u for u in ("code_points", "utf16")
                                                 if u != prior.unit and has_non_bmp]
    line_ends = ["stored"]
    if has_crlf:
        line_ends.append("lf")
    if origin in ("docx", "inline") and has_newline:
        line_ends.append("crlf")
    boms = [False, True] if has_bom else [False]
    out = [Counting(u, le, b) for u, le, b in product(units, line_ends, boms)]
    first = Counting(units[0], prior.line_ends, prior.bom)
    return [first] + [c for c in out if c != first]


def choose(starts: np.ndarray, ends: np.ndarray, names: list[str | None], text: str, *,
           options: list[Counting], stored_crlf: np.ndarray,
           non_bmp: np.ndarray) -> Choice:
    """Read the offsets under each of ``options`` and keep the convention the evidence supports.

    ``options[0]`` is the convention expected from the exporting tool: another is chosen only
    when its evidence is clearly stronger.

    Notes
    -----
    Each convention gets a score: ten points per selection name that quotes the text found at
    its positions, minus ten per selection that falls outside the text or cuts a character in
    two, plus one per start at a line start and per end at a line end (tools that code whole
    paragraphs, as NVivo users often do, leave most selections there; under a wrong convention
    only a few land there by chance). Another convention than the expected one wins when its
    score is higher by at least 3 points and 5% of the selections; among conventions with the
    same score, the one that differs from the expected one in the fewest respects (unit, line
    ends, byte-order mark).
    """
    newlines = newline_positions(text) if "\n" in text else np.empty(0, dtype=np.int64)
    quotes = _quotes(names)
    mapped, scores, matches = [], [], []
    for counting in options:
        wide = counting.wide(text, stored_crlf, non_bmp)
        s, clean_s = to_text_offsets(starts, wide, bom=counting.bom)
        e, clean_e = to_text_offsets(ends, wide, bom=counting.bom)
        valid = (s >= 0) & (e <= len(text)) & (s <= e) & clean_s & clean_e
        matched = _matching_names(quotes, s, e, valid, text)
        aligned = _aligned(s, e, valid, newlines, len(text))
        mapped.append((s, e))
        matches.append(matched)
        scores.append(_NAME_WEIGHT * len(matched) - _INVALID_WEIGHT * int((~valid).sum())
                      + aligned)
    # Among equally supported conventions, the one that differs least from the expected one.
    best = max(range(len(options)), key=lambda i: (scores[i], -_distance(options[i], options[0]),
                                                   -i))
    margin = max(3, math.ceil(0.05 * len(starts)))
    chosen = best if scores[best] >= scores[0] + margin else 0
    checked = set().union(*matches) if matches else set()
    checked |= _found_elsewhere([i for i in range(len(quotes)) if quotes[i] and i not in checked],
                                quotes, text)
    s, e = mapped[chosen]
    return Choice(options[chosen], s, e, len(checked), len(matches[chosen]),
                  overruled=chosen != 0)


def _distance(counting: Counting, expected: Counting) -> int:
    return ((counting.unit != expected.unit) + (counting.line_ends != expected.line_ends)
            + (counting.bom != expected.bom))


def _quotes(names: list[str | None]) -> list[str | None]:
    out: list[str | None] = []
    seen = 0
    for name in names:
        quote = name_as_quote(name) if seen < MAX_NAMES_CHECKED else None
        seen += quote is not None
        out.append(quote)
    return out


def _matching_names(quotes: list[str | None], s: np.ndarray, e: np.ndarray, valid: np.ndarray,
                    text: str) -> set[int]:
    matched = set()
    for i, quote in enumerate(quotes):
        if quote and valid[i]:
            a, b = int(s[i]), int(e[i])
            # Enough of the selection to compare with the quote, even where spaces are squashed.
            selected = squash(text[a:min(b, a + 4 * len(quote) + 64)])
            if _quotes_match(quote, selected):
                matched.add(i)
    return matched


def _found_elsewhere(indices: list[int], quotes: list[str | None], text: str) -> set[int]:
    """Names that quote the text somewhere, though not at their offsets (bounded search)."""
    if not indices:
        return set()
    document = squash(text)
    return {i for i in indices[:MAX_NAMES_SEARCHED] if quotes[i] in document}


def _quotes_match(quote: str, selected: str) -> bool:
    shortest = min(len(quote), len(selected))
    return shortest >= 4 and quote[:shortest] == selected[:shortest]


def _aligned(s: np.ndarray, e: np.ndarray, valid: np.ndarray, newlines: np.ndarray,
             n: int) -> int:
    """Starts at a line start plus ends at a line end, among the valid selections."""
    s, e = s[valid], e[valid]
    starts = (s == 0) | _member(s - 1, newlines)
    ends = (e == n) | _member(e, newlines)
    return int(starts.sum() + ends.sum())


def _member(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    if sorted_array.size == 0:
        return np.zeros(values.shape, dtype=bool)
    at = np.clip(np.searchsorted(sorted_array, values), 0, sorted_array.size - 1)
    return sorted_array[at] == values
