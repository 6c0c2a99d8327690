"""Opening a data file: read-only, once, with errors that name the file and say what to do."""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import DataError

__all__ = ["read_bytes"]


def read_bytes(path: Path, display: str, *, limit: int | None = None) -> bytes:
    """The bytes of ``path`` (at most ``limit``), opened read-only.

    Raises :class:`~evalkit.errors.DataError` when the file is missing, is a folder, cannot be
    opened or is empty.
    """
    try:
        with open(path, "rb") as handle:
            content = handle.read() if limit is None else handle.read(limit)
    except FileNotFoundError:
        raise DataError.from_catalogue("io.file_not_found", where=display) from None
    except IsADirectoryError:
        raise DataError.from_catalogue("io.not_a_file", where=display) from None
    except PermissionError:
        raise DataError.from_catalogue("io.permission_denied", where=display) from None
    except OSError as error:
        raise DataError.from_catalogue("io.unreadable", where=display,
                                       reason=error.strerror or str(error)) from None
    if not content:
        raise DataError.from_catalogue("io.empty_file", where=display)
    return content
