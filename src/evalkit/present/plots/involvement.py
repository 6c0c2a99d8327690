"""The ladder profile: how respondents spread over the rungs of the involvement ladder, per site and
respondent group.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from evalkit._checks import check_column
from evalkit.errors import ArgumentError
from evalkit.i18n import t
from evalkit.present.plots import _bars
from evalkit.present.plots import _style as S

__all__ = ["ladder_profile"]

_SOURCE = "evalkit.analyse.involvement.ladder_distribution"


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
    bars, shares are not written on them (a note says they are in the table).

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
