"""Where each site stands in the tokenism funnel, read from released tables.

The main messages and the joint display read the same released funnel and overdispersion
tables the same way; this is that one reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: The funnel's outer (alarm) and inner (alert) limits.
ALARM, ALERT = 0.998, 0.95

Tables = Mapping[str, pd.DataFrame]


def site_key(tables: Tables, name: str) -> str:
    """The column of table ``name`` that holds the site: the study's own name for its site
    column when ``tables`` knows it (:class:`evalkit.release.tables.ReleasedTables`), else
    ``site``."""
    key = getattr(tables, "key", None)
    return (key(name, "site") if key is not None else None) or "site"


def with_site(tables: Tables, name: str) -> pd.DataFrame | None:
    """The table ``name`` (None when absent) with its site column named ``site``."""
    frame = tables.get(name)
    if frame is None:
        return None
    key = site_key(tables, name)
    return frame if key == "site" else frame.rename(columns={key: "site"})


def released_table(tables: Tables, name: str, columns: Sequence[str]) -> pd.DataFrame | None:
    """The table ``name`` when it exists and has ``columns``, else None (its site column is
    named ``site``)."""
    frame = with_site(tables, name)
    if frame is None or frame.empty or not set(columns) <= set(frame.columns):
        return None
    return frame


def numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def truthy(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)


def funnel_sites(tables: Tables, level: float) -> tuple[pd.DataFrame, bool, float] | None:
    """Sites with their side of the funnel limits at ``level``: adjusted limits when the
    indicator is overdispersed (φ > 1), the plain limits otherwise."""
    disp = released_table(tables, "tokenism_overdispersion",
                  ("site", "level", "phi", "outside_adjusted", "z_adjusted"))
    if disp is not None:
        phi = float(numeric(disp["phi"]).dropna().iloc[0]) if numeric(disp["phi"]).notna().any() \
            else np.nan
        rows = disp[np.isclose(numeric(disp["level"]), level)]
        if phi > 1 and not rows.empty:
            out = pd.DataFrame({
                "site": rows["site"].astype(str).to_numpy(),
                "outside": truthy(rows["outside_adjusted"]).to_numpy(),
                "z": numeric(rows["z_adjusted"]).to_numpy()})
            return out, True, phi
    funnel = released_table(tables, "tokenism_funnel", ("source", "site", "level", "outside", "z"))
    if funnel is None:
        return None
    rows = funnel[(funnel["source"] == "site") & np.isclose(numeric(funnel["level"]), level)]
    if rows.empty:
        return None
    out = pd.DataFrame({"site": rows["site"].astype(str).to_numpy(),
                        "outside": truthy(rows["outside"]).to_numpy(),
                        "z": numeric(rows["z"]).to_numpy()})
    phi = float(numeric(disp["phi"]).dropna().iloc[0]) if disp is not None and \
        numeric(disp["phi"]).notna().any() else np.nan
    return out, False, phi
