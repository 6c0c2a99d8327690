"""The figures of the evidence brief, drawn by :mod:`evalkit.present.plots` from released tables and
turned into PNG blocks with a caption and a text alternative."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.i18n import t
from evalkit.present import plots  # lazy: each figure's module (and matplotlib) on first use
from evalkit.present._funnel import site_key
from evalkit.present.document import Figure
from evalkit.present.plots._drawn import drawn_png, figure_key, keep_png
from evalkit.present.plots._layers import layered_png
from evalkit.present.plots._png import PNG_OPTIONS, tight_png
from evalkit.present.plots._text import png_with_text

__all__ = ["MAX_BRIEF_SITES", "PER_SITE", "brief_figure", "figure_block", "left_to_tables"]

#: Resolution of the PNG images (sharp when printed at the text width of A4).
DPI = 150


def figure_block(fig: Any, *, caption: str, alt: str, lang: str, non_validated: bool = False,
                 name: str = "", layers: str | Path | None = None,
                 drawn: str | Path | None = None) -> Figure:
    """A matplotlib figure as a :class:`Figure` block (PNG, no timestamp: same figure, same
    bytes); the figure is closed.

    With ``layers`` (a folder of the run), a figure marked for layers (a site's copy of a
    figure of all sites) is drawn from the part every site shares, drawn there once, and its
    own part drawn over it (:mod:`evalkit.present.plots._layers`); any other figure is drawn
    whole. With ``drawn`` (a folder of the run), a figure in the same state as one drawn
    before into that folder gets that figure's PNG, the same bytes, without being drawn again
    (:mod:`evalkit.present.plots._drawn`).

    The PNG holds the figure's visible text, one line each, in a ``Description`` text chunk
    tagged with ``lang`` (see :func:`evalkit.present.plots._text.figure_text`): what a
    reader reads on the figure can be read back from the file and checked.
    """
    import matplotlib.pyplot as plt

    try:
        layered = layered_png(fig, Path(layers), dpi=DPI) if layers is not None else None
        if layered is not None:
            png = png_with_text(layered[0], fig, lang, layered[1])  # its text as drawn
        else:
            png = _whole_png(fig, lang, drawn)
    finally:
        plt.close(fig)
    width, height = _png_size(png)
    # Displayed at 96 CSS pixels per inch.
    scale = 96 / DPI
    return Figure(png=png, caption=caption, alt=alt, width=round(width * scale),
                  height=round(height * scale), non_validated=non_validated, name=name)


def _whole_png(fig: Any, lang: str, drawn: str | Path | None) -> bytes:
    """The PNG of the whole ``fig``, with its text: kept in ``drawn`` (when given) for the next
    figure in the same state, or taken from there."""
    key = figure_key(fig, dpi=DPI, lang=lang, png=PNG_OPTIONS, bbox="tight") \
        if drawn is not None else None
    png = drawn_png(Path(drawn), key) if key is not None else None
    if png is None:
        png = png_with_text(tight_png(fig, dpi=DPI), fig, lang, None)
        if key is not None:
            keep_png(Path(drawn), key, png)
    return png


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


#: The most sites the brief draws one bar, row or column each for. Beyond it such a figure is
#: left out of the brief, which says where each site's values are (the released table and the
#: site profiles): hundreds of bars are no summary a decision-maker reads, and drawing them
#: is most of what a brief of many sites costs. The funnel plot, made for many sites, stays.
MAX_BRIEF_SITES = 30
#: The brief's figures with a bar, row or column per site, and the released table each shows.
PER_SITE: dict[str, str] = {
    "caterpillar": "tokenism_shrunken", "ladder": "ladder_distribution",
    "traffic_light": "traffic_light", "integration": "integration_profile",
    "codes": "code_frequencies",
}


def left_to_tables(name: str, tables: Mapping[str, pd.DataFrame]) -> str | None:
    """The released table that holds what the brief's figure ``name`` would show, when that
    figure draws more than :data:`MAX_BRIEF_SITES` sites (None otherwise)."""
    table = PER_SITE.get(name)
    frame = tables.get(table) if table else None
    if frame is None:
        return None
    key = site_key(tables, table)
    if key not in frame or frame[key].nunique() <= MAX_BRIEF_SITES:
        return None
    return table


def brief_figure(name: str, tables: Mapping[str, pd.DataFrame], *, study: Any, lang: str,
                 labels: Any = None, drawn: str | Path | None = None) -> Figure | None:
    """The brief's figure ``name`` drawn from released ``tables`` (None when its tables are
    missing); ``drawn``: see :func:`figure_block`."""
    builder = _FIGURES.get(name)
    if builder is None:
        return None
    return builder(tables, study=study, lang=lang, labels=labels,
                   block=functools.partial(figure_block, drawn=drawn))


def _t(key: str, lang: str, **params: Any) -> str:

    return t(key, lang, **params)


def _codebook(labels: Any) -> Any:
    return getattr(labels, "codebook", None)


def _funnel(tables, *, study, lang, labels, block=figure_block):

    if "tokenism_funnel" not in tables:
        return None
    fig = plots.funnel_plot(tables["tokenism_funnel"], overdispersion=tables.get(
        "tokenism_overdispersion"), kind="proportion", indicator=_t("quant.tokenism.rate", lang),
        non_validated=True, lang=lang)
    return block(fig, caption=_t("reports.figure.funnel", lang),
                 alt=_t("reports.figure.funnel.alt", lang), lang=lang, non_validated=True,
                 name="funnel")


def _caterpillar(tables, *, study, lang, labels, block=figure_block):

    if "tokenism_shrunken" not in tables:
        return None
    fig = plots.caterpillar_plot(tables["tokenism_shrunken"], estimate="shrunken", kind="proportion",
                           indicator=_t("quant.tokenism.rate", lang), non_validated=True,
                           lang=lang)
    return block(fig, caption=_t("reports.figure.caterpillar", lang),
                 alt=_t("reports.figure.caterpillar.alt", lang), lang=lang, non_validated=True,
                 name="caterpillar")


def _ladder(tables, *, study, lang, labels, block=figure_block):

    data = tables.get("ladder_distribution")
    group = study.roles.group
    inv = study.measures.involvement
    if data is None:
        return None
    if group and group in data and inv is not None and inv.perception is not None:
        users = {str(v) for v in inv.perception.users}
        data = data[data[group].astype(str).isin(users)]
    # Without a declared perception group, each respondent group keeps its own bar.
    by = group if group and group in data and data[group].nunique() > 1 else None
    if group and group in data and by is None:
        data = data.drop(columns=[group])
    site = site_key(tables, "ladder_distribution")
    fig = plots.ladder_profile(data, site=site, group=by, codebook=_codebook(labels),
                               non_validated=True, lang=lang)
    # beyond a number of bars, the figure shows how the sites spread on each rung
    spread = plots.ladder_spread(data, site=site, group=by)
    alt = "reports.figure.ladder.alt_spread" if spread else "reports.figure.ladder.alt"
    return block(fig, caption=_t("reports.figure.ladder", lang), alt=_t(alt, lang),
                 lang=lang, non_validated=True, name="ladder")


def _outcomes(tables, *, study, lang, labels, block=figure_block):

    data = tables.get("outcome_change")
    outcomes = study.measures.outcomes
    if data is None or outcomes is None:
        return None
    if "level" in data:
        data = data[data["level"].astype(str) == "item"]
    fig = plots.outcome_change_plot(data, groups=outcomes.groups or None,
                              codebook=_codebook(labels), lang=lang)
    return block(fig, caption=_t("reports.figure.outcomes", lang),
                 alt=_t("reports.figure.outcomes.alt", lang), lang=lang, name="outcomes")


def _traffic_light(tables, *, study, lang, labels, block=figure_block):

    if "traffic_light" not in tables:
        return None
    fig = plots.traffic_light_plot(tables["traffic_light"], site="site", lang=lang)
    return block(fig, caption=_t("reports.figure.traffic_light", lang),
                 alt=_t("reports.figure.traffic_light.alt", lang), lang=lang, name="traffic_light")


def _integration(tables, *, study, lang, labels, block=figure_block):

    if "integration_profile" not in tables:
        return None
    fig = plots.integration_plot(tables["integration_profile"], lang=lang)
    return block(fig, caption=_t("reports.figure.integration", lang),
                 alt=_t("reports.figure.integration.alt", lang), lang=lang, name="integration")


def _codes(tables, *, study, lang, labels, block=figure_block):

    if "code_frequencies" not in tables:
        return None
    # Segments, not shares of participants: a handful of interviews per site gives shares
    # that disclosure control suppresses.
    # The released frame as the qualitative notebook draws it: its hidden cells are grey.
    fig = plots.code_site_heatmap(tables["code_frequencies"], site="site", value="n_segments",
                                  level="code", lang=lang)
    return block(fig, caption=_t("reports.figure.codes", lang),
                 alt=_t("reports.figure.codes.alt", lang), lang=lang, name="codes")


#: The brief's figures by name.
_FIGURES: dict[str, Any] = {
    "funnel": _funnel, "caterpillar": _caterpillar, "ladder": _ladder, "outcomes": _outcomes,
    "traffic_light": _traffic_light, "integration": _integration, "codes": _codes,
}
