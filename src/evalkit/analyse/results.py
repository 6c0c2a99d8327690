"""The results of a study, computed once per run: every table the notebooks and reports show.

:func:`~evalkit.analyse.compute.compute_results` fills :class:`Results`: named tidy tables,
each with its entry of the table catalogue (:mod:`evalkit.analyse.catalogue`: title, labels,
release roles, additive structure) and the public function calls that made it, and for every
declared table the data could not support, the reason (:class:`Absence`). Notebooks load the
results; they never recompute them.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._files import atomic_write
from evalkit.analyse.catalogue import TableSpec, catalogue, table_spec
from evalkit.errors import DataError
from evalkit.i18n import t

__all__ = ["Absence", "Call", "Ref", "ResultTable", "Results", "TableAbsent", "prime_frames",
           "read_frame"]


# -- how a table was made ------------------------------------------------------------------------
@dataclass(frozen=True)
class Ref:
    """An argument that is a data frame of the run, by name (described in
    ``Results.meta["frames"]``)."""

    name: str


@dataclass(frozen=True)
class Call:
    """A call of a public function of evalkit that made (part of) a table, as the run made it.

    Attributes
    ----------
    function : str
        The function's public name (``evalkit.<function>``).
    data : str or None
        The name of the data frame passed first (see ``Results.meta["frames"]``).
    args : dict
        The keyword arguments, as plain values; a data frame is a :class:`Ref`.

    Examples
    --------
    >>> Call("tokenism_rates", "users", {"voice": ["q3"], "agree_at": 4.0,
    ...                                  "site": "site"}).code()
    'evalkit.tokenism_rates(users, voice=["q3"], agree_at=4.0, site="site")'
    """

    function: str
    data: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)

    def code(self) -> str:
        """The call as a line of Python a researcher can copy."""
        parts = [self.data] if self.data else []
        parts += [f"{name}={_literal(value)}" for name, value in self.args.items()]
        return f"evalkit.{self.function}({', '.join(parts)})"

    @property
    def frames(self) -> list[str]:
        """The names of the data frames the call reads."""
        found = [self.data] if self.data else []
        return found + [v.name for v in self.args.values() if isinstance(v, Ref)]

    def to_dict(self) -> dict[str, Any]:
        # Arguments as pairs: their order is the call's (a JSON object may be re-sorted).
        return {"function": self.function, "data": self.data,
                "args": [[k, {"$frame": v.name} if isinstance(v, Ref) else v]
                         for k, v in self.args.items()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Call:
        args = {k: (Ref(v["$frame"]) if isinstance(v, dict) and "$frame" in v else v)
                for k, v in (data.get("args") or [])}
        return cls(str(data["function"]), data.get("data"), args)


def _literal(value: Any) -> str:
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def plain(value: Any) -> Any:
    """``value`` as a plain JSON value (numbers, text, lists, mappings), frames as :class:`Ref`."""
    if isinstance(value, Ref) or value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | pd.Index | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return value.as_posix()
    if hasattr(value, "model_dump"):  # a part of the study's configuration
        return plain(value.model_dump(mode="json"))
    return str(value)


# -- why a table is absent -----------------------------------------------------------------------
@dataclass(frozen=True)
class Absence:
    """Why a declared table was not computed: a catalogue message and its parameters.

    Attributes
    ----------
    table : str
        The table (or a family's handle, such as ``scoring_{scale}``, when no table of the
        family was made); empty for what is not a table (a figure drawn from several).
    reason : str
        The message key (``absent.too_few_sites``).
    params : dict
        Its parameters; a parameter may be ``{"fr": ..., "en": ...}``.

    Examples
    --------
    >>> Absence("tokenism_funnel", "absent.too_few_sites", {"n": 2, "min": 3}).text("en")
    'too few sites to compare (2; at least 3 are needed)'
    """

    table: str
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The reason in ``lang``."""
        values = {k: (v.get(lang) or v.get("en") if isinstance(v, Mapping) else v)
                  for k, v in self.params.items()}
        values = {k: (", ".join(str(x) for x in v) if isinstance(v, list) else v)
                  for k, v in values.items()}
        return t(self.reason, lang, **values)

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "reason": self.reason, "params": plain(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Absence:
        return cls(str(data["table"]), str(data["reason"]), dict(data.get("params") or {}))


class TableAbsent(DataError):
    """A table the run did not compute, asked for; :attr:`absence` says why."""

    def __init__(self, absence: Absence) -> None:
        where = table_spec(absence.table).title("en") if absence.table else None
        super().__init__(t("absent.block", "en", reason=absence.text("en")), where=where,
                         message_fr=t("absent.block", "fr", reason=absence.text("fr")))
        self.absence = absence


# -- tables --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResultTable:
    """One result table, its catalogue entry and the calls that made it.

    Attributes
    ----------
    name : str
        A handle of the catalogue (``tokenism_rates``) or a name of a family of tables
        (``reliability_wellbeing``); anything else is an error.
    frame : DataFrame
        The tidy table, unsuppressed (it never leaves the run as is).
    spec : TableSpec, optional
        Its catalogue entry, bound to the study (default: the catalogue's, unbound).
    calls : tuple of Call
        The public function calls that made it, with the run's arguments.

    The release roles (:attr:`counts`, :attr:`estimates`, :attr:`n`, :attr:`numerators`) come
    from the catalogue's column roles, for the columns the frame has.
    """

    name: str
    frame: pd.DataFrame
    spec: TableSpec | None = None
    calls: tuple[Call, ...] = ()

    def __post_init__(self) -> None:
        if self.spec is None:
            object.__setattr__(self, "spec", table_spec(self.name))

    @property
    def _roles(self):
        return self.spec.release_roles(list(self.frame.columns))

    @property
    def counts(self) -> tuple[str, ...]:
        """Columns that count people (suppressed from 1 to ``min_cell - 1``)."""
        return self._roles.counts

    @property
    def estimates(self) -> tuple[str, ...]:
        """Columns of rates, means and intervals (suppressed when ``n`` is small)."""
        return self._roles.estimates

    @property
    def n(self) -> str | None:
        """The column holding the number of people each estimate rests on."""
        return self._roles.n

    @property
    def numerators(self) -> dict[str, str]:
        """The counts the estimates are computed from, with the column of their base."""
        return self._roles.numerators

    @property
    def non_validated(self) -> bool:
        """The table shows the tokenism index (labelled *non-validated* wherever shown)."""
        return self.spec.non_validated

    @property
    def release(self) -> bool:
        """Whether the table is written to the run's ``tables/``."""
        return self.spec.released

    def title(self, lang: str) -> str:
        return self.spec.title(lang)


#: What :mod:`evalkit.release.tables` keeps in a :class:`Results` once made from its
#: tables (the released frames, the released tables), forgotten when a table is added.
DERIVED = ("_released", "_released_tables")


@dataclass
class Results(Mapping[str, ResultTable]):
    """Named result tables, the reasons of the absent ones, and what the run needs to present
    and release them.

    Asking for a table the catalogue does not declare raises
    :class:`~evalkit.analyse.catalogue.UnknownTableError` (also with ``in``), so that a
    misspelt handle fails at once; a declared table the run did not compute is simply not in
    the mapping, and :meth:`absence` says why.
    """

    tables: dict[str, ResultTable] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ResultTable:
        catalogue().resolve(name)
        return self.tables[name]

    def __contains__(self, name: object) -> bool:
        catalogue().resolve(name)  # type: ignore[arg-type]
        return name in self.tables

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def frame(self, name: str) -> pd.DataFrame:
        """A copy of the table ``name`` (unsuppressed)."""
        return self.require(name).frame.copy()

    def add(self, table: ResultTable) -> None:
        self.tables[table.name] = table
        self._absences().pop(table.name, None)
        self._changed()

    def _changed(self) -> None:
        """Forget what was made from the tables (:data:`DERIVED`)."""
        for name in DERIVED:
            self.__dict__.pop(name, None)

    # -- absent tables -------------------------------------------------------------------------
    def _absences(self) -> dict[str, Absence]:
        recorded = self.meta.setdefault("absent", {})
        return recorded

    def add_absence(self, absence: Absence) -> None:
        """Record why ``absence.table`` was not computed (the first reason given stays)."""
        catalogue().resolve(absence.table)
        if absence.table not in self.tables:
            self._absences().setdefault(absence.table, absence)
            self._changed()

    @property
    def absences(self) -> list[Absence]:
        """Every absent table with its reason, in the order recorded."""
        return [_absence(v) for v in self._absences().values()]

    def absence(self, name: str) -> Absence | None:
        """Why table ``name`` was not computed (None when it was).

        A family's handle (``scoring_{scale}``) is absent when no table of the family was
        computed.
        """
        handle, params = catalogue().resolve(name)
        if name in self.tables or (name == handle and "{" in handle and self.instances(handle)):
            return None
        found = self._absences().get(name)
        if found is None and params:
            found = self._absences().get(handle)
        if found is None:
            return Absence(name, "absent.not_computed")
        return _absence(found)

    def require(self, name: str) -> ResultTable:
        """The table ``name``; raises :class:`TableAbsent` (with the reason) when the run did
        not compute it."""
        absence = self.absence(name)
        if absence is not None:
            raise TableAbsent(absence)
        return self.tables[name]

    def spec(self, name: str) -> TableSpec:
        """The catalogue entry of the computed table ``name``, bound to the study, without
        reading the table from a run's storage (whether it is released, its roles); raises
        :class:`KeyError` when the run did not compute it."""
        catalogue().resolve(name)
        if isinstance(self.tables, _StoredTables):
            return self.tables.spec(name)
        return self.tables[name].spec

    def calls(self, name: str) -> tuple[Call, ...]:
        """The calls that made the computed table ``name``, without reading it from a run's
        storage; raises :class:`KeyError` when the run did not compute it."""
        catalogue().resolve(name)
        if isinstance(self.tables, _StoredTables):
            return self.tables.calls(name)
        return self.tables[name].calls

    def instances(self, handle: str) -> list[str]:
        """The tables of the family ``handle`` (``scoring_{scale}``) the run computed, or
        ``[handle]`` itself for a single table that was computed."""
        found, _ = catalogue().resolve(handle)
        if "{" not in found:
            return [handle] if handle in self.tables else []
        return catalogue().members(found, list(self.tables))

    # -- storage between the run's compute stage and its notebooks -------------------------
    def save(self, folder: str | Path) -> Path:
        """Write every table (Parquet) and an index (JSON) into ``folder``; returns the index."""

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {k: v for k, v in self.meta.items() if k != "absent"}
        index = {"meta": meta, "tables": {},
                 "absent": [a.to_dict() for a in self.absences]}
        for name, table in self.tables.items():
            frame = _parquet_safe(table.frame)
            with atomic_write(folder / f"{name}.parquet", "wb") as handle:
                frame.to_parquet(handle, index=False)
            index["tables"][name] = {
                "handle": table.spec.handle, "calls": [c.to_dict() for c in table.calls],
                # What disclosure control applies (derived from the catalogue; for reading).
                "counts": list(table.counts), "estimates": list(table.estimates),
                "n": table.n, "numerators": table.numerators,
                "non_validated": table.non_validated, "release": table.release}
        path = folder / "results.json"
        with atomic_write(path, "w", encoding="utf-8") as handle:
            # Not sorted: the arguments of a call keep their order.
            json.dump(index, handle, ensure_ascii=False, indent=2, default=str)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read results written by :meth:`save` (each table is read when first used)."""
        folder = Path(folder)
        index = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        meta = dict(index["meta"])
        meta["absent"] = {a["table"]: Absence.from_dict(a) for a in index.get("absent", [])}
        study = meta.get("study_parameters") or {}
        return cls(tables=_StoredTables(folder, index["tables"], study), meta=meta)


def _absence(value: Any) -> Absence:
    return value if isinstance(value, Absence) else Absence.from_dict(value)


class _StoredTables(dict):
    """Result tables saved by :meth:`Results.save`, each read from disk on first access (a
    notebook uses a few of them; reading them all would cost every notebook of a run)."""

    def __init__(self, folder: Path, specs: dict, study: Mapping[str, Any]) -> None:
        super().__init__()
        self._folder = folder
        self._specs = dict(specs)
        self._study = dict(study)
        self._bound_specs: dict[str, TableSpec] = {}

    def _read(self, name: str) -> ResultTable:
        stored = self._specs[name]
        table = ResultTable(name=name, frame=read_frame(self._folder / f"{name}.parquet"),
                            spec=self._bound(name),
                            calls=tuple(Call.from_dict(c) for c in stored.get("calls", [])))
        super().__setitem__(name, table)
        return table

    def spec(self, name: str) -> TableSpec:
        """The spec of the stored table ``name``, without reading it."""
        if super().__contains__(name):
            return super().__getitem__(name).spec
        if name not in self._specs:
            raise KeyError(name)
        return self._bound(name)

    def _bound(self, name: str) -> TableSpec:
        """The catalogue's spec of ``name`` bound to the study, made once (a notebook asks
        for a table's spec at every table and figure that shows it)."""
        if name not in self._bound_specs:
            self._bound_specs[name] = table_spec(name, study=self._study)
        return self._bound_specs[name]

    def calls(self, name: str) -> tuple[Call, ...]:
        """The calls that made the stored table ``name``, without reading it."""
        if super().__contains__(name):
            return super().__getitem__(name).calls
        return tuple(Call.from_dict(c) for c in self._specs[name].get("calls", []))

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

    def pop(self, name: str, *default: Any) -> Any:
        self._specs.pop(name, None)
        return super().pop(name, *default)


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


#: Frames read ahead in this process (:func:`prime_frames`), by the SHA-256 of their file.
_PRIMED: dict[bytes, pd.DataFrame] = {}


def read_frame(path: str | Path) -> pd.DataFrame:
    """The table stored in the Parquet file ``path``.

    A file whose bytes are those of a frame read ahead (:func:`prime_frames`) gives a copy of
    that frame instead of being parsed again: a notebook's kernel, forked from a template
    that read the run's tables (``evalkit.present.session.prime``), reads a table by checking
    its file's digest only.
    """
    data = Path(path).read_bytes()
    primed = _PRIMED.get(hashlib.sha256(data).digest()) if _PRIMED else None
    if primed is not None:
        return primed.copy()
    return pd.read_parquet(io.BytesIO(data))


def prime_frames(paths: Iterable[str | Path]) -> None:
    """Read the Parquet files ``paths`` ahead (see :func:`read_frame`), in place of those
    read ahead before."""
    primed = {}
    for path in paths:
        data = Path(path).read_bytes()
        primed[hashlib.sha256(data).digest()] = pd.read_parquet(io.BytesIO(data))
    _PRIMED.clear()
    _PRIMED.update(primed)
