"""Horizontal 100 % bars shared by the figures: stacked (ladder, traffic light, integration) and
diverging around a centre (Likert items, outcome change), with labels, n and suppressed rows.

Hidden cells (disclosure control) are handled cell by cell: the shown cells of a bar are drawn at
their share of the released base, and what the hidden cells hold together is one grey segment
(base minus the shown cells: no hidden cell can be read off it). A bar with no shown cell is grey
whole.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text

from evalkit.i18n import format_integer, t
from evalkit.present.plots import _style as S

BAR_HEIGHT = 0.72
#: Height of one bar row, in inches.
ROW_INCHES = 0.25
BLOCK_GAP = 0.6
#: Beyond this many sites, the groups of every site are rows of one panel ("site · group")
#: instead of one panel per site: hundreds of panels are unreadable, and each one's layout is
#: paid again in every drawing of the figure.
MAX_SITE_PANELS = 12
#: Beyond this many bars, shares are not written on the bars (they would be too small to read
#: and each label is laid out in every drawing); a note sends the reader to the table.
MAX_LABELLED_ROWS = 40


@dataclass
class Rows:
    """The rows of a bar chart, top to bottom."""

    labels: list[str]
    shares: np.ndarray               # rows × categories, proportions of each row
    n: np.ndarray                    # people behind each row (NaN: unknown or suppressed)
    suppressed: np.ndarray           # bool per row: drawn grey, without values
    hidden: np.ndarray | None = None  # bool rows × categories: cells hidden (one grey segment)
    bold: np.ndarray | None = None   # bool per row: summary rows (outcome groups)
    blocks: list[Any] = field(default_factory=list)  # block of each row (gaps between blocks)
    drawn: list = field(default_factory=list)  # (label, bar) pairs, to drop labels that overflow

    def __post_init__(self) -> None:
        self.shares = np.asarray(self.shares, dtype="float64")
        self.suppressed = np.asarray(self.suppressed, dtype=bool)
        self.n = np.asarray(self.n, dtype="float64")
        if self.hidden is None:
            self.hidden = np.zeros(self.shares.shape, dtype=bool)
        self.hidden = np.asarray(self.hidden, dtype=bool)
        if self.bold is None:
            self.bold = np.zeros(len(self.labels), dtype=bool)
        if not self.blocks:
            self.blocks = [0] * len(self.labels)

    def shown(self) -> np.ndarray:
        """The shares drawn: 0 for hidden cells and suppressed rows."""
        gone = self.hidden | self.suppressed[:, None]
        return np.where(gone, 0.0, np.nan_to_num(self.shares))

    def remainder(self) -> np.ndarray:
        """Per row, the share the hidden cells hold together: 1 minus the shown shares (all
        computed on the released base), 0 for rows without a hidden cell or suppressed whole."""
        partial = self.hidden.any(axis=1) & ~self.suppressed
        rest = np.clip(1.0 - self.shown().sum(axis=1), 0.0, 1.0)
        return np.where(partial, rest, 0.0)

    def any_hidden(self) -> bool:
        """Whether any cell or row is hidden."""
        return bool(self.suppressed.any() or self.hidden.any())

    def positions(self) -> np.ndarray:
        """y of each row: 0, -1, -2... with an extra gap where the block changes."""
        y, out, previous = 0.0, [], None
        for i, block in enumerate(self.blocks):
            if i and block != previous:
                y -= BLOCK_GAP
            out.append(y)
            y -= 1.0
            previous = block
        return np.array(out)

    def height_inches(self) -> float:
        """Rows at an even pitch, tall enough for the longest (wrapped) label."""
        gaps = sum(1 for a, b in zip(self.blocks, self.blocks[1:], strict=False) if a != b)
        lines = max((S.n_lines(label) for label in self.labels), default=1)
        pitch = max(ROW_INCHES, lines * S.SMALL * 1.2 / 72 + 0.07)
        return (len(self.labels) + gaps * BLOCK_GAP) * pitch


def _hatch_ink(colour: Any) -> str:
    """Pattern lines that show on ``colour``: white on dark colours, dark grey on light ones."""
    return "white" if S.text_colour(colour) == "white" else "#4D4D4D"


def _segment(ax: Axes, rows: Rows, y: np.ndarray, left: np.ndarray, share: np.ndarray, *,
             colour: Any, hatch: str | None, label: str, label_min: float, lang: str, gid: str,
             outside: bool = False) -> None:
    shown = np.nan_to_num(share)
    bars = ax.barh(y, shown, left=left, height=BAR_HEIGHT, color=colour, edgecolor="white",
                   linewidth=0.6, hatch=hatch, label=label, gid=gid)
    if hatch:
        for bar in bars:
            bar.set_hatchcolor(_hatch_ink(colour))
    ink = S.text_colour(colour)
    for yi, li, si, bar in zip(y, left, share, bars, strict=True):
        if not (np.isfinite(si) and si >= label_min and si > 0):
            continue
        text = S.percent_label(si, lang)
        if outside:
            ax.annotate(text, (li + si, yi), xytext=(2, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=S.SMALL, color=S.TEXT,
                        gid=f"{gid}-label")
            continue
        # As ax.text makes a text: in data coordinates, not clipped.
        artist = ShareLabel(bar, li + si / 2, yi, text, ha="center", va="center",
                            fontsize=S.SMALL, color=ink, gid=f"{gid}-label",
                            transform=ax.transData, clip_on=False,
                            bbox=({"boxstyle": "round,pad=0.25", "fc": colour, "ec": "none"}
                                  if hatch else None))
        ax.add_artist(artist)
        rows.drawn.append((artist, bar))


def _suppressed(ax: Axes, rows: Rows, y: np.ndarray, left: float, width: float,
                lang: str) -> None:
    ys = y[rows.suppressed]
    if not len(ys):
        return
    ax.barh(ys, width, left=left, height=BAR_HEIGHT, color=S.SUPPRESSED, edgecolor="white",
            gid="evalkit-suppressed")
    for yi in ys:
        ax.text(left + width / 2, yi, t("plots.suppressed", lang), ha="center", va="center",
                fontsize=S.SMALL, color=S.MUTED, style="italic", gid="evalkit-suppressed-label")


def _hidden_part(ax: Axes, rows: Rows, y: np.ndarray, left: np.ndarray, lang: str) -> None:
    """The grey segment of the hidden cells of each partly hidden row, after its shown cells."""
    rest = rows.remainder()
    partial = rows.hidden.any(axis=1) & ~rows.suppressed
    if not partial.any():
        return
    ax.barh(y[partial], rest[partial], left=left[partial], height=BAR_HEIGHT,
            color=S.SUPPRESSED, edgecolor="white", linewidth=0.6,
            label=t("plots.legend.hidden", lang), gid="evalkit-hidden")


def _y_axis(ax: Axes, rows: Rows, y: np.ndarray) -> None:
    ax.set_yticks(y, rows.labels)
    ax.tick_params(axis="y", length=0)
    for tick, bold, gone in zip(ax.get_yticklabels(), rows.bold, rows.suppressed, strict=True):
        if bold:
            tick.set_fontweight("bold")
        if gone:
            tick.set_color(S.MUTED)
    ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    ax.spines["left"].set_visible(False)


def n_column(ax: Axes, rows: Rows, y: np.ndarray, lang: str, x: float = 1.01) -> None:
    for yi, ni, gone in zip(y, rows.n, rows.suppressed, strict=True):
        if gone or not np.isfinite(ni):
            continue
        ax.annotate(t("plots.n", lang, n=format_integer(ni, lang)), (x, yi),
                    xycoords=("axes fraction", "data"), ha="left", va="center",
                    fontsize=S.SMALL, color=S.MUTED, annotation_clip=False, gid="evalkit-n")


def draw_stacked(ax: Axes, rows: Rows, categories: Sequence[str], colours: Sequence[Any], *,
                 lang: str, label_min: float, hatches: Sequence[str | None] | None = None,
                 show_n: bool = True) -> None:
    """100 % stacked bars, one per row, categories left to right."""
    y = rows.positions()
    hatches = hatches or [None] * len(categories)
    shares = rows.shown()
    left = np.zeros(len(y))
    for j, name in enumerate(categories):
        _segment(ax, rows, y, left, shares[:, j], colour=colours[j], hatch=hatches[j],
                 label=name,
                 label_min=label_min, lang=lang, gid=f"evalkit-category-{j}")
        left = left + shares[:, j]
    _hidden_part(ax, rows, y, left, lang)
    _suppressed(ax, rows, y, 0.0, 1.0, lang)
    _y_axis(ax, rows, y)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_locator(ticker.MultipleLocator(0.25 if _wide(ax) else 0.5))
    ax.xaxis.set_major_formatter(S.LocaleFormatter(lang, percent=True))
    if show_n:
        n_column(ax, rows, y, lang)


def diverging_offsets(shares: np.ndarray, neutral: int | None, centre: bool) -> np.ndarray:
    """Where each row starts left of zero: the negative side (plus half the neutral)."""
    k = shares.shape[1]
    if neutral is None:
        return np.nansum(shares[:, : k // 2], axis=1)
    offset = np.nansum(shares[:, :neutral], axis=1)
    if centre:
        offset = offset + np.nan_to_num(shares[:, neutral]) / 2
    return offset


def _wide(ax: Axes) -> bool:
    """Whether the figure is wide enough for ticks every quarter (labels such as ``75 %``)."""
    return ax.get_figure().get_figwidth() >= 5.0


def draw_diverging(ax: Axes, rows: Rows, categories: Sequence[str], colours: Sequence[Any], *,
                   neutral: int | None, centre: bool, lang: str, label_min: float) -> float:
    """Bars centred on the split between the negative and positive categories.

    With a neutral category and ``centre=False`` the neutral share is left out of the bars (the
    caller draws it aside). Returns the half-width of the x axis.
    """
    y = rows.positions()
    shares = rows.shown()
    offset = diverging_offsets(shares, neutral, centre)
    left = -offset
    for j, name in enumerate(categories):
        if j == neutral and not centre:
            continue
        _segment(ax, rows, y, left, shares[:, j], colour=colours[j], hatch=None, label=name,
                 label_min=label_min, lang=lang, gid=f"evalkit-category-{j}")
        left = left + shares[:, j]
    # The hidden cells' segment goes at the right end: it may hold negative answers as well.
    _hidden_part(ax, rows, y, left, lang)
    left = left + rows.remainder()
    reach = max(float(np.max(offset, initial=0.0)), float(np.max(left, initial=0.0)), 0.25)
    half = min(1.0, math.ceil(reach * 10 + 0.2) / 10)
    _suppressed(ax, rows, y, -half, 2 * half, lang)
    _y_axis(ax, rows, y)
    ax.set_xlim(-half, half)
    ax.axvline(0, color=S.MUTED, linewidth=0.8, zorder=0.5)
    step = (0.25 if half > 0.5 else 0.1) * (1 if _wide(ax) else 2)
    ax.xaxis.set_major_locator(ticker.MultipleLocator(step))
    ax.xaxis.set_major_formatter(S.LocaleFormatter(lang, percent=True, absolute=True))
    return half


def draw_aside(ax: Axes, rows: Rows, column: int, *, colour: Any, label: str, lang: str,
               label_min: float) -> None:
    """The neutral category (column ``column`` of the rows), set aside in its own narrow
    panel."""
    y = rows.positions()
    share = np.where(rows.suppressed | rows.hidden[:, column], np.nan, rows.shares[:, column])
    _segment(ax, rows, y, np.zeros(len(y)), share, colour=colour, hatch=None, label=label,
             label_min=0.0, lang=lang, gid="evalkit-neutral", outside=True)
    top = max(0.25, math.ceil(float(np.nanmax(share, initial=0.0)) * 16) / 10)
    ax.set_xlim(0, top)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(2))
    ax.xaxis.set_major_formatter(S.LocaleFormatter(lang, percent=True))
    ax.tick_params(axis="y", left=False, labelleft=False)
    ax.spines["left"].set_visible(False)
    ax.set_title(S.fit(label, 1.0, S.SMALL), fontsize=S.SMALL, loc="left")


def legend(fig: Figure, labels: Sequence[str], colours: Sequence[Any], *,
           hatches: Sequence[str | None] | None = None, ncols: int | None = None,
           hidden: str | None = None) -> None:
    """A legend above the plot, in reading order, its entries wrapped to fit the width; with
    ``hidden`` (the page's language), a last grey entry for the hidden cells."""
    hatches = list(hatches or [None] * len(labels))
    if hidden is not None:
        labels = [*labels, t("plots.legend.hidden", hidden)]
        colours = [*colours, S.SUPPRESSED]
        hatches = [*hatches, None]
    ncols = ncols or len(labels)
    handlelength, columnspacing = 1.4, 1.0
    room = S.legend_text_width(fig.get_figwidth(), ncols, handlelength=handlelength,
                               columnspacing=columnspacing)
    handles = []
    for colour, hatch in zip(colours, hatches, strict=True):
        patch = Patch(facecolor=colour, edgecolor="white", hatch=hatch)
        if hatch:
            patch.set_hatchcolor(_hatch_ink(colour))
        handles.append(patch)
    fig.legend(handles, [S.fit(label, room) for label in labels], loc="outside upper center",
               ncols=ncols, handlelength=handlelength, handleheight=1.1,
               columnspacing=columnspacing, borderaxespad=0.2)


# -- one panel per site ------------------------------------------------------------------------

def _rows_of(part: pd.DataFrame, keys: list, category: str, categories: list, value: str,
             n: str, labels: list[str]) -> Rows:
    """The rows of ``part`` (one row per bar and category), hidden cell by cell: a cell is
    hidden when its share is missing or its row is flagged ``suppressed``."""
    index = pd.MultiIndex.from_frame(part[keys].drop_duplicates())
    wide = part.pivot_table(index=keys, columns=category, values=value, aggfunc="first",
                            dropna=False, observed=False)
    wide = wide.reindex(index=index, columns=categories)
    grouped = part.groupby(keys, sort=False, dropna=False, observed=True)
    counts = grouped[n].first().reindex(index)
    cells = part[[*keys, category]].assign(_hidden=S.suppressed_rows(part, [value]),
                                           _present=True)
    flags = cells.groupby([*keys, category], sort=False, dropna=False,
                          observed=True)[["_hidden", "_present"]].any()
    hidden = flags["_hidden"].unstack(category).reindex(index=index, columns=categories)
    present = flags["_present"].unstack(category).reindex(index=index, columns=categories)
    hidden = hidden.astype("boolean").fillna(False).to_numpy(dtype=bool)
    present = present.astype("boolean").fillna(False).to_numpy(dtype=bool)
    return Rows(labels=labels, shares=wide.to_numpy(dtype="float64", na_value=np.nan),
                n=counts.to_numpy(dtype="float64", na_value=np.nan),
                suppressed=~(present & ~hidden).any(axis=1), hidden=hidden)


def site_panels(data: pd.DataFrame, *, site: str, group: str | None, category: str,
                categories: list, value: str, n: str, codebook: Any, lang: str,
                width: float) -> list[tuple[str | None, Rows]]:
    """One set of rows for all sites (no group), or one panel of group rows per site."""
    room = 0.22 * width
    sites = pd.unique(data[site])
    if group is None:
        labels = [S.fit(S.value_label(codebook, site, s, lang), room) for s in sites]
        return [(None, _rows_of(data, [site], category, categories, value, n, labels))]
    if len(sites) > MAX_SITE_PANELS:
        pairs = data[[site, group]].drop_duplicates()
        labels = [S.fit(f"{S.value_label(codebook, site, s, lang)} · "
                        f"{S.value_label(codebook, group, g, lang)}", room)
                  for s, g in pairs.itertuples(index=False)]
        return [(None, _rows_of(data, [site, group], category, categories, value, n, labels))]
    panels = []
    for s in sites:
        part = data[data[site] == s]
        labels = [S.fit(S.value_label(codebook, group, g, lang), room)
                  for g in pd.unique(part[group])]
        panels.append((S.value_label(codebook, site, s, lang),
                       _rows_of(part, [site, group], category, categories, value, n, labels)))
    return panels


def draw_panels(panels: list[tuple[str | None, Rows]], names: list[str], colours: list, *,
                lang: str, label_min: float, width: float, xlabel: str,
                hatches: list | None = None, legend_cols: int | None = None,
                extra: float = 1.25) -> tuple[Figure, list[Axes]]:
    """The figure of :func:`site_panels`: stacked bars, a panel per site, a legend on top."""
    if sum(len(rows.labels) for _, rows in panels) > MAX_LABELLED_ROWS:
        label_min = math.inf
    heights = [rows.height_inches() + (0.22 if title else 0) for title, rows in panels]
    fig = S.new_figure(width, sum(heights) + extra)
    axes = list(fig.subplots(len(panels), 1, sharex=True, height_ratios=heights,
                             squeeze=False)[:, 0])
    for ax, (title, rows) in zip(axes, panels, strict=True):
        draw_stacked(ax, rows, names, colours, lang=lang, label_min=label_min, hatches=hatches)
        if title:
            ax.set_title(title, loc="left", fontsize=S.FONT, fontweight="bold", pad=2)
    axes[-1].set_xlabel(xlabel)
    legend(fig, names, colours, hatches=hatches, ncols=legend_cols,
           hidden=lang if any_suppressed(panels) else None)
    return fig, axes


def values_note(panels: list[tuple[str | None, Rows]], lang: str) -> list[str]:
    """The note saying the shares are in the table, when there are too many bars to write
    them on (:data:`MAX_LABELLED_ROWS`)."""
    if sum(len(rows.labels) for _, rows in panels) > MAX_LABELLED_ROWS:
        return [t("plots.note.values_in_table", lang)]
    return []


def any_suppressed(panels: list[tuple[str | None, Rows]]) -> bool:
    """Whether any bar of the panels is hidden, whole or in part."""
    return any(rows.any_hidden() for _, rows in panels)


class ShareLabel(Text):
    """The share written on a bar, drawn only when it fits in the bar.

    Whether it fits is known once the figure's layout is done: it is decided each time the
    figure is drawn, after the layout, so that a figure is laid out no more often than any
    other (a separate layout pass to measure the labels cost a third of a bar chart's
    drawing). A label that does not fit is left invisible: the figure's text
    (:func:`evalkit.present.plots._text.figure_text`) read after drawing leaves it out. It
    never takes part in the layout: it lies inside its bar.
    """

    def __init__(self, bar: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bar = bar
        self.set_in_layout(False)

    def draw(self, renderer: Any) -> None:
        self.set_visible(True)
        fits = self.get_window_extent(renderer).width <= \
            self.bar.get_window_extent(renderer).width - 2
        self.set_visible(fits)
        super().draw(renderer)


def settle_labels(fig: Figure) -> None:
    """Lay ``fig`` out once when it has share labels, so that those that do not fit in their
    bar are invisible before its text is read (a figure saved by :func:`figure_block` needs
    no extra pass: its text is read after it is drawn)."""
    if fig.findobj(ShareLabel):
        fig.draw_without_rendering()
