"""The release check searches a page's texts at once: what it finds, and where, is what one
search per text finds (the reference here), whatever the texts hold."""

from __future__ import annotations

import html as html_module

from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.prepare.keys import as_key, generate_key
from evalkit.release.disclosure import _Detector, _scan_html

KEY = as_key(generate_key())
DETECTOR = _Detector(identifiers=["U-4821", "7731-22"], names=["Marie Tremblay", "Luc Côté"],
                     key=KEY, paths=["/home/analyst/study"])

# Pieces that make identifiers, alone or next to each other across tags.
PIECES = ["Marie", "Tremblay", "Marie Tremblay", "Côté", "Luc", "U-4821", "7731-22", "514",
          "555-0199", "514 555-0199", "H2X 1Y4", "TREM 8503 1512", "046 454 286", "12,5 %",
          "/home/analyst/study/data.csv", KEY.text_forms()[0], "à côté", "site A", " ", "-",
          "\u00a0", "\n", "0", "1234", "#C6D9F1", "poste 12", "ana@exemple.ca", "www.x.ca"]


def _reference(page: str) -> list[tuple[str, str, str]]:
    """One search per text, attribute and tail of the parsed page, in document order."""
    from lxml import html

    root = html.document_fromstring(page.encode())
    tree = root.getroottree()
    found = []
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else "comment"
        place = tree.getpath(element)
        patterns = tag.lower() not in ("style", "script")
        if element.text and element.text.strip():
            found += DETECTOR.findings(place, element.text, patterns=patterns)
        if element.tail and element.tail.strip():
            found += DETECTOR.findings(place + "/following-text()", element.tail)
        if isinstance(element.tag, str):
            for name, value in element.attrib.items():
                if name in ("class", "style", "id") or (name == "href" and value[:1] == "#"):
                    continue
                found += DETECTOR.findings(f"{place}/@{name}", value)
    return found


texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).map("".join)
cells = st.tuples(st.sampled_from(["td", "span", "b", "style", "p"]), texts, texts)


@settings(max_examples=150, deadline=None)
@given(st.lists(cells, min_size=1, max_size=12))
def test_searching_a_page_at_once_finds_what_one_search_per_text_finds(parts):
    body = "".join(
        f"<{tag} title='{html_module.escape(title, quote=True)}'>{html_module.escape(text)}"
        f"</{tag}>{html_module.escape(title)}" for tag, text, title in parts)
    page = f"<html><body><div>{body}</div></body></html>"
    assert _scan_html(page.encode(), DETECTOR) == _reference(page)


def test_an_identifier_split_across_two_tags_is_found_as_each_text_alone_shows_it():
    page = "<html><body><p>Marie</p><p>Tremblay 514</p><p>555-0199</p></body></html>"
    found = _scan_html(page.encode(), DETECTOR)
    assert found == _reference(page)
    # Each text alone: no whole name in "Marie" or "Tremblay 514", a phone number in
    # "555-0199"; joined, "Marie Tremblay 514 555-0199" would have read otherwise.
    assert [kind for _, kind, _ in found] == ["phone"]


# -- identifiers of several words --------------------------------------------------------------
WORDS = ["rx", "ab", "0001", "0002", "marie", "luc", "site", "côté"]


def _longest_first(detector: _Detector, text: str) -> list[tuple[int, int, str]]:
    """The reference: at each word, every identifier starting with it is compared, longest
    first, and the first that matches is found."""
    from evalkit.release.disclosure import _WORD, _fold

    tokens = [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(_fold(text))]
    words = [t[2] for t in tokens]
    found = []
    for i, word in enumerate(words):
        for sequence, kind in detector.sequences.get(word, ()):
            if tuple(words[i:i + len(sequence)]) == sequence:
                found.append((tokens[i][0], tokens[i + len(sequence) - 1][1], kind))
                break
    kept = []  # overlaps: the longest, as the detector keeps them
    for span in sorted(found, key=lambda s: (s[0], s[0] - s[1])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


@settings(max_examples=200, deadline=None)
@given(identifiers=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
                            min_size=1, max_size=12),
       text=st.lists(st.sampled_from(WORDS), max_size=30))
def test_identifiers_sharing_their_first_word_are_found_longest_first(identifiers, text):
    # Many identifiers share a first word (R-0001, R-0002...): the longest one that starts at
    # a word is found, as when every candidate is compared in turn.
    detector = _Detector(identifiers=["-".join(words).upper() for words in identifiers],
                         names=[], key=None)
    page = " ".join(text)
    assert detector.find(page, patterns=False) == _longest_first(detector, page)


# -- words found in the case-folded text as a whole ----------------------------------------------
# Characters whose case-folding is longer than themselves (ß, ﬁ, İ), Greek (whose final sigma
# only lower() knows), the one character that folds into a letter (U+0345), and the spaces and
# signs of French typography.
TRICKY = ["straße", "STRASSE", "ﬁn", "FIN", "İlk", "ilk", "ΣΑΣ", "σασ", "ος", "\u0345",
          "\u0345ab", "ab\u0345", "œuvre", "ŒUVRE", "côté", "COTE", "12,5\u00a0%", "“r-0001”",
          "−4", "0001", "0002", "rx", "\u202f", " ", "-", "·"]


@settings(max_examples=300, deadline=None)
@given(identifiers=st.lists(st.lists(st.sampled_from(TRICKY[:16] + ["0001", "rx"]),
                                     min_size=1, max_size=3), min_size=1, max_size=10),
       text=st.lists(st.sampled_from(TRICKY), max_size=30))
def test_words_are_found_where_they_are_whatever_case_folding_does_to_the_text(identifiers,
                                                                                text):
    detector = _Detector(identifiers=[" ".join(words) for words in identifiers], names=[],
                         key=None)
    for joiner in (" ", ""):
        page = joiner.join(text)
        assert detector.find(page, patterns=False) == _longest_first(detector, page)


def test_one_character_alone_folds_into_a_character_of_the_other_kind():
    # The detector folds a text as a whole when that keeps its length, unless it holds this
    # character: every other character that folds into one character stays a word character
    # or a non-word character.
    import re
    import sys

    from evalkit.release.disclosure import _FOLDS_INTO_A_WORD

    word = re.compile(r"\w")
    changing = [chr(code) for code in range(sys.maxunicode + 1)
                if len(chr(code).casefold()) == 1
                and bool(word.match(chr(code))) != bool(word.match(chr(code).casefold()))]
    assert changing == [_FOLDS_INTO_A_WORD]
    assert not [code for code in range(sys.maxunicode + 1) if not chr(code).casefold()]


# -- what the clock wrote -------------------------------------------------------------------------
CLOCK = ["20261204-100440", "2026-12-04T10:04:40+00:00", "0.0", "12.25"]
CLOCKED = [*CLOCK, "100440", "10:04:40", "1004", "0.0001", "12.2500", "514 555-0199",
           "Marie Tremblay", "U-4821", "x", " ", "-", "T", "."]


def _eager(detector: _Detector, text: str) -> list[tuple[int, int, str]]:
    """The reference: every whole-word occurrence of what the clock wrote is a span that
    competes with the finds (the longest wins, then a clock span), and is then dropped."""
    import re

    from evalkit.prepare.scrub import find_identifiers

    plain = _Detector(identifiers=["U-4821", "100440", "1004"], names=["Marie Tremblay"],
                      key=None)
    spans = [(f.start, f.end, f.kind) for f in find_identifiers(
        text, kinds=frozenset({"email", "phone", "postal_code", "sin", "health_card"}))]
    spans += [s for s in _longest_first(plain, text)]
    for form in detector.clock_forms:
        for match in re.finditer(f"(?={re.escape(form)})", text):
            start, end = match.start(), match.start() + len(form)
            if not ((start and text[start - 1].isalnum())
                    or (end < len(text) and text[end].isalnum())):
                spans.append((start, end, "machine"))
    rank = {"machine": -1, "identifier": 2, "name": 3}
    kept = []
    for span in sorted(spans, key=lambda s: (s[0], s[0] - s[1], rank.get(s[2], 9))):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return [span for span in kept if span[2] != "machine"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CLOCKED), max_size=16))
def test_what_the_clock_wrote_hides_the_same_finds_when_it_is_searched_only_if_needed(pieces):
    detector = _Detector(identifiers=["U-4821", "100440", "1004"], names=["Marie Tremblay"],
                         key=None)
    detector.written_by_the_clock(CLOCK)
    for joiner in (" ", ""):
        text = joiner.join(pieces)
        assert detector.find(text) == _eager(detector, text)
