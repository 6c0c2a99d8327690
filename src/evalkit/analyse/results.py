"""The results of a study, computed once per run: every table the notebooks and reports show.

:func:`compute_results` runs the analyses a study's configuration asks for on the prepared data
and returns :class:`Results`, a mapping of named tidy tables. Each table says which of its columns
are counts of people and which are estimates (with the base ``n`` they rest on), so that
disclosure control can be applied when the table is released. Notebooks load the results; they
never recompute them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._files import atomic_write
from evalkit.i18n import has_key, t

__all__ = ["ResultTable", "Results", "table_title"]

@dataclass(frozen=True)
class ResultTable:
    """One result table and how to release it.

    Attributes
    ----------
    name : str
        File-name-safe identifier (``tokenism_rates``); the catalogues hold its title under
        ``results.<name>``.
    frame : DataFrame
        The tidy table, unsuppressed (it never leaves the run as is).
    counts : tuple of str
        Columns that count people (suppressed from 1 to ``min_cell - 1``).
    estimates : tuple of str
        Columns of rates, means and intervals (suppressed when ``n`` is below
        ``min_n_for_rates``).
    n : str or None
        The column holding the number of people each estimate rests on.
    numerators : tuple of str, or dict of str to str, or None
        The counts the estimates are computed from (with their own base column when it is not
        ``n``): a suppressed numerator, or a small complement, suppresses the row's estimates
        too. None: every count column is treated as a numerator on ``n`` (the safe default).
    non_validated : bool
        The table shows the tokenism index (labelled *non-validated* wherever it appears).
    release : bool
        Whether the table is written to the run's ``tables/`` (tables with text of
        participants stay private).
    """

    name: str
    frame: pd.DataFrame
    counts: tuple[str, ...] = ()
    estimates: tuple[str, ...] = ()
    n: str | None = None
    numerators: tuple[str, ...] | dict[str, str] | None = None
    non_validated: bool = False
    release: bool = True


@dataclass
class Results(Mapping[str, ResultTable]):
    """Named result tables with what the run needs to present and release them."""

    tables: dict[str, ResultTable] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ResultTable:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def frame(self, name: str) -> pd.DataFrame:
        """A copy of the table ``name`` (unsuppressed)."""
        return self.tables[name].frame.copy()

    def add(self, table: ResultTable) -> None:
        self.tables[table.name] = table

    # -- storage between the run's compute stage and its notebooks -------------------------
    def save(self, folder: str | Path) -> Path:
        """Write every table (Parquet) and an index (JSON) into ``folder``; returns the index."""

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        index = {"meta": self.meta, "tables": {}}
        for name, table in self.tables.items():
            frame = _parquet_safe(table.frame)
            with atomic_write(folder / f"{name}.parquet", "wb") as handle:
                frame.to_parquet(handle, index=False)
            numerators = (table.numerators if isinstance(table.numerators, dict) or
                          table.numerators is None else list(table.numerators))
            index["tables"][name] = {
                "counts": list(table.counts), "estimates": list(table.estimates),
                "n": table.n, "numerators": numerators,
                "non_validated": table.non_validated, "release": table.release}
        path = folder / "results.json"
        with atomic_write(path, "w", encoding="utf-8") as handle:
            json.dump(index, handle, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read results written by :meth:`save` (each table is read when first used)."""
        folder = Path(folder)
        index = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        return cls(tables=_StoredTables(folder, index["tables"]), meta=index["meta"])


class _StoredTables(dict):
    """Result tables saved by :meth:`Results.save`, each read from disk on first access (a
    notebook uses a few of them; reading them all would cost every notebook of a run)."""

    def __init__(self, folder: Path, specs: dict) -> None:
        super().__init__()
        self._folder = folder
        self._specs = dict(specs)

    def _read(self, name: str) -> ResultTable:
        spec = self._specs[name]
        numerators = spec.get("numerators")
        if isinstance(numerators, list):
            numerators = tuple(numerators)
        table = ResultTable(name=name, frame=pd.read_parquet(self._folder / f"{name}.parquet"),
                            counts=tuple(spec["counts"]), estimates=tuple(spec["estimates"]),
                            n=spec["n"], numerators=numerators,
                            non_validated=spec["non_validated"], release=spec["release"])
        super().__setitem__(name, table)
        return table

    def __getitem__(self, name: str) -> ResultTable:
        if not super().__contains__(name):
            if name not in self._specs:
                raise KeyError(name)
            return self._read(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default

    def __contains__(self, name: object) -> bool:
        return name in self._specs or super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._specs, *super().__iter__()]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*self._specs, *super().__iter__()]))

    def items(self):
        return [(name, self[name]) for name in self]

    def values(self):
        return [self[name] for name in self]

    def keys(self):
        return list(self)

    def __setitem__(self, name: str, table: ResultTable) -> None:
        self._specs.pop(name, None)
        super().__setitem__(name, table)


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing types are stored as text (Parquet needs one type per column)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            kinds = {type(v) for v in out[column].dropna()}
            if len(kinds) > 1 or (kinds and not kinds <= {str}):
                out[column] = out[column].map(lambda v: v if v is None or
                                              (isinstance(v, float) and np.isnan(v)) else str(v))
    return out


def table_title(name: str, lang: str) -> str:
    """The title of result table ``name`` in ``lang`` (tables per scale or language share one).

    Examples
    --------
    >>> table_title("tokenism_rates", "en")
    'Tokenism rate by site (non-validated index)'
    >>> table_title("reliability_wellbeing", "fr")
    "Fidélité de l'échelle (wellbeing)"
    """

    if has_key(f"results.{name}"):
        return t(f"results.{name}", lang)
    for family in ("scale_by_site", "scoring", "reliability", "items", "framework", "quotes"):
        stem = "scale_" if family == "scale_by_site" else family + "_"
        if name.startswith(stem):
            rest = name[len(stem):]
            if family == "scale_by_site":
                rest = rest.removesuffix("_by_site")
            if family in ("framework", "quotes"):
                return t(f"results.{family}", lang)
            return f"{t(f'results.{family}', lang)} ({rest})"
    return name
