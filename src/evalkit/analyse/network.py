"""The traffic light of a person's network: red (only paid people), orange (people like them),
green (ordinary citizens), per respondent and as shares per site with intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit._checks import check_choice, check_column, check_frame, check_probability
from evalkit.analyse._not_asked import not_asked_matrix
from evalkit.errors import ArgumentError

__all__ = ["COLOURS", "traffic_light", "traffic_light_distribution"]

#: The colours, from the least to the most inclusive network (labels: ``quant.traffic_light.*``).
COLOURS = ("red", "orange", "green")

EMPTY = ("red", "missing")


def _counts(data: pd.DataFrame, column: Any, param: str) -> np.ndarray:
    column = check_column(data, column, param)
    values = data[column]
    converted = pd.to_numeric(values, errors="coerce")
    if (converted.isna() & values.notna()).any():
        raise ArgumentError(f"{param}={column!r} must hold counts of people (numbers)",
                            where=param)
    counts = converted.to_numpy(dtype="float64", na_value=np.nan)
    if (counts[~np.isnan(counts)] < 0).any():
        raise ArgumentError(f"{param}={column!r} holds negative counts", where=param)
    return counts


def _classify(paid: np.ndarray, peers: np.ndarray, community: np.ndarray,
              empty: str) -> pd.Categorical:
    green = community > 0
    no_community = community == 0
    orange = no_community & (peers > 0)
    no_peers = no_community & (peers == 0)
    red = no_peers & (paid > 0)
    if empty == "red":
        red |= no_peers  # no one at all: counted with the networks of paid people only
    codes = np.select([green, orange, red], [2, 1, 0], default=-1)
    return pd.Categorical.from_codes(codes, categories=list(COLOURS), ordered=True)


def traffic_light(data: pd.DataFrame, *, paid: str, peers: str, community: str,
                  empty: str = "red") -> pd.DataFrame:
    """Class each respondent's network as red, orange or green.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    paid : str
        Count of paid people in the network (staff, professionals).
    peers : str
        Count of people like them (same service, same label).
    community : str
        Count of ordinary citizens (neighbours, friends, family, colleagues).
    empty : {"red", "missing"}, default "red"
        What a network with no one at all is: ``"red"`` (classed with the networks that hold
        no ordinary citizen and no peer: the most isolated) or ``"missing"``.

    Returns
    -------
    DataFrame
        Indexed like ``data``, with the column ``traffic_light``: an ordered categorical
        ``red`` < ``orange`` < ``green`` (missing when it cannot be told).

    Notes
    -----
    - **green**: at least one ordinary citizen (``community > 0``), whatever the other counts;
    - **orange**: no ordinary citizen, at least one peer;
    - **red**: no ordinary citizen, no peer, at least one paid person (and, by default, no
      one at all).

    Missing counts: a colour is given whenever the known counts decide it (a respondent
    with ``community = 2`` is green even if ``paid`` is missing; with ``community = 0`` and
    ``peers = 3`` orange); otherwise (e.g. ``community`` missing) it is missing.

    References
    ----------
    The "inclusion traffic lights" of community-based services for people with learning
    disabilities (Scotland; National Development Team for Inclusion).

    Examples
    --------
    >>> import pandas as pd
    >>> net = pd.DataFrame({"paid": [3, 2, 1, 0, None], "peers": [0, 2, 1, 0, 0],
    ...                     "community": [0, 0, 4, 0, None]})
    >>> traffic_light(net, paid="paid", peers="peers", community="community")
      traffic_light
    0           red
    1        orange
    2         green
    3           red
    4           NaN
    """
    data = check_frame(data)
    check_choice(empty, EMPTY, "empty")
    colours = _classify(_counts(data, paid, "paid"), _counts(data, peers, "peers"),
                        _counts(data, community, "community"), empty)
    return pd.DataFrame({"traffic_light": colours}, index=data.index)


def traffic_light_distribution(data: pd.DataFrame, *, paid: str, peers: str, community: str,
                               site: str | None = None, group: str | None = None,
                               empty: str = "red", confidence: float = 0.95,
                               not_asked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts and shares of red, orange and green networks per site (and group).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    paid, peers, community, empty
        As in :func:`traffic_light`.
    site, group : str, optional
        Columns to count within.
    confidence : float, default 0.95
        Level of the Wilson intervals.
    not_asked : DataFrame of bool, optional
        Cells empty by design, with the index of ``data`` (``ValidationReport.not_asked``): a
        network question asked of a subset only. Adds ``n_not_asked``.

    Returns
    -------
    DataFrame
        One row per site (and group) and colour, all three colours always present, with the
        columns ``site`` and ``group`` (when given) and

        - ``colour``: ``red``, ``orange`` or ``green``;
        - ``count``: respondents of that colour;
        - ``n``: respondents whose colour is known (the denominator);
        - ``n_missing``: respondents left out because their colour could not be told;
        - ``n_not_asked`` (only when ``not_asked`` is given): respondents left out because the
          counts their colour needs were not asked of them (missing by design, not in
          ``n_missing``);
        - ``share``: ``count / n``;
        - ``ci_low``, ``ci_high``: the Wilson score interval of the share.

    Notes
    -----
    The Wilson (1927) interval ``(p̂ + z²/2n ± z √(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)`` keeps
    within [0, 1] and behaves well for small sites and shares near 0 or 1 (Brown, Cai &
    DasGupta 2001). Rows with a missing site or group are left out.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    https://doi.org/10.1080/01621459.1927.10502953

    Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial
    proportion. *Statistical Science*, 16(2), 101-133. https://doi.org/10.1214/ss/1009213286

    Examples
    --------
    >>> import pandas as pd
    >>> net = pd.DataFrame({"site": ["A"] * 4, "paid": [3, 2, 1, 1],
    ...                     "peers": [0, 2, 1, 0], "community": [0, 0, 4, 1]})
    >>> out = traffic_light_distribution(net, paid="paid", peers="peers",
    ...                                  community="community", site="site")
    >>> out[["colour", "count", "n", "share"]]
       colour  count  n  share
    0     red      1  4   0.25
    1  orange      1  4   0.25
    2   green      2  4   0.50
    """
    colours = traffic_light(data, paid=paid, peers=peers, community=community, empty=empty)
    site = check_column(data, site, "site", optional=True)
    group = check_column(data, group, "group", optional=True)
    confidence = check_probability(confidence, "confidence")
    keys = [(name, col) for name, col in (("site", site), ("group", group)) if col is not None]
    frame = pd.DataFrame({name: data[col] for name, col in keys}, index=data.index)
    frame = frame.assign(colour=colours["traffic_light"])
    counts = [(column, _counts(data, column, param))
              for column, param in ((paid, "paid"), (peers, "peers"), (community, "community"))]
    skipped = not_asked_matrix(data, not_asked, [column for column, _ in counts])
    if skipped is not None:
        # A colour not told is missing by design when every count it lacks was not asked.
        lacking = np.column_stack([np.isnan(x) for _, x in counts])
        frame["_by_design"] = (frame["colour"].isna().to_numpy()
                               & (~lacking | skipped).all(axis=1) & lacking.any(axis=1))
    frame = frame.dropna(subset=[k for k, _ in keys])
    names = [name for name, _ in keys]
    if not names:
        frame["_all"] = 0
        names = ["_all"]
    table = pd.crosstab([frame[k] for k in names], frame["colour"], dropna=False)
    table = table.reindex(columns=list(COLOURS), fill_value=0)
    unknown = frame["colour"].isna()
    if skipped is not None:
        by_design = frame["_by_design"].groupby([frame[k] for k in names]).sum()
        unknown &= ~frame["_by_design"]
    missing = unknown.groupby([frame[k] for k in names]).sum()
    long = table.stack().rename("count").reset_index()
    long["colour"] = pd.Categorical(long["colour"], categories=list(COLOURS), ordered=True)
    long["n"] = long.groupby(names, observed=True)["count"].transform("sum")
    cells = pd.MultiIndex.from_frame(long[names]) if len(names) > 1 else long[names[0]]
    long["n_missing"] = missing.reindex(cells).to_numpy()
    if skipped is not None:
        long["n_not_asked"] = by_design.reindex(cells).to_numpy().astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        long["share"] = long["count"] / long["n"].where(long["n"] > 0)
        # Imported here, not at the top: the traffic-light figure imports this module.
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(long["count"], long["n"], alpha=1 - confidence,
                                       method="wilson")
    long["ci_low"] = np.where(long["n"] > 0, low, np.nan)
    long["ci_high"] = np.where(long["n"] > 0, high, np.nan)
    long = long.sort_values([*names, "colour"], kind="stable").drop(columns="_all",
                                                                    errors="ignore")
    return long.reset_index(drop=True)
