"""Turning the bytes of a text export into text: encoding, garbled accents, field delimiter.

UTF-8 (with or without BOM) is tried strictly first; otherwise the legacy code page that makes the
most plausible French text (Windows-1252 from French Excel, Mac Roman, DOS 850) is chosen.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from evalkit.errors import DataError, Place
from evalkit.read._core import HEAD_BYTES, ReaderWarning, SourceFile

__all__ = ["DecodedText", "decode_text", "find_mojibake", "line_of_offset", "sniff_delimiter"]

#: Code pages tried, in order of preference, when a file is not UTF-8.
LEGACY_ENCODINGS: tuple[str, ...] = ("cp1252", "mac_roman", "cp850")
#: Characters frequent in French text (and in English typography): each counts for a code page.
FRENCH_CHARACTERS = ("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ"
                     "’‘“”«»–—€°\u00a0\u202f")
#: Other characters a Latin-script survey export may hold: neutral.
_NEUTRAL_SYMBOLS = "…•§²³±µ·¢£¥©®ªº¹½¼¾¿¡×÷™"
#: Field delimiters sniffed, in order of preference when several fit equally well.
DELIMITERS: tuple[str, ...] = ("\t", ";", ",")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass
class DecodedText:
    """A text file decoded: the text, UTF-8 bytes of it, and how it was decoded."""

    text: str
    utf8: bytes
    encoding: str
    detected: bool
    warnings: list[ReaderWarning] = field(default_factory=list)


def line_of_offset(data: bytes | str, offset: int) -> int:
    """The 1-based line holding position ``offset`` of ``data``."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, offset) + 1


def _char_weight(ch: str) -> int:
    if ch in FRENCH_CHARACTERS:
        return 1
    if ch in _NEUTRAL_SYMBOLS or unicodedata.category(ch) in ("Lu", "Ll"):
        return 0
    return -1


@cache
def _code_page_weights(encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """Weight of each byte 0x80-0xFF decoded with ``encoding``, and which bytes it leaves undefined."""
    weights = np.zeros(128, dtype=np.int64)
    undefined = np.zeros(128, dtype=bool)
    for byte in range(128, 256):
        try:
            ch = bytes([byte]).decode(encoding)
        except UnicodeDecodeError:
            undefined[byte - 128] = True
            continue
        weights[byte - 128] = _char_weight(ch)
    return weights, undefined


def guess_legacy_encoding(data: bytes) -> str | None:
    """The legacy code page under which ``data`` reads as the most plausible French text.

    Each byte above 0x7F counts +1 when it decodes to a character frequent in French
    (``é``, ``à``, ``’``, ``«``...), 0 for other letters and common symbols, and -1 otherwise
    (control, box-drawing and mathematical characters); a code page leaving a byte undefined is
    out. The best total wins, ties going to the earlier of :data:`LEGACY_ENCODINGS`.

    ``None`` when no code page gives a non-negative total, or when the text is not in a Latin
    script: accented letters of French stand alone or in short runs between ASCII letters,
    whereas Cyrillic, Greek or Asian text makes whole words of bytes above 0x7F. More than a
    quarter of those bytes sitting in runs of three or more and not decoding to French
    characters says so.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    high = np.flatnonzero(raw >= 128)
    codes = raw[high] - 128
    counts = np.bincount(codes, minlength=128)
    best, best_score = None, -1
    for encoding in LEGACY_ENCODINGS:
        weights, undefined = _code_page_weights(encoding)
        if counts[undefined].any():
            continue
        score = int(counts @ weights)
        if score > best_score:
            best, best_score = encoding, score
    if best is None or not high.size:
        return best
    run_starts = np.flatnonzero(np.diff(high, prepend=-2) != 1)
    run_lengths = np.diff(np.append(run_starts, high.size))
    in_long_run = np.repeat(run_lengths >= 3, run_lengths)
    weights, _ = _code_page_weights(best)
    foreign = in_long_run & (weights[codes] < 1)
    return None if foreign.sum() > 0.25 * high.size else best


@cache
def _mojibake_pattern() -> re.Pattern[str]:
    """French characters written in UTF-8 and read back in a legacy code page (``Ã©``, ``â€™``)."""
    garbled = set()
    for ch in FRENCH_CHARACTERS:
        raw = ch.encode("utf-8")
        for encoding in (*LEGACY_ENCODINGS, "latin-1"):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            visible = all(unicodedata.category(c) not in ("Cc", "Cf", "Cn") for c in text)
            if text != ch and visible:  # no control characters (no-break spaces are fine)
                garbled.add(text)
    alternatives = sorted(garbled, key=lambda s: (-len(s), s))
    return re.compile("|".join(re.escape(s) for s in alternatives))


def find_mojibake(text: str) -> tuple[int, str] | None:
    """Position and text of the first garbled French accent in ``text`` (``None`` if none)."""
    match = _mojibake_pattern().search(text)
    return (match.start(), match.group()) if match else None


def _excerpt(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start:end if end >= 0 else len(text)].strip()
    offset = position - start
    if len(line) > 40:
        left = max(0, offset - 15)
        line = ("…" if left else "") + line[left:left + 40] + "…"
    return line


def _utf16_without_bom(head: bytes) -> str | None:
    """``'utf-16-le'``/``'utf-16-be'`` when ``head`` looks like BOM-less UTF-16 text."""
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode_declared(file: SourceFile, encoding: str) -> str:
    try:
        return file.content.decode(encoding)
    except UnicodeDecodeError as error:
        raise DataError.from_catalogue(
            "io.decode_failed",
            where=Place(file.display, line=line_of_offset(file.content, error.start)),
            encoding=encoding,
        ) from None


def _decode_detected(file: SourceFile) -> tuple[str, str, int | None]:
    """Text, encoding, and the line of the first non-UTF-8 byte when a code page was guessed."""
    data = file.content
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_declared(file, encoding), encoding, None
    if b"\x00" in data[:4096]:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise DataError.from_catalogue("io.binary_file", where=file.display)
        return _decode_declared(file, encoding), encoding, None
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as error:
        bad_line = line_of_offset(data, error.start)
    encoding = guess_legacy_encoding(data)
    if encoding is None:
        from charset_normalizer import from_bytes

        best = from_bytes(data[: 16 * HEAD_BYTES]).best()
        raise DataError.from_catalogue(
            "io.undetectable_encoding", where=Place(file.display, line=bad_line),
            guess=best.encoding if best is not None else "cp1252")
    return data.decode(encoding), encoding, bad_line


def decode_text(file: SourceFile, encoding: str | None) -> DecodedText:
    """Decode a text file: the declared ``encoding``, or the one detected.

    Raises :class:`~evalkit.errors.DataError` when the bytes do not decode (naming the line of
    the first bad byte), when a file mixes UTF-8 and a legacy code page, or when the file is
    binary. Garbled accents in text that did decode (``Ã©`` for ``é``) give a warning.
    """
    legacy_line = None
    if encoding is not None:
        text, used = _decode_declared(file, encoding), encoding
    else:
        text, used, legacy_line = _decode_detected(file)
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise DataError.from_catalogue("io.binary_file", where=file.display)
    warnings: list[ReaderWarning] = []
    garbled = find_mojibake(text)
    if garbled is not None:
        position, sample = garbled
        line = line_of_offset(text, position)
        if legacy_line is not None:  # UTF-8 failed, yet some lines are UTF-8: two encodings
            raise DataError.from_catalogue("io.mixed_encoding", where=file.display,
                                           line_legacy=legacy_line, line_utf8=line,
                                           sample=sample)
        key = "io.mojibake" if encoding is None or _is_utf8(encoding) else "io.mojibake_declared"
        warnings.append(ReaderWarning(key, line=line, sample=_excerpt(text, position),
                                      encoding=used))
    if _is_utf8(used):  # no need to encode again: the bytes are the UTF-8 text
        utf8 = file.content.removeprefix(codecs.BOM_UTF8)
    else:
        utf8 = text.encode("utf-8")
    return DecodedText(text=text, utf8=utf8, encoding=used, detected=encoding is None,
                       warnings=warnings)


def _is_utf8(encoding: str | None) -> bool:
    return encoding is not None and codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def decode_head(head: bytes) -> str:
    """A best-effort decoding of a file's first bytes, for sniffers (never raises)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head.decode(encoding, errors="replace").removeprefix("\ufeff")
    utf16 = _utf16_without_bom(head) if b"\x00" in head[:4096] else None
    if utf16:
        return head.decode(utf16, errors="replace")
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut by the end of the head
            return head[: error.start].decode("utf-8")
        return head.decode("cp1252", errors="replace")


def head_records(text: str, delimiter: str, limit: int = 200) -> list[list[str]]:
    """The first complete records of ``text`` (a file's head), blank lines left out."""
    cut = max(text.rfind("\n"), text.rfind("\r"))
    sample = text[: cut + 1] if cut >= 0 else text
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"')
    records: list[list[str]] = []
    try:
        for record in reader:
            if record and any(cell.strip() for cell in record):
                records.append(record)
                if len(records) >= limit:
                    break
    except csv.Error:
        pass
    return records


def sniff_delimiter(text: str) -> str:
    """The field delimiter of a delimited text (``\\t``, ``;`` or ``,``) from its first records.

    The header's field count must be at least 2 and the data records should have the same
    count; the delimiter whose records agree best with the header wins (ties: tab, then
    semicolon, then comma). A file with a single column gives ``,``.
    """
    sample = text[:HEAD_BYTES]
    best, best_key = ",", (0.0, 0)
    for rank, delimiter in enumerate(DELIMITERS):
        records = head_records(sample, delimiter)
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:]
        agreement = (sum(len(r) == width for r in body) / len(body)) if body else 1.0
        key = (agreement, -rank)
        if key > best_key:
            best, best_key = delimiter, key
    return best
