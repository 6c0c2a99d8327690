"""The table catalogue: every table a run computes, declared once, with what it means.

``catalogue.yaml`` (next to this module) declares each table's handle, title, analysis, public
functions, needs, statistical unit, columns (type, role, unit, labels, value labels) and
additive structure. This module reads it once into typed objects: :func:`catalogue` and
:func:`table_spec` give a table's :class:`TableSpec`; disclosure control reads its release roles
(:meth:`TableSpec.release_roles`) and additive relations (:attr:`TableSpec.additive`);
presentation reads its titles and labels. ``python -m evalkit.analyse.catalogue FILE`` writes
the reference page of the tables (``docs/tables.md``).
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from evalkit.config.instruments import instrument_from_dict, load_instrument
from evalkit.errors import ArgumentError, ConfigError
from evalkit.i18n import LANGUAGES, has_key, t

__all__ = [
    "ROLES",
    "TYPES",
    "Catalogue",
    "Column",
    "ReleaseRoles",
    "Sum",
    "TableSpec",
    "UnknownTableError",
    "additive_problems",
    "catalogue",
    "codebook_value_label",
    "study_parameters",
    "table_spec",
    "table_title",
    "tables_markdown",
]

#: Column roles (what a column is in its table); ``catalogue.yaml`` says what each means.
ROLES: tuple[str, ...] = ("key", "attribute", "count", "n", "denominator", "sample_size",
                          "estimate", "share", "interval_bound", "statistic", "setting", "flag",
                          "text")
#: Column types (how a value is written on a page).
TYPES: tuple[str, ...] = ("category", "text", "integer", "number", "proportion", "boolean")
#: Roles whose columns count their unit (the candidates for suppression of small counts).
COUNT_ROLES: tuple[str, ...] = ("count", "n", "denominator")
#: The unit disclosure control protects.
PEOPLE = "people"
#: Placeholders a handle may hold (one table per scale, per language).
HANDLE_PARAMETERS: tuple[str, ...] = ("scale", "lang")
#: Placeholders a column name or a relation may hold, filled from the study.
STUDY_PARAMETERS: tuple[str, ...] = ("site", "wave", "group", "integration_site", "baseline",
                                     "users", "not_asked")

_FILE = "catalogue.yaml"


class UnknownTableError(ArgumentError):
    """A table handle that the catalogue does not declare (misspelt or renamed)."""


# -- the declarations ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of a table as the catalogue declares it.

    Attributes
    ----------
    name : str
        The column's name (may hold a study placeholder such as ``{site}`` until bound).
    type : str
        One of :data:`TYPES`.
    role : str
        One of :data:`ROLES`.
    label : dict
        ``{"fr": ..., "en": ...}``: the column's header on a page.
    unit : str
        What a count column counts (the table's unit unless the column says otherwise).
    base : str or None
        For an estimate, the count column it rests on; such an estimate is suppressed with
        disclosure control when its base counts people.
    numerator_of : str or None
        For a count, the base column of the shares computed from it.
    values : tuple of dict
        Where the labels of the column's values come from (tried in turn).
    lang : str or None
        A column written in one language only (shown on that language's pages only).
    decimals : int or None
        Decimals shown on pages.
    optional : bool
        The column exists only when the study has what it names (e.g. a group role).
    at_most : str or None
        For a count, a column of the same row it can never exceed (participants who raised a
        code are at most its coded segments): an attacker's bound, used by the release audit.
    """

    name: str
    type: str
    role: str
    label: Mapping[str, str]
    unit: str
    base: str | None = None
    numerator_of: str | None = None
    values: tuple[Mapping[str, Any], ...] = ()
    lang: str | None = None
    decimals: int | None = None
    optional: bool = False
    at_most: str | None = None

    def text(self, lang: str) -> str:
        """The column's label in ``lang``."""
        return self.label[lang]

    @property
    def counts_people(self) -> bool:
        """Whether the column is a count of people (suppressed from 1 to ``min_cell − 1``)."""
        return self.role in COUNT_ROLES and self.unit == PEOPLE


@dataclass(frozen=True)
class Sum:
    """An additive relation: counts that add up to a total, in this table or another.

    Attributes
    ----------
    parts : tuple of str
        Count columns of this table.
    total : str or None
        The column of this table they add up to (``table`` is None).
    over : tuple of str
        Keys over which rows are added up (empty: each row on its own).
    table : str or None
        The table holding the totals (its handle).
    totals : tuple of str
        The columns of ``table`` the parts add up to, in turn (default: the same names).
    on : dict
        Keys matched between the two tables (this table's name → the other's).
    where, table_where : dict
        Only the rows of this table (of ``table``) with these values.
    """

    parts: tuple[str, ...]
    total: str | None = None
    over: tuple[str, ...] = ()
    table: str | None = None
    totals: tuple[str, ...] = ()
    on: Mapping[str, str] = field(default_factory=dict)
    where: Mapping[str, Any] = field(default_factory=dict)
    table_where: Mapping[str, Any] = field(default_factory=dict)

    def pairs(self) -> list[tuple[str, str]]:
        """(part, total column) pairs."""
        if self.table is None:
            return [(p, str(self.total)) for p in self.parts]
        return list(zip(self.parts, self.totals or self.parts, strict=True))

    def describe(self) -> str:
        """The relation in words (English, for the reference page)."""
        parts = " + ".join(f"`{p}`" for p in self.parts) if self.table is None else \
            ", ".join(f"`{p}`" for p in self.parts)
        rows = (f"summed over {', '.join(f'`{k}`' for k in self.over)}"
                if self.over else "on each row")
        where = _where_text(self.where)
        if self.table is None:
            return f"{parts} = `{self.total}` ({rows}{where})"
        target = ", ".join(f"`{c}`" for c in (self.totals or self.parts))
        on = (" (matching " + ", ".join(f"`{a}` to `{b}`" for a, b in self.on.items()) + ")"
              if self.on else "")
        there = _where_text(self.table_where)
        verb = "add up to" if self.over else "equal"
        return f"{parts} ({rows}{where}) {verb} {target} of `{self.table}`{there}{on}"


def _where_text(where: Mapping[str, Any]) -> str:
    if not where:
        return ""
    return " where " + " and ".join(f"`{k}` is {v}" for k, v in where.items())


@dataclass(frozen=True)
class ReleaseRoles:
    """What disclosure control needs to know of a table (see
    :func:`evalkit.apply_disclosure_control`)."""

    counts: tuple[str, ...]
    estimates: tuple[str, ...]
    n: str | None
    numerators: dict[str, str]


@dataclass(frozen=True)
class TableSpec:
    """A table of the catalogue: what it is, how it reads and how it adds up.

    A spec straight from :func:`catalogue` is *declared*: its handle and column names may hold
    placeholders (``reliability_{scale}``, ``{site}``). :meth:`bind` gives the spec of one
    table of one study, placeholders filled.
    """

    handle: str
    name: str
    titles: Mapping[str, str]
    about: str
    analysis: str
    calls: tuple[str, ...]
    needs: tuple[str, ...]
    unit: str
    released: bool
    non_validated: bool
    columns: tuple[Column, ...]
    additive: tuple[Sum, ...]
    params: Mapping[str, str] = field(default_factory=dict)
    study: Mapping[str, Any] = field(default_factory=dict)

    # -- reading ------------------------------------------------------------------------------
    def title(self, lang: str) -> str:
        """The table's title in ``lang`` (``{scale}`` filled in when bound: with the scale's
        label when the study gives one, see :meth:`scale_label`).

        Examples
        --------
        >>> table_spec("tokenism_rates").title("en")
        'Tokenism rate by site (non-validated index)'
        >>> table_spec("reliability_wellbeing").title("fr")
        "Fidélité de l'échelle : wellbeing"
        """
        params = dict(self.params)
        if "scale" in params:
            params["scale"] = self.scale_label(lang)
        return _fill(self.titles[lang], params)

    def scale_label(self, lang: str) -> str:
        """The label of the table's scale in ``lang``: the title of the scale's instrument
        (from the study the spec is bound to), else the scale's name.

        Examples
        --------
        >>> spec = table_spec("reliability_wellbeing").bind(study={"scale_labels": {
        ...     "wellbeing": {"fr": "Bien-être", "en": "Well-being"}}})
        >>> spec.scale_label("en"), spec.title("en")
        ('Well-being', 'Reliability of the scale: Well-being')
        """
        scale = str(self.params.get("scale", ""))
        label = (self.study.get("scale_labels") or {}).get(scale)
        return str(label[lang]) if label else scale

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def _columns_by_name(self) -> dict[str, Column]:
        """The columns by name (the first of a name), looked up at every cell a page shows."""
        by_name: dict[str, Column] = {}
        for column in self.columns:
            by_name.setdefault(column.name, column)
        return by_name

    def column(self, name: str) -> Column:
        """The column ``name``; a column the catalogue does not declare is an error."""
        found = self._columns_by_name.get(name)
        if found is not None:
            return found
        raise ArgumentError(f"column must be a column of table {self.name!r} "
                            f"({', '.join(self.column_names)}), got {name!r}",
                            where="column",
                            hint="Declare it in src/evalkit/analyse/catalogue.yaml.")

    def has_column(self, name: str) -> bool:
        return name in self.column_names

    def label(self, name: str, lang: str) -> str:
        """The header of column ``name`` in ``lang``."""
        return self.column(name).text(lang)

    def key(self, role: str) -> str | None:
        """The name of the column that holds the study's ``role`` (``site``, ``wave``,
        ``group``) in this table, or None."""
        wanted = self.study.get(role) if role in self.study else None
        for column in self.columns:
            if column.role == "key" and column.name in (role, wanted):
                return column.name
        return None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.role == "key")

    def release_roles(self, present: Sequence[str] | None = None) -> ReleaseRoles:
        """The counts, estimates, base ``n`` and numerators disclosure control applies, from
        the column roles (only the columns in ``present`` when given).

        Counts of people (roles ``count``, ``n``, ``denominator`` with unit ``people``) are
        counts; the ``n`` of people is the base; columns with a ``base`` that counts people are
        estimates; counts with ``numerator_of`` are numerators.

        Examples
        --------
        >>> roles = table_spec("tokenism_rates").bind(study={"site": "site"}).release_roles()
        >>> roles.n, roles.estimates, roles.numerators
        ('n_consulted', ('rate', 'ci_low', 'ci_high'), {'n_tokenistic': 'n_consulted'})
        """
        here = set(self.column_names if present is None else present)
        columns = [c for c in self.columns if c.name in here]
        people = {c.name for c in columns if c.counts_people}
        counts = tuple(c.name for c in columns if c.name in people)
        bases = [c.name for c in columns if c.role == "n" and c.name in people]
        n = bases[0] if bases else None
        estimates = tuple(c.name for c in columns
                          if n is not None and c.base is not None and c.base in people)
        numerators = {c.name: str(c.numerator_of) for c in columns
                      if c.numerator_of and c.name in people and c.numerator_of in here}
        return ReleaseRoles(counts, estimates, n, numerators)

    def value_label(self, column: str, value: Any, lang: str, *, codebook: Any = None,
                    row: Mapping[str, Any] | None = None) -> str:
        """The label of ``value`` of ``column`` in ``lang`` (the value itself when none)."""
        if _missing(value):
            return ""
        for source in self.column(column).values:
            found = _label_from(source, column, value, lang, codebook=codebook, row=row,
                                study=self.study)
            if found:
                return found
        return _plain(value)

    # -- binding ------------------------------------------------------------------------------
    def bind(self, name: str | None = None, *, study: Mapping[str, Any] | None = None
             ) -> TableSpec:
        """The spec of one table: the handle's placeholders filled from ``name``
        (``reliability_wellbeing``), the columns' and relations' from ``study`` (``site``,
        ``wave``, ``group``, ``integration_site``, ``baseline``, ``users``: see
        :func:`study_parameters`). Columns and relations whose placeholder the study cannot
        fill are left out; a part of a sum whose placeholder the study cannot fill (a count the
        study does not have) is left out of the sum only."""
        params = dict(self.params)
        if name is not None and name != self.handle:
            found = _match(self.handle, name)
            if found is None:
                raise UnknownTableError(f"name {name!r} is not a table of {self.handle!r}",
                                        where="name")
            params.update(found)
        values = dict(self.study)
        values.update(study or {})
        columns = []
        for column in self.columns:
            bound = _fill_optional(column.name, values)
            if bound is None:
                continue
            columns.append(replace(column, name=bound))
        kept = {c.name for c in columns}
        sums = []
        for relation in self.additive:
            bound_sum = _bind_sum(relation, values, params)
            if bound_sum is not None and set(bound_sum.parts) <= kept:
                sums.append(bound_sum)
        return replace(self, name=_fill(self.handle, params), params=params, study=values,
                       columns=tuple(columns), additive=tuple(sums))


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _candidates(value: Any) -> list[Any]:
    out = [value]
    try:
        number = float(value)
        if number.is_integer():
            out += [int(number), str(int(number))]
    except (TypeError, ValueError):
        pass
    out.append(str(value))
    return out


def codebook_value_label(codebook: Any, variable: Any, value: Any, lang: str) -> str | None:
    """The codebook's label of ``value`` of ``variable`` in ``lang`` (``1.0`` and ``"1"`` match
    a code ``1``), or None when the codebook does not declare it."""
    if codebook is None or variable is None or variable not in codebook:
        return None
    declared = codebook.values_of(variable)
    for candidate in _candidates(value):
        if candidate in declared:
            return codebook.value_label(variable, candidate, lang)
    return None


def _label_from(source: Mapping[str, Any], column: str, value: Any, lang: str, *,
                codebook: Any, row: Mapping[str, Any] | None, study: Mapping[str, Any]
                ) -> str | None:
    kind, arg = next(iter(source.items()))
    if kind == "codebook":
        return codebook_value_label(codebook, column, value, lang)
    if kind == "role":
        return codebook_value_label(codebook, study.get(arg), value, lang)
    if kind == "variables":
        if codebook is not None and str(value) in codebook:
            return codebook.label(str(value), lang) or None
        return None
    if kind == "values_of":
        variable = None if row is None else row.get(arg)
        return codebook_value_label(codebook, variable, value, lang)
    if kind == "i18n":
        key = f"{arg}.{_plain(value)}"
        return t(key, lang) if has_key(key) else None
    if kind == "keys":
        return t(str(value), lang) if has_key(str(value)) else None
    if kind == "column":
        found = None if row is None else row.get(f"{arg}_{lang}")
        return None if _missing(found) else str(found)
    if kind == "labels":
        for candidate in _candidates(value):
            if str(candidate) in arg:
                return arg[str(candidate)][lang]
        return None
    raise ConfigError(f"unknown source of value labels {kind!r} for column {column!r}",
                      where=_FILE)


# -- placeholders --------------------------------------------------------------------------------
def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def _fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with the ``{placeholders}`` found in ``values`` filled in, the others kept."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)])
                  if m.group(1) in values and values[m.group(1)] is not None else m.group(0),
                  text)


def _fill_optional(text: str, values: Mapping[str, Any]) -> str | None:
    """``text`` filled in, or None when a placeholder has no value."""
    names = _fields(text)
    if any(values.get(name) is None for name in names if name in STUDY_PARAMETERS):
        return None
    return _fill(text, values)


def _fill_value(value: Any, values: Mapping[str, Any]) -> Any:
    """A relation's value: a placeholder alone stands for the study's value (a list for
    ``{users}``)."""
    if isinstance(value, str):
        names = _fields(value)
        if names and value == "{" + names[0] + "}":
            return values.get(names[0])
        return _fill(value, values)
    return value


def _bind_sum(relation: Sum, values: Mapping[str, Any], params: Mapping[str, str]
              ) -> Sum | None:
    pairs = list(zip(relation.parts, relation.totals or relation.parts, strict=True))
    kept = [(p, t) for p, t in pairs
            if not any(values.get(f) is None for f in _fields(p) if f in STUDY_PARAMETERS)]
    if not kept:
        return None
    if len(kept) < len(pairs):  # counts the study does not have add nothing
        relation = replace(relation, parts=tuple(p for p, _ in kept),
                           totals=tuple(t for _, t in kept) if relation.totals else ())
    names = [*relation.parts, *relation.over, *relation.totals, *relation.on,
             *relation.on.values(), *relation.where, *relation.table_where,
             *([relation.total] if relation.total else [])]
    wanted = [*names, *[v for v in [*relation.where.values(), *relation.table_where.values()]
                        if isinstance(v, str)]]
    if any(values.get(f) is None for text in wanted for f in _fields(text)
           if f in STUDY_PARAMETERS):
        return None

    def name(text: str) -> str:
        return _fill(text, values)

    return Sum(parts=tuple(name(p) for p in relation.parts),
               total=name(relation.total) if relation.total else None,
               over=tuple(name(k) for k in relation.over),
               table=_fill(relation.table, params) if relation.table else None,
               totals=tuple(name(c) for c in relation.totals),
               on={name(a): name(b) for a, b in relation.on.items()},
               where={name(k): _fill_value(v, values) for k, v in relation.where.items()},
               table_where={name(k): _fill_value(v, values)
                            for k, v in relation.table_where.items()})


def _pattern(handle: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", handle)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[A-Za-z0-9_]+?)"
                    for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


def _match(handle: str, name: str) -> dict[str, str] | None:
    found = _pattern(handle).match(name)
    return None if found is None else found.groupdict()


# -- the catalogue -------------------------------------------------------------------------------
class Catalogue(Mapping[str, TableSpec]):
    """Every declared table by handle (``reliability_{scale}`` for a family of tables).

    Look a table up by its handle or by the name of one of its family
    (``reliability_wellbeing``) with :meth:`spec`; an undeclared name raises
    :class:`UnknownTableError`.
    """

    def __init__(self, tables: Mapping[str, TableSpec], units: Mapping[str, Mapping[str, str]],
                 roles: Mapping[str, str]) -> None:
        self._tables = dict(tables)
        self.units = dict(units)
        self.roles = dict(roles)

    def __getitem__(self, handle: str) -> TableSpec:
        return self._tables[handle]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def resolve(self, name: str) -> tuple[str, dict[str, str]]:
        """The handle ``name`` belongs to and its parameters (``("reliability_{scale}",
        {"scale": "wellbeing"})``); exact handles come first."""
        if not isinstance(name, str):
            raise UnknownTableError(f"name must be a table handle (text), got "
                                    f"{type(name).__name__}", where="name")
        if name in self._tables:
            return name, {}
        for handle in self._tables:
            found = _match(handle, name) if "{" in handle else None
            if found is not None and all(found.values()):
                if "lang" in found and found["lang"] not in LANGUAGES:
                    continue
                return handle, found
        raise UnknownTableError(
            f"name must be a table of the catalogue, got {name!r}", where="name",
            hint=_suggest(name, list(self._tables)) +
            "Tables are declared in src/evalkit/analyse/catalogue.yaml (see docs/tables.md).")

    def is_declared(self, name: str) -> bool:
        try:
            self.resolve(name)
        except UnknownTableError:
            return False
        return True

    def spec(self, name: str, *, study: Mapping[str, Any] | None = None) -> TableSpec:
        """The spec of table ``name`` (a handle, or a name of a family), bound to ``study``'s
        parameters when given."""
        handle, params = self.resolve(name)
        spec = self._tables[handle]
        if not params and study is None:
            return spec
        return spec.bind(name, study=study)

    def members(self, handle: str, names: Sequence[str]) -> list[str]:
        """The names among ``names`` that are tables of the family ``handle``."""
        out = []
        for name in names:
            try:
                found, _ = self.resolve(name)
            except UnknownTableError:
                continue
            if found == handle:
                out.append(name)
        return out

    def of_analysis(self, analysis: str) -> list[str]:
        """The handles an analysis makes, in the catalogue's order."""
        return [h for h, spec in self._tables.items() if spec.analysis == analysis]


def _suggest(name: str, handles: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, handles, n=3, cutoff=0.6)
    return f"Did you mean {', '.join(close)}? " if close else ""


@cache
def catalogue() -> Catalogue:
    """The catalogue of tables, read once from ``catalogue.yaml``.

    Examples
    --------
    >>> spec = catalogue()["tokenism_rates"]
    >>> spec.unit, spec.analysis, spec.calls
    ('people', 'involvement', ('tokenism_rates',))
    """
    text = resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader)
    units = data["units"]
    tables = {str(handle): _table(str(handle), entry, units)
              for handle, entry in data["tables"].items()}
    return Catalogue(tables, units, data["roles"])


def _problem(handle: str, what: str) -> ConfigError:
    return ConfigError(f"table {handle!r}: {what}", where=_FILE)


def _bilingual(handle: str, value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != set(LANGUAGES) or not all(
            isinstance(v, str) and v.strip() for v in value.values()):
        raise _problem(handle, f"{what} must give a text in each of {', '.join(LANGUAGES)}, "
                               f"got {value!r}")
    return {lang: value[lang] for lang in LANGUAGES}


def _column(handle: str, name: str, entry: Mapping[str, Any], unit: str,
            units: Mapping[str, Any]) -> Column:
    known = {"type", "role", "label", "unit", "base", "numerator_of", "values", "lang",
             "decimals", "optional", "at_most"}
    extra = set(entry) - known
    if extra:
        raise _problem(handle, f"column {name!r} has unknown keys {sorted(extra)}")
    if entry.get("type") not in TYPES:
        raise _problem(handle, f"column {name!r}: type must be one of {', '.join(TYPES)}, "
                               f"got {entry.get('type')!r}")
    if entry.get("role") not in ROLES:
        raise _problem(handle, f"column {name!r}: role must be one of {', '.join(ROLES)}, "
                               f"got {entry.get('role')!r}")
    column_unit = entry.get("unit", unit)
    if column_unit not in units:
        raise _problem(handle, f"column {name!r}: unit must be one of {', '.join(units)}, "
                               f"got {column_unit!r}")
    values = entry.get("values", ())
    values = values if isinstance(values, list) else [values] if values else []
    sources = tuple({v: True} if isinstance(v, str) else dict(v) for v in values)
    return Column(name=name, type=entry["type"], role=entry["role"],
                  label=_bilingual(handle, entry.get("label"), f"column {name!r} label"),
                  unit=column_unit, base=entry.get("base"),
                  numerator_of=entry.get("numerator_of"), values=sources,
                  lang=entry.get("lang"), decimals=entry.get("decimals"),
                  optional=bool(entry.get("optional", False)),
                  at_most=entry.get("at_most"))


def _table(handle: str, entry: Mapping[str, Any], units: Mapping[str, Any]) -> TableSpec:
    unit = entry.get("unit")
    if unit not in units:
        raise _problem(handle, f"unit must be one of {', '.join(units)}, got {unit!r}")
    blocks = entry.get("columns") or {}
    blocks = blocks if isinstance(blocks, list) else [blocks]
    columns = tuple(_column(handle, str(name), spec or {}, unit, units)
                    for block in blocks for name, spec in block.items())
    names = [c.name for c in columns]
    for column in columns:
        for ref in (column.base, column.numerator_of, column.at_most):
            if ref is not None and ref not in names:
                raise _problem(handle, f"column {column.name!r} refers to {ref!r}, which is "
                                       "not a column of the table")
    additive = tuple(_relation(handle, r, names) for r in entry.get("additive") or ())
    for placeholder in _fields(handle):
        if placeholder not in HANDLE_PARAMETERS:
            raise _problem(handle, f"placeholder {{{placeholder}}} must be one of "
                                   f"{', '.join(HANDLE_PARAMETERS)}")
    return TableSpec(handle=handle, name=handle,
                     titles=_bilingual(handle, entry.get("title"), "title"),
                     about=str(entry.get("about", "")), analysis=str(entry.get("analysis")),
                     calls=tuple(entry.get("calls") or ()), needs=tuple(entry.get("needs") or ()),
                     unit=unit, released=bool(entry.get("released", True)),
                     non_validated=bool(entry.get("non_validated", False)), columns=columns,
                     additive=additive)


def _relation(handle: str, entry: Mapping[str, Any], names: list[str]) -> Sum:
    known = {"parts", "total", "over", "table", "totals", "match", "where", "table_where"}
    if set(entry) - known:
        raise _problem(handle, f"additive relation has unknown keys {sorted(set(entry) - known)}")
    relation = Sum(parts=tuple(entry["parts"]), total=entry.get("total"),
                   over=tuple(entry.get("over") or ()), table=entry.get("table"),
                   totals=tuple(entry.get("totals") or ()), on=dict(entry.get("match") or {}),
                   where=dict(entry.get("where") or {}),
                   table_where=dict(entry.get("table_where") or {}))
    if (relation.total is None) == (relation.table is None):
        raise _problem(handle, "an additive relation needs a total column or a table")
    if relation.totals and len(relation.totals) != len(relation.parts):
        raise _problem(handle, "an additive relation needs as many totals as parts")
    for name in [*relation.parts, *relation.over, *([relation.total] if relation.total else [])]:
        if name not in names:
            raise _problem(handle, f"additive relation names {name!r}, which is not a column")
    return relation


def table_spec(name: str, *, study: Mapping[str, Any] | None = None) -> TableSpec:
    """The spec of table ``name`` (see :meth:`Catalogue.spec`).

    Raises
    ------
    UnknownTableError
        ``name`` is not declared in the catalogue.

    Examples
    --------
    >>> table_spec("items_wellbeing").params
    {'scale': 'wellbeing'}
    >>> table_spec("tokenism_rate")
    Traceback (most recent call last):
    ...
    evalkit.analyse.catalogue.UnknownTableError: name must be a table of the catalogue, got 'tokenism_rate'
      → Did you mean tokenism_rates, tokenism_gap, tokenism_rates_group? Tables are declared in src/evalkit/analyse/catalogue.yaml (see docs/tables.md).
    """
    return catalogue().spec(name, study=study)


def table_title(name: str, lang: str) -> str:
    """The title of table ``name`` in ``lang``.

    Examples
    --------
    >>> table_title("tokenism_overall", "fr")
    'Taux de tokénisme, tous sites (indice non validé)'
    """
    return table_spec(name).title(lang)


def study_parameters(study: Any, *, baseline: Any = None) -> dict[str, Any]:
    """The values a study gives the catalogue's placeholders: its role columns (``site``,
    ``wave``, ``group``), the site column of its partner file (``integration_site``), its
    baseline wave (``baseline``: the study's, unless given) and the groups of its users
    (``users``), and ``not_asked`` (the column ``n_not_asked`` when the codebook declares skip
    logic, ``asked_if``, on any variable: the tables that count missing answers then count the
    answers not asked apart; else None)."""
    roles = study.roles
    integration = study.measures.integration
    inv = study.measures.involvement
    users = list(inv.perception.users) if inv is not None and inv.perception is not None \
        and roles.group else None
    if baseline is None and study.waves is not None:
        baseline = study.waves.baseline
    codebook = getattr(study, "codebook", None)
    skipped = codebook is not None and bool(codebook.skip_logic())
    return {"site": roles.site, "wave": roles.wave, "group": roles.group,
            "integration_site": integration.site if integration is not None else None,
            "baseline": baseline, "users": users,
            "not_asked": "n_not_asked" if skipped else None,
            "scale_labels": _scale_labels(study)}


def _scale_labels(study: Any) -> dict[str, dict[str, str]]:
    """The title of each scale's instrument in each language, by scale (a scale whose
    instrument has no title, or cannot be read here, is left out: its name is shown)."""
    labels = {}
    folder = Path(study.file).parent if getattr(study, "file", None) else Path()
    for name, scale in (study.measures.scales or {}).items():
        definition = scale.instrument
        try:
            if isinstance(definition, Mapping):
                instrument = instrument_from_dict(dict(definition))
            else:
                local = folder / str(definition)
                instrument = load_instrument(local if local.is_file() else str(definition))
        except (ConfigError, OSError):
            continue
        if instrument.title is not None:
            labels[str(name)] = {"fr": instrument.title.fr, "en": instrument.title.en}
    return labels


# -- checking the additive structure -------------------------------------------------------------
def _rows(frame: pd.DataFrame, where: Mapping[str, Any]) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        if column not in frame.columns:
            return frame.iloc[0:0]
        allowed = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
        text = frame[column].map(lambda v: _plain(v) if not _missing(v) else None)
        keep &= text.isin({_plain(a) for a in allowed}).to_numpy()
    return frame[keep]


def additive_problems(tables: Mapping[str, pd.DataFrame], specs: Mapping[str, TableSpec],
                      *, tolerance: float = 1e-9) -> list[str]:
    """Where the declared additive relations do not hold in ``tables`` (unsuppressed).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Result tables by name.
    specs : mapping of str to TableSpec
        Their bound specs.

    Returns
    -------
    list of str
        One line per relation that fails (empty when every relation holds); relations whose
        other table is missing are skipped.
    """
    problems = []
    for name, spec in specs.items():
        frame = tables.get(name)
        if frame is None:
            continue
        for relation in spec.additive:
            problem = _check_sum(name, frame, spec, relation, tables, tolerance)
            if problem:
                problems.append(f"{name}: {relation.describe()}: {problem}")
    return problems


def _numbers(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return frame[list(columns)].apply(pd.to_numeric, errors="coerce").astype("float64")


def _check_sum(name: str, frame: pd.DataFrame, spec: TableSpec, relation: Sum,
               tables: Mapping[str, pd.DataFrame], tolerance: float) -> str | None:
    rows = _rows(frame, relation.where)
    pairs = relation.pairs()
    parts = [p for p, _ in pairs]
    if relation.table is None and not relation.over:
        values = _numbers(rows, [*parts, str(relation.total)])
        known = values.notna().all(axis=1)
        diff = values.loc[known, parts].sum(axis=1) - values.loc[known, str(relation.total)]
        bad = int((diff.abs() > tolerance).sum())
        return f"{bad} row(s) do not add up" if bad else None
    keys = [k for k in spec.keys if k in rows.columns and k not in relation.over]
    if relation.table is None:
        keys = [k for k in keys if k != relation.total]
        values = _numbers(rows, [*parts, str(relation.total)])
        grouped = pd.concat([rows[keys].astype(str).reset_index(drop=True),
                             values.reset_index(drop=True)], axis=1)
        by = keys or (lambda _: 0)  # no other key: all rows are one group
        sums = grouped.groupby(by, dropna=False)[parts].sum(min_count=1)
        totals = grouped.groupby(by, dropna=False)[str(relation.total)].agg(["min", "max"])
        if ((totals["max"] - totals["min"]).abs() > tolerance).any():
            return "the total is not the same on the rows added up"
        diff = sums.sub(totals["min"], axis=0).abs()
        bad = int((diff > tolerance).any(axis=1).sum())
        return f"{bad} group(s) do not add up" if bad else None
    other = tables.get(relation.table)
    if other is None:
        return None
    there = _rows(other, relation.table_where)
    match = {k: relation.on.get(k, k) for k in (relation.on or keys)}
    match = {a: b for a, b in match.items() if a in rows.columns and b in there.columns}
    left_keys = list(match)
    values = _numbers(rows, parts)
    left = pd.concat([rows[left_keys].astype(str).reset_index(drop=True),
                      values.reset_index(drop=True)], axis=1)
    if relation.over:
        left = left.groupby(left_keys, dropna=False)[parts].sum(min_count=1).reset_index() \
            if left_keys else left[parts].sum(min_count=1).to_frame().T
    totals = [c for _, c in pairs]
    right = pd.concat([there[list(match.values())].astype(str).reset_index(drop=True),
                       _numbers(there, totals).reset_index(drop=True)], axis=1)
    right.columns = [*left_keys, *[f"__total_{c}" for c in totals]]
    if left_keys:
        merged = left.merge(right, on=left_keys, how="inner")
    else:
        merged = pd.concat([left.reset_index(drop=True),
                            right.iloc[:1].reset_index(drop=True)], axis=1)
    if merged.empty:
        return "no row to compare"
    bad = 0
    for part, total in pairs:
        diff = (merged[part] - merged[f"__total_{total}"]).abs()
        bad += int((diff > tolerance).sum())
    return f"{bad} value(s) differ" if bad else None


# -- the reference page --------------------------------------------------------------------------
def _values_text(column: Column) -> str:
    out = []
    for source in column.values:
        kind, arg = next(iter(source.items()))
        out.append({"codebook": "codebook labels", "variables": "codebook variable labels",
                    "keys": "catalogue messages"}.get(kind) or {
            "role": f"codebook labels of the `{{{arg}}}` variable",
            "values_of": f"codebook labels of the variable named in `{arg}`",
            "i18n": f"catalogue messages `{arg}.*`",
            "column": f"the row's `{arg}_<lang>`",
            "labels": "declared here: " + ", ".join(f"`{k}`" for k in (arg or {})),
        }[kind])
    return "; ".join(out)


def tables_markdown() -> str:
    """The reference page of the output tables (``docs/tables.md``), from the catalogue."""
    cat = catalogue()
    lines = [
        "# Output tables reference",
        "",
        "<!-- Generated from src/evalkit/analyse/catalogue.yaml by",
        "     `python -m evalkit.analyse.catalogue docs/tables.md`: edit the catalogue, not this "
        "page. -->",
        "",
        "Every run computes the results of a study once (`evalkit.compute_results`) and keeps "
        "them as named tidy tables. Each table is declared once, in the table catalogue "
        "(`src/evalkit/analyse/catalogue.yaml`): its handle, titles, the analysis and public "
        "functions that make it, what the study must hold for it, its statistical unit, its "
        "columns and how its counts add up. Notebooks, site profiles, the brief and the index "
        "reach tables only by these handles.",
        "",
        "## How to read an entry",
        "",
        "- **Handles** with `{scale}` or `{lang}` name one table per scale (the involvement "
        "ladder's own are `reliability_ladder` and `items_ladder`) or per language. Column names "
        "in braces are the study's own: `{site}`, `{wave}`, `{group}` are the columns of its "
        "`roles`, `{integration_site}` the site column of its partner file.",
        "- **Unit**: what the table's counts count. Only counts of **people** are suppressed "
        "when small; coded segments, turns, organisations, files are not people.",
        "- **Roles** of columns:",
        "",
    ]
    for role, meaning in cat.roles.items():
        lines.append(f"  - `{role}`: {meaning}")
    lines += [
        "",
        "- **Disclosure control** (`evalkit.apply_disclosure_control`, thresholds from "
        "`privacy` in `study.yaml`, defaults `min_cell: 5`, `min_n_for_rates: 10`) reads the "
        "roles: counts of people (`count`, `n`, `denominator`) are suppressed from 1 to "
        "`min_cell` − 1 (zeros too with `zero_counts: suppress`); columns with a base (`base: "
        "n_consulted`) are estimates, suppressed when the table's `n` is below "
        "`min_n_for_rates`; a count that is the numerator of a share (`numerator_of`) is "
        "suppressed with the row's estimates when it, or its complement, is small. Released "
        "tables get two more columns: `suppressed` and `suppression` (why). Reports print a "
        "suppressed cell as **x** with a footnote.",
        "- **Adds up**: the additive structure of the counts (checked on the demo by the "
        "tests): counts on the same row, rows added up over a key, or the same counts in "
        "another table.",
        "- **When absent**: a table the data cannot support is not computed; the run records "
        "why (`Results.absence(name)`), and every page shows that reason instead.",
        "",
        "Titles, labels of columns and of their values in French and in English: "
        "`evalkit.analyse.catalogue.table_spec(name)`.",
        "",
        "## Declaring a table",
        "",
        "A new table is declared in `catalogue.yaml` (handle, titles, what it holds, analysis, "
        "public functions, needs, unit, each column with its type, role and labels, how its "
        "counts add up; the file's header says how), made by its analysis in "
        "`evalkit/analyse/compute.py` with `ctx.table(handle, frame, *calls)` (or given an "
        "`Absence` with its reason when the data cannot support it), and this page is written "
        "again. The tests check that every column of every table is declared, that the "
        "declared sums hold on the demo, and that every handle written in the notebooks and "
        "in presentation code is declared.",
        "",
        "## Tables",
    ]
    for handle, spec in cat.items():
        lines += ["", f"### `{handle}`", "", f"{spec.titles['en']} / *{spec.titles['fr']}*",
                  "", spec.about, ""]
        calls = ", ".join(f"`evalkit.{c}`" for c in spec.calls) or "the validation report"
        lines.append(f"- made by: the `{spec.analysis}` analysis, with {calls}")
        lines.append(f"- needs: {', '.join(f'`{n}`' for n in spec.needs) or 'nothing more'}")
        meaning = cat.units[spec.unit]["en"]
        lines.append(f"- unit: {spec.unit}" + (f" ({meaning})" if meaning != spec.unit else ""))
        released = "yes, after disclosure control" if spec.released else "no (kept private)"
        lines.append(f"- released in `tables/`: {released}")
        if spec.non_validated:
            lines.append("- labelled *non-validated* (tokenism index) wherever it is shown")
        roles = spec.release_roles()
        counts = ", ".join(f"`{c}`" for c in roles.counts) or "—"
        estimates = ", ".join(f"`{c}`" for c in roles.estimates) or "—"
        lines.append(f"- suppressed when small: {counts}; estimates: {estimates}; base: "
                     f"{f'`{roles.n}`' if roles.n else '—'}")
        lines += ["", "| column | type | role | unit | label (en / fr) | notes |",
                  "|---|---|---|---|---|---|"]
        for column in spec.columns:
            notes = []
            if column.base:
                notes.append(f"base `{column.base}`")
            if column.numerator_of:
                notes.append(f"numerator of `{column.numerator_of}`")
            if column.values:
                notes.append("values: " + _values_text(column))
            if column.lang:
                notes.append(f"{column.lang} only")
            if column.optional:
                notes.append("when the study has it")
            unit = column.unit if column.role in (*COUNT_ROLES, "sample_size") else ""
            lines.append(f"| `{column.name}` | {column.type} | {column.role} | {unit} | "
                         f"{column.label['en']} / {column.label['fr']} | {'; '.join(notes)} |")
        if spec.additive:
            lines += ["", "Adds up:", ""]
            lines += [f"- {relation.describe()}" for relation in spec.additive]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the reference page of the tables to the file given (``docs/tables.md``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m evalkit.analyse.catalogue FILE", file=sys.stderr)
        return 2
    Path(args[0]).write_text(tables_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
