"""The ladder profile: how respondents spread over the rungs of the involvement ladder, per site and
respondent group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from evalkit._checks import check_column
from evalkit.errors import ArgumentError
from evalkit.i18n import format_integer, t
from evalkit.present.plots import _bars
from evalkit.present.plots import _style as S

__all__ = ["ladder_profile", "ladder_spread"]

_SOURCE = "evalkit.analyse.involvement.ladder_distribution"
#: Beyond this many bars (sites, or sites × groups), the figure shows how the sites spread
#: on each rung instead of a bar per site: a row per site is unreadable at hundreds of sites
#: (a figure hundreds of inches tall), and drawing its bars and names was most of what the
#: involvement notebook cost. Each site's shares stay in the released table and its profile.
MAX_BARS = 60


@S.figure_docs
def ladder_profile(data: pd.DataFrame, *, site: str = "site", group: str | None = None,
                   codebook: Any = None, label_min: float = 0.08,
                   non_validated: bool | None = None, lang: str = "fr",
                   width: float = S.MAX_WIDTH) -> Figure:
    """Stacked bars of the ladder rungs: one bar per site (and respondent group).

    Parameters
    ----------
    data : DataFrame
        The output of :func:`evalkit.analyse.involvement.ladder_distribution` (one row per site, group
        and rung), possibly through disclosure control (rows with ``suppressed`` True are drawn
        grey).
    site : str, default "site"
        The site column of ``data``.
    group : str, optional
        The respondent-group column of ``data``: one panel per site, one bar per group.
    codebook : Codebook, optional
        Gives the rung labels (the ladder items' labels), the site and the group labels.
    label_min : float, default 0.08
        Shares below this are not labelled on the bars.
    non_validated : bool, optional
        Mark the figure as a non-validated index (default: when ``data`` says so in its
        ``non_validated`` column, as the ladder's outputs do).
    {lang_width}

    {returns_figure}

    Notes
    -----
    Each respondent stands on the highest rung whose item they agree with; rung 0 holds those
    who endorse none. Respondents who answered no ladder item are not in the shares. A bar whose
    shares are missing or flagged ``suppressed`` is drawn grey without values. With more than
    12 sites and a group, the bars are rows of one panel ("site · group"); with more than 40
    bars, shares are not written on them (a note says they are in the table). With more than
    :data:`MAX_BARS` bars, the figure shows instead, for each group, how the sites spread on
    each rung: a dot per site at its share, and a box from the sites' first to third
    quartile with the median marked. Only released shares are drawn (no share is computed
    from others: nothing hidden can be read off the figure); a note counts the hidden ones.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.analyse.involvement import ladder_distribution
    >>> answers = pd.DataFrame({"site": ["A", "A", "B"], "informed": [5, 2, 4],
    ...                         "asked": [4, 1, 2]})
    >>> rungs = ladder_distribution(answers, items=["informed", "asked"], agree_at=4,
    ...                             site="site")
    >>> fig = ladder_profile(rungs, lang="en")
    >>> len(fig.axes)
    1
    """
    data = S.require(data, ["rung", "rung_item", "share", "n_placed"], source=_SOURCE)
    site = check_column(data, site, "site")
    group = check_column(data, group, "group", optional=True)
    codebook = S.check_codebook(codebook)
    label_min = S.check_share(label_min, "label_min")
    tag = S.wants_non_validated(data, non_validated)
    lang, width = S.check_lang(lang), S.check_width(width)
    keys = [site] if group is None else [site, group]
    if data.duplicated([*keys, "rung"]).any():
        where = "group" if group is None else "data"
        raise ArgumentError(f"data has several rows per {' and '.join(keys)} and rung; "
                            "give group= the column that tells them apart", where=where)
    with S.styled():
        return _draw(data, keys, codebook=codebook, label_min=label_min, tag=tag, lang=lang,
                     width=width)


def ladder_spread(data: pd.DataFrame, *, site: str = "site", group: str | None = None) -> bool:
    """Whether :func:`ladder_profile` shows how the sites spread on each rung (more than
    :data:`MAX_BARS` bars of ``site`` and ``group``) rather than a bar per site and group.

    Examples
    --------
    >>> import pandas as pd
    >>> rungs = pd.DataFrame({"site": [f"S{i}" for i in range(61)], "rung": 0})
    >>> ladder_spread(rungs), ladder_spread(rungs.head(60))
    (True, False)
    """
    keys = [site] if group is None else [site, group]
    return len(data[keys].drop_duplicates()) > MAX_BARS


def _rung_names(data: pd.DataFrame, codebook: Any, lang: str) -> tuple[list, list[str]]:
    rungs = sorted(data["rung"].dropna().unique().tolist())
    item_of = data.dropna(subset=["rung_item"]).drop_duplicates("rung").set_index("rung")
    names = []
    for rung in rungs:
        if rung == 0 or rung not in item_of.index:
            names.append(t("quant.ladder.none", lang))
        else:
            names.append(S.variable_label(codebook, item_of.loc[rung, "rung_item"], lang))
    return rungs, [f"{int(r)}. {name}" for r, name in zip(rungs, names, strict=True)]


def _draw(data: pd.DataFrame, keys: list, *, codebook: Any, label_min: float, tag: bool,
          lang: str, width: float) -> Figure:
    rungs, names = _rung_names(data, codebook, lang)
    colours = S.sequential(len(rungs), "viridis_r", low=0.0, high=0.9)
    if ladder_spread(data, site=keys[0], group=keys[1] if len(keys) > 1 else None):
        return _draw_spread(data, keys, rungs, names, colours, codebook=codebook, tag=tag,
                            lang=lang, width=width)
    panels = _bars.site_panels(data, site=keys[0], group=keys[1] if len(keys) > 1 else None,
                               category="rung", categories=rungs, value="share", n="n_placed",
                               codebook=codebook, lang=lang, width=width)
    fig, axes = _bars.draw_panels(panels, names, colours, lang=lang, label_min=label_min,
                                  width=width, xlabel=t("plots.ladder.share", lang),
                                  legend_cols=3 if width > 4.5 else 2)
    if tag:
        S.non_validated_tag(axes[0], lang)
    notes = [t("plots.ladder.note", lang), *_bars.values_note(panels, lang)]
    if _bars.any_suppressed(panels):
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig


def _draw_spread(data: pd.DataFrame, keys: list, rungs: list, names: list[str], colours: list,
                 *, codebook: Any, tag: bool, lang: str, width: float) -> Figure:
    """How the sites spread on each rung: a panel per group (one without groups), a row per
    rung, a dot per site at its released share and a box of the sites' quartiles."""
    site, group = keys[0], (keys[1] if len(keys) > 1 else None)
    parts = [(None, data)] if group is None else \
        list(data.groupby(group, sort=False, dropna=False, observed=True))
    pitch = 0.32
    heights = [len(rungs) * pitch + 0.45 for _ in parts]
    fig = S.new_figure(width, sum(heights) + 1.0)
    axes = list(fig.subplots(len(parts), 1, sharex=True, height_ratios=heights,
                             squeeze=False)[:, 0])
    hidden_total = 0
    for ax, (g, part) in zip(axes, parts, strict=True):
        labels = [str(s) for s in pd.unique(part[site])]
        rows = _bars._rows_of(part, [site], "rung", rungs, "share", "n_placed", labels)
        shown = ~(rows.hidden | rows.suppressed[:, None]) & np.isfinite(rows.shares)
        hidden_total += int((~shown).sum())
        y = -np.arange(len(rungs), dtype=float)
        values = [rows.shares[shown[:, j], j] for j in range(len(rungs))]
        drawn = [j for j, v in enumerate(values) if len(v)]
        if drawn:
            boxes = ax.boxplot([values[j] for j in drawn], positions=y[drawn], widths=0.55,
                               orientation="horizontal", showfliers=False, whis=(0, 100),
                               patch_artist=True, manage_ticks=False,
                               medianprops={"color": S.TEXT, "linewidth": 1.4})
            for j, box in zip(drawn, boxes["boxes"], strict=True):
                box.set(facecolor=S.blend(colours[j], amount=0.6), edgecolor=S.MUTED,
                        linewidth=0.6, gid=f"evalkit-spread-{j}")
            for line in boxes["whiskers"] + boxes["caps"]:
                line.set(color=S.MUTED, linewidth=0.6)
            for median in boxes["medians"]:
                median.set_gid("evalkit-spread-median")
        # One dot per shown site share, spread over the row by a fixed pattern (the same
        # figure every run), drawn over its box.
        for j in range(len(rungs)):
            share = values[j]
            if not len(share):
                continue
            offsets = ((np.arange(len(share)) * 0.6180339887) % 1.0 - 0.5) * 0.4
            ax.scatter(share, y[j] + offsets, s=6, color=colours[j], edgecolors="none",
                       alpha=0.7, zorder=3, gid=f"evalkit-spread-sites-{j}")
        ax.set_yticks(y, [S.fit(name, 0.35 * width) for name in names])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(y.min() - 0.6, 0.6)
        ax.set_xlim(-0.02, 1.02)
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x", color="#E5E5E5", linewidth=0.6, zorder=0)
        ax.set_axisbelow(True)
        title = t("plots.ladder.spread_sites", lang, n=format_integer(len(labels), lang))
        if g is not None:
            title = f"{S.value_label(codebook, group, g, lang)} · {title}"
        ax.set_title(title, loc="left", fontsize=S.FONT, fontweight="bold", pad=2)
    axes[-1].xaxis.set_major_locator(ticker.MultipleLocator(0.25 if width >= 5.0 else 0.5))
    axes[-1].xaxis.set_major_formatter(S.LocaleFormatter(lang, percent=True))
    axes[-1].set_xlabel(t("plots.ladder.share", lang))
    if tag:
        S.non_validated_tag(axes[0], lang)
    notes = [t("plots.ladder.spread_note", lang)]
    if hidden_total:
        notes.append(t("plots.ladder.spread_hidden", lang,
                       n=format_integer(hidden_total, lang)))
    S.add_notes(fig, notes)
    return fig
