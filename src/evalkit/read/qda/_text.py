"""Plain text of sources: decoding, byte-order marks, line endings, Word documents, offsets.

REFI-QDA selections count characters (Unicode code points) of the plain text, starting at 0.
Texts are returned with ``\\n`` line endings; the helpers here map offsets counted in the text
as stored (with ``\\r\\n``) to offsets in that normalised text.
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


def map_stored_offsets(offsets: np.ndarray, crlf: np.ndarray) -> np.ndarray:
    """Map offsets counted in the stored text (with ``\\r\\n``) to the normalised text.

    Each removed ``\\r`` before an offset moves it one character to the left.
    """
    if crlf.size == 0:
        return offsets
    return offsets - np.searchsorted(crlf, offsets, side="left")


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
