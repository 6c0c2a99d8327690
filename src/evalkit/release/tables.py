"""Released result tables: what pages, figures and the brief may show of a run's results.

Every presentation of a result table goes through :func:`released_table`, so that the same
count is suppressed the same way wherever it appears.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.analyse.results import Results
from evalkit.release.suppress import apply_disclosure_control

__all__ = ["released_table"]


def released_table(results: Results, name: str, *, policy: Any) -> pd.DataFrame:
    """Result table ``name`` after disclosure control: what reports may show.

    A funnel's site rows come back with the drawing grid of its ``<name>_limits`` table in
    front (no person stands behind a grid row), as :func:`evalkit.funnel_limits` returns them.
    """
    table = results[name]
    controlled = apply_disclosure_control(table.frame, counts=table.counts,
                                          estimates=table.estimates, n=table.n,
                                          policy=policy, numerators=table.numerators)
    grid = results.tables.get(f"{name}_limits")
    if grid is None:
        return controlled
    rows = grid.frame.assign(suppressed=False, suppression=None)
    return pd.concat([rows, controlled], ignore_index=True)[
        list(dict.fromkeys([*controlled.columns]))]
