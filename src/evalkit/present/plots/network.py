"""Networks and partners: the traffic light of people's networks per site, and the integration
continuum of the partner organisations per site.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from evalkit._checks import check_column
from evalkit.analyse.network import COLOURS
from evalkit.errors import ArgumentError
from evalkit.i18n import t
from evalkit.present.plots import _bars
from evalkit.present.plots import _style as S

__all__ = ["integration_plot", "traffic_light_plot"]

#: Okabe-Ito stand-ins for red, orange and green, each with its own pattern: the figure reads
#: without colour vision.
TRAFFIC = {"red": (S.OKABE_ITO["vermillion"], "xx"),
           "orange": (S.OKABE_ITO["orange"], ".."),
           "green": (S.OKABE_ITO["bluish_green"], None)}


def _check_one_row_per(data: pd.DataFrame, keys: list, category: str) -> None:
    if data.duplicated([*keys, category]).any():
        raise ArgumentError(f"data has several rows per {' and '.join(keys)} and {category}; "
                            "give group= the column that tells them apart",
                            where="group" if len(keys) == 1 else "data")


@S.figure_docs
def traffic_light_plot(data: pd.DataFrame, *, site: str = "site", group: str | None = None,
                       codebook: Any = None, label_min: float = 0.05, lang: str = "fr",
                       width: float = S.MAX_WIDTH) -> Figure:
    """The traffic light of people's networks: red, orange and green shares per site.

    Parameters
    ----------
    data : DataFrame
        The output of :func:`evalkit.analyse.network.traffic_light_distribution` (one row per site,
        group and colour), possibly through disclosure control (rows flagged ``suppressed`` or
        with a missing share are drawn grey).
    site : str, default "site"
        The site column.
    group : str, optional
        The group column: one panel per site, one bar per group.
    codebook : Codebook, optional
        Gives the site and group labels.
    label_min : float, default 0.05
        Shares below this are not labelled on the bars.
    {lang_width}

    {returns_figure}

    Notes
    -----
    Red: only paid people in the network; orange: people like them (same service, same label)
    but no ordinary citizen; green: ordinary citizens in the network. Each colour also has its
    own pattern (crosses, dots, plain) and the legend spells out its meaning, so that the
    figure reads in black and white and with any colour-vision deficiency. ``n`` is the number
    of respondents whose colour is known.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.analyse.network import traffic_light_distribution
    >>> net = pd.DataFrame({"site": ["A"] * 4 + ["B"] * 2, "paid": [3, 2, 1, 1, 2, 0],
    ...                     "peers": [0, 2, 1, 0, 1, 0], "community": [0, 0, 4, 1, 0, 3]})
    >>> shares = traffic_light_distribution(net, paid="paid", peers="peers",
    ...                                     community="community", site="site")
    >>> fig = traffic_light_plot(shares, lang="en")
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['A', 'B']
    """
    data = S.require(data, ["colour", "share", "n"],
                     source="evalkit.analyse.network.traffic_light_distribution")
    site = check_column(data, site, "site")
    group = check_column(data, group, "group", optional=True)
    keys = [site] if group is None else [site, group]
    _check_one_row_per(data, keys, "colour")
    unknown = set(data["colour"].dropna().astype(str)) - set(COLOURS)
    if unknown:
        raise ArgumentError(f"data['colour'] holds values other than {', '.join(COLOURS)}: "
                            f"{', '.join(sorted(unknown))}", where="data")
    codebook = S.check_codebook(codebook)
    label_min = S.check_share(label_min, "label_min")
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw_traffic(data.assign(colour=data["colour"].astype(str)), site, group,
                             codebook=codebook, label_min=label_min, lang=lang, width=width)


def _draw_traffic(data: pd.DataFrame, site: str, group: str | None, *, codebook: Any,
                  label_min: float, lang: str, width: float) -> Figure:
    names = [t("plots.traffic_light.legend", lang,
               colour=t(f"quant.traffic_light.{c}", lang).capitalize(),
               description=t(f"quant.traffic_light.{c}.description", lang)) for c in COLOURS]
    colours = [TRAFFIC[c][0] for c in COLOURS]
    hatches = [TRAFFIC[c][1] for c in COLOURS]
    panels = _bars.site_panels(data, site=site, group=group, category="colour",
                               categories=list(COLOURS), value="share", n="n",
                               codebook=codebook, lang=lang, width=width)
    fig, _ = _bars.draw_panels(panels, names, colours, hatches=hatches, lang=lang,
                               label_min=label_min, width=width, legend_cols=3,
                               xlabel=t("plots.traffic_light.share", lang), extra=1.4)
    notes = [t("plots.traffic_light.note", lang), *_bars.values_note(panels, lang)]
    if _bars.any_suppressed(panels):
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig


@S.figure_docs
def integration_plot(data: pd.DataFrame, *, label_min: float = 0.08, lang: str = "fr",
                     width: float = S.MAX_WIDTH) -> Figure:
    """The integration continuum per site: how the partners rate their link with the site.

    Parameters
    ----------
    data : DataFrame
        The output of :func:`evalkit.analyse.integration.integration_profile` (one row per site and
        level, with the level labels in French and English).
    label_min : float, default 0.08
        Shares below this are not labelled on the bars.
    {lang_width}

    {returns_figure}

    Notes
    -----
    One bar per site: the partners' ratings from the first level of the continuum (left) to
    the last (right), in a sequential colour map. The segment of the site's median level (the
    ``median_level`` column: the summary to report for an ordinal scale) is outlined in black.
    ``n`` is the number of partners who rated the site.

    References
    ----------
    Ahgren, B., & Axelsson, R. (2005). Evaluating integrated health care: a model for
    measurement. *International Journal of Integrated Care*, 5, e01.
    https://doi.org/10.5334/ijic.134

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.analyse.integration import integration_profile
    >>> partners = pd.DataFrame({"site": ["A", "A", "A", "B"], "level": [1, 2, 2, 3]})
    >>> levels = [{"fr": "Fragmentation", "en": "Fragmented"},
    ...           {"fr": "Coordination", "en": "Coordination"},
    ...           {"fr": "Intégration", "en": "Integrated"}]
    >>> profile = integration_profile(partners, site="site", level="level", levels=levels)
    >>> fig = integration_plot(profile, lang="en")
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['A', 'B']
    """
    data = S.require(data, ["site", "level", "label_fr", "label_en", "share", "n_partners",
                            "median_level"],
                     source="evalkit.analyse.integration.integration_profile")
    _check_one_row_per(data, ["site"], "level")
    label_min = S.check_share(label_min, "label_min")
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw_integration(data, label_min=label_min, lang=lang, width=width)


def _draw_integration(data: pd.DataFrame, *, label_min: float, lang: str,
                      width: float) -> Figure:
    levels = data.drop_duplicates("level").sort_values("level")
    names = levels[f"label_{lang}"].astype(str).tolist()
    colours = S.sequential(len(names), "viridis_r", low=0.0, high=0.9)
    panels = _bars.site_panels(data, site="site", group=None, category="level",
                               categories=levels["level"].tolist(), value="share",
                               n="n_partners", codebook=None, lang=lang, width=width)
    fig, axes = _bars.draw_panels(panels, names, colours, lang=lang, label_min=label_min,
                                  width=width, xlabel=t("plots.integration.share", lang),
                                  legend_cols=min(len(names), 5 if width > 5 else 3))
    _outline_medians(axes[0], data, levels["level"].tolist())
    notes = [t("plots.integration.note", lang), *_bars.values_note(panels, lang)]
    if _bars.any_suppressed(panels):
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig


def _outline_medians(ax: Any, data: pd.DataFrame, levels: list) -> None:
    """Outline, in each site's bar, the segment of its median level."""
    medians = data.drop_duplicates("site").set_index("site")["median_level"]
    bars = [[p for p in ax.patches if p.get_gid() == f"evalkit-category-{j}"]
            for j in range(len(levels))]
    for i, median in enumerate(medians.reindex(pd.unique(data["site"]))):
        if pd.isna(median) or median not in levels:
            continue
        patch = bars[levels.index(median)][i]
        if patch.get_width() > 0:
            patch.set(edgecolor=S.TEXT, linewidth=1.8, zorder=3, gid="evalkit-median")
