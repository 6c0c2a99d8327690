"""The run's ``manifest.json``: what went in (files and their hashes, parameters, versions, the
code's commit) and what came out (each notebook's status, timings and failing cell).

The manifest holds no secret: no key, no key fingerprint, no data value.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from evalkit._files import sha256_file, write_bytes_atomic
from evalkit._version import __version__

__all__ = ["MANIFEST_VERSION", "input_records", "package_versions", "read_manifest",
           "sha256_file", "git_commit", "write_manifest"]

#: Version of the manifest's layout.
MANIFEST_VERSION = 1

#: Libraries whose versions a run records (besides evalkit and Python).
KEY_LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn", "pyarrow",
                 "pydantic", "papermill", "nbclient", "nbconvert", "ipykernel", "jupyter_client",
                 "dask", "distributed")


def _count_text_rows(path: Path, header_rows: int) -> int | None:
    # latin-1 never fails to decode, and the ASCII delimiters and quotes of CSV files in any
    # ASCII-compatible encoding are where csv expects them.
    raw = path.read_bytes()
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return None
    text = raw.decode("latin-1")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count)
    rows = sum(1 for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
               if any(field.strip() for field in row))
    return max(rows - header_rows, 0)


def count_rows(path: Path, fmt: str | None = None) -> int | None:
    """Data rows of an input file (None when the format has no rows, or cannot be counted
    cheaply)."""
    suffix = (fmt or path.suffix.lstrip(".")).lower()
    try:
        if suffix in ("csv", "txt", "tsv", "segments"):
            return _count_text_rows(path, 1)
        if suffix == "qualtrics":
            return _count_text_rows(path, 3)
        if suffix in ("sav", "zsav", "dta"):
            import pyreadstat

            reader = pyreadstat.read_dta if suffix == "dta" else pyreadstat.read_sav
            _, meta = reader(str(path), metadataonly=True)
            return int(meta.number_rows) if meta.number_rows is not None else None
        if suffix == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            try:
                return max((book.worksheets[0].max_row or 1) - 1, 0)
            finally:
                book.close()
    except Exception:  # an unreadable file is reported by validation, not here
        return None
    return None


def input_records(study: Any) -> list[dict]:
    """One record per input file of ``study``: kind, path (as written in ``study.yaml``),
    sha256, bytes and rows."""
    records = [{"kind": "study", "path": study.file.name, "sha256": study.sha256,
                "bytes": study.file.stat().st_size, "rows": None}]
    sources = [("codebook", study.codebook_file, None)]
    sources += [("survey", s.path, s.format) for s in study.sources.survey]
    sources += [("interviews", s.path, s.format) for s in study.sources.interviews]
    for kind in ("population", "partners"):
        spec = getattr(study.sources, kind)
        if spec is not None:
            sources.append((kind, spec.path, spec.format))
    for kind, relative, fmt in sources:
        path = study.resolve(relative)
        record = {"kind": kind, "path": Path(relative).as_posix(), "sha256": None, "bytes": None,
                  "rows": None}
        if path.is_file():
            record.update(sha256=sha256_file(path), bytes=path.stat().st_size,
                          rows=None if kind == "codebook" else count_rows(path, fmt))
        records.append(record)
    return records


def package_versions() -> dict[str, str | None]:
    """Versions of Python, evalkit and the libraries that shape the results."""

    versions: dict[str, str | None] = {"python": platform.python_version(),
                                       "evalkit": __version__}
    for name in KEY_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(folder: str | Path) -> dict | None:
    """The commit checked out in the git repository holding ``folder`` (None outside git),
    and whether tracked files were modified since."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                                  text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "modified": bool(status)}


def source_checkout() -> Path | None:
    """The project folder evalkit is imported from, when it is a source checkout."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "pyproject.toml").is_file() and (root / "src" / "evalkit").is_dir() \
        else None


def environment() -> dict[str, Any]:
    """Where the run ran: interpreter, platform, git commits of evalkit and of the study."""
    checkout = source_checkout()
    return {"python_executable": Path(sys.executable).name, "platform": platform.platform(),
            "evalkit_git": git_commit(checkout) if checkout else None}


def write_manifest(path: str | Path, manifest: dict) -> Path:
    """Write ``manifest`` as indented UTF-8 JSON (atomically)."""

    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    return write_bytes_atomic(path, text.encode("utf-8"))


def read_manifest(path: str | Path) -> dict:
    """Read a run's ``manifest.json``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
