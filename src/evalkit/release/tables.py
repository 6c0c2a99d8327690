"""Released result tables: what pages, figures and the brief may show of a run's results.

Every presentation of a result table goes through :func:`released_table` (or the mapping
:class:`ReleasedTables`), so that the same count is suppressed the same way wherever it
appears. Tables are asked for by their handle in the table catalogue; an undeclared handle is
an error, a declared table the run did not compute carries the reason it is absent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._files import atomic_write
from evalkit.analyse.catalogue import catalogue
from evalkit.analyse.results import DERIVED, Absence, Results, TableAbsent, read_frame
from evalkit.release.protect import protect_tables
from evalkit.release.suppress import apply_disclosure_control, policy_record

__all__ = ["FUNNEL_GRIDS", "ReleasedTables", "released_frames", "released_table",
           "save_released"]

#: The drawing grid of each funnel table (no person stands behind a grid row).
FUNNEL_GRIDS: dict[str, str] = {"tokenism_funnel": "tokenism_funnel_limits",
                                "outcome_funnel": "outcome_funnel_limits"}


#: Where a run keeps the released frames next to its private results (read by notebooks).
RELEASED_FOLDER = "released"
#: Where a :class:`Results` keeps its released frames and tables once made (dropped when a
#: table is added to it: :data:`evalkit.analyse.results.DERIVED`).
RELEASED_FRAMES, RELEASED_TABLES = DERIVED


def _policy_key(policy: Any) -> tuple:
    return tuple(policy_record(policy).items())


def released_frames(results: Results, *, policy: Any) -> dict[str, pd.DataFrame]:
    """Every table ``results`` releases, after disclosure control chosen jointly over all of
    them (:func:`evalkit.release.protect.protect_tables`), by name.

    Computed once per results and policy; results a run saved come with the frames its
    prepare stage released (``released/`` next to them), so that notebooks show exactly what
    the run's ``tables/`` hold.
    """
    cache = results.__dict__.setdefault(RELEASED_FRAMES, {})
    key = _policy_key(policy)
    if key in cache:
        return cache[key]
    stored = _stored_released(results, key)
    if stored is None:
        frames = {name: table.frame for name, table in results.items() if table.release}
        stored = protect_tables(frames, policy=policy,
                                study=results.meta.get("study_parameters") or {})
    cache[key] = stored
    return stored


def _stored_released(results: Results, key: tuple) -> dict[str, pd.DataFrame] | None:
    folder = getattr(results.tables, "_folder", None)
    if folder is None:
        return None
    index = Path(folder) / RELEASED_FOLDER / "released.json"
    try:
        saved = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved.get("policy"), dict) or tuple(saved["policy"].items()) != key:
        return None
    return _StoredFrames(Path(folder) / RELEASED_FOLDER, saved.get("tables", []))


class _StoredFrames(Mapping):
    """The released frames a run saved, each read on first use: a notebook shows a few of the
    run's tables, and a kernel need not read them all (a site profile reads 4 of 40)."""

    def __init__(self, folder: Path, names: list[str]) -> None:
        self._folder = folder
        self._names = list(dict.fromkeys(str(name) for name in names))
        self._frames: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            if name not in self._names:
                raise KeyError(name)
            self._frames[name] = read_frame(self._folder / f"{name}.parquet")
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def save_released(frames: Mapping[str, pd.DataFrame], folder: str | Path, *,
                  policy: Any) -> None:
    """Keep the released frames next to a run's private results (see
    :func:`released_frames`)."""
    folder = Path(folder) / RELEASED_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        with atomic_write(folder / f"{name}.parquet", "wb") as handle:
            frame.to_parquet(handle, index=False)
    index = {"policy": policy_record(policy), "tables": list(frames)}
    with atomic_write(folder / "released.json", "w", encoding="utf-8") as handle:
        json.dump(index, handle, ensure_ascii=False, indent=2)


def released_table(results: Results, name: str, *, policy: Any) -> pd.DataFrame:
    """Result table ``name`` after disclosure control: what reports may show.

    Disclosure control is chosen jointly over every released table of ``results``
    (:func:`released_frames`), so a count is hidden the same way wherever it appears. A
    funnel's site rows come back with the drawing grid of its ``<name>_limits`` table in
    front, as :func:`evalkit.funnel_limits` returns them.

    Raises
    ------
    evalkit.analyse.catalogue.UnknownTableError
        ``name`` is not a table of the catalogue.
    evalkit.analyse.results.TableAbsent
        The run did not compute the table (the error says why).

    Each table is put together once per results and policy (a site profile shows the
    funnel's table four times): a copy is returned each time.
    """
    absence = results.absence(name)
    if absence is not None:
        raise TableAbsent(absence)
    cache = results.__dict__.setdefault(RELEASED_TABLES, {})
    key = (name, _policy_key(policy))
    if key not in cache:
        cache[key] = _released_table(results, name, policy)
    return cache[key].copy()


def _released_table(results: Results, name: str, policy: Any) -> pd.DataFrame:
    if results.spec(name).released:  # the private table itself is not read
        controlled = released_frames(results, policy=policy)[name].copy()
    else:  # a table kept for pages only: row by row
        table = results.require(name)
        controlled = apply_disclosure_control(
            table.frame, counts=table.counts, estimates=table.estimates, n=table.n,
            policy=policy, numerators=table.numerators).drop(columns=["suppression"])
    grid = results.tables.get(FUNNEL_GRIDS[name]) if name in FUNNEL_GRIDS else None
    if grid is None:
        return controlled
    rows = grid.frame.assign(suppressed=False)
    return pd.concat([rows, controlled], ignore_index=True)[
        list(dict.fromkeys([*controlled.columns]))]


class ReleasedTables(Mapping[str, pd.DataFrame]):
    """The released tables of a run by handle, each put through disclosure control when first
    read.

    ``name in tables`` and ``tables.get(name)`` raise
    :class:`~evalkit.analyse.catalogue.UnknownTableError` for a handle the catalogue does not
    declare; a declared table the run did not compute (or does not release) is not in the
    mapping, and :meth:`absence` says why.
    """

    def __init__(self, results: Results, policy: Any) -> None:
        self.results = results
        self.policy = policy
        self._done: dict[str, pd.DataFrame] = {}

    def _released(self, name: str) -> bool:
        return name in self.results and self.results.spec(name).released

    def __getitem__(self, name: str) -> pd.DataFrame:
        if not self._released(name):
            raise KeyError(name)
        if name not in self._done:
            self._done[name] = released_table(self.results, name, policy=self.policy)
        return self._done[name]

    def __contains__(self, name: object) -> bool:
        return self._released(name)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[str]:
        return iter([n for n in self.results if self.results.spec(n).released])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def absence(self, name: str) -> Absence | None:
        """Why table ``name`` is not shown (None when it is)."""
        catalogue().resolve(name)
        if name in self.results and not self.results.spec(name).released:
            return Absence(name, "absent.not_released")
        return self.results.absence(name)

    def key(self, name: str, role: str) -> str | None:
        """The column of table ``name`` holding the study's ``role`` (``site``...)."""
        return self.results.spec(name).key(role) if name in self.results else None

    def instances(self, handle: str) -> list[str]:
        """The released tables of the family ``handle`` (``reliability_{scale}``)."""
        return [n for n in self.results.instances(handle) if self._released(n)]
