"""Keyed pseudonyms: identifiers replaced by short codes that only the key holder can reproduce.

A pseudonym is the HMAC-SHA256 of the normalised identifier, written in Crockford base32 after
a prefix (``P7K3M9QX2ZB4A``): the same identifier and key always give the same pseudonym.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_columns, check_frame, check_int
from evalkit.errors import ArgumentError
from evalkit.prepare.keys import as_key

__all__ = ["DEFAULT_LENGTH", "collision_probability", "pseudonymise", "pseudonymise_frame"]

#: Characters of a pseudonym after its prefix: 12 × 5 = 60 bits.
DEFAULT_LENGTH = 12
_CROCKFORD = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def collision_probability(n: int, *, length: int = DEFAULT_LENGTH) -> float:
    """Probability that ``n`` distinct identifiers give at least two equal pseudonyms.

    The birthday bound for ``b = 5 × length`` bits: ``p = 1 − exp(−n(n−1) / 2^(b+1))``.

    Examples
    --------
    >>> f"{collision_probability(1_000_000):.2g}"
    '4.3e-07'
    """
    bits = 5 * length
    return -math.expm1(-n * (n - 1) / 2 ** (bits + 1))


def _normalise(value: Any, casefold: bool) -> str:
    """The text that is hashed: integral floats as integers (1001.0 → '1001'), NFC, trimmed."""
    if not isinstance(value, str):
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        value = str(value)
    # ASCII text is already in NFC form: skip the normalisation (most identifiers).
    text = (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()
    return text.casefold() if casefold else text


def _hmac_sha256(secret: bytes) -> Callable[[bytes], bytes]:
    """HMAC-SHA256 with ``secret`` (RFC 2104), its padded-key states computed once."""
    block = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    block = block.ljust(64, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(message: bytes) -> bytes:
        h = inner.copy()
        h.update(message)
        o = outer.copy()
        o.update(h.digest())
        return o.digest()

    return digest


def _codes(texts: Sequence[str], secret: bytes, length: int) -> np.ndarray:
    """Crockford base32 of the first ``5 × length`` bits of each HMAC-SHA256 digest."""
    nbytes = math.ceil(5 * length / 8)
    mac = _hmac_sha256(secret)
    digests = np.frombuffer(b"".join([mac(t.encode("utf-8"))[:nbytes] for t in texts]),
                            dtype=np.uint8).reshape(len(texts), nbytes)
    bits = np.unpackbits(digests, axis=1)[:, :5 * length].reshape(len(texts), length, 5)
    symbols = bits @ np.array([16, 8, 4, 2, 1], dtype=np.uint8)
    chars = np.frombuffer(_CROCKFORD, dtype="S1")[symbols]
    return np.frombuffer(chars.tobytes(), dtype=f"S{length}").astype(f"U{length}")


def pseudonymise(values: pd.Series, *, key: Any, casefold: bool = False, prefix: str = "P",
                 length: int = DEFAULT_LENGTH) -> pd.Series:
    """Replace identifiers by keyed pseudonyms.

    Parameters
    ----------
    values : pandas.Series
        Identifiers (respondent IDs, health-card numbers, e-mail addresses...).
    key : PseudonymKey or bytes
        The study's key (:func:`evalkit.load_key`).
    casefold : bool, default False
        Compare identifiers without case (``casefold: true`` in the codebook), so that
        ``Jo@Example.org`` and ``jo@example.org`` get the same pseudonym.
    prefix : str, default 'P'
        Text put before each code.
    length : int, default 12
        Characters of the code (10 to 48); each carries 5 bits.

    Returns
    -------
    pandas.Series
        Same index and name as ``values``; missing (and blank) identifiers stay missing.

    Notes
    -----
    ``pseudonym = prefix + base32(HMAC-SHA256(key, normalise(value)))[:length]`` with Crockford's
    base32 alphabet (digits and capitals without I, L, O, U: easy to read aloud and to copy).
    The value is normalised first: integral numbers are written without decimals (``1001.0`` and
    ``1001`` are the same respondent), the text is put in Unicode NFC form and trimmed, and case
    folded when ``casefold`` is true.

    Why a keyed hash: identifiers such as health-card numbers, phone numbers or postal codes are
    so few that a plain hash of them is reversed by hashing every possible value; without the
    key that is impossible (Bellare, Canetti & Krawczyk 1996; RFC 2104).

    With the default 12 characters (60 bits), the probability that two of 1,000,000 distinct
    identifiers share a pseudonym is 4.3 × 10⁻⁷ (birthday bound, see
    :func:`collision_probability`); 10 characters would give 4.4 × 10⁻⁴.

    References
    ----------
    Bellare M, Canetti R, Krawczyk H (1996). Keying hash functions for message authentication.
    CRYPTO '96, LNCS 1109, 1–15. https://doi.org/10.1007/3-540-68697-5_1

    Examples
    --------
    >>> import pandas as pd
    >>> key = bytes(range(32))
    >>> pseudonymise(pd.Series(["A-0001", "A-0001", None]), key=key).tolist()
    ['P2CX9A46P4QV8', 'P2CX9A46P4QV8', nan]
    """
    if not isinstance(values, pd.Series):
        raise ArgumentError(f"values must be a pandas Series, got {type(values).__name__}",
                            where="values")
    secret = as_key(key).secret
    length = check_int(length, "length", minimum=10, maximum=48)
    if not isinstance(prefix, str):
        raise ArgumentError(f"prefix must be a string, got {prefix!r}", where="prefix")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [_normalise(u, bool(casefold)) for u in uniques.tolist()]
    hashed = np.array([None] * len(texts) + [None], dtype=object)
    filled = np.array([i for i, text in enumerate(texts) if text], dtype=np.intp)
    if len(filled):
        hashed[filled] = np.char.add(prefix, _codes([texts[i] for i in filled], secret, length))
    out = hashed[np.where(codes < 0, len(texts), codes)]
    return pd.Series(out, index=values.index, name=values.name, dtype=pd.Series([""]).dtype)


def pseudonymise_frame(data: pd.DataFrame, *, columns: Sequence[str], key: Any,
                       codebook: Any = None, prefix: str = "P",
                       length: int = DEFAULT_LENGTH) -> pd.DataFrame:
    """A copy of ``data`` with identifier ``columns`` replaced by keyed pseudonyms.

    Parameters
    ----------
    data : pandas.DataFrame
        Records (survey responses, coded segments).
    columns : list of str
        Identifier columns (``privacy.pseudonymise``).
    key : PseudonymKey or bytes
        The study's key.
    codebook : evalkit.config.codebook.Codebook, optional
        Whether each column is compared without case comes from its ``casefold`` entry.
    prefix, length
        As in :func:`pseudonymise`; every column shares them, so that the same person gets the
        same pseudonym in every column and file.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data``; the other columns are unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"id": ["A-0001", "A-0002"], "score": [3, 4]})
    >>> pseudonymise_frame(data, columns=["id"], key=bytes(range(32)))["id"].tolist()
    ['P2CX9A46P4QV8', 'PBQ6QPCDEGRBN']
    """
    check_frame(data)
    columns = check_columns(data, columns, "columns")
    key = as_key(key)
    out = _copy(data)
    for column in columns:
        casefold = bool(codebook is not None and column in codebook
                        and codebook[column].casefold)
        out[column] = pseudonymise(out[column], key=key, casefold=casefold, prefix=prefix,
                                   length=length)
    return out


def _copy(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``data`` that no later change reaches back from: shallow under pandas'
    copy-on-write (always on from pandas 3: a block is copied when either frame changes it),
    deep otherwise. A deep copy of a study's responses was a few seconds of a large run."""
    major = int(pd.__version__.split(".")[0])
    if major >= 3 or pd.get_option("mode.copy_on_write") is True:
        return data.copy(deep=False)
    return data.copy()
