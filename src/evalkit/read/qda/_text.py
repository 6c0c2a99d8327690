"""Plain text of sources: decoding, byte-order marks, line endings, Word documents, offsets.

REFI-QDA selections count characters (Unicode code points) of the plain text, starting at 0;
some tools count otherwise (NVivo counts UTF-16 code units, in which a character outside the
Basic Multilingual Plane, such as an emoji, counts two). Texts are returned with ``\\n`` line
endings; :class:`Counting` maps offsets counted under a convention to offsets in that normalised
text, and back.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class DecodedText:
    """A decoded text with what was done to it.

    ``crlf`` holds the positions (in the text as stored, after the byte-order mark) of each
    ``\\r`` that was followed by ``\\n`` and removed.
    """

    text: str
    encoding: str = "utf-8"
    bom: bool = False
    guessed: bool = False
    crlf: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    lone_cr: int = 0


def decode_text(raw: bytes) -> DecodedText:
    """Decode the bytes of a plain-text source and normalise its line endings to ``\\n``.

    UTF-8 is expected (REFI-QDA 1.5, §9.1.2). A UTF-8 byte-order mark is removed; UTF-16 with
    a byte-order mark is decoded; anything else that is not UTF-8 is decoded with the
    encoding charset-normalizer finds (``guessed`` is then true).
    """
    bom = False
    encoding = "utf-8"
    guessed = False
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, bom = raw[3:], True
    if raw.startswith(_UTF16_BOMS):
        text, encoding, bom = raw.decode("utf-16"), "utf-16", True
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text, encoding = guess_decode(raw)
            guessed = True
    return _normalise_newlines(text, encoding=encoding, bom=bom, guessed=guessed)


#: Encodings tried for text that is not UTF-8: those French and English files are written in
#: (Windows and old Mac code pages, Latin-1/9).
WESTERN_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "mac_roman", "cp850"]


def guess_decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes that are not UTF-8 with the most plausible Western encoding.

    charset-normalizer chooses among :data:`WESTERN_ENCODINGS` (on short French texts an
    unrestricted guess often lands on an Asian code page); Windows-1252 is the fallback.
    """
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=WESTERN_ENCODINGS).best()
    if best is not None and best.encoding:
        return str(best), best.encoding
    return raw.decode("cp1252", errors="replace"), "cp1252"



def _normalise_newlines(text: str, **info) -> DecodedText:
    if "\r" not in text:
        return DecodedText(text, **info)
    crlf = np.fromiter((m.start() for m in re.finditer("\r\n", text)), dtype=np.int64)
    lone = text.count("\r") - crlf.size
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return DecodedText(text, crlf=crlf, lone_cr=lone, **info)


_NON_BMP = re.compile("[\U00010000-\U0010ffff]")

#: How a tool counts offsets: in code points (the standard) or in UTF-16 code units (NVivo).
UNITS = ("code_points", "utf16")


def non_bmp_positions(text: str) -> np.ndarray:
    """Positions of the characters outside the Basic Multilingual Plane (two UTF-16 units)."""
    if text.isascii():
        return np.empty(0, dtype=np.int64)
    return np.fromiter((m.start() for m in _NON_BMP.finditer(text)), dtype=np.int64)


def newline_positions(text: str) -> np.ndarray:
    """Positions of the line feeds of a normalised text."""
    return np.fromiter((m.start() for m in re.finditer("\n", text)), dtype=np.int64)


def crlf_newlines(crlf: np.ndarray) -> np.ndarray:
    """Positions, in the normalised text, of the line feeds that were ``\\r\\n`` as stored.

    ``crlf`` holds the stored positions of the removed ``\\r`` (:attr:`DecodedText.crlf`):
    each earlier removal moves a position one character to the left.
    """
    return crlf - np.arange(crlf.size, dtype=np.int64)


@dataclass(frozen=True)
class Counting:
    """One way of counting offsets in a text: the unit, the line ends, a counted byte-order mark.

    Attributes
    ----------
    unit : {"code_points", "utf16"}
        Characters (Unicode code points, the standard) or UTF-16 code units (NVivo).
    line_ends : {"stored", "lf", "crlf"}
        Line ends counted as the source file stores them (``\\r\\n`` two, ``\\n`` one), each
        as one character, or each as two (a tool that counted a Windows copy of a text that
        evalkit only has with ``\\n``, as from a Word document or inline XML text).
    bom : bool
        Whether the byte-order mark at the start of the file was counted as a character.
    """

    unit: str = "code_points"
    line_ends: str = "stored"
    bom: bool = False

    @property
    def name(self) -> str:
        """``code_points`` or ``utf16``, then ``+lf`` or ``+crlf`` and ``+bom`` when they apply."""
        parts = [self.unit]
        if self.line_ends != "stored":
            parts.append(self.line_ends)
        if self.bom:
            parts.append("bom")
        return "+".join(parts)

    def wide(self, text: str, stored_crlf: np.ndarray, non_bmp: np.ndarray | None = None
             ) -> np.ndarray:
        """Positions (in the normalised ``text``) of the characters that count two units."""
        parts = []
        if self.unit == "utf16":
            parts.append(non_bmp_positions(text) if non_bmp is None else non_bmp)
        if self.line_ends == "stored":
            parts.append(stored_crlf)
        elif self.line_ends == "crlf":
            parts.append(newline_positions(text))
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(parts)) if len(parts) > 1 else parts[0]


def to_text_offsets(offsets: np.ndarray, wide: np.ndarray, *, bom: bool = False
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Offsets counted with the characters at ``wide`` taking two units, as text positions.

    Returns the positions and whether each offset fell on a character boundary (an offset
    between the two units of a character is moved to that character's start and flagged).
    A counted byte-order mark takes the unit 0; an offset pointing at it becomes -1.
    """
    # The counted position of the second unit of the j-th wide character at position e_j.
    extra = wide + np.arange(1, wide.size + 1, dtype=np.int64)
    if bom:
        extra = np.concatenate([[0], extra + 1])
    if extra.size == 0:
        return offsets, np.ones(offsets.shape, dtype=bool)
    before = np.searchsorted(extra, offsets, side="right")
    split = np.isin(offsets, extra)
    return offsets - before, ~split


def to_counted_offsets(positions: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """Text positions as offsets counted with the characters at ``wide`` taking two units."""
    return positions + np.searchsorted(wide, positions, side="left")


def docx_text(raw: bytes) -> str:
    """The text of a Word (.docx) document: its body paragraphs joined by ``\\n``.

    This is python-docx's ``Document.paragraphs`` (body paragraphs only: tables, headers,
    footers, footnotes and text boxes are not included), each paragraph's ``text``.
    """
    import docx

    document = docx.Document(io.BytesIO(raw))
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of white space and strip, for comparing a selection's name with its text."""
    return _SPACES.sub(" ", text).strip()


def name_as_quote(name: str | None) -> str | None:
    """The quoted text a selection's name seems to hold, or None when it looks like a label.

    Tools such as ATLAS.ti name a text selection by its first characters, truncated with an
    ellipsis; others use labels (``line:6``, ``Quotation 12:3``).
    """
    if not name:
        return None
    quote = squash(name).rstrip("…").rstrip(".").rstrip() if name.rstrip().endswith(
        ("…", "...")) else squash(name)
    if len(quote) < 4 or not re.search(r"[^\W\d_]{2}", quote):
        return None
    return quote
