"""Personal outcomes between two waves: the shares of people whose rating improved, stayed the
same or worsened, per outcome, grouped by outcome group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit.errors import ArgumentError
from evalkit.i18n import t
from evalkit.present.plots import _bars
from evalkit.present.plots import _style as S

__all__ = ["outcome_change_plot"]

_COLUMNS = ["outcome", "level", "share_worse", "share_same", "share_improved", "n_paired"]
_COLOURS = [S.OKABE_ITO["vermillion"], S.NEUTRAL, S.OKABE_ITO["blue"]]


@S.figure_docs
def outcome_change_plot(data: pd.DataFrame, *, groups: Mapping[str, Sequence[str]] | None = None,
                        codebook: Any = None, label_min: float = 0.08, lang: str = "fr",
                        width: float = S.MAX_WIDTH) -> Figure:
    """Worse / same / improved shares per personal outcome, centred on "same".

    Parameters
    ----------
    data : DataFrame
        The output of :func:`evalkit.analyse.outcomes.outcome_change` for one site or the whole study
        (one row per outcome; ``outcome_change_from_study(..., by_site=False)``), possibly
        through disclosure control (the shown shares are drawn, the hidden ones together as one
        grey segment; a row with no share shown is grey whole).
    groups : dict of str to list of str, optional
        The outcome groups and their items (``study.measures.outcomes.groups``): each group's
        summary row (bold) comes first, then its items. Without it, items come first in the
        order of ``data``, then the group rows.
    codebook : Codebook, optional
        Gives the outcome labels in ``lang``.
    label_min : float, default 0.08
        Shares below this are not labelled on the bars.
    {lang_width}

    {returns_figure}

    Notes
    -----
    Shares are among the people rated at both waves (``n`` at the right). "Same" is centred on
    the zero line: the length to the left is the share who got worse, to the right the share
    who improved. Group names are labelled from the catalogues for the Talking Points groups
    (``quality_of_life``, ``process``, ``change``), otherwise shown as written.

    References
    ----------
    Cook, A., & Miller, E. (2012). *Talking Points: Personal Outcomes Approach. Practical
    Guide*. Joint Improvement Team, Edinburgh.

    Examples
    --------
    >>> import pandas as pd
    >>> change = pd.DataFrame({"outcome": ["safe", "seeing_people"], "level": "item",
    ...                        "share_worse": [0.2, 0.1], "share_same": [0.5, 0.3],
    ...                        "share_improved": [0.3, 0.6], "n_paired": [40, 40]})
    >>> fig = outcome_change_plot(change, lang="en")
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['safe', 'seeing_people']
    """
    data = S.require(data, _COLUMNS, source="evalkit.analyse.outcomes.outcome_change")
    if data.duplicated(["outcome", "level"]).any():
        raise ArgumentError("data has several rows per outcome (one per site?): keep one site, "
                            "or use outcome_change_from_study(..., by_site=False)", where="data")
    groups = _check_groups(groups, data)
    codebook = S.check_codebook(codebook)
    label_min = S.check_share(label_min, "label_min")
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw(data, groups, codebook=codebook, label_min=label_min, lang=lang,
                     width=width)


def _check_groups(groups: Any, data: pd.DataFrame) -> dict[str, list]:
    if groups is None:
        return {}
    if not isinstance(groups, Mapping):
        raise ArgumentError(f"groups must map each outcome group to its items (a dict), got "
                            f"{type(groups).__name__}", where="groups")
    items = set(data.loc[data["level"] == "item", "outcome"])
    unknown = [i for members in groups.values() for i in members if i not in items]
    if unknown:
        raise ArgumentError(f"groups names outcomes that data does not have: "
                            f"{', '.join(map(repr, unknown[:5]))}", where="groups")
    return {str(name): list(members) for name, members in groups.items()}


def _order(data: pd.DataFrame, groups: dict[str, list]) -> list[tuple[int, bool, Any]]:
    """(row of data, is a group row, block) in drawing order."""
    where = {(row.level, row.outcome): i for i, row in enumerate(data.itertuples())}
    order = []
    if groups:
        for name, members in groups.items():
            if ("group", name) in where:
                order.append((where["group", name], True, name))
            order += [(where["item", m], False, name) for m in members]
        placed = {i for i, _, _ in order}
        order += [(i, lvl == "group", "_other") for (lvl, _), i in where.items()
                  if i not in placed]
    else:
        order = [(i, False, "items") for (lvl, _), i in where.items() if lvl != "group"]
        order += [(i, True, "groups") for (lvl, _), i in where.items() if lvl == "group"]
    return order


def _group_label(name: str, lang: str) -> str:
    return S.catalogue_or(f"plots.outcome_group.{name}", name.replace("_", " "), lang)


def _draw(data: pd.DataFrame, groups: dict[str, list], *, codebook: Any, label_min: float,
          lang: str, width: float) -> Figure:
    order = _order(data, groups)
    rows_of = [i for i, _, _ in order]
    part = data.iloc[rows_of]
    labels = [S.fit(_group_label(str(o), lang), 0.38 * width, weight="bold") if bold else
              S.fit(S.variable_label(codebook, o, lang), 0.38 * width)
              for o, (_, bold, _) in zip(part["outcome"], order, strict=True)]
    shares = part[["share_worse", "share_same", "share_improved"]].to_numpy(
        dtype="float64", na_value=np.nan)
    # A share is hidden when it is missing; a row flagged ``suppressed`` with every share
    # shown hides something else (a count): its shares are drawn.
    hidden = np.isnan(shares)
    rows = _bars.Rows(labels=labels, shares=shares,
                      n=part["n_paired"].to_numpy(dtype="float64", na_value=np.nan),
                      suppressed=hidden.all(axis=1), hidden=hidden,
                      bold=np.array([bold for _, bold, _ in order]),
                      blocks=[block for _, _, block in order])
    names = [t("quant.outcomes.worse", lang), t("quant.outcomes.same", lang),
             t("quant.outcomes.improved", lang)]
    fig = S.new_figure(width, rows.height_inches() + 1.1)
    ax = fig.subplots()
    _bars.draw_diverging(ax, rows, names, _COLOURS, neutral=1, centre=True, lang=lang,
                         label_min=label_min)
    _bars.n_column(ax, rows, rows.positions(), lang)
    ax.set_xlabel(t("plots.outcomes.share", lang))
    _bars.legend(fig, names, _COLOURS, hidden=lang if rows.any_hidden() else None)
    notes = [t("plots.outcomes.note", lang), t("quant.outcomes.narrative_note", lang)]
    if rows.any_hidden():
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig
