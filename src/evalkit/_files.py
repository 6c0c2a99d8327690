"""Files: inputs opened read-only with errors that say what to do; outputs written atomically.

An input is never written. An output goes through a temporary file in the same folder, renamed
into place: a crash or Ctrl-C never leaves half a file under the final name, and the file gets
the ordinary permissions of a new file (the temporary file's private 0600 mode is not kept).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from evalkit.errors import DataError

__all__ = ["atomic_write", "read_bytes", "sha256_file", "write_bytes_atomic"]


def read_bytes(path: Path, display: str, *, limit: int | None = None) -> bytes:
    """The bytes of ``path`` (at most ``limit``), opened read-only.

    Raises :class:`~evalkit.errors.DataError` when the file is missing, is a folder, cannot be
    opened or is empty; ``display`` is how the message names the file.
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


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hexadecimal), read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)  # elsewhere: set and restore at once (not thread-safe, but brief)
    os.umask(umask)
    return umask


def _default_mode() -> int:
    return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", *, encoding: str | None = None,
                 newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return Path(path)
