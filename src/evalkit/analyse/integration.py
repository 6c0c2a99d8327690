"""Integration of services: how partner organisations rate their link with each site, along
the continuum the study configures (e.g. fragmented → cooperation → ... → integrated).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_column, check_frame
from evalkit.errors import ArgumentError, DataError

__all__ = ["integration_profile"]


def _labels(levels: Any) -> tuple[list[str], list[str], list[Any]]:
    """French and English labels of the levels, and the plain values they may appear as."""
    ok = isinstance(levels, Sequence) and not isinstance(levels, str) and len(levels) >= 2
    if not ok:
        raise ArgumentError(f"levels must list at least two levels of the continuum, in order "
                            f"(e.g. study.measures.integration.levels), got {levels!r}",
                            where="levels")
    fr, en, plain = [], [], []
    for level in levels:
        if isinstance(level, dict):
            fr.append(str(level.get("fr") or level.get("en")))
            en.append(str(level.get("en") or level.get("fr")))
            plain.append(None)
        elif hasattr(level, "fr") and hasattr(level, "en"):
            fr.append(str(level.fr))
            en.append(str(level.en))
            plain.append(None)
        else:
            fr.append(str(level))
            en.append(str(level))
            plain.append(level)
    return fr, en, plain


def _ranks(values: pd.Series, plain: list[Any], n_levels: int) -> np.ndarray:
    """Position 1..L of each rating: a whole number 1..L, or one of the plain labels."""
    lookup = {value: i + 1 for i, value in enumerate(plain) if value is not None}
    ranks = np.full(len(values), np.nan)
    present = values.notna().to_numpy()
    as_label = values.map(lookup).to_numpy(dtype="float64", na_value=np.nan)
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    ranks = np.where(~np.isnan(as_label), as_label, numeric)
    bad = present & (np.isnan(ranks) | (ranks % 1 != 0) | (ranks < 1) | (ranks > n_levels))
    if bad.any():
        first = values[bad].iloc[0]
        raise DataError.from_catalogue("quant.integration.unknown_level",
                                       where=str(values.name), value=first, n_levels=n_levels)
    return ranks


def integration_profile(data: pd.DataFrame, *, site: str, level: str,
                        levels: Sequence[Any]) -> pd.DataFrame:
    """Distribution of the partners' integration ratings over the continuum, per site.

    Parameters
    ----------
    data : DataFrame
        Partner ratings: one row per partner organisation and site.
    site : str
        Column holding the site rated.
    level : str
        Column holding the rating: the position on the continuum (1 = the first level) or,
        when ``levels`` are plain labels, the label itself.
    levels : sequence
        The continuum's levels in order, from the study configuration
        (``study.measures.integration.levels``): bilingual labels (``{"fr": ..., "en": ...}``
        or objects with ``fr`` and ``en``) or plain labels.

    Returns
    -------
    DataFrame
        One row per site and level (every level present, zero counts included), with the
        columns

        - ``site``; ``level``: the position (1 to L); ``label_fr``, ``label_en``;
        - ``count``: partners at that level; ``share``: ``count / n_partners``;
        - ``n_partners``: partners with a rating for the site;
        - ``median_level``: the lower median position (a level that exists);
        - ``mean_level``: the mean position (the levels read as equally spaced).

    Notes
    -----
    The continuum is ordinal: the median level is the summary to report; the mean treats the
    levels as equally spaced and is given for comparison with earlier reports. The median is
    the lowest level whose cumulative share reaches one half. Ratings that are missing are
    left out; a rating outside the continuum raises :class:`~evalkit.errors.DataError`.

    References
    ----------
    Ahgren, B., & Axelsson, R. (2005). Evaluating integrated health care: a model for
    measurement. *International Journal of Integrated Care*, 5, e01.
    https://doi.org/10.5334/ijic.134

    Examples
    --------
    >>> import pandas as pd
    >>> partners = pd.DataFrame({"site": ["A", "A", "A", "B"], "level": [1, 2, 2, 3]})
    >>> levels = [{"fr": "Fragmentation", "en": "Fragmented"},
    ...           {"fr": "Coordination", "en": "Coordination"},
    ...           {"fr": "Intégration", "en": "Integrated"}]
    >>> out = integration_profile(partners, site="site", level="level", levels=levels)
    >>> out[["site", "level", "label_en", "count", "median_level", "mean_level"]].round(2)
      site  level    label_en  count  median_level  mean_level
    0    A      1  Fragmented      1             2        1.67
    1    A      2  Coordination      2             2        1.67
    2    A      3  Integrated      0             2        1.67
    3    B      1  Fragmented      0             3        3.00
    4    B      2  Coordination      0             3        3.00
    5    B      3  Integrated      1             3        3.00
    """
    data = check_frame(data)
    site = check_column(data, site, "site")
    level = check_column(data, level, "level")
    fr, en, plain = _labels(levels)
    n_levels = len(fr)
    ranks = _ranks(data[level], plain, n_levels)
    keep = ~np.isnan(ranks) & data[site].notna().to_numpy()
    frame = pd.DataFrame({"site": data[site].to_numpy()[keep],
                          "level": ranks[keep].astype("int64")})
    counts = pd.crosstab(frame["site"], frame["level"]).reindex(
        columns=range(1, n_levels + 1), fill_value=0)
    totals = counts.sum(axis=1)
    cumulative = counts.cumsum(axis=1).to_numpy() / totals.to_numpy()[:, None]
    median = (cumulative >= 0.5).argmax(axis=1) + 1
    mean = (counts.to_numpy() * np.arange(1, n_levels + 1)).sum(axis=1) / totals.to_numpy()
    long = counts.stack().rename("count").reset_index()
    long["label_fr"] = long["level"].map(dict(enumerate(fr, start=1)))
    long["label_en"] = long["level"].map(dict(enumerate(en, start=1)))
    per_site = pd.DataFrame({"site": counts.index, "n_partners": totals.to_numpy(),
                             "median_level": median, "mean_level": mean})
    long = long.merge(per_site, on="site", how="left")
    long["share"] = long["count"] / long["n_partners"]
    columns = ["site", "level", "label_fr", "label_en", "count", "share", "n_partners",
               "median_level", "mean_level"]
    return long[columns].sort_values(["site", "level"], kind="stable").reset_index(drop=True)
