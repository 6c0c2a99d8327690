"""The run folder: assembled under a dotted, temporary name next to its final place, then
renamed into place in one step, so that no half-written run ever looks complete.

``reports/<study>/.<run_id>.incomplete/`` is a run being written (or the leftover of a run
killed before it could clean up); ``reports/<study>/<run_id>/`` is a finished run.

The process writing a run holds a lock on ``.work/owner`` in its folder for as long as it lives;
the system releases it when the process ends, however it ends (``kill -9`` included). A later run
of the study takes the lock of each leftover folder it finds: when it can, the writer is gone,
and the leftover is removed (see :func:`clean_leftovers`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from evalkit.errors import ConfigError

try:  # POSIX; elsewhere leftovers are reported, never removed
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["INCOMPLETE_SUFFIX", "Leftover", "RunFolder", "clean_leftovers", "new_run_id"]

#: The suffix of a run folder being written.
INCOMPLETE_SUFFIX = ".incomplete"
#: Folders of a run, created empty at its start.
RUN_FOLDERS = ("notebooks", "html", "tables", "figures", "brief", ".work")
#: The file whose lock says that a process is writing the run folder.
OWNER_FILE = Path(".work") / "owner"
#: Seconds a leftover without an owner file is left alone (a run may be creating it).
GRACE_SECONDS = 60


@dataclass(frozen=True)
class Leftover:
    """A folder a stopped run left behind, and what was done with it.

    Attributes
    ----------
    name : str
        The folder's name in ``<out>/<study>``.
    action : {"removed", "restored", "kept"}
        ``removed``: its writer is gone; ``restored``: the previous copy of a run whose resume
        was stopped while it was being swapped in, put back in place; ``kept``: its writer
        cannot be known (another system, an older evalkit), so it is only reported.
    owner : str
        The process that wrote it (``host:pid``), when recorded.
    """

    name: str
    action: str
    owner: str = ""


def _lock(handle: IO) -> bool:
    """Take the lock of ``handle`` without waiting; False when another process holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner_text(run_id: str) -> str:
    return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "run_id": run_id,
                       "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}) + "\n"


def _recorded_owner(path: Path) -> str:
    try:
        owner = json.loads((path / OWNER_FILE).read_text(encoding="utf-8"))
        return f"{owner.get('host', '?')}:{owner.get('pid', '?')}"
    except (OSError, ValueError, AttributeError):
        return ""


def _young(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime < GRACE_SECONDS
    except OSError:
        return True


def _remove_if_abandoned(path: Path) -> Leftover | None:
    """Remove the leftover run folder ``path`` when no living process holds its lock."""
    owner_file = path / OWNER_FILE
    if not owner_file.is_file():
        return None if _young(path) else Leftover(path.name, "kept")
    if fcntl is None:  # pragma: no cover - Windows
        return Leftover(path.name, "kept", _recorded_owner(path))
    try:
        handle = open(owner_file, "a+")
    except OSError:
        return Leftover(path.name, "kept", _recorded_owner(path))
    with handle:
        if not _lock(handle):
            return None  # a run is writing it at this moment
        owner = _recorded_owner(path)
        shutil.rmtree(path, ignore_errors=True)
    return Leftover(path.name, "removed", owner)


def clean_leftovers(study_dir: str | Path) -> list[Leftover]:
    """Find the folders that stopped runs of a study left behind, and deal with each.

    - ``.<run_id>[.resume-<token>].incomplete``: a run, or the copy a resume was updating,
      whose process is gone: removed (it holds the study's pseudonymised working data).
    - ``.<run_id>.replaced-<token>``: the previous copy of a resumed run, set aside while the
      updated copy was moved in: put back when the run is missing, else removed.

    Folders of runs still being written are left alone.

    Returns
    -------
    list of Leftover
    """
    study_dir = Path(study_dir)
    found: list[Leftover] = []
    try:
        entries = sorted(study_dir.iterdir())
    except OSError:
        return found
    for path in entries:
        name = path.name
        if not name.startswith(".") or not path.is_dir():
            continue
        if name.endswith(INCOMPLETE_SUFFIX):
            leftover = _remove_if_abandoned(path)
        elif ".replaced-" in name and not _young(path):
            run = study_dir / name[1:].split(".replaced-", 1)[0]
            if run.exists():
                shutil.rmtree(path, ignore_errors=True)
                leftover = Leftover(name, "removed")
            else:
                os.rename(path, run)
                leftover = Leftover(name, "restored")
        elif name.endswith(INCOMPLETE_SUFFIX + ".work") and not _young(path) and not \
                (study_dir / name[: -len(".work")]).exists():
            shutil.rmtree(path, ignore_errors=True)
            leftover = Leftover(name, "removed")
        else:
            leftover = None
        if leftover is not None:
            found.append(leftover)
    return found


def new_run_id(now: dt.datetime | None = None) -> str:
    """A run id from the local time: ``YYYYMMDD-HHMMSS``."""
    return (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")


class RunFolder:
    """A run folder being assembled.

    Attributes
    ----------
    study_dir : Path
        ``<out>/<study>``.
    run_id : str
    path : Path
        The temporary folder the run is written to.
    final : Path
        Where the run ends up.
    """

    def __init__(self, study_dir: Path, run_id: str, path: Path, *, replaces: bool) -> None:
        self.study_dir, self.run_id, self.path = study_dir, run_id, path
        self.final = study_dir / run_id
        self._replaces = replaces
        self._owner: IO | None = None
        #: What earlier, stopped runs of the study left behind (see :func:`clean_leftovers`).
        self.leftovers: list[Leftover] = []

    @classmethod
    def create(cls, study_dir: str | Path, *,
               clock: Callable[[], dt.datetime] | None = None) -> RunFolder:
        """Reserve a new run id (a suffix ``-2``, ``-3``... when the second is taken) and
        create its temporary folder; a run never reuses the id of an existing run."""
        study_dir = Path(study_dir)
        study_dir.mkdir(parents=True, exist_ok=True)
        leftovers = clean_leftovers(study_dir)
        base = new_run_id(clock() if clock else None)
        for n in range(1, 1000):
            run_id = base if n == 1 else f"{base}-{n}"
            if (study_dir / run_id).exists():
                continue
            path = study_dir / f".{run_id}{INCOMPLETE_SUFFIX}"
            try:
                path.mkdir()  # atomic: two runs started in the same second get different ids
            except FileExistsError:
                continue
            folder = cls(study_dir, run_id, path, replaces=False)
            folder._make_layout()
            folder.leftovers = leftovers
            return folder
        raise ConfigError(f"no free run id for {base} in {study_dir}", where=str(study_dir))

    @classmethod
    def for_resume(cls, study_dir: str | Path, run_id: str) -> RunFolder:
        """Copy the finished run ``run_id`` to a temporary folder, to update it there."""
        study_dir = Path(study_dir)
        leftovers = clean_leftovers(study_dir)
        final = study_dir / run_id
        token = secrets.token_hex(4)
        path = study_dir / f".{run_id}.resume-{token}{INCOMPLETE_SUFFIX}"
        try:
            shutil.copytree(final, path, symlinks=True)
            folder = cls(study_dir, run_id, path, replaces=True)
            folder._make_layout()
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        folder.leftovers = leftovers
        return folder

    def _make_layout(self) -> None:
        for name in RUN_FOLDERS:
            (self.path / name).mkdir(exist_ok=True)
        # The working data are the study's data, pseudonymised: readable by their owner only.
        os.chmod(self.path / ".work", 0o700)
        (self.path / ".work" / "logs").mkdir(exist_ok=True)
        self._hold()

    def _hold(self) -> None:
        """Lock the owner file for the life of this process (released by the system when the
        process ends, whatever ends it)."""
        handle = open(self.path / OWNER_FILE, "a+", encoding="utf-8")
        _lock(handle)  # a new folder: no one else holds it
        handle.seek(0)
        handle.truncate()
        handle.write(_owner_text(self.run_id))
        handle.flush()
        self._owner = handle

    def _release(self) -> None:
        if self._owner is not None:
            self._owner.close()
            self._owner = None

    def publish(self) -> Path:
        """Move the finished run into place (for a resumed run, swap it with the old one)."""
        if not self._replaces:
            os.rename(self.path, self.final)
            self._release()
            return self.final
        old = self.study_dir / f".{self.run_id}.replaced-{secrets.token_hex(4)}"
        os.rename(self.final, old)
        try:
            os.rename(self.path, self.final)
        except OSError:
            os.rename(old, self.final)
            raise
        self._release()
        shutil.rmtree(old, ignore_errors=True)
        return self.final

    def discard(self) -> None:
        """Remove the temporary folder (an interrupted or refused run leaves nothing), and the
        private folder set aside while the run is scanned before release."""
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(self.path.with_name(self.path.name + ".work"), ignore_errors=True)
        self._release()
