"""The release bundle: one ZIP file holding only what a run releases, the file to send.

A run folder also keeps private working data (``.work/``: the unsuppressed results, kernel
logs); whoever zips the folder sends them too. The bundle ``<run_id>.release.zip``, written next
to the run folder, holds the run's ``manifest.json`` and the files the manifest lists as
released, nothing else. Its bytes depend on those files only: members sorted by name, one fixed
timestamp, fixed permissions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from evalkit._files import atomic_write
from evalkit.errors import ConfigError

__all__ = ["BUNDLE_SUFFIX", "bundle_members", "bundle_path", "extracted", "linked_members",
           "remove_bundle", "write_bundle"]

#: What a run's bundle is named after: ``<run_id>.release.zip``.
BUNDLE_SUFFIX = ".release.zip"
# The earliest time a ZIP entry can hold: the same for every bundle.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def bundle_path(run_dir: str | Path) -> Path:
    """Where the bundle of ``run_dir`` is: next to it, named after it.

    Examples
    --------
    >>> bundle_path("reports/demo/20260101-120000").as_posix()
    'reports/demo/20260101-120000.release.zip'
    """
    run_dir = Path(run_dir)
    return run_dir.with_name(run_dir.name + BUNDLE_SUFFIX)


def bundle_members(manifest: dict) -> list[str]:
    """The members of a run's bundle: ``manifest.json`` and the files its ``files`` lists, by
    path relative to the run folder, sorted; never a private (dot) folder or file.

    Examples
    --------
    >>> bundle_members({"files": {"tables/a.csv": "…", ".work/results/a.parquet": "…"}})
    ['manifest.json', 'tables/a.csv']
    """
    listed = [str(path) for path in (manifest.get("files") or {})]
    members = {"manifest.json", *(p for p in listed if _shareable(p))}
    return sorted(members)


def _shareable(member: str) -> bool:
    path = PurePosixPath(member)
    return bool(path.parts) and not path.is_absolute() and \
        not any(part.startswith(".") for part in path.parts)


#: Members stored without compression: their format is compressed already.
COMPRESSED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".docx", ".xlsx", ".zip", ".gz"})
#: The deflate level of the other members.
DEFLATE_LEVEL = 1


def write_bundle(run_dir: str | Path, members: Iterable[str], target: str | Path) -> str:
    """Write the files ``members`` of ``run_dir`` into the ZIP file ``target`` (atomically:
    a temporary file renamed at the end) and return its SHA-256.

    The same files give the same bytes: members sorted, fixed timestamp and permissions,
    deflate at a fixed level. Files that are compressed already (PNG and JPEG images, Word and
    Excel files) are stored as they are; the others are deflated at level 1, which on pages
    and notebooks full of encoded images is nearly as small as the default level and several
    times faster.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "manifest.json").write_text("{}")
    >>> a = write_bundle(run, ["manifest.json"], run.parent / "a.zip")
    >>> a == write_bundle(run, ["manifest.json"], run.parent / "b.zip")
    True
    """
    run_dir, target = Path(run_dir), Path(target)
    digest = hashlib.sha256()
    with atomic_write(target, "wb") as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=DEFLATE_LEVEL) as archive:
            for member in sorted(set(members)):
                info = zipfile.ZipInfo(member, date_time=_EPOCH)
                stored = PurePosixPath(member).suffix.lower() in COMPRESSED_SUFFIXES
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                info.create_system = 3
                archive.writestr(info, (run_dir / member).read_bytes(),
                                 compresslevel=None if stored else DEFLATE_LEVEL)
    with open(target, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def linked_members(run_dir: str | Path, members: Iterable[str], folder: str | Path
                   ) -> Iterator[Path | None]:
    """The files ``members`` of ``run_dir`` as a bundle would hold them (same paths, same
    bytes), hard-linked into ``folder`` (removed on exit) instead of copied into a ZIP file and
    extracted again; None when they cannot all be linked (a file system without hard links, a
    member that is not a file): then write the bundle.

    The links share the files' bytes, so ``folder`` is for reading: a file the run rewrites
    afterwards (by renaming a new one into place) no longer changes what was linked. A
    ``folder`` left by a run that was killed is replaced.
    """
    run_dir, folder = Path(run_dir), Path(folder)
    _remove_tree(folder)  # left by a run that was killed
    try:
        for member in sorted(set(members)):
            source = run_dir / member
            if (not _shareable(member) and member != "manifest.json") or not source.is_file():
                raise OSError(f"not a file of the run: {member}")
            target = folder / member
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, target)
    except OSError:
        _remove_tree(folder)
        yield None
        return
    try:
        yield folder
    finally:
        _remove_tree(folder)


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def extracted(bundle: str | Path) -> Iterator[tuple[Path, list[str]]]:
    """The members of ``bundle`` extracted into a temporary folder (removed on exit), with the
    members the bundle's ``manifest.json`` does not list as released.

    Raises
    ------
    evalkit.errors.ConfigError
        The file is not a ZIP file, or a member would be written outside the folder.
    """
    bundle = Path(bundle)
    try:
        archive = zipfile.ZipFile(bundle)
    except (zipfile.BadZipFile, OSError) as error:
        raise ConfigError.from_catalogue("privacy.bundle_unreadable", where=str(bundle),
                                         reason=str(error)) from None
    with archive, tempfile.TemporaryDirectory(prefix="evalkit-release-") as folder:
        root = Path(folder)
        names = [n for n in archive.namelist() if not n.endswith("/")]
        for name in names:
            path = PurePosixPath(name)
            if path.is_absolute() or ".." in path.parts or not path.parts:
                raise ConfigError.from_catalogue("privacy.bundle_unreadable", where=str(bundle),
                                                 reason=f"member {name!r} outside the bundle")
        archive.extractall(root, members=names)
        try:
            manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
            listed = set((manifest.get("files") or {}) if isinstance(manifest, dict) else {})
        except (OSError, ValueError):
            listed = set()
        unlisted = sorted(n for n in names if n != "manifest.json" and n not in listed)
        yield root, unlisted


def remove_bundle(run_dir: str | Path) -> None:
    """Remove the bundle of ``run_dir`` when there is one (a run that may not be released)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(bundle_path(run_dir))
