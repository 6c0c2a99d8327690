"""Heatmaps of coded interviews: how often each code comes up at each site, and which codes come
up together in the same turn.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure

from evalkit._checks import check_choice, check_column, check_frame
from evalkit.analyse.qual.frequencies import cooccurrence_matrix
from evalkit.errors import ArgumentError
from evalkit.i18n import format_integer, format_number, t
from evalkit.present.plots import _style as S

__all__ = ["code_site_heatmap", "cooccurrence_heatmap"]

CODE_VALUES = ("share_participants", "n_participants", "n_segments")
CODE_LEVELS = ("code", "theme")
COOCCURRENCE_VALUES = ("n_units_both", "jaccard")
#: Near-white to Okabe-Ito blue: one hue, ordered by lightness, readable with any colour vision.
HEAT = LinearSegmentedColormap.from_list(
    "evalkit_heat", ["#F2F8FC", "#B9DDF3", "#56B4E9", "#0072B2", "#003A5D"])
_SEP = "/"
#: Beyond this many sites (columns), the code × site heatmap writes no value in its cells.
MAX_WRITTEN_SITES = 30


def _code_label(path: Any, labels: Mapping) -> str:
    if path in labels:
        return str(labels[path])
    return str(path).rsplit(_SEP, 1)[-1]


def _cells(ax: Axes, values: np.ndarray, hidden: np.ndarray, texts: np.ndarray,
           norm: Normalize, *, mask: np.ndarray | None = None) -> None:
    """Colour every cell (grey when hidden, nothing where masked) and write its text."""
    shown = np.ma.masked_array(values, mask=hidden | (mask if mask is not None else False))
    cmap = HEAT.with_extremes(bad=(0, 0, 0, 0))
    ax.imshow(shown, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    grey = np.ma.masked_array(np.ones_like(values), mask=~hidden)
    ax.imshow(grey, cmap=LinearSegmentedColormap.from_list("grey", [S.SUPPRESSED] * 2),
              aspect="auto", interpolation="nearest", gid="evalkit-suppressed")
    for (i, j), text in np.ndenumerate(texts):
        if not text or (mask is not None and mask[i, j]):
            continue
        ink = S.MUTED if hidden[i, j] else S.text_colour(HEAT(norm(values[i, j])))
        ax.text(j, i, text, ha="center", va="center", fontsize=S.SMALL, color=ink,
                gid="evalkit-cell")


def _frame_axes(ax: Axes, shape: tuple[int, int]) -> None:
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.2)
    ax.tick_params(which="both", length=0)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")


# -- code × site -------------------------------------------------------------------------------

@S.figure_docs
def code_site_heatmap(data: pd.DataFrame, *, site: str = "site",
                      value: str = "share_participants", level: str = "code",
                      labels: Mapping[str, str] | None = None, lang: str = "fr",
                      width: float = S.MAX_WIDTH) -> Figure:
    """Heatmap of codes (rows, grouped by theme) by site (columns).

    Parameters
    ----------
    data : DataFrame
        The output of :func:`evalkit.code_frequencies` with a site breakdown and no group
        breakdown (``group=None``), possibly through disclosure control (hidden cells, missing
        in ``value``, are grey, with a dash; the other cells of a row flagged ``suppressed`` are
        drawn).
    site : str, default "site"
        The site column.
    value : {"share_participants", "n_participants", "n_segments"}
        What the cells show: the share of the site's participants who raise the code
        (default), their number, or the number of coded segments.
    level : {"code", "theme"}
        Codes under their themes (themes in bold), or themes only.
    labels : dict, optional
        Display labels by code path or theme (e.g. English labels of French codes); by default
        the last part of the code path.
    {lang_width}

    {returns_figure}

    Notes
    -----
    With more than 30 sites, cells are coloured without their values (a note says they are
    in the table). A theme's cell counts a participant once when any of its codes applies, as
    ``code_frequencies`` does. Shares are comparable across sites of different sizes; counts
    are not.

    Examples
    --------
    >>> import pandas as pd
    >>> freq = pd.DataFrame({"site": ["A", "A", "B", "B"],
    ...                      "code_path": ["Voice", "Voice/Asked"] * 2, "theme": "Voice",
    ...                      "depth": [1, 2, 1, 2], "share_participants": [1.0, 0.5, 0.25, 0.0]})
    >>> fig = code_site_heatmap(freq, lang="en")
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['Voice', 'Asked']
    """
    data = S.require(data, ["code_path", "theme", "depth"],
                     source="evalkit.code_frequencies")
    site = check_column(data, site, "site")
    check_choice(value, CODE_VALUES, "value")
    check_column(data, value, "value")
    check_choice(level, CODE_LEVELS, "level")
    if data.duplicated([site, "code_path"]).any():
        raise ArgumentError("data has several rows per site and code (one per group?): call "
                            "code_frequencies with group=None, or keep one group",
                            where="data")
    labels = S.check_labels(labels)
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw_codes(data, site, value, level, labels, lang=lang, width=width)


def _code_rows(data: pd.DataFrame, level: str) -> pd.DataFrame:
    paths = data.drop_duplicates("code_path")[["code_path", "theme", "depth"]]
    if level == "theme":
        paths = paths[paths["depth"] == 1]
    folded = paths.assign(_theme=paths["theme"].map(_folded), _path=paths["code_path"].map(
        _folded))
    return folded.sort_values(["_theme", "depth", "_path"], kind="stable").drop(
        columns=["_theme", "_path"]).reset_index(drop=True)


def _folded(text: Any) -> str:
    """Sort key that puts accented letters with their base letter (É with E)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _draw_codes(data: pd.DataFrame, site: str, value: str, level: str, labels: Mapping, *,
                lang: str, width: float) -> Figure:
    paths = _code_rows(data, level)
    sites = pd.unique(data[site])
    wide = data.pivot(index="code_path", columns=site, values=value).reindex(
        index=paths["code_path"], columns=sites)
    # A cell is hidden when its value is missing (the one marker of a hidden cell): a row
    # flagged ``suppressed`` may hide another column (participants) and show this one.
    values = wide.to_numpy(dtype="float64", na_value=np.nan)
    hidden = np.isnan(values)
    share = value == "share_participants"
    top = 1.0 if share else max(1.0, float(np.nanmax(np.where(hidden, np.nan, values),
                                                      initial=1.0)))
    texts = np.array([["–" if gone else (S.percent_label(v, lang) if share
                                          else format_integer(v, lang))
                       for v, gone in zip(row, hide, strict=True)]
                      for row, hide in zip(values, hidden, strict=True)], dtype=object)
    many = len(sites) > MAX_WRITTEN_SITES
    if many:  # colours only: a value per cell would not fit, and is in the table
        texts = np.full(texts.shape, "", dtype=object)
    fig = S.new_figure(width, len(paths) * 0.23 + 1.0)
    ax = fig.subplots()
    _cells(ax, np.nan_to_num(values), hidden, texts, Normalize(0, top))
    row_labels = [S.fit(_code_label(p, labels), 0.38 * width, weight="bold" if d == 1 else "normal")
                  for p, d in zip(paths["code_path"], paths["depth"], strict=True)]
    ax.set_yticks(range(len(paths)), row_labels)
    for tick, depth in zip(ax.get_yticklabels(), paths["depth"], strict=True):
        if depth == 1:
            tick.set_fontweight("bold")
        else:
            tick.set_x(-0.01)
    ax.set_xticks(range(len(sites)), [str(s) for s in sites])
    ax.set_xlabel(t("common.site", lang))
    _frame_axes(ax, values.shape)
    starts = [i for i, d in enumerate(paths["depth"]) if d == 1 and i > 0]
    for i in starts:
        ax.axhline(i - 0.5, color="white", lw=2.5)
    notes = [t(f"plots.codes.note.{value}", lang)]
    if many:
        notes.append(t("plots.note.values_in_table", lang))
    if hidden.any():
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig


# -- co-occurrence -----------------------------------------------------------------------------

@S.figure_docs
def cooccurrence_heatmap(data: pd.DataFrame, *, value: str = "n_units_both",
                         labels: Mapping[str, str] | None = None, lang: str = "fr",
                         width: float = S.MAX_WIDTH) -> Figure:
    """Heatmap of how often two codes apply to the same unit (lower triangle).

    Parameters
    ----------
    data : DataFrame
        The long output of :func:`evalkit.cooccurrence` (columns ``code_a``, ``code_b``,
        ...), or the square matrix of :func:`evalkit.cooccurrence_matrix`.
    value : {"n_units_both", "jaccard"}
        With the long output: units coded with both codes, or the Jaccard index. A square
        matrix is drawn as it is (with counts, its diagonal gives each code's units).
    labels : dict, optional
        Display labels by code path (default: the last part of the path).
    {lang_width}

    {returns_figure}

    Notes
    -----
    The matrix is symmetric: only the cells below the diagonal are drawn. Rows are numbered;
    the columns carry the same numbers (the last code has no column: its pairs are all in its
    row). With counts, each row label ends with the code's number
    of units (the diagonal). Empty cells: the codes never share a unit.

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"code_a": ["T/a", "T/a", "T/b"], "code_b": ["T/b", "T/c", "T/c"],
    ...                       "n_units_both": [1, 0, 2], "n_units_a": [2, 2, 3],
    ...                       "n_units_b": [3, 4, 4], "jaccard": [0.25, 0.0, 0.4]})
    >>> fig = cooccurrence_heatmap(pairs, lang="en")
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['1. a (2)', '2. b (3)', '3. c (4)']
    """
    data = check_frame(data)
    check_choice(value, COOCCURRENCE_VALUES, "value")
    labels = S.check_labels(labels)
    lang, width = S.check_lang(lang), S.check_width(width)
    matrix, counts = _square(data, value)
    order = sorted(matrix.index, key=_folded)
    matrix = matrix.reindex(index=order, columns=order)
    with S.styled():
        return _draw_cooccurrence(matrix, counts, labels, lang=lang, width=width)


def _square(data: pd.DataFrame, value: str) -> tuple[pd.DataFrame, bool]:
    if {"code_a", "code_b"} <= set(data.columns):

        return cooccurrence_matrix(data, value=value), value == "n_units_both"
    if data.shape[0] < 2 or list(data.index) != list(data.columns):
        raise ArgumentError("data must be the long output of cooccurrence() (columns code_a "
                            "and code_b) or a square matrix whose rows and columns name the "
                            "same codes in the same order", where="data")
    values = data.to_numpy(dtype="float64", na_value=np.nan)
    counts = bool(np.all(np.isnan(values) | (values == np.round(values)))
                  and not np.allclose(np.diag(values), 1.0))
    return data, counts


def _draw_cooccurrence(matrix: pd.DataFrame, counts: bool, labels: Mapping, *, lang: str,
                       width: float) -> Figure:
    values = matrix.to_numpy(dtype="float64", na_value=np.nan)
    k = len(values)
    codes = list(matrix.index)
    below = np.tril(np.ones((k, k), dtype=bool), k=-1)[:, :-1]
    shown = values[:, :-1]
    hidden = np.isnan(shown) & below
    row_labels = []
    for i, code in enumerate(codes, start=1):
        text = f"{i}. {_code_label(code, labels)}"
        if counts and np.isfinite(values[i - 1, i - 1]):
            text += f" ({format_integer(values[i - 1, i - 1], lang)})"
        row_labels.append(S.fit(text, 0.34 * width))
    top = max(1.0, float(np.nanmax(np.where(below, shown, np.nan), initial=1.0))) if counts \
        else 1.0

    def text(v: float, gone: bool) -> str:
        if gone:
            return "–"
        if not np.isfinite(v) or v == 0:
            return ""
        return format_integer(v, lang) if counts else format_number(v, lang, decimals=2)

    texts = np.array([[text(v, g) for v, g in zip(r, h, strict=True)]
                      for r, h in zip(shown, hidden, strict=True)], dtype=object)
    fig = S.new_figure(width, k * 0.24 + 1.0)
    ax = fig.subplots()
    _cells(ax, np.nan_to_num(shown), hidden, texts, Normalize(0, top), mask=~below)
    ax.set_yticks(range(k), row_labels)
    ax.set_xticks(range(k - 1), [str(j) for j in range(1, k)])
    _frame_axes(ax, shown.shape)
    key = "n_units_both" if counts else "jaccard"
    notes = [t(f"plots.cooccurrence.note.{key}", lang)]
    if hidden.any():
        notes.append(S.suppressed_note(lang))
    S.add_notes(fig, notes)
    return fig
