"""The attacker's audit: what can be computed of every hidden count from what is released.

An attacker who reads the released tables writes every relation they carry as linear
constraints (rows that add up to a total, site rows that add up to the all-sites row, the same
count in two tables, a share times its base, a count that cannot exceed another) and computes,
by linear programming, the smallest and largest value each hidden count can take. This module
does exactly that, from the table catalogue's declarations (:mod:`evalkit.analyse.catalogue`):
:func:`relations` builds the constraints, :func:`audit_tables` solves them and
:func:`audit_run` reads a run's ``tables/*.csv`` back first.

A hidden count of people is *disclosed* when its feasible interval is narrower than the
protection level (:func:`protection_level`) while it may still be a small count (its interval
meets the small range, :func:`small_range`: a hidden zero whose total is a released zero tells
nothing when zeros are shown).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analyse.catalogue import (
    COUNT_ROLES,
    TableSpec,
    UnknownTableError,
    catalogue,
)
from evalkit.release.suppress import as_policy

__all__ = ["AUDIT_COLUMNS", "Relation", "audit_run", "audit_tables", "protection_level",
           "read_released", "relations", "run_record", "small_range"]

#: Columns of the audit frame.
AUDIT_COLUMNS: tuple[str, ...] = ("table", "row", "column", "lower", "upper", "width",
                                  "disclosed", "relations")
#: Relative tolerance of a share times its base (shares are written with 12 significant digits).
_SHARE_TOLERANCE = 1e-6

Cell = tuple[str, int, str]  # (table, row position, column)


@dataclass
class Relation:
    """One linear constraint between cells of released tables.

    ``sum(coef * cell) + constant`` is ``== 0`` (``kind='eq'``) or ``<= 0`` (``kind='le'``);
    cells whose value is released are folded into ``constant``.
    """

    terms: dict[Cell, float] = field(default_factory=dict)
    constant: float = 0.0
    kind: str = "eq"
    about: str = ""


def small_range(policy: Any) -> tuple[int, int]:
    """The counts of people the policy hides: from 1 (0 when zeros are suppressed too) to
    ``min_cell − 1``.

    >>> from evalkit import DisclosurePolicy
    >>> small_range(DisclosurePolicy(min_cell=5)), small_range(DisclosurePolicy(zero_counts="suppress"))
    ((1, 4), (0, 4))
    """
    policy = as_policy(policy)
    return (0 if policy.zero_counts == "suppress" else 1), policy.min_cell - 1


def protection_level(policy: Any) -> int:
    """The narrowest interval an attacker may compute for a hidden count of people.

    A hidden count must stay anywhere in the whole small range: from 1 (0 when zeros are
    suppressed too) to ``min_cell − 1``, so its interval must be at least as wide as that range
    (and at least 1: never a single value). This is the "protection interval" of cell
    suppression as τ-Argus and sdcTable apply it, with the upper and lower protection levels
    set so that the interval covers the range of the suppressed counts (Hundepool et al. 2012,
    §4.2.2; de Wolf 2002).

    Examples
    --------
    >>> from evalkit import DisclosurePolicy
    >>> protection_level(DisclosurePolicy(min_cell=5))
    3
    >>> protection_level(DisclosurePolicy(min_cell=5, zero_counts="suppress"))
    4
    >>> protection_level(DisclosurePolicy(min_cell=2))
    1
    """
    low, high = small_range(policy)
    return max(high - low, 1)


# -- reading ------------------------------------------------------------------------------------
def _key_text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip().lstrip("'")
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and "." in text else text


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        values = pd.to_numeric(values.astype("string").str.replace("\u00a0", "")
                               .str.replace(",", "."), errors="coerce")
    return values.astype("float64").to_numpy(na_value=np.nan)


class _Tables:
    """Released tables with their bound specs, values as numbers, keys as text."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], study: Mapping[str, Any], *,
                 symbolic: bool = False) -> None:
        # symbolic: every cell of a count column is an unknown (the defender's view, who
        # chooses which to hide); otherwise only the missing ones (the attacker's view).
        self.symbolic = symbolic
        self.frames: dict[str, pd.DataFrame] = {}
        self.specs: dict[str, TableSpec] = {}
        self._numbers: dict[tuple[str, str], np.ndarray] = {}
        self._keys: dict[tuple[str, tuple[str, ...]], list[tuple]] = {}
        self._counts: dict[tuple[str, str], bool] = {}
        for name, frame in tables.items():
            try:
                spec = catalogue().spec(name, study=dict(study))
            except UnknownTableError:
                continue
            self.frames[name] = frame.reset_index(drop=True)
            self.specs[name] = spec

    def values(self, table: str, column: str) -> np.ndarray:
        if (table, column) not in self._numbers:
            self._numbers[(table, column)] = _numbers(self.frames[table], column)
        return self._numbers[(table, column)]

    def flagged(self, table: str) -> np.ndarray:
        """Rows whose empty cells may be hidden ones: the rows flagged ``suppressed`` (an
        empty cell of another row holds nothing), every row when there is no flag."""
        frame = self.frames[table]
        if "suppressed" not in frame.columns:
            return np.ones(len(frame), dtype=bool)
        text = frame["suppressed"].map(_key_text).astype("string").str.casefold()
        return text.isin(["true", "1", "vrai"]).to_numpy(dtype=bool)

    def counts(self, table: str, column: str) -> bool:
        """Whether ``column`` of ``table`` is a count (of anything)."""
        found = self._counts.get((table, column))
        if found is None:
            spec = self.specs[table]
            found = spec.has_column(column) and spec.column(column).role in COUNT_ROLES
            self._counts[(table, column)] = found
        return found

    def has(self, table: str, *columns: str) -> bool:
        return all(c in self.frames[table].columns for c in columns)

    def keys(self, table: str) -> list[str]:
        return [k for k in self.specs[table].keys if k in self.frames[table].columns]

    def key_values(self, table: str, keys: list[str]) -> list[tuple]:
        found = self._keys.get((table, tuple(keys)))
        if found is None:
            frame = self.frames[table]
            columns = [frame[k].map(_key_text).tolist() for k in keys]
            found = list(zip(*columns, strict=True)) if keys else [()] * len(frame)
            self._keys[(table, tuple(keys))] = found
        return found

    def label(self, table: str, row: int) -> str:
        """The row's keys in words (``site=A, rung=5``), or its position from 1."""
        keys = self.keys(table)
        if not keys:
            return str(row + 1)
        values = self.key_values(table, keys)[row]
        return ", ".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))

    def rows(self, table: str, where: Mapping[str, Any]) -> np.ndarray:
        frame = self.frames[table]
        keep = np.ones(len(frame), dtype=bool)
        for column, value in where.items():
            if column not in frame.columns or value is None:
                return np.zeros(len(frame), dtype=bool)
            allowed = {_key_text(v) for v in (value if isinstance(value, list | tuple)
                                              else [value])}
            keep &= frame[column].map(_key_text).isin(allowed).to_numpy()
        return keep

    def add(self, relation: Relation, table: str, row: int, column: str,
            coef: float = 1.0) -> None:
        value = self.values(table, column)[row]
        if np.isnan(value) or (self.symbolic and self.counts(table, column)):
            cell = (table, row, column)
            relation.terms[cell] = relation.terms.get(cell, 0.0) + coef
        else:
            relation.constant += coef * float(value)


def _describe(table: str, text: str) -> str:
    return f"{table}: {text}"


# -- the relations -------------------------------------------------------------------------------
def _group_sum(tables: _Tables, about: str, name: str, members: Iterable[int], part: str,
               total: Cell) -> Relation:
    """``part`` summed over the rows ``members`` of ``name`` equals the cell ``total``."""
    relation = Relation(about=about)
    for member in members:
        tables.add(relation, name, member, part)
    tables.add(relation, *total, -1.0)
    return relation


def _sum_relations(tables: _Tables, name: str, relation: Any) -> list[Relation]:
    about = _describe(name, relation.describe())
    here = tables.rows(name, relation.where)
    out: list[Relation] = []
    pairs = relation.pairs()
    if relation.table is not None or relation.over:  # each part on its own: keep those shown
        pairs = [(p, t) for p, t in pairs if tables.has(name, p)]
    if not pairs or not tables.has(name, *[p for p, _ in pairs]):
        return out
    if relation.table is None:
        total = str(relation.total)
        if not tables.has(name, total):
            return out
        rows = np.flatnonzero(here)
        if not relation.over:
            for r in rows:
                rel = Relation(about=about)
                for part, _ in pairs:
                    tables.add(rel, name, r, part)
                tables.add(rel, name, r, total, -1.0)
                out.append(rel)
            return out
        keys = [k for k in tables.keys(name) if k not in relation.over and k != total]
        groups: dict[tuple, list[int]] = {}
        labels = tables.key_values(name, keys)
        for r in rows:
            groups.setdefault(labels[r], []).append(int(r))
        for members in groups.values():
            for part, _ in pairs:
                out += [_group_sum(tables, about, name, members, part, (name, r, total))
                        for r in members]
        return out
    other = relation.table
    if other not in tables.frames:
        return out
    pairs = [(p, t) for p, t in pairs if tables.has(other, t)]
    keys = [k for k in tables.keys(name) if k not in relation.over]
    match = {k: relation.on.get(k, k) for k in (relation.on or keys)}
    match = {a: b for a, b in match.items()
             if a in tables.frames[name].columns and b in tables.frames[other].columns}
    left_keys = list(match)
    left = tables.key_values(name, left_keys)
    right = tables.key_values(other, list(match.values()))
    there = np.flatnonzero(tables.rows(other, relation.table_where))
    by_key: dict[tuple, list[int]] = {}
    for r in there:
        by_key.setdefault(right[r], []).append(int(r))
    groups = {}
    for r in np.flatnonzero(here):
        groups.setdefault(left[r] if relation.over else (left[r], int(r)), []).append(int(r))
    for group_key, members in groups.items():
        key = group_key if relation.over else group_key[0]
        for target in by_key.get(key, []):
            out += [_group_sum(tables, about, name, members, part, (other, target, total))
                    for part, total in pairs]
    return out


def _share_relations(tables: _Tables, name: str) -> list[Relation]:
    """``share × base = numerator`` on every row, for the declared shares of the table (an
    estimate may be a share on some rows and a mean on others: it is not used)."""
    spec = tables.specs[name]
    out: list[Relation] = []
    for column in spec.columns:
        if column.role != "share" or column.base is None:
            continue
        numerators = [c.name for c in spec.columns if c.numerator_of == column.base]
        if len(numerators) != 1 or not tables.has(name, column.name, column.base,
                                                   numerators[0]):
            continue
        share = tables.values(name, column.name)
        base = tables.values(name, column.base)
        numerator = tables.values(name, numerators[0])
        known = ~np.isnan(share) & ~np.isnan(base) & ~np.isnan(numerator)
        if known.any():
            gap = np.abs(share[known] * base[known] - numerator[known])
            if (gap > _SHARE_TOLERANCE * np.maximum(base[known], 1)).any():
                continue  # not a plain share of its base (weighted, adjusted...)
        about = _describe(name, f"`{column.name}` × `{column.base}` = `{numerators[0]}`")
        for r in np.flatnonzero(~np.isnan(share) & (np.isnan(base) | np.isnan(numerator))):
            # share × base − numerator within ± tolerance × base (two inequalities)
            for sign in (1.0, -1.0):
                rel = Relation(kind="le", about=about)
                tables.add(rel, name, r, column.base, sign * share[r] - _SHARE_TOLERANCE)
                tables.add(rel, name, r, numerators[0], -sign)
                out.append(rel)
    return out


def _bound_relations(tables: _Tables, name: str) -> list[Relation]:
    """A count never exceeds its base (``numerator_of``) nor its declared ``at_most``."""
    spec = tables.specs[name]
    out: list[Relation] = []
    for column in spec.columns:
        for limit in (column.numerator_of, column.at_most):
            if limit is None or not tables.has(name, column.name, limit):
                continue
            about = _describe(name, f"`{column.name}` ≤ `{limit}`")
            mine = tables.values(name, column.name)
            theirs = tables.values(name, limit)
            rows = (np.arange(len(mine)) if tables.symbolic
                    else np.flatnonzero(np.isnan(mine) | np.isnan(theirs)))
            for r in rows:
                rel = Relation(kind="le", about=about)
                tables.add(rel, name, r, column.name)
                tables.add(rel, name, r, limit, -1.0)
                out.append(rel)
    return out


def relations(tables: Mapping[str, pd.DataFrame], *, study: Mapping[str, Any] | None = None,
              symbolic: bool = False) -> tuple[list[Relation], list[Cell]]:
    """Every linear relation the released ``tables`` carry, and their hidden count cells.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Released tables by name (hidden cells missing).
    study : mapping, optional
        The study's catalogue parameters (:func:`evalkit.analyse.catalogue.study_parameters`):
        which columns hold the site, wave and group.
    symbolic : bool, default False
        Every cell of a count column is an unknown, whether shown or not (the relations as
        the one who chooses what to hide sees them); shares are then left out (a share is
        hidden with its numerator or its base).

    Returns
    -------
    (list of Relation, list of cell)
        The relations that hold at least one hidden cell, and the hidden cells of count
        columns (``(table, row, column)``).
    """
    known = _Tables(tables, study or {}, symbolic=symbolic)
    found: list[Relation] = []
    for name, spec in known.specs.items():
        for relation in spec.additive:
            found += _sum_relations(known, name, relation)
        if not symbolic:
            found += _share_relations(known, name)
        found += _bound_relations(known, name)
    hidden = []
    for name, spec in known.specs.items():
        flagged = known.flagged(name)
        for column in spec.columns:
            if column.role in COUNT_ROLES and column.counts_people and known.has(name,
                                                                               column.name):
                empty = np.isnan(known.values(name, column.name)) & flagged
                hidden += [(name, int(r), column.name) for r in np.flatnonzero(empty)]
    return [r for r in found if r.terms], hidden


# -- the attack ----------------------------------------------------------------------------------
def _components(variables: list[Cell], found: list[Relation]) -> list[tuple[list[int], list[int]]]:
    """Groups of variables linked by relations: (variable indices, relation indices)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = {cell: k for k, cell in enumerate(variables)}
    sizes = np.fromiter((len(r.terms) for r in found), dtype=np.int64, count=len(found))
    rows = np.repeat(np.arange(len(found)), sizes)
    cols = np.fromiter((index[c] for r in found for c in r.terms), dtype=np.int64,
                       count=int(sizes.sum()))
    # one graph of variables and relations: a relation links the variables it holds
    n = len(variables)
    graph = coo_matrix((np.ones(cols.size), (cols, n + rows)), shape=(n + len(found),) * 2)
    _, label = connected_components(graph, directed=False)
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for k, root in enumerate(label[:n].tolist()):
        groups.setdefault(root, ([], []))[0].append(k)
    for j, root in enumerate(label[n:].tolist()):
        groups[root][1].append(j)
    return list(groups.values())


def _matrix(rows: list, cols: list, data: list, rhs: list, size: int) -> tuple[Any, Any]:
    from scipy.sparse import csr_matrix

    if not rhs:
        return None, None
    return csr_matrix((data, (rows, cols)), shape=(len(rhs), size)), np.array(rhs)


def highs_model(matrix: Any, row_lower: Any, row_upper: Any, *, cost: Any, col_lower: Any,
                col_upper: Any, integrality: Any = None) -> Any:
    """A HiGHS solver (highspy, output off) holding ``row_lower ≤ matrix @ x ≤ row_upper``,
    ``col_lower ≤ x ≤ col_upper`` and the objective ``cost @ x``; integer where
    ``integrality`` is true."""
    import highspy  # heavy: imported where used
    from scipy.sparse import csc_matrix

    a = csc_matrix(matrix)
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = a.shape
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(col_lower, dtype=float)
    lp.col_upper_ = np.asarray(col_upper, dtype=float)
    lp.row_lower_ = np.asarray(row_lower, dtype=float)
    lp.row_upper_ = np.asarray(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    if integrality is not None:
        lp.integrality_ = [highspy.HighsVarType.kInteger if flag else
                           highspy.HighsVarType.kContinuous for flag in integrality]
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.passModel(lp)
    return solver


class _Ranges:
    """One linear program (HiGHS) over the unknowns of a component, non-negative, solved for
    the smallest and largest value of one unknown after another (the model is built once; each
    solve starts from the previous basis)."""

    def __init__(self, size: int, matrices: Mapping[str, tuple[list, list, list, list]]
                 ) -> None:
        import highspy  # heavy: imported where used
        from scipy.sparse import csc_matrix

        self._highspy = highspy
        rows, cols, data, lower, upper = [], [], [], [], []
        for kind in ("eq", "le"):
            r, c, d, rhs = matrices[kind]
            rows += [len(lower) + i for i in r]
            cols += c
            data += d
            lower += [rhs[i] if kind == "eq" else -highspy.kHighsInf for i in range(len(rhs))]
            upper += list(rhs)
        matrix = csc_matrix((data, (rows, cols)), shape=(len(lower), size))
        self.highs = highs_model(matrix, lower, upper, cost=np.zeros(size),
                                 col_lower=np.zeros(size),
                                 col_upper=np.full(size, highspy.kHighsInf))

    def _solve(self, sense: Any) -> float:
        highspy = self._highspy
        self.highs.changeObjectiveSense(sense)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return float(self.highs.getInfo().objective_function_value)
        if status in (highspy.HighsModelStatus.kUnbounded,
                      highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return math.inf if sense == highspy.ObjSense.kMaximize else -math.inf
        return math.nan  # infeasible: the released tables contradict each other

    def range(self, k: int) -> tuple[float, float]:
        """Smallest and largest value of unknown ``k``."""
        highspy = self._highspy
        self.highs.changeColCost(k, 1.0)
        lower = self._solve(highspy.ObjSense.kMinimize)
        upper = self._solve(highspy.ObjSense.kMaximize)
        self.highs.changeColCost(k, 0.0)
        return lower, upper


#: Groups of linked cells are attacked together, about this many cells to a linear program
#: (groups share no relation, so a range in the joint program is the range in the group).
PACK = 300


def intervals(variables: list[Cell], found: list[Relation], targets: Iterable[Cell]
              ) -> dict[Cell, tuple[float, float, list[int]]]:
    """The smallest and largest value of each target cell under ``found`` and non-negativity
    (two linear programs per cell, HiGHS through ``highspy``), rounded inwards to whole
    counts; with the indices of the relations of its component."""
    wanted = set(targets)
    out: dict[Cell, tuple[float, float, list[int]]] = {}
    pack: list[tuple[list[int], list[int], list[int]]] = []
    for members, rels in _components(variables, found):
        asked = [k for k in members if variables[k] in wanted]
        if not asked:
            continue
        if not rels:
            for k in asked:
                out[variables[k]] = (0.0, math.inf, [])
            continue
        pack.append((members, rels, asked))
        if sum(len(m) for m, _, _ in pack) >= PACK:
            _attack(variables, found, pack, out)
            pack = []
    if pack:
        _attack(variables, found, pack, out)
    return out


def _attack(variables: list[Cell], found: list[Relation],
            pack: list[tuple[list[int], list[int], list[int]]],
            out: dict[Cell, tuple[float, float, list[int]]]) -> None:
    """The ranges of the asked cells of a pack of groups, with one linear program."""
    members = [k for m, _, _ in pack for k in m]
    local = {variables[k]: i for i, k in enumerate(members)}
    matrices: dict[str, tuple[list, list, list, list]] = {"eq": ([], [], [], []),
                                                           "le": ([], [], [], [])}
    for _, rels, _ in pack:
        for j in rels:
            relation = found[j]
            rows, cols, data, rhs = matrices[relation.kind]
            line = len(rhs)
            for cell, coef in relation.terms.items():
                rows.append(line)
                cols.append(local[cell])
                data.append(coef)
            rhs.append(-relation.constant)
    solver = _Ranges(len(members), matrices)
    ranges = [(k, rels, *solver.range(local[variables[k]])) for _, rels, asked in pack
              for k in asked]
    if len(pack) > 1 and any(math.isnan(r[2]) for r in ranges):
        for group in pack:  # a group whose tables contradict each other: the others alone
            _attack(variables, found, [group], out)
        return
    for k, rels, lower, upper in ranges:
        if not math.isnan(lower):
            lower = max(0.0, float(math.ceil(lower - 1e-6)))
        if math.isfinite(upper):
            upper = float(math.floor(upper + 1e-6))
        out[variables[k]] = (lower, upper, rels)


def audit_tables(tables: Mapping[str, pd.DataFrame], *, policy: Any,
                 study: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Compute, as an attacker would, the feasible interval of every hidden count of people.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Released tables by name (catalogue handles), hidden cells missing. Tables the
        catalogue does not declare are ignored.
    policy : DisclosurePolicy or the study's privacy section
        ``min_cell`` and ``zero_counts`` set the protection level (:func:`protection_level`).
    study : mapping, optional
        The study's catalogue parameters (which columns hold site, wave, group...).

    Returns
    -------
    pandas.DataFrame
        One row per hidden count of people: ``table``, ``row`` (its keys, ``site=A, rung=5``),
        ``column``, ``lower`` and ``upper`` (whole counts; ``upper`` infinite when nothing
        bounds it), ``width``, ``disclosed`` and ``relations`` (the relations of the released
        tables that bind it, in words). ``attrs["protection"]`` holds the protection level.

    Notes
    -----
    A hidden count is disclosed when ``upper − lower`` is less than the protection level
    while ``lower < min_cell`` (it may be a small count). A hidden count the relations place
    at ``min_cell`` or more does not tell of a small group, however narrow its interval.

    The relations: the catalogue's additive declarations (row identities, group sums, sums
    across tables, the same count in another table), ``share × base = numerator`` where the
    released rows show the share is one, a count at most its base and its ``at_most``
    column, and non-negativity. The bounds are those of the linear relaxation, rounded inwards
    to whole numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit import DisclosurePolicy
    >>> released = {"tokenism_overall": pd.DataFrame({
    ...     "n": [40], "n_answered": [None], "n_excluded_missing": [2],
    ...     "n_consulted": [30], "n_tokenistic": [12], "rate": [0.4]})}
    >>> audit = audit_tables(released, policy=DisclosurePolicy())
    >>> audit[["table", "column", "lower", "upper", "disclosed"]]
                  table      column  lower  upper  disclosed
    0  tokenism_overall  n_answered   38.0   38.0      False
    """
    policy = as_policy(policy)
    level = protection_level(policy)
    small_low, small_high = small_range(policy)
    known = _Tables(tables, study or {})
    found, hidden = relations(tables, study=study)
    variables = list(dict.fromkeys([*hidden, *(c for r in found for c in r.terms)]))
    solved = intervals(variables, found, hidden)
    rows = []
    for cell in hidden:
        lower, upper, rels = solved.get(cell, (0.0, math.inf, []))
        width = upper - lower
        binding = sorted({found[j].about for j in rels if cell in found[j].terms})
        rows.append({"table": cell[0], "row": known.label(cell[0], cell[1]),
                     "column": cell[2], "lower": lower, "upper": upper, "width": width,
                     "disclosed": bool(not math.isnan(width) and width < level
                                       and lower <= small_high and upper >= small_low),
                     "relations": "; ".join(binding)})
    audit = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
    audit.attrs["protection"] = level
    audit.attrs["cells"] = list(hidden)  # (table, position, column) of each row
    return audit


def read_released(run_dir: str | Path) -> dict[str, pd.DataFrame]:
    """The released tables of a run folder (``tables/*.csv``) by name, as text."""
    folder = Path(run_dir) / "tables"
    out = {}
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        out[path.stem] = pd.read_csv(path, dtype=str, keep_default_na=False,
                                     na_values=[""], encoding="utf-8")
    return out


def audit_run(run_dir: str | Path, *, policy: Any,
              study: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """:func:`audit_tables` on what a run folder releases (its ``tables/*.csv``).

    ``study`` defaults to the parameters the run recorded in its ``manifest.json`` (the
    prepare stage's ``study_parameters``).
    """

    if study is None:
        study = run_record(run_dir).get("study_parameters") or {}
    return audit_tables(read_released(run_dir), policy=policy, study=study)


def run_record(run_dir: str | Path) -> dict[str, Any]:
    """What a run's manifest says of its released tables (the prepare stage's record:
    ``study_parameters``, ``policy``, ``information_loss``); empty when it says nothing."""
    import json

    try:
        manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
        record = manifest.get("stages", {}).get("prepare") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    return record if isinstance(record, dict) else {}
