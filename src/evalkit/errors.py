"""The one error hierarchy of evalkit.

Every error a user can meet says what went wrong, where (file, line, column or parameter) and how
to fix it, in French and in English; the command line prints it without a traceback.
"""

from __future__ import annotations

import errno
from typing import Any

from evalkit.i18n import has_key, t

__all__ = [
    "ArgumentError",
    "ConfigError",
    "DataError",
    "EvalkitError",
    "ExecutionError",
    "Place",
    "PrivacyError",
    "os_error",
]

#: errno values that mean there is no room left to write (a full disk, a quota, a size limit).
NO_SPACE = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG")
                     if hasattr(errno, name))
#: errno values that mean the place cannot be written to at all (read-only, not one's own, or
#: a file where a folder should be and the reverse: a path given wrongly).
NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR,
                          errno.EEXIST})


class Place(str):
    """Where a problem is: a file (or key, or parameter) with its line, row or column.

    It *is* the English text (a ``str``: ``'survey.csv, line 12'``), so it prints and compares
    as before; :meth:`render` says the same in French (``'survey.csv, ligne 12'``).

    Parameters
    ----------
    name : str
        The file, key or parameter.
    line, row : int, optional
        The line of a text file, or the row of a spreadsheet, as the user sees it.
    column : str or int, optional
        The column (its name, or its position from 1).

    Examples
    --------
    >>> where = Place("survey.csv", line=12, column="age")
    >>> where
    'survey.csv, line 12, column age'
    >>> where.render("fr")
    'survey.csv, ligne 12, colonne age'
    """

    def __new__(cls, name: str, *, line: int | None = None, row: int | None = None,
                column: str | int | None = None) -> Place:
        parts = {"line": line, "row": row, "column": column}
        self = super().__new__(cls, cls._text(name, parts, "en"))
        self.name, self.parts = name, parts
        return self

    @staticmethod
    def _text(name: str, parts: dict, lang: str) -> str:
        shown = [t(f"place.{part}", lang, value=value) for part, value in parts.items()
                 if value is not None and value != ""]
        return ", ".join([str(name), *shown])

    def render(self, lang: str = "en") -> str:
        """The place in ``lang`` (``'fr'`` or ``'en'``)."""
        return self._text(self.name, self.parts, lang)

    def __reduce__(self) -> tuple:  # pickles (worker processes) keep the parts
        return (_rebuild_place, (self.name, self.parts))


def _rebuild_place(name: str, parts: dict) -> Place:
    return Place(name, **parts)


class EvalkitError(Exception):
    """Base class of every error evalkit raises on purpose.

    Parameters
    ----------
    message : str
        What went wrong, in English (the language of the Python API).
    where : str, optional
        The place: a file with its line, a key of ``study.yaml``, a parameter name.
    hint : str, optional
        What the user can do about it, in English.
    message_fr, hint_fr : str, optional
        The same in French. :meth:`from_catalogue` fills both languages from the message
        catalogues; the command line shows the language the user chose.

    Attributes
    ----------
    exit_code : int
        The command line's exit status for this kind of error: 1 for problems found in the data
        or during a run, 2 for usage and configuration errors.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        hint: str | None = None,
        message_fr: str | None = None,
        hint_fr: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint
        self.message_fr = message_fr
        self.hint_fr = hint_fr

    @classmethod
    def from_catalogue(cls, message_key: str, /, *, where: str | None = None,
                       hint: str | None = None, **params: Any) -> EvalkitError:
        """Build the error from the message catalogues (``message_key`` and its ``.hint``).

        ``hint``, when given, is a catalogue key used instead of ``message_key + '.hint'``.
        """

        key = message_key
        hint_key = hint or f"{key}.hint"
        has_hint = has_key(hint_key)
        return cls(
            t(key, "en", **params),
            where=where,
            hint=t(hint_key, "en", **params) if has_hint else None,
            message_fr=t(key, "fr", **params),
            hint_fr=t(hint_key, "fr", **params) if has_hint else None,
        )

    def render(self, lang: str = "en") -> str:
        """The message as the command line prints it, in ``lang`` (``'fr'`` or ``'en'``)."""
        message = self.message_fr if lang == "fr" and self.message_fr else self.message
        hint = self.hint_fr if lang == "fr" and self.hint_fr else self.hint
        where = self.where.render(lang) if isinstance(self.where, Place) else self.where
        # Argument errors name their parameter first already: do not say it twice.
        named = where and message.startswith((f"{where} ", f"{where}="))
        colon = " : " if lang == "fr" else ": "  # French typography: a space before the colon
        text = f"{where}{colon}{message}" if where and not named else message
        if hint:
            text += f"\n  → {hint}"
        return text

    def __str__(self) -> str:
        return self.render("en")


class ConfigError(EvalkitError):
    """The study folder, ``study.yaml``, the codebook or a command's options are malformed."""

    exit_code = 2


class ArgumentError(EvalkitError, ValueError):
    """A function was called with an argument it cannot use (names the parameter)."""

    exit_code = 2


class DataError(EvalkitError):
    """The data cannot be read or used as they are (names the file, row and column)."""

    exit_code = 1


class PrivacyError(EvalkitError):
    """Something would break the study's confidentiality rules."""

    exit_code = 1


class ExecutionError(EvalkitError):
    """A notebook or a run failed."""

    exit_code = 1


def os_error(error: OSError, *, where: str | None = None) -> EvalkitError:
    """An operating-system error said as evalkit says errors: what, where, what to do.

    A full disk (or quota, or file-size limit) is a problem of the run (:class:`ExecutionError`,
    exit 1); a folder that cannot be written to is one of the command's options
    (:class:`ConfigError`, exit 2). The system's own text, in English, is quoted.

    Examples
    --------
    >>> import errno
    >>> err = os_error(OSError(errno.EROFS, "Read-only file system", "/media/cd/reports"))
    >>> err.exit_code, err.where
    (2, '/media/cd/reports')
    """
    place = where or (str(error.filename) if error.filename else None)
    reason = error.strerror or str(error)
    if error.errno in NO_SPACE:
        return ExecutionError.from_catalogue("os.no_space", where=place, reason=reason)
    if error.errno in NOT_WRITABLE or isinstance(error, PermissionError):
        return ConfigError.from_catalogue("os.not_writable", where=place, reason=reason)
    return ExecutionError.from_catalogue("os.error", where=place, kind=type(error).__name__,
                                         reason=reason)
