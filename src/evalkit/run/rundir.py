"""The run folder: assembled under a dotted, temporary name next to its final place, then
renamed into place in one step, so that no half-written run ever looks complete.

``reports/<study>/.<run_id>.incomplete/`` is a run being written (or the leftover of a run
killed before it could clean up); ``reports/<study>/<run_id>/`` is a finished run.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from evalkit.errors import ConfigError

__all__ = ["INCOMPLETE_SUFFIX", "RunFolder", "new_run_id"]

#: The suffix of a run folder being written.
INCOMPLETE_SUFFIX = ".incomplete"
#: Folders of a run, created empty at its start.
RUN_FOLDERS = ("notebooks", "html", "tables", "figures", "brief", ".work")


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

    @classmethod
    def create(cls, study_dir: str | Path, *,
               clock: Callable[[], dt.datetime] | None = None) -> RunFolder:
        """Reserve a new run id (a suffix ``-2``, ``-3``... when the second is taken) and
        create its temporary folder; a run never reuses the id of an existing run."""
        study_dir = Path(study_dir)
        study_dir.mkdir(parents=True, exist_ok=True)
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
            return folder
        raise ConfigError(f"no free run id for {base} in {study_dir}", where=str(study_dir))

    @classmethod
    def for_resume(cls, study_dir: str | Path, run_id: str) -> RunFolder:
        """Copy the finished run ``run_id`` to a temporary folder, to update it there."""
        study_dir = Path(study_dir)
        final = study_dir / run_id
        token = secrets.token_hex(4)
        path = study_dir / f".{run_id}.resume-{token}{INCOMPLETE_SUFFIX}"
        shutil.copytree(final, path, symlinks=True)
        folder = cls(study_dir, run_id, path, replaces=True)
        folder._make_layout()
        return folder

    def _make_layout(self) -> None:
        for name in RUN_FOLDERS:
            (self.path / name).mkdir(exist_ok=True)
        # The working data are the study's data, pseudonymised: readable by their owner only.
        os.chmod(self.path / ".work", 0o700)
        (self.path / ".work" / "logs").mkdir(exist_ok=True)

    def publish(self) -> Path:
        """Move the finished run into place (for a resumed run, swap it with the old one)."""
        if not self._replaces:
            os.rename(self.path, self.final)
            return self.final
        old = self.study_dir / f".{self.run_id}.replaced-{secrets.token_hex(4)}"
        os.rename(self.final, old)
        try:
            os.rename(self.path, self.final)
        except OSError:
            os.rename(old, self.final)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return self.final

    def discard(self) -> None:
        """Remove the temporary folder (an interrupted or refused run leaves nothing), and the
        private folder set aside while the run is scanned before release."""
        shutil.rmtree(self.path, ignore_errors=True)
        shutil.rmtree(self.path.with_name(self.path.name + ".work"), ignore_errors=True)
