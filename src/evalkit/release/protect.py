"""Disclosure control of all the tables a run releases, chosen jointly.

Primary suppression is row by row (:func:`evalkit.apply_disclosure_control`). Secondary
suppression is chosen over every relation between the released tables at once (the same
relations the attacker's audit uses, :mod:`evalkit.release.audit`), with a mixed-integer
program (HiGHS) that hides as little as possible while every hidden
count of people keeps its protection interval.

Speed: the relations of each group of linked cells are one sparse matrix, built once; the
attacker's linear program over a group is built once and its bounds updated as cells are
hidden; small groups share one solver call (``python -m benchmarks.disclosure``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analyse._share import share_work
from evalkit.analyse.catalogue import COUNT_ROLES, UnknownTableError, catalogue
from evalkit.release.audit import (
    Cell,
    Relation,
    _components,
    _numbers,
    highs_model,
    relations,
    small_range,
)
from evalkit.release.suppress import apply_disclosure_control, as_policy

__all__ = ["protect_tables", "suppression_rates"]

#: Rounds of "protect, then audit" before giving up on a cell (each round protects the cells
#: the audit still found; two are enough in practice).
MAX_ROUNDS = 6


def _requirement(value: float, policy: Any) -> tuple[float, float]:
    """How far down and up from its value the attacker's interval of a primary cell must
    reach: the whole small range (1 to ``min_cell − 1``), as a lower and upper protection
    level (τ-Argus, sdcTable)."""
    low, high = small_range(policy)
    return max(value - low, 0.0), max(high - value, 0.0)


class _Component:
    """One group of linked cells: its relations as one sparse matrix over its cells, the
    cells' true values, the attacker's linear program over it and the values the cells were
    seen to take in feasible tables.

    Hiding more cells only widens what the attacker may believe (a table that kept every
    relation with fewer cells hidden still keeps them), so a value seen once stays possible
    for the rest of the run: a cell seen below ``x − down`` and above ``x + up`` is protected
    without solving anything.
    """

    def __init__(self, found: list[Relation], rels: list[int], members: list[Cell],
                 values: np.ndarray, *, weight: np.ndarray | None = None,
                 part: np.ndarray | None = None) -> None:
        from scipy.sparse import csr_matrix

        local = {cell: i for i, cell in enumerate(members)}
        rows, cols, data = [], [], []
        constant = np.empty(len(rels))
        self.equal = np.empty(len(rels), dtype=bool)
        for line, j in enumerate(rels):
            relation = found[j]
            for cell, coef in relation.terms.items():
                rows.append(line)
                cols.append(local[cell])
                data.append(coef)
            constant[line] = relation.constant
            self.equal[line] = relation.kind == "eq"
        self.members = members
        # which linked group each cell belongs to, when small groups are packed together
        self.packed = part is not None
        self.part = np.zeros(len(members), dtype=int) if part is None else np.asarray(part)
        self.x = np.asarray(values, dtype=float)
        self.size = len(members)
        self.matrix = csr_matrix((data, (rows, cols)), shape=(len(rels), self.size))
        self.rhs = -constant
        # room left in each inequality by the true table (zero, up to rounding, for equalities)
        self.slack = np.maximum(self.rhs - self.matrix @ self.x, 0.0)
        self.pattern = (abs(self.matrix) > 0).astype(float).tocsr()
        self.pattern_t = self.pattern.T.tocsr()
        self.long = np.flatnonzero(np.diff(self.pattern.indptr) > NEAR)
        # information lost: the people hidden, and the cell itself, wherever it is shown
        self.cost = (self.x + 1.0) * (1.0 if weight is None else np.asarray(weight, float))
        self.seen_low = self.x.copy()
        self.seen_high = self.x.copy()
        self._lp: Any = None
        self._lp_mask = np.zeros(self.size, dtype=bool)

    # -- what the attacker can compute ------------------------------------------------------
    def _attacker(self, mask: np.ndarray) -> Any:
        """The attacker's linear program with the cells of ``mask`` hidden (non-negative,
        free) and the others fixed at their value: built once, its bounds updated."""
        if self._lp is None:
            self._lp = highs_model(self.matrix, np.where(self.equal, self.rhs, -np.inf),
                                   self.rhs, cost=np.zeros(self.size), col_lower=self.x,
                                   col_upper=self.x)
        changed = np.flatnonzero(mask != self._lp_mask)
        if changed.size:
            hide = mask[changed]
            self._lp.changeColsBounds(changed.size, changed.astype(np.int32),
                                      np.where(hide, 0.0, self.x[changed]),
                                      np.where(hide, np.inf, self.x[changed]))
            self._lp_mask = mask.copy()
        return self._lp

    def _extreme(self, at: int, mask: np.ndarray, *, largest: bool) -> float:
        import highspy  # heavy: imported where used

        lp = self._attacker(mask)
        lp.changeColCost(at, 1.0)
        lp.changeObjectiveSense(highspy.ObjSense.kMaximize if largest
                                else highspy.ObjSense.kMinimize)
        lp.run()
        lp.changeColCost(at, 0.0)
        status = lp.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            self.observe(np.asarray(lp.getSolution().col_value, dtype=float))
            return float(lp.getSolution().col_value[at])
        if status in (highspy.HighsModelStatus.kUnbounded,
                      highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return math.inf if largest else -math.inf
        return self.x[at]  # the true table is feasible: an infeasible program proves nothing

    def observe(self, table: np.ndarray) -> None:
        """Remember the values of a table the attacker cannot rule out."""
        np.minimum(self.seen_low, table, out=self.seen_low)
        np.maximum(self.seen_high, table, out=self.seen_high)

    def seen_protected(self, at: int, down: float, up: float) -> bool:
        """Whether tables seen so far already show cell ``at`` ``down`` below and ``up``
        above its value."""
        return bool(self.seen_low[at] <= self.x[at] - down + 1e-7
                    and self.seen_high[at] >= self.x[at] + up - 1e-7)

    def part_of(self, at: int) -> np.ndarray:
        """The cells linked to cell ``at`` (its own component within a pack)."""
        return np.flatnonzero(self.part == self.part[at])

    def protected(self, at: int, mask: np.ndarray, down: float, up: float) -> bool:
        """Whether the attacker's interval of cell ``at`` reaches ``down`` below and ``up``
        above its value with the cells of ``mask`` hidden (a linear program only for the
        directions no table seen so far settles)."""
        tolerance = 1e-7
        if (self.seen_low[at] > self.x[at] - down + tolerance
                and self._extreme(at, mask, largest=False) > self.x[at] - down + tolerance):
            return False
        return bool(self.seen_high[at] >= self.x[at] + up - tolerance
                    or self._extreme(at, mask, largest=True) >= self.x[at] + up - tolerance)

    def interval(self, at: int, mask: np.ndarray, level: float) -> tuple[float, float]:
        """The attacker's interval of cell ``at`` in whole counts, as the audit rounds it, or
        an inner interval at least ``level`` wide when the tables seen already show one."""
        low = math.ceil(self.seen_low[at] - 1e-6)
        high = math.floor(self.seen_high[at] + 1e-6)
        if high - low >= level:
            return float(low), float(high)
        low = self._extreme(at, mask, largest=False)
        high = self._extreme(at, mask, largest=True)
        return (max(0.0, float(math.ceil(low - 1e-6))),
                float(math.floor(high + 1e-6)) if math.isfinite(high) else math.inf)

    # -- where complements are looked for ---------------------------------------------------
    def near(self, at: int, hops: int, mask: np.ndarray) -> np.ndarray:
        """Cells at most ``hops`` relations away from cell ``at``. Through a long relation (a
        sum over many sites) only its hidden cells and its :data:`NEAR` cheapest shown
        cells are reached: complements are looked for among them first."""
        cells = np.zeros(self.size, dtype=bool)
        cells[at] = True
        frontier = cells.copy()
        seen_rows = np.zeros(self.matrix.shape[0], dtype=bool)
        is_long = np.zeros(self.matrix.shape[0], dtype=bool)
        is_long[self.long] = True
        for _ in range(hops):
            rows = (self.pattern @ frontier.astype(float)) > 0
            rows &= ~seen_rows
            seen_rows |= rows
            step = (self.pattern_t @ (rows & ~is_long).astype(float)) > 0
            for line in np.flatnonzero(rows & is_long):
                terms = self.pattern.indices[self.pattern.indptr[line]:
                                             self.pattern.indptr[line + 1]]
                shown = terms[~mask[terms]]
                step[terms[mask[terms]]] = True
                step[shown[np.argsort(self.cost[shown], kind="stable")[:NEAR]]] = True
            frontier = step & ~cells
            cells |= step
        return np.flatnonzero(cells)

    # -- the cell suppression program ---------------------------------------------------------
    def _relations_of(self, movable: np.ndarray) -> tuple[np.ndarray, Any]:
        """The relations that hold a cell of ``movable``, and their matrix over those cells
        (``coo``-like: ``row``, ``col``, ``data``)."""
        where, _ = _gather(self.pattern_t.indptr, movable)
        lines = np.unique(self.pattern_t.indices[where])
        where, lengths = _gather(self.matrix.indptr, lines)
        position = np.full(self.size, -1)
        position[movable] = np.arange(movable.size)
        cols = position[self.matrix.indices[where]]
        keep = cols >= 0
        rows = np.repeat(np.arange(lines.size), lengths)
        return lines, SimpleNamespace(row=rows[keep], col=cols[keep],
                                      data=self.matrix.data[where][keep])

    def cover(self, mask: np.ndarray, needs: list[tuple[int, float, float, np.ndarray]]
              ) -> np.ndarray | None:
        """The cheapest cells to hide so that each need ``(cell, down, up, movable)`` is met,
        moving only the cells of ``movable``; the new hidden mask, or None when no choice
        among them meets them.

        For each need and direction, a witness ``y`` (a change of the hidden cells that keeps
        every relation) moves the cell by its protection level: ``A y = 0``, ``G y ≤ h − G x``,
        ``−x z ≤ y ≤ M z`` (the model of Fischetti & Salazar-González 2001, with the witnesses
        written out). A witness moves only the cells of its ``movable`` (the others keep
        ``y = 0``) and keeps every relation that holds one of them: it is a witness for the
        whole component. The program is assembled as one sparse matrix, one block of rows per
        witness.
        """
        from scipy.sparse import coo_matrix

        witnesses = [(at, -down, movable) for at, down, _, movable in needs if down > 0] + \
                    [(at, up, movable) for at, _, up, movable in needs if up > 0]
        if not witnesses:
            return mask.copy()
        used = np.unique(np.concatenate([np.asarray(m) for _, _, m in witnesses]))
        z_of = np.full(self.size, -1)
        z_of[used] = np.arange(used.size)
        n_z = used.size
        rows, cols, data = [], [], []
        row_lower, row_upper, col_lower, col_upper = [], [], [], []
        n_rows, n_cols = 0, n_z
        for at, move, movable in witnesses:
            movable = np.asarray(movable)
            n = movable.size
            lines, a = self._relations_of(movable)
            m = lines.size
            free = np.flatnonzero(~mask[movable])
            f = free.size
            x = self.x[movable]
            big = float(x.sum() + abs(move) + 1)
            # the relations: A y = 0, G y ≤ slack
            rows.append(n_rows + a.row)
            cols.append(n_cols + a.col)
            data.append(a.data)
            row_lower.append(np.where(self.equal[lines], 0.0, -np.inf))
            row_upper.append(np.where(self.equal[lines], 0.0, self.slack[lines]))
            # the links of the cells that may be hidden: y − M z ≤ 0 and y + x z ≥ 0
            link = n_rows + m + np.arange(f)
            z = z_of[movable[free]]
            rows += [link, link, link + f, link + f]
            cols += [n_cols + free, z, n_cols + free, z]
            data += [np.ones(f), np.full(f, -big), np.ones(f), x[free]]
            row_lower += [np.full(f, -np.inf), np.zeros(f)]
            row_upper += [np.zeros(f), np.full(f, np.inf)]
            lower, upper = -x, np.full(n, big)
            target = int(np.flatnonzero(movable == at)[0])
            if move > 0:
                lower[target] = move
            else:
                upper[target] = move
            col_lower.append(lower)
            col_upper.append(upper)
            n_rows += m + 2 * f
            n_cols += n
        matrix = coo_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(n_rows, n_cols))
        hidden = mask[used]
        cost = np.concatenate([np.where(hidden, 0.0, self.cost[used]),
                               np.zeros(n_cols - n_z)])
        integrality = np.concatenate([np.ones(n_z), np.zeros(n_cols - n_z)])
        solution = _milp(cost, matrix, np.concatenate(row_lower), np.concatenate(row_upper),
                         np.concatenate([hidden.astype(float), *col_lower]),
                         np.concatenate([np.ones(n_z), *col_upper]), integrality)
        if solution is None:  # no way to protect with these cells
            return None
        out = mask.copy()
        out[used] |= solution[:n_z] > 0.5
        start = n_z
        for _, _, movable in witnesses:  # each witness is a table the attacker cannot rule out
            table = self.x.copy()
            table[movable] += solution[start:start + len(movable)]
            self.observe(table)
            start += len(movable)
        return out


def _gather(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the entries of ``rows`` in a compressed sparse matrix (its ``indptr``),
    and each row's number of entries."""
    starts = indptr[rows]
    lengths = indptr[np.asarray(rows) + 1] - starts
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(int(lengths.sum())), lengths


def _milp(objective: np.ndarray, matrix: Any, row_lower: np.ndarray, row_upper: np.ndarray,
          lower: np.ndarray, upper: np.ndarray, integrality: np.ndarray) -> np.ndarray | None:
    """Minimise ``objective @ x`` with ``row_lower ≤ matrix @ x ≤ row_upper`` and
    ``lower ≤ x ≤ upper``, integer where ``integrality`` is 1, by HiGHS (highspy) with its
    output off; the solution, or None when there is none.

    HiGHS is called directly, not through ``scipy.optimize.milp``: the HiGHS that scipy 1.17
    bundles prints a debugging line to standard output on some problems whatever its options
    (HiGHS issue 2783), which would land in a run's summary.
    """
    import highspy  # heavy: imported where used

    solver = highs_model(matrix, row_lower, row_upper, cost=objective, col_lower=lower,
                         col_upper=upper, integrality=integrality)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(solver.getSolution().col_value, dtype=float)


def _protect_component(component: _Component, mask: np.ndarray,
                       needs: dict[int, tuple[float, float]], *, exact: bool) -> np.ndarray:
    """Hide more cells of one component (or of a pack of small ones) until each cell of
    ``needs`` is protected; the new hidden mask."""
    asked = sorted(needs, key=lambda at: (-component.x[at], component.members[at]))
    if exact or component.size <= JOINT or component.packed:
        todo = [(at, *needs[at], component.part_of(at)) for at in asked
                if not component.seen_protected(at, *needs[at])]
        if not todo:
            return mask
        chosen = component.cover(mask, todo)
        if chosen is None and component.packed:
            # a group that cannot be protected: the others of its pack, each on its own
            # (what cannot be met is left to the attack, which reports it)
            for part in np.unique([component.part[at] for at, *_ in todo]):
                alone = component.cover(mask, [t for t in todo if component.part[t[0]] == part])
                mask = mask if alone is None else alone
            return mask
        return mask if chosen is None else chosen
    # One cell at a time, largest first; a cell the cells hidden so far already protect costs
    # nothing. Complements are looked for near the cell first (cells linked to it through at
    # most HOPS relations), then in the whole component.
    for at in asked:
        down, up = needs[at]
        if component.protected(at, mask, down, up):
            continue
        for hops in (*HOPS, None):
            movable = (np.arange(component.size) if hops is None
                       else component.near(at, hops, mask))
            chosen = component.cover(mask, [(at, down, up, movable)])
            if chosen is not None:
                mask = chosen
                break
    return mask


#: Fewer linked cells than this are protected in this process alone (a fork would cost
#: more than it saves).
PARALLEL_CELLS = 100
#: Groups of at most this many linked cells are protected all at once (one program), as
#: with ``exact=True``.
JOINT = 24
#: Small groups are solved together, this many cells to a program.
PACK = 400
#: How far from a cell its complements are looked for first (relations away), in turn.
HOPS: tuple[int, ...] = (2, 3)
#: Through a relation of more cells than this (a sum over sites), complements are looked for
#: first among its hidden cells and this many of its cheapest shown ones.
NEAR = 8


def _specs(tables: Mapping[str, pd.DataFrame], study: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name in tables:
        try:
            out[name] = catalogue().spec(name, study=dict(study))
        except UnknownTableError:
            continue
    return out


def _hide_estimates(frame: pd.DataFrame, spec: Any, rows: np.ndarray) -> None:
    """Estimates that rest on a hidden count (their base, or a numerator of their base) are
    hidden too: a share and one of its counts give the other back."""
    for column in spec.columns:
        if column.base is None or column.name not in frame.columns:
            continue
        related = [column.base, *(c.name for c in spec.columns
                                  if c.numerator_of == column.base)]
        gone = np.zeros(len(frame), dtype=bool)
        for name in related:
            if name in frame.columns:
                gone |= frame[name].isna().to_numpy(bool) & rows
        if gone.any():
            frame[column.name] = frame[column.name].mask(gone)


def protect_tables(tables: Mapping[str, pd.DataFrame], *, policy: Any,
                   study: Mapping[str, Any] | None = None, exact: bool = False,
                   parallel: bool = True) -> dict[str, pd.DataFrame]:
    """Disclosure control of a set of tables released together: primary suppression row by
    row, secondary suppression chosen jointly over every relation between them.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Result tables by name (catalogue handles), unsuppressed.
    policy : DisclosurePolicy or the study's privacy section
        ``min_cell``, ``min_n_for_rates`` and ``zero_counts``.
    study : mapping, optional
        The study's catalogue parameters (which columns hold site, wave, group...).
    exact : bool, default False
        Solve one mixed-integer program per group of linked cells for all primary cells at
        once (the optimum; for small tables) instead of one primary cell at a time.
    parallel : bool, default True
        Share the groups of linked cells with a helper process where that is safe (see
        :func:`evalkit.analyse._share.share_work`) when they hold :data:`PARALLEL_CELLS`
        linked cells or more; the same tables either way.

    Returns
    -------
    dict of str to DataFrame
        The released tables: hidden cells missing (the one marker of a hidden cell), and a
        ``suppressed`` column (the row has a hidden cell). Tables the catalogue does not
        declare are controlled row by row only.

    Notes
    -----
    *Primary*: :func:`evalkit.apply_disclosure_control` on each table (counts of 1 to
    ``min_cell − 1`` people, zeros when the policy says so, estimates on small bases).

    *Protection rule*: the interval an attacker can compute for each primary count, from
    every released relation, must reach from 1 (0 when zeros are suppressed) to
    ``min_cell − 1`` — lower and upper protection levels ``v − 1`` and ``min_cell − 1 − v``
    in the sense of τ-Argus and sdcTable (Hundepool et al. 2012, §4.2; de Wolf 2002). So a
    hidden count tells no more than "a small count", whatever the attacker combines.

    *Secondary*: the cells to hide are the solution of the cell suppression problem of
    Fischetti & Salazar-González (2001): binary ``z`` (hidden or not) and, for each primary
    cell and direction, a witness table that keeps every relation and moves the cell by its
    protection level using hidden cells only; cost ``Σ (value + 1) z`` (people hidden, plus
    one per cell). A count the relations declare equal to another (the same count in two
    tables) is one unknown. Groups of at most :data:`JOINT` linked cells are solved all at
    once, packed :data:`PACK` cells to a solver call; larger groups one primary cell at a
    time, largest first, complements looked for near the cell first (:data:`HOPS`,
    :data:`NEAR`), skipping cells already protected (by a linear program, or by a witness
    table of an earlier program that already moves them far enough); with ``exact=True``
    every group all at once. Estimates resting on a hidden count are then hidden.

    *Attack*: every hidden count of people is then attacked on the same models, as
    :func:`evalkit.release.audit.audit_tables` does from the released tables; a count still
    disclosed (a complement the relations pin inside the small range) is protected in turn,
    up to :data:`MAX_ROUNDS` rounds. Groups of linked cells share no relation: each goes
    through its rounds on its own, and the groups are shared with a helper process
    (:func:`evalkit.analyse._share.share_work`: the same tables as in one process).

    References
    ----------
    Fischetti M, Salazar-González JJ (2001). Solving the cell suppression problem on tabular
    data with linear constraints. *Management Science* 47(7):1008–1027.
    Hundepool A et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 4.
    de Wolf PP (2002). HiTaS: a heuristic approach to cell suppression in hierarchical tables.
    LNCS 2316:74–82.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit import DisclosurePolicy
    >>> rates = pd.DataFrame({"site": ["A", "B"], "n": [40, 40], "n_answered": [38, 30],
    ...                       "n_excluded_missing": [2, 10]})
    >>> overall = pd.DataFrame({"n": [80], "n_answered": [68], "n_excluded_missing": [12]})
    >>> out = protect_tables({"tokenism_rates": rates, "tokenism_overall": overall},
    ...                      policy=DisclosurePolicy(), study={"site": "site"})
    >>> out["tokenism_rates"]
      site   n  n_answered  n_excluded_missing  suppressed
    0    A  40        <NA>                <NA>        True
    1    B  40        <NA>                <NA>        True
    """
    policy = as_policy(policy)
    study = dict(study or {})
    specs = _specs(tables, study)
    frames = {name: frame.reset_index(drop=True) for name, frame in tables.items()}
    released: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        spec = specs.get(name)
        if spec is None:
            released[name] = apply_disclosure_control(frame, policy=policy).drop(
                columns=["suppression"])
            continue
        roles = spec.release_roles(list(frame.columns))
        released[name] = apply_disclosure_control(
            frame, counts=roles.counts, estimates=roles.estimates, n=roles.n,
            numerators=roles.numerators, policy=policy).drop(columns=["suppression"])
    known = {n: f for n, f in frames.items() if n in specs}
    found, _ = relations(known, study=study, symbolic=True)
    variables = list(dict.fromkeys(c for r in found for c in r.terms))
    if not variables:
        return released
    original = variables
    values, hidden, people = _cells(variables, frames, released, specs)
    # The same count shown in several places is one unknown: hidden everywhere or nowhere.
    found, variables, copies = _merge_copies(found, variables)
    weight = np.bincount(copies, minlength=len(variables)).astype(float)
    first = np.unique(copies, return_index=True)[1]
    values = values[first]
    hidden = np.bincount(copies, weights=hidden, minlength=len(variables)) > 0
    people = np.bincount(copies, weights=people, minlength=len(variables)) > 0
    low, high = small_range(policy)
    level = max(high - low, 1)
    groups = []
    for members_idx, rels, part in _packs(variables, found, hidden):
        where = np.asarray(members_idx)
        component = _Component(found, rels, [variables[k] for k in members_idx], values[where],
                               weight=weight[where], part=part)
        needs = {i: _requirement(v, policy) for i, (v, h, p) in enumerate(zip(
                 values[where], hidden[where], people[where], strict=True))
                 if h and p and low <= v <= high}
        groups.append((component, hidden[where].copy(), people[where], needs))
    # Groups share no relation: each is protected and attacked on its own, shared with a
    # helper process (the same masks, in the same order, as one process gives).
    settled = share_work(functools.partial(_settle, exact=exact, level=level, low=low,
                                           high=high), groups,
                         helper=parallel and sum(g[0].size for g in groups) >= PARALLEL_CELLS)
    index = {cell: k for k, cell in enumerate(variables)}
    chosen_classes = np.zeros(len(variables), dtype=bool)
    for (component, _, _, _), mask in zip(groups, settled, strict=True):
        chosen_classes[[index[c] for c in component.members]] = mask
    chosen = {c for c, k in zip(original, copies, strict=True) if chosen_classes[k]}
    _apply(released, frames, specs, chosen)
    # Estimates on a base hidden by now go the way the row-by-row rules send them (so that
    # writing a released table again hides nothing more).
    for name, frame in released.items():
        if name in specs:
            roles = specs[name].release_roles(list(tables[name].columns))
            released[name] = apply_disclosure_control(
                frame, counts=roles.counts, estimates=roles.estimates, n=roles.n,
                numerators=roles.numerators, policy=policy).drop(columns=["suppression"])
    return released


def _settle(group: tuple, *, exact: bool, level: float, low: float, high: float
            ) -> np.ndarray:
    """The hidden mask of one group (a component, its hidden mask, which cells count people,
    the protection each primary cell needs): more cells hidden until the attack, as the audit
    makes it on every hidden count of people, finds none pinned inside the small range, or
    :data:`MAX_ROUNDS` rounds."""
    component, mask, counted, needs = group
    needs = dict(needs)
    for _ in range(MAX_ROUNDS):
        added = False
        if needs:
            mask = _protect_component(component, mask, needs, exact=exact)
        for at in np.flatnonzero(mask & counted):
            lower, upper = component.interval(at, mask, level)
            if upper - lower < level and lower <= high and upper >= low:
                down, up = needs.get(int(at), (0.0, 0.0))
                if up < level:
                    needs[int(at)] = (down, float(level))
                    added = True
        if not added:
            break
    return mask


def _packs(variables: list[Cell], found: list[Relation], hidden: np.ndarray
           ) -> list[tuple[list[int], list[int], np.ndarray | None]]:
    """The groups of linked cells that hold a hidden cell, as ``(cells, relations, part)``:
    a large group on its own (``part`` None), small ones (at most :data:`JOINT` cells) packed
    together up to :data:`PACK` cells, ``part`` telling each cell's group. The groups of a
    pack share no relation: one program over the pack is one program per group, with one
    solver call."""
    out: list[tuple[list[int], list[int], np.ndarray | None]] = []
    pack: tuple[list[int], list[int], list[int]] = ([], [], [])
    for members, rels in _components(variables, found):
        if not hidden[members].any():
            continue  # nothing hidden: nothing to protect, nothing to attack
        if len(members) > JOINT:
            out.append((members, rels, None))
            continue
        pack[0].extend(members)
        pack[1].extend(rels)
        pack[2].extend([len(out) + len(pack[2])] * len(members))
        if len(pack[0]) >= PACK:
            out.append((pack[0], pack[1], np.asarray(pack[2])))
            pack = ([], [], [])
    if pack[0]:
        out.append((pack[0], pack[1], np.asarray(pack[2])))
    return out


def _merge_copies(found: list[Relation], variables: list[Cell]
                  ) -> tuple[list[Relation], list[Cell], np.ndarray]:
    """Cells that relations declare equal (``a − b = 0``: the same count in two tables, a
    total over one part) as one unknown: the relations rewritten on one cell of each class,
    the classes' cells, and each variable's class."""
    index = {cell: k for k, cell in enumerate(variables)}
    parent = np.arange(len(variables))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for relation in found:
        if (relation.kind == "eq" and relation.constant == 0 and len(relation.terms) == 2
                and sorted(relation.terms.values()) == [-1.0, 1.0]):
            a, b = (root(index[c]) for c in relation.terms)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = np.array([root(k) for k in range(len(variables))])
    if (roots == np.arange(len(variables))).all():
        return found, variables, np.arange(len(variables))
    keep, copies = np.unique(roots, return_inverse=True)
    classes = [variables[k] for k in keep]
    merged = []
    for relation in found:
        terms: dict[Cell, float] = {}
        for cell, coef in relation.terms.items():
            head = classes[copies[index[cell]]]
            terms[head] = terms.get(head, 0.0) + coef
        terms = {c: a for c, a in terms.items() if a != 0}
        if terms:
            merged.append(Relation(terms, relation.constant, relation.kind, relation.about))
    return merged, classes, copies


def _cells(variables: list[Cell], frames: Mapping[str, pd.DataFrame],
           released: Mapping[str, pd.DataFrame], specs: Mapping[str, Any]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each cell: its true value (0 when missing), whether primary suppression hid it,
    and whether it counts people."""
    values = np.zeros(len(variables))
    hidden = np.zeros(len(variables), dtype=bool)
    people = np.zeros(len(variables), dtype=bool)
    by_column: dict[tuple[str, str], list[int]] = {}
    for k, (name, _, column) in enumerate(variables):
        by_column.setdefault((name, column), []).append(k)
    for (name, column), ks in by_column.items():
        rows = np.array([variables[k][1] for k in ks])
        truth = _numbers(frames[name], column)[rows]
        values[ks] = np.nan_to_num(truth)
        hidden[ks] = released[name][column].isna().to_numpy()[rows] & ~np.isnan(truth)
        people[ks] = specs[name].column(column).counts_people
    return values, hidden, people


def _apply(released: dict[str, pd.DataFrame], frames: Mapping[str, pd.DataFrame],
           specs: Mapping[str, Any], hidden: set[Cell]) -> None:
    by_table: dict[str, dict[str, list[int]]] = {}
    for name, row, column in hidden:
        by_table.setdefault(name, {}).setdefault(column, []).append(row)
    for name, columns in by_table.items():
        frame = released[name]
        rows = np.zeros(len(frame), dtype=bool)
        for column, where in columns.items():
            mask = np.zeros(len(frame), dtype=bool)
            mask[where] = True
            series = frame[column]
            if pd.api.types.is_integer_dtype(series):
                series = series.astype("Int64")
            frame[column] = series.mask(mask)
            rows |= mask
        _hide_estimates(frame, specs[name], rows)
        frame["suppressed"] = frame["suppressed"].to_numpy(bool) | rows


def suppression_rates(released: Mapping[str, pd.DataFrame], *, study: Mapping[str, Any]
                      | None = None) -> dict[str, dict[str, float]]:
    """Information loss: per table, the count cells shown, hidden, and the share hidden.

    Examples
    --------
    >>> import pandas as pd
    >>> suppression_rates({"tokenism_rates": pd.DataFrame({"site": ["A", "B"],
    ...                                                    "n": [40, None]})})
    {'tokenism_rates': {'cells': 2, 'hidden': 1, 'share': 0.5}}
    """
    specs = _specs(released, study or {})
    out = {}
    for name, frame in released.items():
        spec = specs.get(name)
        if spec is None:
            continue
        columns = [c.name for c in spec.columns if c.role in COUNT_ROLES and c.counts_people
                   and c.name in frame.columns]
        if not columns:
            continue
        if "suppressed" in frame.columns:
            flagged = frame["suppressed"].astype("boolean").fillna(False).to_numpy(bool)
        else:
            flagged = np.ones(len(frame), dtype=bool)
        hidden = int((frame[columns].isna().to_numpy() & flagged[:, None]).sum())
        cells = int(frame[columns].size)
        out[name] = {"cells": cells, "hidden": hidden,
                     "share": round(hidden / cells, 4) if cells else 0.0}
    return out
