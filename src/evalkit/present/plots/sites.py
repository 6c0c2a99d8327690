"""Figures that compare sites without ranking them: the funnel plot (control limits around the
all-site mean or a declared target) and the caterpillar plot (site estimates with their intervals).
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evalkit._checks import check_choice, check_column, check_number
from evalkit.analyse.funnel import FEW_SITES
from evalkit.analyse.results import Results
from evalkit.config.study import load_study
from evalkit.errors import ArgumentError
from evalkit.i18n import format_number, format_percent, t
from evalkit.present._text import marked, origin
from evalkit.present.plots import _style as S
from evalkit.present.plots._layers import digest_of, mark_layers
from evalkit.release.tables import released_table

__all__ = ["caterpillar_plot", "funnel_plot", "funnel_position"]

KINDS = ("proportion", "mean")
LABEL_SITES = ("outside", "all", "none", "auto")
#: With ``label_sites="auto"``, every site is named up to this many sites shown; beyond, only
#: those outside the limits (names of hundreds of sites cover the funnel, and each costs its
#: layout in every figure that draws it).
AUTO_LABEL_SITES = 20
REFERENCES = ("mean", "target")
_FUNNEL = ["source", "site", "n", "estimate", "target", "level", "lower", "upper", "outside"]
_OVERDISPERSION = ["site", "n", "target", "level", "lower", "upper", "lower_adjusted",
                   "upper_adjusted", "outside_adjusted", "phi", "p_value", "tau2"]
_STYLES = ["--", "-", ":", "-."]
_ABOVE, _BELOW, _INSIDE = S.OKABE_ITO["vermillion"], S.OKABE_ITO["blue"], "#4D4D4D"
#: Sites' names are drawn over the points and the ring (legible where they cross a point; a
#: site's copy draws them over the layer all sites share, see ``_layers``).
_NAMES_Z = 6
#: The funnels judged last in this process (:func:`_judged`), by the digest of their inputs.
_JUDGED: dict[bytes, tuple] = {}
#: How many judged funnels are kept.
_JUDGED_KEPT = 8
#: The funnels :func:`prime` judges ahead (funnel table, overdispersion table, kind): the one
#: each site profile draws.
PRIMED_FUNNELS = (("tokenism_funnel", "tokenism_overdispersion", "proportion"),)


# -- funnel plot -------------------------------------------------------------------------------

@S.figure_docs
def funnel_plot(data: pd.DataFrame, *, overdispersion: pd.DataFrame | None = None,
                kind: str = "proportion", indicator: str | None = None,
                label_sites: str = "outside", highlight: str | None = None,
                reference: str = "mean", non_validated: bool | None = None,
                lang: str = "fr", width: float = S.MAX_WIDTH) -> Figure:
    """Funnel plot: each site's indicator against its size, inside control limits.

    Parameters
    ----------
    data : DataFrame
        The output of :func:`evalkit.analyse.funnel.funnel_limits` (grid rows draw the limits, site
        rows the points). Sites whose estimate or size the released frame hides (missing
        cells) are left out and named in a note; a site flagged ``suppressed`` whose estimate
        is released is drawn, as the tables show it.
    overdispersion : DataFrame, optional
        The output of :func:`evalkit.analyse.funnel.overdispersion` on the same data: the limits
        widened by the between-site variance τ² are drawn (the plain limits stay, in light
        grey), sites are judged against the widened limits, and φ and τ² are given in a note.
    kind : {"proportion", "mean"}
        The indicator's kind, as given to ``funnel_limits``: proportions are shown as
        percentages.
    indicator : str, optional
        The name of the indicator (y axis), in ``lang``.
    label_sites : {"outside", "all", "none", "auto"}
        Which points carry the site's name: those outside the innermost limits (default), all,
        none, or ``"auto"``: all when no more than 20 sites are shown, else those outside.
    highlight : str, optional
        One site to single out (a site's own profile): its point is ringed, its name set in
        bold and the legend says what the ring means. The figure is marked for drawing in
        layers (:mod:`evalkit.present.plots._layers`): a run draws what every site's copy
        shares once.
    reference : {"mean", "target"}
        What the centre line is: the mean of all sites (default, as ``funnel_limits`` computes
        it without ``target=``) or a target the study declares (``funnel_limits(target=...)``).
        The legend names it so.
    non_validated : bool, optional
        Mark the indicator as a non-validated index (do so for the tokenism rate).
    {lang_width}

    {returns_figure}

    Notes
    -----
    The widened limits are ``θ ± z √(s² + τ²)`` on the grid of ``data`` (Spiegelhalter 2005,
    section 3.2), with ``s² = θ (1 - θ) / n`` for a proportion and ``s = σ / √n`` for a mean, σ
    being recovered from the plain limits of ``overdispersion``. Points outside the innermost
    limits are coloured by side (triangles up above, down below); those also outside the
    outermost limits are drawn larger. Sites are not ranked.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine*, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.analyse.funnel import funnel_limits
    >>> sites = pd.DataFrame({"site": ["A", "B", "C"], "tokenistic": [12, 30, 9],
    ...                       "consulted": [40, 50, 45]})
    >>> limits = funnel_limits(sites, site="site", numerator="tokenistic",
    ...                        denominator="consulted")
    >>> fig = funnel_plot(limits, non_validated=True, lang="en")
    >>> sorted(text.get_text() for text in fig.axes[0].texts if text.get_gid() == "evalkit-site")
    ['B', 'C']
    """
    data = S.require(data, _FUNNEL, source="evalkit.analyse.funnel.funnel_limits")
    kind = check_choice(kind, KINDS, "kind")
    check_choice(label_sites, LABEL_SITES, "label_sites")
    reference = check_choice(reference, REFERENCES, "reference")
    tag = S.wants_non_validated(data, non_validated)
    lang, width = S.check_lang(lang), S.check_width(width)
    grid, points, widened = _judged(data, overdispersion, kind)
    if highlight is not None:
        _check_site(points, highlight)
    with S.styled():
        fig = _draw_funnel(grid, points, widened, kind=kind, indicator=indicator,
                           label_sites=label_sites, highlight=highlight,
                           reference=reference, tag=tag, lang=lang, width=width)
    if highlight is not None:  # all but the sites' names and the ring: the same for every site
        mark_layers(fig, "funnel_plot", data, overdispersion, kind, indicator, label_sites,
                    reference, tag, lang, width,
                    [text.get_text() for legend in fig.legends for text in legend.texts])
    return fig


def prime(study_file: str | Path, run_dir: str | Path) -> None:
    """Judge now, and keep, the funnels every site profile of the run in ``run_dir`` draws
    and describes (:data:`PRIMED_FUNNELS`), as :func:`funnel_plot` and :func:`funnel_position`
    keep what they judge: by the values of their inputs, so that a kernel's own released
    tables find it. Run by a kernel template before it forks the run's kernels
    (``evalkit.run.warm.PRIMERS``); a run without results judges nothing."""
    folder = Path(run_dir) / ".work" / "results"
    if not (folder / "results.json").is_file():
        return
    results = Results.load(folder)
    policy = load_study(study_file).privacy
    for funnel, spread, kind in PRIMED_FUNNELS:
        if results.absence(funnel) is None and results.absence(spread) is None:
            _judged(released_table(results, funnel, policy=policy),
                    released_table(results, spread, policy=policy), kind)


def _judged(data: pd.DataFrame, overdispersion: Any,
            kind: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The grid of limits, the sites' points judged against the limits drawn, and the
    widened limits (None without ``overdispersion``).

    A site profile judges the same funnel four times (its figure and its sentence, in each
    language): the result is kept for the same inputs (by their values, not their identity)
    and a copy returned each time."""
    key = b"".join((digest_of(data), digest_of(overdispersion), kind.encode()))
    if key not in _JUDGED:
        grid, sites, points = _funnel_parts(data)
        widened = None
        if overdispersion is not None:
            widened, points = _widened(grid, sites, points, overdispersion, kind)
        while len(_JUDGED) >= _JUDGED_KEPT:
            del _JUDGED[next(iter(_JUDGED))]
        _JUDGED[key] = (grid, points, widened)
    return tuple(None if part is None else part.copy(deep=True) for part in _JUDGED[key])


def _check_site(points: pd.DataFrame, site: Any) -> None:
    known = [str(s) for s in points["site"]]
    if str(site) not in known:
        raise ArgumentError(f"site {site!r} is not in the funnel's data; expected one of "
                            f"{', '.join(known)}", where="highlight")


def funnel_position(data: pd.DataFrame, *, site: str,
                    overdispersion: pd.DataFrame | None = None, kind: str = "proportion",
                    reference: str = "mean", lang: str = "fr", table: str | None = None) -> str:
    """Where one site stands in the funnel, in a sentence a site manager reads: its value, the
    centre line's, and whether it lies within, above or below the limits drawn.

    Parameters
    ----------
    data, overdispersion, kind, reference
        As for :func:`funnel_plot` (the sentence judges the site as the figure draws it).
    site : str
        The site.
    lang : {"fr", "en"}
    table : str, optional
        The released table ``data`` is (``tokenism_funnel``): the site's value then carries
        its origin for the release check, as invisible marks the notebooks' pages turn into
        markup (see :func:`evalkit.present._text.marked`).

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.analyse.funnel import funnel_limits
    >>> sites = pd.DataFrame({"site": ["A", "B", "C"], "tokenistic": [12, 30, 9],
    ...                       "consulted": [40, 50, 45]})
    >>> limits = funnel_limits(sites, site="site", numerator="tokenistic",
    ...                        denominator="consulted")
    >>> funnel_position(limits, site="B", lang="en")
    'Site B (60%) lies above the 95% limits around the all-site mean (38%): it differs more than chance explains.'
    """
    kind = check_choice(kind, KINDS, "kind")
    reference = check_choice(reference, REFERENCES, "reference")
    lang = S.check_lang(lang)
    grid, points, _ = _judged(data, overdispersion, kind)
    _check_site(points, site)
    row = points[points["site"].astype(str) == str(site)].iloc[0]
    if bool(row["hidden"]):
        return t("plots.funnel.position.hidden", lang, site=str(site))
    show = (lambda v: format_percent(v, lang, decimals=0)) if kind == "proportion" else \
        (lambda v: format_number(v, lang, decimals=2))
    levels = np.sort(grid["level"].unique())
    value = show(row["estimate"])
    if table:
        inner = np.sort(data.loc[data["source"] == "site", "level"].astype(float).unique())[0]
        site_row = {"source": "site", "site": site, "level": float(inner)}
        value = marked(value, origin(table, site_row, "estimate"))
    params = {"site": str(site), "value": value,
              "reference": t(f"plots.funnel.reference.{reference}.in_text", lang),
              "centre": show(row["target"])}
    if not row["outside"]:
        return t("plots.funnel.position.within", lang,
                 level=S.level_text(float(levels[0]), lang), **params)
    side = "above" if row["estimate"] > row["target"] else "below"
    level = levels[-1] if row["outside_outer"] else levels[0]
    return t(f"plots.funnel.position.{side}", lang, level=S.level_text(float(level), lang),
             **params)


def _funnel_parts(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    grid = data[data["source"] == "grid"].sort_values(["level", "n"], kind="stable")
    sites = data[data["source"] == "site"]
    if grid.empty or sites.empty:
        raise ArgumentError("data must hold both grid rows and site rows (source column), as "
                            "funnel_limits returns them", where="data")
    hidden = S.withheld_rows(sites, ["estimate", "n"])
    levels = np.sort(sites["level"].unique())
    inner = sites[sites["level"] == levels[0]].set_index("site")
    outer = sites[sites["level"] == levels[-1]].set_index("site")
    points = pd.DataFrame({"site": inner.index, "n": inner["n"].to_numpy(dtype="float64"),
                           "estimate": inner["estimate"].to_numpy(dtype="float64")})
    points["outside"] = inner["outside"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    points["outside_outer"] = outer["outside"].reindex(inner.index).astype("boolean").fillna(
        False).to_numpy(dtype=bool)
    gone = pd.Series(hidden, index=sites["site"].to_numpy()).groupby(level=0).any()
    points["hidden"] = gone.reindex(points["site"]).to_numpy(dtype=bool)
    points["target"] = float(inner["target"].iloc[0])
    return grid, sites, points


def _widened(grid: pd.DataFrame, sites: pd.DataFrame, points: pd.DataFrame, od: Any,
             kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The widened limits on the grid, and each site judged against the widened limits."""
    od = S.require(od, _OVERDISPERSION, param="overdispersion",
                   source="evalkit.analyse.funnel.overdispersion")
    theta = float(points["target"].iloc[0])
    same_sites = set(od["site"]) == set(points["site"])
    same_target = np.isclose(float(od["target"].iloc[0]), theta, rtol=1e-9, atol=1e-12)
    same_limits = False
    if same_sites and same_target:
        both = sites.merge(od, on=["site", "level"], suffixes=("", "_od"))
        same_limits = len(both) == len(sites) and np.allclose(
            both["upper"].to_numpy(dtype="float64"), both["upper_od"].to_numpy(dtype="float64"),
            rtol=1e-6, atol=1e-9, equal_nan=True)
    if not (same_sites and same_target and same_limits):
        raise ArgumentError("overdispersion does not match data (other sites, target, levels "
                            "or limits): call overdispersion() with the arguments given to "
                            "funnel_limits(), and give funnel_limits() no tau2 (the plot "
                            "widens the limits itself)", where="overdispersion")
    tau2 = float(od["tau2"].iloc[0])
    rows = []
    for level, part in grid.groupby("level", sort=True):
        # The standard normal quantile (statistics' AS241, as exact as scipy's ndtri;
        # scipy.stats would add half a second to every notebook that draws a funnel).
        z = NormalDist().inv_cdf(0.5 + float(level) / 2)
        n = part["n"].to_numpy(dtype="float64")
        if kind == "proportion":
            s2 = theta * (1 - theta) / n
        else:
            at = od[np.isclose(od["level"], level)]
            sigma = np.median((at["upper"] - theta).to_numpy() * np.sqrt(at["n"].to_numpy())
                              / z)
            s2 = sigma**2 / n
        half = z * np.sqrt(s2 + tau2)
        low, high = theta - half, theta + half
        if kind == "proportion":
            low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
        rows.append(pd.DataFrame({"level": level, "n": n, "lower": low, "upper": high}))
    out = pd.concat(rows, ignore_index=True)
    levels = np.sort(od["level"].unique())
    inner = od[np.isclose(od["level"], levels[0])].set_index("site")
    outer = od[np.isclose(od["level"], levels[-1])].set_index("site")
    judged = points.assign(
        outside=inner["outside_adjusted"].reindex(points["site"]).astype("boolean").fillna(
            False).to_numpy(dtype=bool),
        outside_outer=outer["outside_adjusted"].reindex(points["site"]).astype(
            "boolean").fillna(False).to_numpy(dtype=bool))
    out.attrs = {"tau2": tau2, "phi": float(od["phi"].iloc[0]),
                 "p_value": float(od["p_value"].iloc[0])}
    return out, judged


def _limit_lines(ax: Axes, grid: pd.DataFrame, *, colour: Any, lw: float, lang: str,
                 widened: bool) -> list:
    handles = []
    for i, (level, part) in enumerate(grid.groupby("level", sort=True)):
        style = _STYLES[i % len(_STYLES)]
        key = "plots.funnel.widened" if widened else "quant.funnel.limit"
        label = t(key, lang, level=S.level_text(level, lang))
        for side in ("lower", "upper"):
            ax.plot(part["n"], part[side], style, color=colour, lw=lw,
                    gid=f"evalkit-limit-{'widened' if widened else 'plain'}-{side}")
        handles.append(Line2D([], [], linestyle=style, color=colour, lw=lw, label=label))
    return handles


def _draw_funnel(grid: pd.DataFrame, points: pd.DataFrame, widened: pd.DataFrame | None, *,
                 kind: str, indicator: str | None, label_sites: str, highlight: str | None,
                 reference: str, tag: bool, lang: str, width: float) -> Figure:
    fig = S.new_figure(width, max(2.8, 0.5 * width) + 0.9)
    ax = fig.subplots()
    theta = float(points["target"].iloc[0])
    percent = kind == "proportion"
    show = lambda v: format_percent(v, lang) if percent else format_number(v, lang)  # noqa: E731
    if widened is not None and widened.attrs["tau2"] > 0:
        handles = _limit_lines(ax, grid, colour="#B3B3B3", lw=0.8, lang=lang, widened=False)
        handles += _limit_lines(ax, widened, colour=S.TEXT, lw=1.0, lang=lang, widened=True)
    else:
        handles = _limit_lines(ax, grid, colour=S.TEXT, lw=1.0, lang=lang, widened=False)
    ax.axhline(theta, color=S.OKABE_ITO["bluish_green"], lw=1.2, gid="evalkit-target")
    handles.append(Line2D([], [], color=S.OKABE_ITO["bluish_green"], lw=1.2,
                          label=f"{t(f'plots.funnel.reference.{reference}', lang)} "
                                f"({show(theta)})"))
    handles += _points(ax, points, lang=lang, label_sites=label_sites,
                       level=S.level_text(float(grid["level"].min()), lang),
                       outer=S.level_text(float(grid["level"].max()), lang))
    if highlight is not None:
        handles += _highlight(ax, points, str(highlight), lang=lang)
    ax.set_xlabel(t("plots.funnel.x", lang))
    ax.set_ylabel(indicator or t("plots.funnel.y", lang))
    ax.xaxis.set_major_formatter(S.LocaleFormatter(lang))
    ax.yaxis.set_major_formatter(S.LocaleFormatter(lang, percent=percent))
    _funnel_limits_of_axes(ax, grid, widened, points, percent)
    S.legend_above(fig, handles, ncols=3 if width > 4.5 else 2, handlelength=2.2)
    if tag:
        S.non_validated_tag(ax, lang)
    S.add_notes(fig, _funnel_notes(points, widened, lang))
    return fig


def _points(ax: Axes, points: pd.DataFrame, *, lang: str, label_sites: str,
            level: str, outer: str) -> list:
    shown = points[~points["hidden"]]
    above = shown["outside"] & (shown["estimate"] > shown["target"])
    below = shown["outside"] & (shown["estimate"] < shown["target"])
    kinds = [("inside", ~(above | below), "o", _INSIDE, t("plots.funnel.inside", lang)),
             ("above", above, "^", _ABOVE, t("plots.funnel.above", lang, level=level)),
             ("below", below, "v", _BELOW, t("plots.funnel.below", lang, level=level))]
    handles = []
    for name, mask, marker, colour, label in kinds:
        part = shown[mask]
        sizes = np.where(part["outside_outer"], 60, 30)
        ax.scatter(part["n"], part["estimate"], s=sizes, marker=marker, color=colour,
                   edgecolors="white", linewidths=0.6, zorder=4, gid=f"evalkit-points-{name}")
        handles.append(Line2D([], [], marker=marker, color=colour, linestyle="none",
                              markersize=6, label=label))
    if shown["outside_outer"].any():  # the legend says what a large symbol means
        handles.append(Line2D([], [], marker="^", color=_INSIDE, markerfacecolor="none",
                              linestyle="none", markersize=8.5,
                              label=t("plots.funnel.large", lang, level=outer)))
    every = label_sites == "all" or (label_sites == "auto" and len(shown) <= AUTO_LABEL_SITES)
    label = shown if every else shown[above | below]
    if label_sites != "none":
        for _, row in label.iterrows():
            ax.annotate(str(row["site"]), (row["n"], row["estimate"]), xytext=(5, 3),
                        textcoords="offset points", fontsize=S.SMALL, color=S.TEXT,
                        zorder=_NAMES_Z, gid="evalkit-site")
    return handles


def _highlight(ax: Axes, points: pd.DataFrame, site: str, *, lang: str) -> list:
    """A ring around ``site``'s point, its name in bold, and the legend's entry for the ring
    (the same for every site: the caption names the site)."""
    row = points[points["site"].astype(str) == site].iloc[0]
    if bool(row["hidden"]):
        return []
    ax.scatter([row["n"]], [row["estimate"]], s=190, marker="o", facecolors="none",
               edgecolors=S.TEXT, linewidths=1.6, zorder=5, gid="evalkit-highlight")
    for text in ax.texts:
        if text.get_gid() == "evalkit-site" and text.get_text() == site:
            text.set_fontweight("bold")
            break
    else:
        ax.annotate(site, (row["n"], row["estimate"]), xytext=(7, 4),
                    textcoords="offset points", fontsize=S.SMALL, color=S.TEXT,
                    fontweight="bold", zorder=_NAMES_Z, gid="evalkit-site")
    return [Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor=S.TEXT,
                   markeredgewidth=1.6, markersize=10, linestyle="none",
                   label=t("plots.funnel.this_site", lang))]


def _funnel_limits_of_axes(ax: Axes, grid: pd.DataFrame, widened: pd.DataFrame | None,
                           points: pd.DataFrame, percent: bool) -> None:
    frames = [grid] + ([widened] if widened is not None else [])
    low = min(float(f["lower"].min()) for f in frames)
    high = max(float(f["upper"].max()) for f in frames)
    shown = points.loc[~points["hidden"], "estimate"]
    if len(shown):
        low, high = min(low, float(shown.min())), max(high, float(shown.max()))
    pad = 0.05 * (high - low or 1.0)
    low, high = low - pad, high + pad
    if percent:
        low, high = max(low, 0.0 - pad / 2), min(high, 1.0 + pad / 2)
    ax.set_ylim(low, high)
    ax.set_xlim(float(grid["n"].min()) * 0.95, float(grid["n"].max()) * 1.02)


def _funnel_notes(points: pd.DataFrame, widened: pd.DataFrame | None, lang: str) -> list:
    notes = []
    if widened is not None:
        attrs = widened.attrs
        p_text = S.p_value_text(attrs["p_value"], lang)
        phi = format_number(attrs["phi"], lang, decimals=2)
        if attrs["tau2"] > 0:
            notes.append(t("plots.funnel.overdispersed", lang, phi=phi, p=p_text,
                           tau2=_significant(attrs["tau2"], lang)))
        else:
            notes.append(t("plots.funnel.not_overdispersed", lang, phi=phi, p=p_text))
    if len(points) < FEW_SITES:
        notes.append(S.few_sites_note(len(points), lang))
    notes.append(t("plots.funnel.note", lang))
    if points["hidden"].any():
        notes.append(S.suppressed_note(lang, omitted=points.loc[points["hidden"], "site"]))
    return notes


def _significant(x: float, lang: str, digits: int = 2) -> str:
    """``x`` with ``digits`` significant digits (τ² can be 0.0004 or 12)."""
    if x == 0 or not np.isfinite(x):
        return format_number(x, lang, decimals=0)
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(x)))))
    return format_number(x, lang, decimals=min(decimals, 6))


# -- caterpillar plot --------------------------------------------------------------------------

@S.figure_docs
def caterpillar_plot(data: pd.DataFrame, *, site: str = "site", estimate: str = "shrunken",
                     reference: float | None = None, kind: str = "proportion",
                     indicator: str | None = None, non_validated: bool | None = None,
                     lang: str = "fr", width: float = S.MAX_WIDTH) -> Figure:
    """Caterpillar plot: each site's estimate with its interval, sorted by estimate, unranked.

    Parameters
    ----------
    data : DataFrame
        One row per site: the output of :func:`evalkit.analyse.shrinkage.shrunken_estimates`, or raw
        estimates with ``ci_low`` and ``ci_high`` (e.g. :func:`evalkit.analyse.involvement.
        tokenism_rates` by site). Sites whose estimate the released frame hides (missing
        cell) are drawn at the bottom, grey, without values; a site flagged ``suppressed``
        whose estimate is released is drawn, with its interval when its bounds are released.
    site : str, default "site"
        The site column.
    estimate : str, default "shrunken"
        The estimate column; its interval is ``<estimate>_ci_low`` / ``<estimate>_ci_high``
        when ``data`` has them, otherwise ``ci_low`` / ``ci_high``. With ``"shrunken"``, the
        observed estimate (column ``estimate``) is shown too, as an open circle.
    reference : float, optional
        A vertical reference line (default: the ``prior_mean`` column, the overall value of
        the shrinkage model, when present).
    kind : {"proportion", "mean"}
        Proportions are shown as percentages.
    indicator : str, optional
        The name of the indicator (x axis), in ``lang``.
    non_validated : bool, optional
        Mark the figure as a non-validated index (default: from the ``non_validated`` column).
    {lang_width}

    {returns_figure}

    Notes
    -----
    Sites are ordered by their estimate only to make the figure readable: no rank is shown,
    since ranks without intervals mislead (Goldstein & Spiegelhalter 1996).

    References
    ----------
    Goldstein, H., & Spiegelhalter, D. J. (1996). League tables and their limitations:
    statistical issues in comparisons of institutional performance. *Journal of the Royal
    Statistical Society: Series A*, 159(3), 385-443. https://doi.org/10.2307/2983325

    Examples
    --------
    >>> import pandas as pd
    >>> sites = pd.DataFrame({"site": ["A", "B", "C"], "estimate": [0.2, 0.5, 0.35],
    ...                       "ci_low": [0.1, 0.4, 0.2], "ci_high": [0.3, 0.6, 0.5]})
    >>> fig = caterpillar_plot(sites, estimate="estimate", reference=0.35, lang="en")
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['A', 'C', 'B']
    """
    data = S.require(data, [], source="evalkit.analyse.shrinkage.shrunken_estimates")
    site = check_column(data, site, "site")
    estimate = check_column(data, estimate, "estimate")
    low, high = _interval_columns(data, estimate)
    kind = check_choice(kind, KINDS, "kind")
    if reference is not None:
        reference = check_number(reference, "reference")
    elif "prior_mean" in data.columns and data["prior_mean"].notna().any():
        reference = float(data["prior_mean"].dropna().iloc[0])
    if data[site].duplicated().any():
        raise ArgumentError("data must have one row per site (filter a group first)",
                            where="site")
    tag = S.wants_non_validated(data, non_validated)
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw_caterpillar(data, site, estimate, low, high, reference=reference,
                                 kind=kind, indicator=indicator, tag=tag, lang=lang,
                                 width=width)


def _interval_columns(data: pd.DataFrame, estimate: str) -> tuple[str, str]:
    for low, high in ((f"{estimate}_ci_low", f"{estimate}_ci_high"), ("ci_low", "ci_high")):
        if low in data.columns and high in data.columns:
            return low, high
    raise ArgumentError(f"data has no interval for estimate={estimate!r}: expected columns "
                        f"{estimate}_ci_low and {estimate}_ci_high, or ci_low and ci_high",
                        where="estimate")


def _draw_caterpillar(data: pd.DataFrame, site: str, estimate: str, low: str, high: str, *,
                      reference: float | None, kind: str, indicator: str | None, tag: bool,
                      lang: str, width: float) -> Figure:
    hidden = S.withheld_rows(data, [estimate])
    shown = data[~hidden].sort_values(estimate, kind="stable")
    bounded = ~S.withheld_rows(shown, [low, high])
    gone = data[hidden]
    rows = len(shown) + len(gone)
    # Highest estimate at the top; suppressed sites below the others.
    y_shown = np.arange(len(shown)) + len(gone)
    y_gone = np.arange(len(gone))
    fig = S.new_figure(width, rows * 0.24 + 1.15)
    ax = fig.subplots()
    percent = kind == "proportion"
    colour = S.OKABE_ITO["blue"]
    ax.hlines(y_shown[bounded], shown.loc[bounded, low], shown.loc[bounded, high], color=colour,
              lw=1.6, gid="evalkit-intervals")
    handles = []
    main_label = (t("quant.shrinkage.shrunken", lang) if estimate == "shrunken"
                  else t("plots.caterpillar.estimate", lang))
    ax.plot(shown[estimate], y_shown, "o", color=colour, markersize=5, zorder=3,
            gid="evalkit-estimates")
    handles.append(Line2D([], [], color=colour, lw=1.6, marker="o", markersize=5,
                          label=t("plots.caterpillar.with_interval", lang, estimate=main_label)))
    if estimate == "shrunken" and "estimate" in data.columns:
        ax.plot(shown["estimate"], y_shown, "o", mfc="white", mec=S.MUTED, markersize=5,
                zorder=2, gid="evalkit-raw")
        handles.append(Line2D([], [], marker="o", mfc="white", mec=S.MUTED, linestyle="none",
                              markersize=5, label=t("quant.shrinkage.raw", lang)))
    if reference is not None:
        show = format_percent(reference, lang) if percent else format_number(reference, lang)
        ax.axvline(reference, color=S.OKABE_ITO["bluish_green"], lw=1.0, ls="--",
                   gid="evalkit-reference")
        handles.append(Line2D([], [], color=S.OKABE_ITO["bluish_green"], lw=1.0, ls="--",
                              label=f"{t('plots.caterpillar.pooled', lang)} ({show})"))
    for yi in y_gone:
        ax.text(0.5, yi, t("plots.suppressed", lang), transform=ax.get_yaxis_transform(),
                ha="center", va="center", fontsize=S.SMALL, style="italic", color=S.MUTED,
                gid="evalkit-suppressed-label")
    labels = [str(s) for s in gone[site]] + [str(s) for s in shown[site]]
    ax.set_yticks(np.concatenate([y_gone, y_shown]), labels)
    for tick in ax.get_yticklabels()[: len(gone)]:
        tick.set_color(S.MUTED)
    ax.set_ylim(-0.7, rows - 0.3)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#E6E6E6", lw=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(indicator or t("plots.caterpillar.estimate", lang))
    ax.set_ylabel(t("common.site", lang))
    ax.xaxis.set_major_formatter(S.LocaleFormatter(lang, percent=percent))
    S.legend_above(fig, handles, ncols=len(handles))
    if tag:
        S.non_validated_tag(ax, lang)
    notes = [t("quant.sites.no_league_table", lang)]
    if len(data) < FEW_SITES:
        notes.append(S.few_sites_note(len(data), lang))
    if len(gone):
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig
