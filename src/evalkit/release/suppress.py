"""Suppression of small counts and of estimates on small bases, with complementary suppression.

:func:`apply_disclosure_control` is the one function the rest of evalkit calls before a table
leaves; :func:`suppress_table` protects a two-way count table with margins so that no suppressed
cell can be recovered from the totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_column, check_frame
from evalkit.config.study import DisclosurePolicy, Study
from evalkit.errors import ArgumentError
from evalkit.i18n import format_integer, t

__all__ = [
    "DisclosurePolicy",
    "REASONS",
    "apply_disclosure_control",
    "disclosure_intervals",
    "policy_record",
    "suppress_table",
    "suppression_note",
]

#: Why a cell was suppressed, in the order reasons are listed in the ``suppression`` column.
REASONS: tuple[str, ...] = ("small_count", "zero_count", "small_base", "derived",
                            "complementary")


def as_policy(policy: Any) -> DisclosurePolicy:
    """``policy`` as a :class:`DisclosurePolicy`: a policy (a study's ``privacy`` section is
    one), a study, or a mapping with the policy's keys."""
    if isinstance(policy, DisclosurePolicy):
        return policy
    if isinstance(policy, Study):
        return policy.privacy
    if isinstance(policy, Mapping):
        return DisclosurePolicy(**policy)
    raise ArgumentError(
        "policy must be a DisclosurePolicy, the study's privacy section or the study, got "
        f"{type(policy).__name__}", where="policy")


def policy_record(policy: Any) -> dict[str, Any]:
    """The rules of ``policy`` (see :func:`as_policy`) by name, as a run records them and as
    released frames are kept under: every field of :class:`DisclosurePolicy`, so that a new
    rule is recorded without being listed again.

    >>> policy_record(DisclosurePolicy(min_cell=3))
    {'min_cell': 3, 'min_n_for_rates': 10, 'zero_counts': 'show'}
    """
    policy = as_policy(policy)
    return {name: getattr(policy, name) for name in DisclosurePolicy.model_fields}


def _column_list(table: pd.DataFrame, columns: Any, param: str) -> list:
    if columns is None:
        return []
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    for column in columns:
        check_column(table, column, param)
    return columns


def _numeric(table: pd.DataFrame, column: Any, param: str) -> pd.Series:
    values = table[column]
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        converted = pd.to_numeric(values, errors="coerce")
        if (converted.isna() & values.notna()).any():
            raise ArgumentError(f"{param} column {column!r} must hold numbers, got values such "
                                f"as {values[converted.isna() & values.notna()].iloc[0]!r}",
                                where=param)
        values = converted
    return values.astype("Float64")


def _blank(out: pd.DataFrame, column: Any, mask: np.ndarray) -> None:
    """Set the cells of ``column`` where ``mask`` is true to missing, keeping integers integral."""
    series = out[column]
    if pd.api.types.is_integer_dtype(series) and not pd.api.types.is_bool_dtype(series):
        series = series.astype("Int64")
    elif pd.api.types.is_bool_dtype(series):
        series = series.astype("boolean")
    out[column] = series.mask(mask)


def _flags(out: pd.DataFrame, reasons: dict[str, np.ndarray]) -> pd.DataFrame:
    """Add (or update) the ``suppressed`` and ``suppression`` columns from per-row reasons."""
    n = len(out)
    previous = (out["suppression"].astype(object).where(out["suppression"].notna(), "")
                if "suppression" in out else pd.Series([""] * n, index=out.index))
    labels = []
    for i, before in enumerate(previous.tolist()):
        found = set(filter(None, str(before).split(";")))
        found |= {reason for reason, rows in reasons.items() if rows[i]}
        labels.append(";".join(r for r in REASONS if r in found) or None)
    flag = np.array([label is not None for label in labels], dtype=bool)
    if "suppressed" in out:
        flag |= out["suppressed"].fillna(False).astype(bool).to_numpy()
    out["suppressed"] = flag
    out["suppression"] = pd.Series(labels, index=out.index, dtype=object)
    return out


def apply_disclosure_control(table: pd.DataFrame, *, counts: Sequence[str] | str = (),
                             estimates: Sequence[str] | str = (), n: str | None = None,
                             policy: Any,
                             numerators: Sequence[str] | Mapping[str, str] | str | None = None
                             ) -> pd.DataFrame:
    """Suppress small counts of people and estimates computed on too few people.

    This is the one function every table goes through before it leaves (tables, figures,
    reports, the brief).

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy table of results.
    counts : list of str
        Columns holding counts of people (unweighted).
    estimates : list of str
        Columns holding rates, proportions, means, scores, interval bounds: anything computed
        from the people counted in ``n``.
    n : str, optional
        The column holding the unweighted number of people behind each row's estimates
        (required when ``estimates`` is given). It is itself a count of people and is
        suppressed like ``counts``.
    policy : DisclosurePolicy or the study's privacy section
        ``min_cell``, ``min_n_for_rates`` and ``zero_counts``.
    numerators : list of str, or mapping of str to str, optional
        The counts the row's estimates are computed from (the ``k`` of a rate ``k / n``), or a
        mapping from each numerator to the column of its own base when it is not ``n``.
        Default: every column of ``counts``, on the base ``n``. When a numerator is suppressed,
        or when its complement ``base − k`` is a count from 1 to ``min_cell − 1``, the row's
        estimates and that numerator are suppressed too (``derived``): a share and its base
        would otherwise give the small count back (``share × base``), and so would the base and
        ``k`` (``base − k``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` in which suppressed cells are missing (integer columns become
        nullable integers), with two more columns:

        - ``suppressed`` (bool): the row has at least one suppressed cell;
        - ``suppression`` (str or missing): why, among ``small_count`` (a count from 1 to
          ``min_cell − 1``), ``zero_count`` (a zero when ``zero_counts`` is ``'suppress'``),
          ``small_base`` (an estimate on fewer than ``min_n_for_rates`` people, or on an
          unknown number), ``derived`` (an estimate that would give a suppressed numerator, or a
          small complement ``n − k``, back) and ``complementary`` (set by
          :func:`suppress_table`), joined by ``;``.

    Notes
    -----
    A count ``c`` is suppressed when ``0 < c < min_cell``, and when ``c = 0`` if the policy
    suppresses zeros. An estimate is suppressed when ``n < max(min_n_for_rates, min_cell)``
    (an estimate on a base too small to show would give it away) or ``n`` is missing. Cells already missing stay missing and are not counted as suppressed. Applying
    the function twice gives the same table (flags already present are kept).

    Weighted estimates still need the unweighted ``n``: the thresholds are about how many
    people stand behind a number, and a weight does not add any (Statistics Canada asks for at
    least 10 unweighted observations behind a survey estimate).

    This function does not protect a table whose rows add up to a published total: use
    :func:`suppress_table` for a two-way table with margins.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"site": ["A", "B", "C"], "n": [40, 8, 3],
    ...                       "consulted": [12, 6, 2], "rate": [0.30, 0.75, 0.67]})
    >>> out = apply_disclosure_control(table, counts=["consulted"], estimates=["rate"], n="n",
    ...                                policy=DisclosurePolicy(min_cell=5, min_n_for_rates=10))
    >>> out
      site     n  consulted  rate  suppressed             suppression
    0    A    40         12   0.3       False                    None
    1    B     8       <NA>   NaN        True      small_base;derived
    2    C  <NA>       <NA>   NaN        True  small_count;small_base

    (At B, 6 consulted of 8 would tell that 2 were not.) A rate whose numerator is hidden, or whose complement is a small count, goes too:

    >>> table = pd.DataFrame({"n": [50, 50], "k": [3, 48], "rate": [0.06, 0.96]})
    >>> apply_disclosure_control(table, counts=["k"], estimates=["rate"], n="n",
    ...                          policy=DisclosurePolicy())[["k", "rate", "suppression"]]
          k  rate          suppression
    0  <NA>   NaN  small_count;derived
    1  <NA>   NaN              derived
    """
    check_frame(table, "table")
    counts = _column_list(table, counts, "counts")
    estimates = _column_list(table, estimates, "estimates")
    n = check_column(table, n, "n", optional=True)
    if estimates and n is None:
        raise ArgumentError(
            "estimates need n=: the column holding the unweighted number of people behind "
            "each estimate", where="n")
    policy = as_policy(policy)
    if numerators is None:
        numerators = {c: n for c in counts}
    elif isinstance(numerators, Mapping):
        numerators = {check_column(table, k, "numerators"): check_column(table, v, "numerators")
                      for k, v in numerators.items()}
    else:
        numerators = {c: n for c in _column_list(table, numerators, "numerators")}
    unknown = [c for c in numerators if c not in counts]
    if unknown:
        raise ArgumentError(f"numerators must be columns listed in counts, got {unknown!r}",
                            where="numerators")
    out = table.copy()
    rows = len(out)
    reasons = {reason: np.zeros(rows, dtype=bool) for reason in REASONS}
    base = _numeric(table, n, "n") if n is not None else None
    for column in dict.fromkeys([*counts, *([n] if n is not None else [])]):
        values = _numeric(table, column, "counts")
        small = ((values > 0) & (values < policy.min_cell)).fillna(False).to_numpy(bool)
        zero = (values == 0).fillna(False).to_numpy(bool) & (policy.zero_counts == "suppress")
        reasons["small_count"] |= small
        reasons["zero_count"] |= zero
        _blank(out, column, small | zero)
    if base is not None:
        # An estimate on a base that is itself too small to show would give the count away.
        least = max(policy.min_n_for_rates, policy.min_cell)
        small_base = (base.isna() | (base < least)).fillna(True).to_numpy(bool)
        for column in estimates:
            hit = small_base & table[column].notna().to_numpy(bool)
            reasons["small_base"] |= hit
            _blank(out, column, hit)
    if estimates and base is not None:
        # share × n gives a suppressed numerator back; n − k gives a small complement back.
        derived = np.zeros(rows, dtype=bool)
        for column, base_column in numerators.items():
            values = _numeric(table, column, "numerators")
            hidden = ((values > 0) & (values < policy.min_cell)).fillna(False).to_numpy(bool)
            if policy.zero_counts == "suppress":
                hidden |= (values == 0).fillna(False).to_numpy(bool)
            own_base = base if base_column in (None, n) else _numeric(table, base_column, "n")
            rest = own_base - values
            small_rest = ((rest > 0) & (rest < policy.min_cell)).fillna(False).to_numpy(bool)
            derived |= hidden | small_rest
            blanked = small_rest & out[column].notna().to_numpy(bool)
            reasons["derived"] |= blanked
            _blank(out, column, blanked)
        for column in estimates:
            hit = derived & out[column].notna().to_numpy(bool)
            reasons["derived"] |= hit
            _blank(out, column, hit)
    return _flags(out, reasons)


def suppression_note(table: pd.DataFrame, *, lang: str, policy: Any) -> str:
    """The footnote under a table with hidden cells, in ``lang``.

    One generic note for every hidden cell: it states the policy, never which rule hid which
    cell (a reason per cell would narrow the value it hides). Returns an empty string when
    nothing in ``table`` is hidden.

    Examples
    --------
    >>> import pandas as pd
    >>> out = apply_disclosure_control(pd.DataFrame({"n": [3, 20]}), counts=["n"],
    ...                                policy=DisclosurePolicy())
    >>> suppression_note(out, lang="en", policy=DisclosurePolicy())  # doctest: +NORMALIZE_WHITESPACE
    'Value hidden to protect confidentiality (counts of fewer than 5 people, estimates on fewer
    than 10 people, and other values that would let them be worked out).'
    """

    check_frame(table, "table")
    policy = as_policy(policy)
    if "suppressed" in table:
        hidden = table["suppressed"].astype("boolean").fillna(False).to_numpy(bool).any()
    else:
        hidden = "suppression" in table and table["suppression"].notna().any()
    if not hidden:
        return ""
    parts = [t("privacy.suppressed_note", lang,
               min_cell=format_integer(policy.min_cell, lang),
               min_n=format_integer(max(policy.min_n_for_rates, policy.min_cell), lang))]
    if policy.zero_counts == "suppress":
        parts.append(t("privacy.note.zero", lang))
    return " ".join(parts)


# -- two-way tables with margins --------------------------------------------------------------
def _lines(shape: tuple[int, int], row_totals: bool,
           col_totals: bool) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """The additive relations of a table with margins: (cells that add up, their total)."""
    n_rows, n_cols = shape
    inner_rows = range(n_rows - 1 if col_totals else n_rows)
    inner_cols = range(n_cols - 1 if row_totals else n_cols)
    lines = []
    if row_totals:
        for i in range(n_rows):
            lines.append(([(i, j) for j in inner_cols], (i, n_cols - 1)))
    if col_totals:
        for j in range(n_cols):
            lines.append(([(i, j) for i in inner_rows], (n_rows - 1, j)))
    return lines


def _intervals(values: np.ndarray, suppressed: np.ndarray, lines: list,
               cells: Iterable[tuple[int, int]] | None = None) -> dict:
    """Smallest and largest value each suppressed cell can take given the published cells.

    Linear programs: the suppressed cells are non-negative unknowns bound by every additive
    relation of the table; published cells are fixed.
    """
    from scipy.optimize import linprog

    unknown = [tuple(c) for c in np.argwhere(suppressed)]
    index = {cell: k for k, cell in enumerate(unknown)}
    rows, rhs = [], []
    for members, total in lines:
        signed = [(cell, 1.0) for cell in members] + [(total, -1.0)]
        if not any(cell in index for cell, _ in signed):
            continue
        row = np.zeros(len(unknown))
        known = 0.0
        for cell, sign in signed:
            if cell in index:
                row[index[cell]] += sign
            else:
                known += sign * values[cell]
        rows.append(row)
        rhs.append(-known)
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    result = {}
    for cell in (unknown if cells is None else cells):
        objective = np.zeros(len(unknown))
        objective[index[cell]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        lower = low.fun if low.status == 0 else 0.0
        upper = -high.fun if high.status == 0 else np.inf
        result[cell] = (lower, upper)
    return result


def _cost(values: np.ndarray, cell: tuple[int, int], shape: tuple[int, int], row_totals: bool,
          col_totals: bool) -> tuple:
    """Cost of suppressing ``cell`` as a complement: information lost, margins last, zeros last
    (a zero protects nothing from below), then position (deterministic ties)."""
    i, j = cell
    margin = int(row_totals and j == shape[1] - 1) + int(col_totals and i == shape[0] - 1)
    return (values[cell] == 0, margin, values[cell], i, j)


def _complete_lines(values, suppressed, lines, cost) -> None:
    """Until every relation with a suppressed cell has two: suppress the cheapest partner."""
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            line = [*members, total]
            hidden = [cell for cell in line if suppressed[cell]]
            if len(hidden) == 1:
                partner = min((c for c in line if not suppressed[c]), key=cost)
                suppressed[partner] = True
                changed = True


def _secondary(values: np.ndarray, primary: np.ndarray, lines: list, cost,
               protection: float) -> np.ndarray:
    suppressed = primary.copy()
    _complete_lines(values, suppressed, lines, cost)
    while True:
        widths = _intervals(values, suppressed, lines)
        exposed = sorted((c for c, (lo, hi) in widths.items() if hi - lo < protection), key=cost)
        if not exposed:
            return suppressed
        cell = exposed[0]
        candidates = sorted((tuple(c) for c in np.argwhere(~suppressed)), key=cost)
        chosen = None
        for candidate in candidates:
            trial = suppressed.copy()
            trial[candidate] = True
            _complete_lines(values, trial, lines, cost)
            lo, hi = _intervals(values, trial, lines, cells=[cell])[cell]
            if hi - lo >= protection:
                chosen = trial
                break
        if chosen is None:  # no single cell is enough: widen step by step along the cell's lines
            near = [c for c in candidates if c[0] == cell[0] or c[1] == cell[1]] or candidates
            chosen = suppressed.copy()
            chosen[near[0]] = True
            _complete_lines(values, chosen, lines, cost)
        suppressed = chosen


def _count_matrix(crosstab: pd.DataFrame) -> np.ndarray:
    if isinstance(crosstab.columns, pd.MultiIndex) or isinstance(crosstab.index, pd.MultiIndex):
        raise ArgumentError("crosstab must be a two-way table with one level of rows and "
                            "columns (no MultiIndex)", where="crosstab")
    try:
        values = crosstab.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError("crosstab must hold counts (numbers) only", where="crosstab") from None
    if not np.isfinite(values).all() or (values < 0).any() or (values != np.round(values)).any():
        raise ArgumentError("crosstab must hold non-negative whole counts, with no missing "
                            "value", where="crosstab")
    return values


def _check_margins(values: np.ndarray, crosstab: pd.DataFrame, row_totals: bool,
                   col_totals: bool) -> None:
    n_rows, n_cols = values.shape
    if n_rows - col_totals < 1 or n_cols - row_totals < 1:
        raise ArgumentError("crosstab has no inner cells besides its margins", where="crosstab")
    wrong = None
    if row_totals:
        bad = np.flatnonzero(values[:, :-1].sum(axis=1) != values[:, -1])
        wrong = f"row {crosstab.index[bad[0]]!r}" if len(bad) else None
    if col_totals and wrong is None:
        bad = np.flatnonzero(values[:-1, :].sum(axis=0) != values[-1, :])
        wrong = f"column {crosstab.columns[bad[0]]!r}" if len(bad) else None
    if wrong is not None:
        raise ArgumentError(f"the margins of crosstab do not add up ({wrong}); pass "
                            "row_totals=False or col_totals=False if it has none",
                            where="crosstab")


def suppress_table(crosstab: pd.DataFrame, *, row_totals: bool = True, col_totals: bool = True,
                   policy: Any, protection: float = 1) -> pd.DataFrame:
    """Protect a two-way count table with margins: primary and complementary suppression.

    Parameters
    ----------
    crosstab : pandas.DataFrame
        Counts of people, rows × columns, e.g. ``pd.crosstab(a, b, margins=True)``: its last
        column holds the row totals (when ``row_totals``) and its last row the column totals
        (when ``col_totals``).
    row_totals, col_totals : bool, default True
        Whether the last column / last row are totals.
    policy : DisclosurePolicy or the study's privacy section
        ``min_cell`` and ``zero_counts`` decide the primary suppressions.
    protection : float, default 1
        How wide the range of values a suppressed cell can take, given every published cell,
        the totals and non-negativity, must at least be. The default 1 means "not determined
        exactly"; a larger value asks for more uncertainty (and more suppressions).

    Returns
    -------
    pandas.DataFrame
        The table with suppressed cells missing (nullable integers), plus ``suppressed`` and
        ``suppression`` columns per row as in :func:`apply_disclosure_control` (reasons
        ``small_count``, ``zero_count``, ``complementary``).

    Notes
    -----
    1. *Primary*: cells (margins included) from 1 to ``min_cell − 1``, and zeros if the policy
       suppresses them.
    2. *Complementary*: every row and column (margins included) that holds a suppressed cell
       must hold at least two, otherwise subtraction from its total gives the cell back. The
       partner chosen is the cheapest: non-zero before zero, inner cells before margins,
       smallest count first, then first position (deterministic).
    3. *Audit*: two cells per line are not always enough (two groups of suppressed cells joined
       by a single cell let that cell be solved). For each suppressed cell, two linear programs
       (``scipy.optimize.linprog``, HiGHS) find its smallest and largest feasible value given the
       published cells, all row and column relations and non-negativity. A cell whose range is
       narrower than ``protection`` gets one more complement, the cheapest that widens it, and
       the audit is repeated until no cell is exposed.

    This is the approach of cell suppression in statistical agencies (Hundepool et al. 2012,
    ch. 4); the audit is the attacker's calculation, so the guarantee holds against any
    combination of subtractions, not only along one row or column.

    References
    ----------
    Hundepool A, Domingo-Ferrer J, Franconi L, et al. (2012). *Statistical Disclosure Control*.
    Wiley. https://doi.org/10.1002/9781118348239

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"x": [20, 2, 22], "y": [15, 18, 33], "total": [35, 20, 55]},
    ...                      index=["a", "b", "total"])
    >>> suppress_table(table, policy=DisclosurePolicy())
              x     y  total  suppressed                suppression
    a      <NA>  <NA>     35        True              complementary
    b      <NA>  <NA>     20        True  small_count;complementary
    total    22    33     55       False                       None
    """
    check_frame(crosstab, "crosstab")
    policy = as_policy(policy)
    protection = float(protection)
    if not protection > 0:
        raise ArgumentError(f"protection must be a positive number, got {protection!r}",
                            where="protection")
    values = _count_matrix(crosstab)
    _check_margins(values, crosstab, bool(row_totals), bool(col_totals))
    shape = values.shape
    lines = _lines(shape, bool(row_totals), bool(col_totals))
    primary_small = (values > 0) & (values < policy.min_cell)
    primary_zero = (values == 0) & (policy.zero_counts == "suppress")

    def cost(cell):
        return _cost(values, cell, shape, bool(row_totals), bool(col_totals))

    suppressed = _secondary(values, primary_small | primary_zero, lines, cost, protection)
    complementary = suppressed & ~primary_small & ~primary_zero
    out = pd.DataFrame(
        {k: pd.array(np.where(suppressed[:, k], None, values[:, k].astype(np.int64)),
                     dtype="Int64") for k in range(shape[1])}, index=crosstab.index)
    out.columns = pd.Index(list(crosstab.columns), name=crosstab.columns.name, dtype=object)
    reasons = {"small_count": primary_small.any(axis=1), "zero_count": primary_zero.any(axis=1),
               "complementary": complementary.any(axis=1)}
    return _flags(out, {r: reasons.get(r, np.zeros(shape[0], bool)) for r in REASONS})


def disclosure_intervals(published: pd.DataFrame, *, row_totals: bool = True,
                         col_totals: bool = True) -> pd.DataFrame:
    """What an attacker can tell about each missing cell of a published table with margins.

    Parameters
    ----------
    published : pandas.DataFrame
        A two-way table of counts with margins, suppressed cells missing (the output of
        :func:`suppress_table`; ``suppressed``/``suppression`` columns are ignored).
    row_totals, col_totals : bool, default True
        Whether the last column / last row are totals.

    Returns
    -------
    pandas.DataFrame
        One row per missing cell: ``row``, ``column`` (labels), ``lower`` and ``upper`` (the
        smallest and largest value the cell can take given every published cell, the totals and
        non-negativity; ``upper`` is infinite when nothing bounds it) and ``width``.

    Examples
    --------
    >>> import pandas as pd
    >>> published = pd.DataFrame({"x": [None, None, 22], "y": [None, None, 33],
    ...                           "total": [35, 20, 55]}, index=["a", "b", "total"])
    >>> disclosure_intervals(published)[["row", "column", "lower", "upper"]]
      row column  lower  upper
    0   a      x    2.0   22.0
    1   a      y   13.0   33.0
    2   b      x    0.0   20.0
    3   b      y    0.0   20.0
    """
    check_frame(published, "published")
    table = published.drop(columns=[c for c in ("suppressed", "suppression") if c in published])
    values = table.to_numpy(dtype=float, na_value=np.nan)
    suppressed = np.isnan(values)
    lines = _lines(values.shape, bool(row_totals), bool(col_totals))
    found = _intervals(np.nan_to_num(values), suppressed, lines)
    rows = [{"row": table.index[i], "column": table.columns[j], "lower": lo, "upper": hi,
             "width": hi - lo} for (i, j), (lo, hi) in sorted(found.items())]
    return pd.DataFrame(rows, columns=["row", "column", "lower", "upper", "width"])
