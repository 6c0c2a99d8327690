"""Diverging stacked bars of Likert items: disagreement to the left of the centre, agreement to the
right, the neutral answer centred or set aside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit._checks import check_choice, check_columns, check_frame, check_int
from evalkit.errors import ArgumentError
from evalkit.i18n import format_integer, t
from evalkit.present.plots import _bars
from evalkit.present.plots import _style as S

__all__ = ["likert_bars"]

NEUTRAL_MODES = ("centre", "aside")
_NEGATIVE = ["#D55E00", "#E69F00", "#F3D199"]   # Okabe-Ito vermillion, orange, and paler
_POSITIVE = ["#0072B2", "#56B4E9", "#B9DDF3"]   # Okabe-Ito blue, sky blue, and paler


def _ramp(stops: list[str], n: int) -> list:
    """``n`` colours from the strongest stop towards the palest, strongest first."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list("side", stops)
    positions = [0.0] if n == 1 else np.linspace(0.0, 0.5 if n == 2 else 0.85, n)
    return [cmap(p) for p in positions]


def likert_colours(k: int) -> tuple[list, int | None]:
    """Colours of ``k`` ordered categories (negative to positive) and the neutral's index."""
    half = k // 2
    neutral = half if k % 2 else None
    colours = _ramp(_NEGATIVE, half) + ([S.NEUTRAL] if neutral is not None else [])
    colours += _ramp(_POSITIVE, half)[::-1]
    return colours, neutral


def _categories(data: pd.DataFrame, items: list[str], codebook: Any,
                categories: Any) -> list:
    if categories is not None:
        if isinstance(categories, str) or not isinstance(categories, Sequence) \
                or len(categories) < 2:
            raise ArgumentError(f"categories must list at least two answer values in order, "
                                f"got {categories!r}", where="categories")
        return list(categories)
    if codebook is not None and items[0] in codebook and codebook.values_of(items[0]):
        return list(codebook.values_of(items[0]))
    values = pd.unique(data[items].stack().dropna())
    return sorted(values.tolist())


def _counts(data: pd.DataFrame, items: list[str], categories: list) -> np.ndarray:
    """items × categories counts; answers outside ``categories`` are an error."""
    out = np.zeros((len(items), len(categories)), dtype="int64")
    for i, item in enumerate(items):
        column = data[item].dropna()
        known = column.isin(categories)
        if not known.all():
            odd = ", ".join(map(repr, pd.unique(column[~known])[:5]))
            raise ArgumentError(f"items: column {item!r} holds answers that are not among the "
                                f"categories ({odd}); replace missing-value codes by NaN first "
                                "(validate_study does) or pass categories=", where="items")
        counts = column.value_counts()
        out[i] = [int(counts.get(c, 0)) for c in categories]
    return out


def _tidy_categories(data: pd.DataFrame, items: list[str], codebook: Any) -> list:
    if codebook is not None and items[0] in codebook:
        return list(codebook.values_of(items[0]))
    order = data.sort_values("position") if "position" in data.columns else data
    return list(pd.unique(order["category"]))


def _tidy_counts(data: pd.DataFrame, items: list[str],
                 categories: list) -> tuple[np.ndarray, np.ndarray | None]:
    """items × categories counts from a counted distribution (a suppressed count is NaN), and
    the base of each item when ``data`` gives it (its ``n`` column), else None."""
    out = np.zeros((len(items), len(categories)), dtype="float64")
    base = np.full(len(items), np.nan) if "n" in data.columns else None
    keys = [str(c) for c in categories]
    for i, item in enumerate(items):
        rows = data[data["item"] == item]
        # Released counts are nullable integers: a hidden one is <NA>, drawn as NaN.
        count = pd.to_numeric(rows["count"], errors="coerce").astype("float64")
        counts = count.groupby(rows["category"].astype(str)).sum(min_count=1)
        out[i] = [counts.get(k, 0) for k in keys]
        if base is not None:
            known = pd.to_numeric(rows["n"], errors="coerce").astype("float64").dropna()
            base[i] = known.iloc[0] if len(known) else np.nan
    return out, base


@S.figure_docs
def likert_bars(data: pd.DataFrame, *, items: Sequence[str], codebook: Any = None,
                categories: Sequence[Any] | None = None, neutral: str = "centre",
                label_min: float = 0.05, min_n: int | None = None, lang: str = "fr",
                width: float = S.MAX_WIDTH) -> Figure:
    """Diverging stacked bars of Likert items: one bar per item, answers as shares.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, the items as numbers (missing as NaN), e.g. the ``responses``
        of :func:`evalkit.validate.study.validate_study`; or the answers already counted, as
        :func:`evalkit.analyse.describe.likert_distribution` gives them (``item``, ``category``,
        ``count``, and the base ``n``), released or not: the shown answers are drawn as
        shares of ``n`` and the hidden ones together as one grey segment (without ``n``, an
        item with a hidden count is grey whole).
    items : list of str
        The item columns, drawn top to bottom in this order.
    codebook : Codebook, optional
        Gives the item labels and the answer labels in ``lang`` (and the answer order).
    categories : list, optional
        The answer values in order, most negative first (default: the codebook's values of the
        first item, or the sorted values found).
    neutral : {"centre", "aside"}
        With an odd number of categories, the middle one is centred on the zero line
        (``"centre"``) or drawn in a separate panel at the right (``"aside"``, as Heiberger and
        Robbins recommend when the neutral share is large). Ignored for an even number.
    label_min : float, default 0.05
        Shares below this are not labelled on the bars.
    min_n : int, optional
        Items answered by fewer people are drawn grey, without values (confidentiality).
    {lang_width}

    {returns_figure}

    Notes
    -----
    Shares are of the people who answered the item (missing answers are left out; ``n`` at the
    right of each bar is that number). Negative answers extend to the left of the zero line and
    positive ones to the right, so that items can be compared by the length on each side.

    References
    ----------
    Heiberger, R. M., & Robbins, N. B. (2014). Design of diverging stacked bar charts for Likert
    scales and other applications. *Journal of Statistical Software*, 57(5), 1–32.
    https://doi.org/10.18637/jss.v057.i05

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"q1": [1, 2, 4, 5, 5], "q2": [3, 3, 4, 2, 1]})
    >>> fig = likert_bars(answers, items=["q1", "q2"], lang="en")
    >>> type(fig).__name__
    'Figure'
    """
    data = check_frame(data)
    tidy = {"item", "category", "count"} <= set(data.columns)
    if tidy:  # a distribution already counted (evalkit.analyse.describe.likert_distribution)
        missing = [i for i in items if i not in set(data["item"])]
        if missing:
            raise ArgumentError(f"items names items that data does not hold: {missing!r}",
                                where="items")
        items = list(items)
    else:
        items = check_columns(data, items, "items")
    codebook = S.check_codebook(codebook)
    check_choice(neutral, NEUTRAL_MODES, "neutral")
    label_min = S.check_share(label_min, "label_min")
    min_n = None if min_n is None else check_int(min_n, "min_n", minimum=1)
    lang, width = S.check_lang(lang), S.check_width(width)
    if tidy:
        cats = list(categories) if categories is not None else _tidy_categories(data, items,
                                                                                codebook)
        counts, base = _tidy_counts(data, items, cats)
    else:
        cats = _categories(data, items, codebook, categories)
        counts, base = _counts(data, items, cats), None
    with S.styled():
        return _draw(counts, items, cats, base=base, codebook=codebook, neutral=neutral,
                     label_min=label_min, min_n=min_n, lang=lang, width=width)


def _draw(counts: np.ndarray, items: list[str], cats: list, *, base: np.ndarray | None,
          codebook: Any, neutral: str, label_min: float, min_n: int | None, lang: str,
          width: float) -> Figure:
    cells = np.isnan(counts)
    # Shares are of the released base: re-normalised over the shown answers they would let the
    # hidden ones be worked out. Without a base, an item with a hidden count is grey whole.
    n = np.nansum(counts, axis=1) if base is None else base
    n = np.where(cells.any(axis=1) & (base is None), np.nan, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / np.where(n > 0, n, np.nan)[:, None]
    small = (n < (min_n or 0)) | (n == 0) | np.isnan(n)
    hidden = small | cells.all(axis=1)
    colours, middle = likert_colours(len(cats))
    aside = middle is not None and neutral == "aside"
    label_width = 0.36 * width
    rows = _bars.Rows(labels=[S.fit(S.variable_label(codebook, i, lang), label_width)
                              for i in items],
                      shares=shares, n=n, suppressed=hidden, hidden=cells)
    names = [_answer_label(codebook, items[0], c, lang) for c in cats]
    fig = S.new_figure(width, rows.height_inches() + 1.2)
    if aside:
        ax, ax_aside = fig.subplots(1, 2, width_ratios=[4.6, 1.4], sharey=True)
        _bars.draw_diverging(ax, rows, names, colours, neutral=middle, centre=False, lang=lang,
                             label_min=label_min)
        _bars.draw_aside(ax_aside, rows, middle, colour=colours[middle],
                         label=names[middle], lang=lang, label_min=label_min)
        _bars.n_column(ax_aside, rows, rows.positions(), lang)
    else:
        ax = fig.subplots()
        _bars.draw_diverging(ax, rows, names, colours, neutral=middle, centre=True, lang=lang,
                             label_min=label_min)
        _bars.n_column(ax, rows, rows.positions(), lang)
    ax.set_xlabel(t("plots.likert.share", lang))
    _bars.legend(fig, names, colours, ncols=min(len(names), 5 if width > 5 else 3),
                 hidden=lang if cells.any() else None)
    notes = [t("plots.likert.note", lang)]
    if (small & ~np.isnan(n)).any() and min_n:
        notes.append(t("plots.note.min_n", lang, min_n=format_integer(min_n, lang)))
    if cells.any() or np.isnan(n).any():
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig


def _answer_label(codebook: Any, item: str, value: Any, lang: str) -> str:
    if codebook is not None and item in codebook:
        return codebook.value_label(item, value, lang)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
