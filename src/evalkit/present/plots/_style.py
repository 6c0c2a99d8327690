"""The shared look of evalkit's figures: palettes, fonts, sizes, locale-aware ticks, wrapping,
notes, and the checks every figure function makes on its arguments.

Figures are built inside :func:`styled` (a matplotlib rc context) on a
:class:`matplotlib.figure.Figure` that pyplot never sees: importing or calling ``evalkit.present.plots``
leaves the user's rcParams and pyplot's list of open figures as they were.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from evalkit._checks import check_choice, check_frame, check_number
from evalkit._docs import shared_docs
from evalkit.config.codebook import Codebook
from evalkit.errors import ArgumentError
from evalkit.i18n import LANGUAGES, catalogue, format_number, format_percent, has_key, t
from evalkit.present.plots._png import tight_png

#: Docstring text every figure function shares (a docstring line ``{lang_width}`` takes it in).
FIGURE_DOCS: dict[str, str] = {
    "lang_width": (
        'lang : {"fr", "en"}\n'
        "    Language of the labels, notes and number formats.\n"
        "width : float, default 6.3\n"
        "    Figure width in inches (6.3 is the text width of an A4 page)."
    ),
    "returns_figure": (
        "Returns\n"
        "-------\n"
        "matplotlib.figure.Figure\n"
        "    A figure pyplot does not track: show it in a notebook, or write it with\n"
        "    :func:`evalkit.present.plots.save_figure`."
    ),
}
#: The decorator that puts :data:`FIGURE_DOCS` in place.
figure_docs = shared_docs(FIGURE_DOCS)

#: Okabe & Ito (2008) colours, distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Grey of suppressed groups, neutral categories, and muted text.
SUPPRESSED = "#D9D9D9"
NEUTRAL = "#BDBDBD"
TEXT = "#1A1A1A"
MUTED = "#595959"
#: The widest figure, in inches: the text width of an A4 page with 2.5 cm margins.
MAX_WIDTH = 6.3
#: Font sizes in points (nothing smaller than 8 pt).
FONT = 8.5
SMALL = 8.0
#: Resolution at which text is measured to be wrapped: the reports' (Agg's hinting makes a
#: line's width depend a little on the resolution it is drawn at).
_MEASURE_DPI = 150
#: Share of a width a wrapped line may fill: 1 % is left for what one resolution cannot tell.
_FILL = 0.99
#: Where a line may break: ASCII white space only, so that the no-break spaces of French
#: typography (``12,5 %``, ``Note :``) keep what they join on one line.
_BREAKS = re.compile(r"[ \t\n\r\f\v]+")

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": FONT,
    "axes.titlesize": FONT + 0.5,
    "axes.labelsize": FONT,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": TEXT,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": SMALL,
    "ytick.labelsize": SMALL,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "legend.fontsize": SMALL,
    "legend.frameon": False,
    "text.color": TEXT,
    "hatch.linewidth": 0.7,
    "hatch.color": "#000000",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.hashsalt": "evalkit",   # fixed ids in SVG files: the same figure, the same bytes
    "svg.id": None,
    "svg.fonttype": "path",
    "path.simplify": True,
}


@contextlib.contextmanager
def styled() -> Iterator[None]:
    """Build (or save) a figure with evalkit's style; the user's rcParams are restored after."""
    with mpl.rc_context(RC):
        yield


def warm_up() -> None:
    """Draw a small figure with this style, off pyplot, so that matplotlib's font look-ups and
    loaded fonts are cached in this process (a process that forks others does it once for
    all of them), and measure the words of the figures' texts in the catalogues (``plots.*``,
    both languages) that :func:`fit` wraps legends and notes with: a kernel forked from this
    process measures only a study's own words (a site profile: some 50 words and spaces
    instead of 280, 0.01 CPU s instead of 0.06). The rcParams are restored."""
    with styled():
        figure = Figure(figsize=(3, 2), layout="constrained")
        axes = figure.add_subplot()
        axes.plot([0, 1], [0, 1], label="ÉéÀ 1 234,5 %")
        axes.set_title("Site · ÉéÀ", fontweight="bold")
        axes.set_xlabel("n")
        axes.text(0.5, 0.5, "x", fontstyle="italic")
        axes.legend()
        tight_png(figure, dpi=150)
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            if key.startswith("plots."):
                fit(text, MAX_WIDTH)  # every word, and every space between two, measured


# -- arguments ---------------------------------------------------------------------------------

def check_lang(lang: Any) -> str:
    return check_choice(lang, LANGUAGES, "lang")


def check_width(width: Any) -> float:
    return check_number(width, "width", minimum=2.5, maximum=MAX_WIDTH)


def check_share(value: Any, param: str) -> float:
    return check_number(value, param, minimum=0.0, maximum=1.0)


def require(data: Any, columns: Iterable[str], *, param: str = "data",
            source: str | None = None) -> pd.DataFrame:
    """``data`` must be a DataFrame with ``columns`` (the output of ``source``)."""
    data = check_frame(data, param)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        origin = f" (pass the output of {source})" if source else ""
        raise ArgumentError(f"{param} lacks the column(s) {', '.join(map(repr, missing))}"
                            f"{origin}; it has {', '.join(map(str, data.columns[:12]))}",
                            where=param)
    if data.empty:
        raise ArgumentError(f"{param} has no rows: there is nothing to draw", where=param)
    return data


def check_labels(labels: Any, param: str = "labels") -> Mapping:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise ArgumentError(f"{param} must be a mapping of values to labels (a dict), got "
                            f"{type(labels).__name__}", where=param)
    return labels


def check_codebook(codebook: Any) -> Any:
    if codebook is None:
        return None

    if not isinstance(codebook, Codebook):
        raise ArgumentError(f"codebook must be an evalkit Codebook (evalkit.config.codebook."
                            f"load_codebook or validate_study(...).codebook), got "
                            f"{type(codebook).__name__}", where="codebook")
    return codebook


def withheld_rows(data: pd.DataFrame, values: Sequence[str]) -> np.ndarray:
    """Rows whose ``values`` the released frame does not show (missing cells).

    A row flagged ``suppressed`` may still show its estimate (another of its cells was
    hidden): what a figure leaves out is what the released cells leave out, never more.
    """
    return data[list(values)].isna().any(axis=1).to_numpy()


def suppressed_rows(data: pd.DataFrame, values: Sequence[str]) -> np.ndarray:
    """Rows flagged ``suppressed`` by disclosure control, or whose values are missing."""
    mask = data[list(values)].isna().any(axis=1).to_numpy()
    if "suppressed" in data.columns:
        flag = data["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        mask = mask | flag
    return mask


# -- labels ------------------------------------------------------------------------------------

def variable_label(codebook: Any, name: Any, lang: str) -> str:
    """The codebook's label of variable ``name`` (the name itself when unknown)."""
    if codebook is not None and name in codebook:
        return codebook.label(name, lang)
    return str(name)


def value_label(codebook: Any, variable: Any, value: Any, lang: str) -> str:
    """The codebook's label of ``value`` of ``variable`` (the value itself when unknown; a
    missing value, such as respondents of no group, is *non précisé* / *not stated*)."""
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str)
                         and bool(pd.isna(value))):
        return t("plots.value_missing", lang)
    if codebook is not None and variable in codebook:
        return codebook.value_label(variable, value, lang)
    return str(value)


def catalogue_or(key: str, fallback: str, lang: str) -> str:
    """The catalogue text of ``key`` if the catalogues have it, otherwise ``fallback``."""
    return t(key, lang) if has_key(key) else fallback


def level_text(level: float, lang: str) -> str:
    """A coverage level as a percentage with only the decimals it needs (95 %, 99,8 %)."""
    decimals = next(d for d in range(4) if abs(round(level * 100, d) - level * 100) < 1e-9)
    return format_percent(level, lang, decimals=decimals)


@functools.cache
def _measurer() -> Any:
    """The renderer that measures text (one per process; it draws nothing)."""
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, _MEASURE_DPI)


@functools.cache
def _font_properties(size: float, weight: str, style: str) -> FontProperties:
    return FontProperties(family=RC["font.family"], size=size, weight=weight, style=style)


def text_width(text: Any, size: float = SMALL, *, weight: str = "normal",
               style: str = "normal") -> float:
    """Width in inches of the widest line of ``text`` drawn at ``size`` points in the figures'
    font, as Agg draws it (``$`` is measured as a character)."""
    prop = _font_properties(size, weight, style)
    renderer = _measurer()
    widths = [renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
              for line in str(text).split("\n") if line]
    return max(widths, default=0.0) / _MEASURE_DPI


@functools.lru_cache(maxsize=1 << 16)
def _word_width(word: str, size: float, weight: str, style: str) -> float:
    return text_width(word, size, weight=weight, style=style)


@functools.lru_cache(maxsize=1 << 14)
def _space_width(left: str, right: str, size: float, weight: str, style: str) -> float:
    """What a space between a word ending with ``left`` and one starting with ``right`` adds to
    a line: the pen's advance over both, with their kerning, less what each letter measures
    alone."""
    return (_word_width(f"{left} {right}", size, weight, style)
            - _word_width(left, size, weight, style) - _word_width(right, size, weight, style))


@functools.lru_cache(maxsize=1 << 12)
def fit(text: Any, width_in: float, size: float = SMALL, *, weight: str = "normal",
        style: str = "normal") -> str:
    r"""``text`` wrapped at its spaces into lines no wider than ``width_in`` inches, as Agg
    draws them at ``size`` points in the figures' font (see :func:`text_width`). A word wider
    than that stays whole on a line of its own; no-break spaces never break.

    A line's width is its words' widths plus what each space between them adds, which depends
    only on the letters either side of it: that sum is the width Agg measures for the whole
    line (to a millionth of a pixel over the catalogues' texts, tested), and each word and each
    pair of letters around a space is measured once per process.

    >>> fit("Des services centrés sur la personne", 1.0)
    'Des services\ncentrés sur la\npersonne'
    """
    words = unbroken(text)
    if not words:
        return ""
    limit = width_in * _FILL
    lines, line = [], words[0]
    width = _word_width(line, size, weight, style)
    for word in words[1:]:
        wider = (width + _space_width(line[-1], word[0], size, weight, style)
                 + _word_width(word, size, weight, style))
        if wider <= limit:
            line, width = f"{line} {word}", wider
        else:
            lines.append(line)
            line, width = word, _word_width(word, size, weight, style)
    lines.append(line)
    return "\n".join(lines)


def unbroken(text: Any) -> list[str]:
    """The parts of ``text`` :func:`fit` never breaks: its words, no-break spaces kept in."""
    return [w for w in _BREAKS.split(str(text)) if w]


def room_for(width_in: float) -> float:
    """The room :func:`fit` needs to keep a line ``width_in`` inches wide on one line."""
    return width_in / _FILL


def legend_text_width(fig_width: float, ncols: int, *, handlelength: float,
                      columnspacing: float, size: float = SMALL) -> float:
    """The width in inches each of the ``ncols`` columns of a legend as wide as a figure of
    ``fig_width`` inches leaves for its text: what its handles, the pads between handle and
    text, between columns and around the legend (in ems of ``size``, from the rcParams in
    force) do not take."""
    em = size / 72
    pad = float(mpl.rcParams["legend.handletextpad"])
    border = float(mpl.rcParams["legend.borderpad"])
    shared = (ncols - 1) * columnspacing * em + 2 * border * em
    return max(0.3, (fig_width - shared) / ncols - (handlelength + pad) * em)


def n_lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


# -- numbers on axes ---------------------------------------------------------------------------

class LocaleFormatter(ticker.Formatter):
    """Tick labels through :func:`format_number` / :func:`format_percent` (``12,5 %``).

    The number of decimals is the smallest that shows every tick exactly.
    """

    def __init__(self, lang: str, *, percent: bool = False, absolute: bool = False) -> None:
        self.lang = lang
        self.percent = percent
        self.absolute = absolute
        self.decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        scale = 100.0 if self.percent else 1.0
        values = np.asarray(locs, dtype="float64") * scale
        values = values[np.isfinite(values)]
        self.decimals = next((d for d in range(4)
                              if np.allclose(np.round(values, d), values, atol=1e-9)), 3)

    def __call__(self, x: float, pos: int | None = None) -> str:
        value = abs(x) if self.absolute else x
        if abs(value) < 1e-12:
            value = 0.0
        if self.percent:
            return format_percent(value, self.lang, decimals=self.decimals)
        return format_number(value, self.lang, decimals=self.decimals)


def percent_label(share: float, lang: str, decimals: int = 0) -> str:
    return format_percent(share, lang, decimals=decimals)


def text_colour(face: Any) -> str:
    """Black or white, whichever reads better on ``face`` (WCAG relative luminance)."""
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
               for c in mcolors.to_rgb(face))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "white" if luminance < 0.30 else TEXT


def blend(colour: Any, towards: Any = "white", amount: float = 0.5) -> tuple:
    """``colour`` moved ``amount`` of the way towards ``towards`` (RGB)."""
    a = np.array(mcolors.to_rgb(colour))
    b = np.array(mcolors.to_rgb(towards))
    return tuple(a + (b - a) * amount)


def sequential(n: int, cmap: str = "cividis", low: float = 0.12, high: float = 0.95) -> list:
    """``n`` colours of a perceptually uniform sequential colour map, lightest last."""
    colours = mpl.colormaps[cmap]
    if n == 1:
        return [colours(high)]
    return [colours(v) for v in np.linspace(low, high, n)]


# -- figures and notes -------------------------------------------------------------------------

def new_figure(width: float, height: float) -> Figure:
    """A figure outside pyplot, laid out by matplotlib's constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04, wspace=0.02, hspace=0.02)
    return fig


def add_notes(fig: Figure, notes: Iterable[str]) -> None:
    """Write ``notes`` under the figure, wrapped to its width, growing the figure to fit."""
    notes = list(dict.fromkeys(n for n in notes if n))
    if not notes:
        return
    width = fig.get_figwidth()
    text = "\n".join(fit(note, width - 0.2, SMALL) for note in notes)
    line = SMALL * 1.25 / 72
    note_height = n_lines(text) * line + 0.12
    height = fig.get_figheight()
    fig.set_figheight(height + note_height)
    bottom = note_height / (height + note_height)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0, bottom, 1, 1 - bottom))
    else:
        for ax in fig.axes:
            x0, y0, w, h = ax.get_position().bounds
            ax.set_position((x0, bottom + y0 * (1 - bottom), w, h * (1 - bottom)))
    fig.text(0.1 / width, bottom - 0.06 / (height + note_height), text, ha="left", va="top",
             fontsize=SMALL, color=MUTED, linespacing=1.25, gid="evalkit-notes")


def legend_above(fig: Figure, handles: Sequence[Any], *, ncols: int,
                 handlelength: float = 2.0) -> None:
    """A legend above the axes, its labels wrapped to the width of a legend column."""
    columnspacing = 1.2
    room = legend_text_width(fig.get_figwidth(), ncols, handlelength=handlelength,
                             columnspacing=columnspacing)
    for handle in handles:
        handle.set_label(fit(handle.get_label(), room))
    fig.legend(handles=handles, loc="outside upper center", ncols=ncols,
               handlelength=handlelength, columnspacing=columnspacing, borderaxespad=0.2)


def p_value_text(p: float, lang: str) -> str:
    """``p = 0,012`` or ``p < 0,001``."""
    if p < 0.001:
        return t("plots.p_below", lang, p=format_number(0.001, lang, decimals=3))
    return t("plots.p_equal", lang, p=format_number(p, lang, decimals=3))


def non_validated_tag(ax: Any, lang: str) -> None:
    """The "non-validated index" mark, top right of ``ax``."""
    ax.text(0.99, 1.01, t("common.non_validated", lang), transform=ax.transAxes, ha="right",
            va="bottom", fontsize=SMALL, style="italic", color=OKABE_ITO["vermillion"],
            gid="evalkit-non-validated")


def wants_non_validated(data: pd.DataFrame, non_validated: Any) -> bool:
    """The explicit ``non_validated`` argument, or the data's own ``non_validated`` column."""
    if non_validated is None:
        return "non_validated" in data.columns and bool(
            data["non_validated"].astype("boolean").fillna(False).any())
    if not isinstance(non_validated, bool):
        raise ArgumentError(f"non_validated must be True, False or None (from the data), got "
                            f"{non_validated!r}", where="non_validated")
    return non_validated


def suppressed_note(lang: str, *, omitted: Sequence[Any] = ()) -> str:
    omitted = list(omitted)
    if omitted:
        return t("plots.note.suppressed_omitted", lang,
                 names=", ".join(map(str, omitted)))
    return t("plots.note.suppressed", lang)


def few_sites_note(k: int, lang: str) -> str:
    return t("quant.sites.few_sites", lang, k=format_number(k, lang, decimals=0))

