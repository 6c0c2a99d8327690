"""The pseudonymisation key: generated, written, found and loaded, never shown.

A study's key lives in an environment variable or in a file outside the study folder (the demo
study's marked, non-secret key is the one exception); the key itself is never printed, logged or
written into a run.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.config.study import Study
from evalkit.errors import ArgumentError, ConfigError, PrivacyError
from evalkit.i18n import t

__all__ = ["DemoKeyWarning", "PseudonymKey", "generate_key", "load_key", "write_key_file"]

#: The first line of the demo study's published key file: a key marked so is refused
#: for real studies and warned about for the demo.
DEMO_KEY_MARK = "# evalkit DEMO KEY - not secret - for the synthetic demo study only"

#: Bits of a generated key.
KEY_BITS = 256
#: The shortest key accepted (bits).
MIN_KEY_BITS = 128


class DemoKeyWarning(UserWarning):
    """The study uses the demo study's published key: its pseudonyms protect nothing."""


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key for keyed pseudonyms (HMAC-SHA256); its value is never shown.

    Attributes
    ----------
    secret : bytes
        The key (hidden from ``repr`` and ``str``).
    source : str
        Where it came from: ``env:NAME`` or ``file:PATH``.
    demo : bool
        Whether it is the demo study's published, non-secret key.
    """

    secret: bytes = field(repr=False)
    source: str = "memory"
    demo: bool = False

    @property
    def fingerprint(self) -> str:
        """A short, one-way fingerprint that tells keys apart in a manifest (not the key)."""
        return hashlib.sha256(b"evalkit key fingerprint\x00" + self.secret).hexdigest()[:16]

    def text_forms(self) -> tuple[str, ...]:
        """The ways the key may be written in a file (hex and base64), for the release scan."""
        raw = self.secret
        forms = {raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode(),
                 base64.urlsafe_b64encode(raw).decode(), base64.b32encode(raw).decode()}
        forms |= {f.rstrip("=") for f in forms}
        return tuple(sorted(forms, key=lambda f: (-len(f), f)))

    def __str__(self) -> str:
        return repr(self)


def generate_key() -> str:
    """A new random key: 256 bits from the operating system's secure source, as 64 hex digits.

    Examples
    --------
    >>> len(generate_key())
    64
    """
    return secrets.token_hex(KEY_BITS // 8)


def key_from_text(text: str, *, where: str) -> bytes:
    """The key bytes written as hex digits (``where`` names the place in errors, never the key)."""
    value = "".join(str(text).split())
    try:
        secret = bytes.fromhex(value)
    except ValueError:
        raise ConfigError.from_catalogue("privacy.key_malformed", where=where,
                                         bits=MIN_KEY_BITS) from None
    if len(secret) * 8 < MIN_KEY_BITS:
        raise ConfigError.from_catalogue("privacy.key_malformed", where=where, bits=MIN_KEY_BITS)
    return secret


def as_key(key: Any, param: str = "key") -> PseudonymKey:
    """``key`` as a :class:`PseudonymKey` (from bytes or hex text); the value is never echoed."""
    if isinstance(key, PseudonymKey):
        return key
    if isinstance(key, bytes | bytearray) and len(key) * 8 >= MIN_KEY_BITS:
        return PseudonymKey(bytes(key))
    if isinstance(key, str):
        try:
            return PseudonymKey(key_from_text(key, where=param))
        except ConfigError:
            pass
    raise ArgumentError(
        f"{param} must be a key from evalkit.load_key, bytes or hex text of at least "
        f"{MIN_KEY_BITS} bits (got a {type(key).__name__}; its value is not shown)", where=param)


def _demo_mark() -> str:

    return DEMO_KEY_MARK


def read_key_file(path: Path) -> PseudonymKey:
    """Read a key file: lines starting with ``#`` are comments, one line holds the hex key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError.from_catalogue("privacy.key_file_missing", where=str(path),
                                         hint="privacy.key_missing.hint") from None
    lines = [line.strip() for line in text.splitlines()]
    demo = bool(lines) and lines[0] == _demo_mark()
    values = [line for line in lines if line and not line.startswith("#")]
    if len(values) != 1:
        raise ConfigError.from_catalogue("privacy.key_malformed", where=str(path),
                                         bits=MIN_KEY_BITS)
    return PseudonymKey(key_from_text(values[0], where=str(path)), source=f"file:{path}",
                        demo=demo)


def study_folder_above(path: Path) -> Path | None:
    """The nearest folder holding a ``study.yaml`` among ``path``'s parent and its ancestors."""
    for folder in Path(path).resolve().parents:
        if (folder / "study.yaml").is_file():
            return folder
    return None


def load_key(study: Any) -> PseudonymKey | None:
    """Load the study's pseudonymisation key from ``privacy.key`` (environment or key file).

    Parameters
    ----------
    study : evalkit.config.study.Study
        The study, as :func:`evalkit.load_study` loaded it.

    Returns
    -------
    PseudonymKey or None
        The key; None when the study names no key and pseudonymises no column.

    Raises
    ------
    evalkit.errors.ConfigError
        The study pseudonymises columns but names no key; the environment variable is unset;
        the key file is missing or does not hold a key. The message says how to make a key:
        ``evalkit keygen --out PATH``.
    evalkit.errors.PrivacyError
        The key file is inside the study folder (it would travel with the data), unless it is
        the demo study's marked key.

    Warns
    -----
    DemoKeyWarning
        The key is the demo study's published key.

    Notes
    -----
    A key kept next to the data it protects protects nothing: whoever gets the folder gets the
    key, and a keyed hash of a health-card number or a phone number is then as reversible as a
    plain hash (the space of such numbers is small enough to try them all). Hence the key file
    must sit outside the study folder (and so outside its version control).
    """

    if not isinstance(study, Study):
        raise ArgumentError(f"study must be a loaded Study (evalkit.load_study(path)), got "
                            f"{type(study).__name__}", where="study")
    privacy = study.privacy
    source = privacy.key
    where = f"{study.file.name}: privacy.key"
    if source is None:
        if privacy.pseudonymise:
            raise ConfigError.from_catalogue(
                "privacy.key_missing", where=where, columns=", ".join(privacy.pseudonymise))
        return None
    if source.env is not None:
        value = os.environ.get(source.env, "")
        if not value.strip():
            raise ConfigError.from_catalogue("privacy.key_env_unset", where=where,
                                             variable=source.env, hint="privacy.key_missing.hint")
        key = PseudonymKey(key_from_text(value, where=f"${source.env}"), source=f"env:{source.env}")
    else:
        path = study.resolve(source.file).resolve()
        if not path.is_file():
            raise ConfigError.from_catalogue("privacy.key_file_missing", where=str(path),
                                             hint="privacy.key_missing.hint")
        key = read_key_file(path)
        if path.is_relative_to(study.root.resolve()) and not key.demo:
            raise PrivacyError.from_catalogue("privacy.key_in_study_folder", where=str(path))
    if key.demo:

        warnings.warn(t("privacy.demo_key", "en"), DemoKeyWarning, stacklevel=2)
    return key


def write_key_file(path: str | Path) -> Path:
    """Write a new key to ``path``, readable by its owner only (permissions 0600).

    Refuses to overwrite a file, and refuses a path inside a study folder (a folder, or the
    descendant of a folder, that holds a ``study.yaml``): the key must not travel with the data.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path).expanduser()
    if path.exists():
        raise ConfigError.from_catalogue("privacy.keygen_exists", where=str(path))
    folder = study_folder_above(path)
    if folder is not None:
        raise ConfigError.from_catalogue("privacy.keygen_in_study_folder", where=str(path),
                                         folder=str(folder))
    if not path.parent.is_dir():
        raise ConfigError.from_catalogue("privacy.keygen_no_folder", where=str(path))
    text = ("# evalkit pseudonymisation key: keep it secret, outside the study folder and out of "
            "version control.\n" + generate_key() + "\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)
    os.chmod(path, 0o600)
    return path
