"""Disclosure control of all the tables a run releases, chosen jointly.

Primary suppression is row by row (:func:`evalkit.apply_disclosure_control`). Secondary
suppression is chosen over every relation between the released tables at once (the same
relations the attacker's audit uses, :mod:`evalkit.release.audit`), with a mixed-integer
program (HiGHS) that hides as little as possible while every hidden
count of people keeps its protection interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from evalkit.analyse.catalogue import COUNT_ROLES, UnknownTableError, catalogue
from evalkit.release.audit import (
    Cell,
    Relation,
    _components,
    _matrix,
    _Tables,
    audit_tables,
    highs_model,
    intervals,
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


def _solve_cover(size: int, eq: tuple, le: tuple, values: np.ndarray, hidden: np.ndarray,
                 cost: np.ndarray, needs: list[tuple[int, float, float]],
                 big: float, allowed: np.ndarray | None = None) -> np.ndarray | None:
    """The cheapest set of cells to hide so that each need ``(cell, down, up)`` is met (None
    when no choice among the ``allowed`` cells meets them).

    For each need and direction, a witness ``y`` (a change of the hidden cells that keeps
    every relation) moves the cell by at least the protection level: ``A y = 0``,
    ``G y ≤ h − G x``, ``−x ≤ y ≤ big`` on hidden cells and ``y = 0`` on shown ones (the model
    of Fischetti & Salazar-González 2001, with the witnesses written out).
    """
    from scipy.sparse import bmat, csr_matrix, identity

    a_eq, _ = _matrix(*eq, size)
    a_ub, b_ub = _matrix(*le, size)
    slack = None if a_ub is None else np.asarray(b_ub - a_ub @ values).ravel()
    witnesses = [(cell, -down) for cell, down, _ in needs if down > 0] + \
                [(cell, up) for cell, _, up in needs if up > 0]
    k = len(witnesses)
    # variables: z (size), then one y (size) per witness
    blocks_rows = []
    lower_rhs, upper_rhs = [], []
    for w in range(k):
        if a_eq is not None:
            row = [None] * (k + 1)
            row[0] = csr_matrix(a_eq.shape)
            row[w + 1] = a_eq
            for j in range(k):
                if row[j + 1] is None:
                    row[j + 1] = csr_matrix(a_eq.shape)
            blocks_rows.append(row)
            lower_rhs.append(np.zeros(a_eq.shape[0]))
            upper_rhs.append(np.zeros(a_eq.shape[0]))
        if a_ub is not None:
            row = [csr_matrix(a_ub.shape) if j != w else a_ub for j in range(k)]
            blocks_rows.append([csr_matrix(a_ub.shape), *row])
            lower_rhs.append(np.full(a_ub.shape[0], -np.inf))
            upper_rhs.append(slack)
        # y ≤ big z  and  −x z ≤ y  (y − big z ≤ 0, y + x z ≥ 0)
        ident = identity(size, format="csr")
        row = [csr_matrix((size, size)) for _ in range(k)]
        row[w] = ident
        blocks_rows.append([-big * ident, *row])
        lower_rhs.append(np.full(size, -np.inf))
        upper_rhs.append(np.zeros(size))
        row = [csr_matrix((size, size)) for _ in range(k)]
        row[w] = ident
        blocks_rows.append([csr_matrix(np.diag(values)), *row])
        lower_rhs.append(np.zeros(size))
        upper_rhs.append(np.full(size, np.inf))
    matrix = bmat(blocks_rows, format="csr")
    lower = np.concatenate([hidden.astype(float), np.full(k * size, -np.inf)])
    upper = np.concatenate([np.ones(size) if allowed is None else (allowed | hidden)
                            .astype(float), np.full(k * size, np.inf)])
    for w, (cell, move) in enumerate(witnesses):
        at = size + w * size + cell
        if move > 0:
            lower[at] = move
        else:
            upper[at] = move
    objective = np.concatenate([np.where(hidden, 0.0, cost), np.zeros(k * size)])
    integrality = np.concatenate([np.ones(size), np.zeros(k * size)])
    solution = _milp(objective, matrix, np.concatenate(lower_rhs), np.concatenate(upper_rhs),
                     lower, upper, integrality)
    if solution is None:  # no way to protect with these cells
        return None
    return hidden | (solution[:size] > 0.5)


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


def _component_problem(found: list[Relation], rels: list[int], members: list[Cell]
                       ) -> tuple[dict[Cell, int], tuple, tuple]:
    local = {cell: i for i, cell in enumerate(members)}
    eq: tuple[list, list, list, list] = ([], [], [], [])
    le: tuple[list, list, list, list] = ([], [], [], [])
    for j in rels:
        relation = found[j]
        rows, cols, data, rhs = eq if relation.kind == "eq" else le
        line = len(rhs)
        for cell, coef in relation.terms.items():
            rows.append(line)
            cols.append(local[cell])
            data.append(coef)
        rhs.append(-relation.constant)
    return local, eq, le


def _protect_component(found: list[Relation], rels: list[int], members: list[Cell],
                       values: dict[Cell, float], hidden: set[Cell],
                       needs: dict[Cell, tuple[float, float]], *, exact: bool) -> set[Cell]:
    """Hide more cells of one component until each cell of ``needs`` is protected."""
    local, eq, le = _component_problem(found, rels, members)
    size = len(members)
    x = np.array([values[c] for c in members], dtype=float)
    mask = np.array([c in hidden for c in members])
    cost = x + 1.0  # information lost: the people hidden, and the cell itself
    big = float(x.sum() + max((max(d, u) for d, u in needs.values()), default=0) + 1)
    asked = sorted((c for c in needs if c in local), key=lambda c: (-(x[local[c]]), c))
    if exact:
        todo = [(local[c], *needs[c]) for c in asked]
        chosen = _solve_cover(size, eq, le, x, mask, cost, todo, big)
        return {c for c, m in zip(members, mask if chosen is None else chosen, strict=True)
                if m}
    # One cell at a time, largest first; a cell the cells hidden so far already protect costs
    # nothing (checked by the attacker's linear programs first). Complements are looked for
    # near the cell first (cells linked to it through at most HOPS relations), then further.
    touching: dict[Cell, list[int]] = {}
    for j in rels:
        for c in found[j].terms:
            touching.setdefault(c, []).append(j)
    for cell in asked:
        down, up = needs[cell]
        if _protected(found, rels, members, x, mask, local[cell], down, up):
            continue
        for hops in (*HOPS, None):
            if hops is None:
                near_rels, reach = rels, None
            else:
                reach, _ = _reach(cell, hops, touching, found)
                near_rels = sorted({j for c in reach for j in touching.get(c, ())})
            near_cells = list(dict.fromkeys(c for j in near_rels for c in found[j].terms))
            where = [local[c] for c in near_cells]
            allowed = np.array([reach is None or c in reach for c in near_cells])
            _, eq_near, le_near = _component_problem(found, near_rels, near_cells)
            chosen = _solve_cover(len(near_cells), eq_near, le_near, x[where], mask[where],
                                  cost[where], [(near_cells.index(cell), down, up)], big,
                                  allowed=allowed)
            if chosen is not None:
                mask[where] = chosen
                break
    return {c for c, m in zip(members, mask, strict=True) if m}


#: How far from a cell its complements are looked for first (relations away), in turn.
HOPS: tuple[int, ...] = (2, 3)


def _reach(cell: Cell, hops: int, touching: Mapping[Cell, list[int]],
           found: list[Relation]) -> tuple[set[Cell], set[int]]:
    cells, relations_seen, frontier = {cell}, set(), {cell}
    for _ in range(hops):
        step = {j for c in frontier for j in touching.get(c, ())} - relations_seen
        relations_seen |= step
        frontier = {c for j in step for c in found[j].terms} - cells
        cells |= frontier
    return cells, relations_seen


def _protected(found: list[Relation], rels: list[int], members: list[Cell], x: np.ndarray,
               mask: np.ndarray, at: int, down: float, up: float) -> bool:
    """Whether the attacker's interval of cell ``at`` already reaches ``down`` below and
    ``up`` above its value, given the hidden cells ``mask``."""
    cells = [c for c, m in zip(members, mask, strict=True) if m]
    shown = {c: v for c, v, m in zip(members, x, mask, strict=True) if not m}
    folded = []
    for j in rels:
        relation = found[j]
        terms = {c: a for c, a in relation.terms.items() if c not in shown}
        constant = relation.constant + sum(a * shown[c] for c, a in relation.terms.items()
                                           if c in shown)
        if terms:
            folded.append(Relation(terms, constant, relation.kind, relation.about))
    target = members[at]
    found_bounds = intervals(cells, folded, [target])
    lower, upper, _ = found_bounds.get(target, (0.0, math.inf, []))
    return lower <= x[at] - down + 1e-9 and upper >= x[at] + up - 1e-9


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
                   study: Mapping[str, Any] | None = None, exact: bool = False
                   ) -> dict[str, pd.DataFrame]:
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
    one per cell). By default one primary cell at a time, largest first, each program solved
    exactly by HiGHS, skipping cells already protected; with
    ``exact=True`` all at once. Estimates resting on a hidden count are then hidden.

    *Audit*: the result is attacked (:func:`evalkit.release.audit.audit_tables`); a hidden
    count still disclosed (a complement the relations pin inside the small range) is
    protected in turn, up to :data:`MAX_ROUNDS` rounds.

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
    numbers = _Tables(known, study)
    values = {c: float(np.nan_to_num(numbers.values(c[0], c[2])[c[1]])) for c in variables}
    low, high = small_range(policy)
    hidden = {c for c in variables if _is_hidden(released, c, frames)}
    needs: dict[Cell, tuple[float, float]] = {}
    for cell in hidden:
        column = specs[cell[0]].column(cell[2])
        if column.counts_people and low <= values[cell] <= high:
            needs[cell] = _requirement(values[cell], policy)
    level = max(high - low, 1)
    for _ in range(MAX_ROUNDS):
        for members_idx, rels in _components(variables, found):
            members = [variables[k] for k in members_idx]
            component_needs = {c: needs[c] for c in members if c in needs}
            if not component_needs:
                continue
            hidden |= _protect_component(found, rels, members, values, hidden,
                                         component_needs, exact=exact)
        _apply(released, frames, specs, hidden)
        audit = audit_tables({n: released[n] for n in known}, policy=policy, study=study)
        added = False
        for cell, disclosed in zip(audit.attrs["cells"], audit["disclosed"], strict=True):
            if not disclosed or cell not in values or cell in needs:
                continue
            needs[cell] = (0.0, float(level))
            added = True
        if not added:
            break
    # Estimates on a base hidden by now go the way the row-by-row rules send them (so that
    # writing a released table again hides nothing more).
    for name, frame in released.items():
        if name in specs:
            roles = specs[name].release_roles(list(tables[name].columns))
            released[name] = apply_disclosure_control(
                frame, counts=roles.counts, estimates=roles.estimates, n=roles.n,
                numerators=roles.numerators, policy=policy).drop(columns=["suppression"])
    return released


def _is_hidden(released: Mapping[str, pd.DataFrame], cell: Cell,
               frames: Mapping[str, pd.DataFrame]) -> bool:
    name, row, column = cell
    return bool(pd.isna(released[name][column].iloc[row])
                and not pd.isna(frames[name][column].iloc[row]))


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
