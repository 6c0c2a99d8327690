"""Descriptive tables: who answered where and when, and how rating items were answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_column, check_columns, check_frame

__all__ = ["likert_distribution", "response_counts"]


def response_counts(data: pd.DataFrame, *, site: str, wave: str | None = None,
                    group: str | None = None) -> pd.DataFrame:
    """Respondents by site (and wave and group).

    Parameters
    ----------
    data : DataFrame
        One row per respondent and wave.
    site, wave, group : str
        Columns of ``data``.

    Returns
    -------
    DataFrame
        One row per combination present: the role columns and ``n`` (rows).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"site": ["A", "A", "B"], "wave": [1, 2, 1]})
    >>> response_counts(d, site="site", wave="wave")["n"].tolist()
    [1, 1, 1]
    """
    check_frame(data)
    keys = [check_column(data, site, "site")]
    for value, param in ((wave, "wave"), (group, "group")):
        if value is not None:
            keys.append(check_column(data, value, param))
    return (data.groupby(keys, dropna=False, sort=True).size().rename("n").reset_index())


def likert_distribution(data: pd.DataFrame, *, items: Sequence[str],
                        categories: Sequence[Any] | Mapping[Any, Any],
                        group: str | None = None) -> pd.DataFrame:
    """How each rating item was answered: counts and shares of every category.

    Parameters
    ----------
    data : DataFrame
        Ratings; missing codes already NA.
    items : list of str
        The rating columns.
    categories : sequence or mapping
        The categories in scale order (a codebook's values: the keys are used).
    group : str, optional
        A column to split by (e.g. the site or the respondent group).

    Returns
    -------
    DataFrame
        ``item``, (``group``), ``category``, ``position`` (0-based order on the scale),
        ``count``, ``n`` (answers to the item in that group) and ``share`` = count / n.
        Every category is listed, answered or not.

    Notes
    -----
    Missing answers (NA, including declared missing codes) are left out of ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"q": [1, 2, 2, None]})
    >>> likert_distribution(d, items=["q"], categories=[1, 2, 3])["count"].tolist()
    [1, 2, 0]
    """
    check_frame(data)
    items = check_columns(data, items, "items")
    codes = list(categories.keys() if isinstance(categories, Mapping) else categories)
    keys = [check_column(data, group, "group")] if group is not None else []
    long = data[keys + items].melt(id_vars=keys, value_vars=items, var_name="item",
                                   value_name="category").dropna(subset=["category"])
    long["category"] = long["category"].astype("float64")
    numeric = np.array([float(c) for c in codes])
    counts = long.groupby(["item", *keys, "category"], sort=False).size()
    index = pd.MultiIndex.from_product(
        [items, *([sorted(data[group].dropna().unique())] if group else []), numeric],
        names=["item", *keys, "category"])
    table = counts.reindex(index, fill_value=0).rename("count").reset_index()
    table["position"] = table["category"].map({v: i for i, v in enumerate(numeric)})
    table["category"] = table["category"].map(dict(zip(numeric, codes, strict=True)))
    table["n"] = table.groupby(["item", *keys])["count"].transform("sum")
    table["share"] = np.where(table["n"] > 0, table["count"] / table["n"].where(table["n"] > 0),
                              np.nan)
    return table[["item", *keys, "category", "position", "count", "n", "share"]]
