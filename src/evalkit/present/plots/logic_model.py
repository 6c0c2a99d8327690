"""The study's logic model as a diagram: inputs → process → outputs → outcomes, each box with the
indicator that measures it and, optionally, its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from evalkit.config.study import LogicModel, Study
from evalkit.errors import ArgumentError
from evalkit.i18n import format_number, has_key, label, t
from evalkit.present.plots import _style as S

__all__ = ["STAGES", "logic_model_diagram"]

#: The stages of a logic model, in order.
STAGES = ("inputs", "process", "outputs", "outcomes")
_COLOURS = {"inputs": S.OKABE_ITO["sky_blue"], "process": S.OKABE_ITO["orange"],
            "outputs": S.OKABE_ITO["bluish_green"], "outcomes": S.OKABE_ITO["blue"]}
_MARGIN, _ARROW, _HEADER, _PAD, _VGAP = 0.04, 0.24, 0.30, 0.07, 0.10
_LINE = 1.22 / 72  # inches per point of font size, with line spacing


def _as_model(data: Any) -> Any:

    if isinstance(data, Study):
        if data.measures.logic_model is None:
            raise ArgumentError("the study has no measures.logic_model section", where="data")
        return data.measures.logic_model
    if isinstance(data, LogicModel):
        return data
    if isinstance(data, Mapping):
        from pydantic import ValidationError

        try:
            return LogicModel.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            place = ".".join(map(str, first["loc"]))
            raise ArgumentError(f"data is not a logic model: {place}: {first['msg']}",
                                where="data") from None
    raise ArgumentError(f"data must be a Study, its measures.logic_model, or a mapping with "
                        f"inputs, process, outputs and outcomes; got {type(data).__name__}",
                        where="data")


def _check_values(values: Any) -> Mapping:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ArgumentError(f"values must map indicators to their values (a dict), got "
                            f"{type(values).__name__}", where="values")
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, str | Real):
            raise ArgumentError(f"values[{key!r}] must be a number or a formatted text, got "
                                f"{value!r}", where="values")
    return values


@S.figure_docs
def logic_model_diagram(data: Any, *, values: Mapping[str, Any] | None = None,
                        codebook: Any = None, lang: str = "fr",
                        width: float = S.MAX_WIDTH) -> Figure:
    """The logic model as four columns of boxes joined by arrows.

    Parameters
    ----------
    data : Study, LogicModel or dict
        The study (its ``measures.logic_model``), the logic model itself, or a mapping with the
        same shape (``inputs``, ``process``, ``outputs``, ``outcomes``: lists of ``label``
        {fr, en} and optional ``indicator``).
    values : dict, optional
        Indicator values to show in the boxes, by indicator name: a text already formatted
        (e.g. ``format_percent(rate, "fr")``) or a number (shown with one decimal in the
        locale). Indicators absent from the model are ignored.
    codebook : Codebook, optional
        Gives the labels of indicators that are variables of the study.
    {lang_width}

    {returns_figure}

    Notes
    -----
    An indicator is named by the codebook's label when it is a variable, by the catalogues when
    it is one of evalkit's indicators (e.g. ``tokenism_rate``), and by its own name otherwise.
    A stage with no box shows a dashed, empty box: the model says nothing there.

    Examples
    --------
    >>> model = {"inputs": [{"label": {"fr": "Personnel formé", "en": "Trained staff"}}],
    ...          "process": [{"label": {"fr": "Consultation", "en": "Consultation"},
    ...                       "indicator": "tokenism_rate"}],
    ...          "outcomes": [{"label": {"fr": "Voir des gens", "en": "Seeing people"}}]}
    >>> fig = logic_model_diagram(model, values={"tokenism_rate": "42%"}, lang="en")
    >>> any(text.get_text() == "Tokenism rate: 42%" for text in fig.axes[0].texts)
    True
    """
    model = _as_model(data)
    values = _check_values(values)
    codebook = S.check_codebook(codebook)
    lang, width = S.check_lang(lang), S.check_width(width)
    with S.styled():
        return _draw(model, values, codebook, lang=lang, width=width)


def _indicator_name(indicator: str, codebook: Any, lang: str) -> str:
    if codebook is not None and indicator in codebook:
        return codebook.label(indicator, lang)
    for key in (f"plots.indicator.{indicator}", f"quant.measure.{indicator}"):
        if has_key(key):
            return t(key, lang)
    return indicator


def _box_texts(item: Any, values: Mapping, codebook: Any, lang: str,
               column: float) -> tuple[str, str]:
    text = S.fit(label(item.label, lang), column - 2 * _PAD, S.FONT)
    if item.indicator is None:
        return text, ""
    name = _indicator_name(item.indicator, codebook, lang)
    if item.indicator in values:
        value = values[item.indicator]
        shown = value if isinstance(value, str) else format_number(value, lang)
        line = t("plots.logic.value", lang, indicator=name, value=shown)
    else:
        line = t("plots.logic.indicator", lang, indicator=name)
    return text, S.fit(line, column - 2 * _PAD, S.SMALL, style="italic")


def _box_height(text: str, small: str) -> float:
    height = 2 * _PAD + S.n_lines(text) * S.FONT * _LINE
    if small:
        height += 0.05 + S.n_lines(small) * S.SMALL * _LINE
    return height


def _draw(model: Any, values: Mapping, codebook: Any, *, lang: str, width: float) -> Figure:
    column = (width - 2 * _MARGIN - 3 * _ARROW) / 4
    stages = []
    for stage in STAGES:
        boxes = [_box_texts(item, values, codebook, lang, column)
                 for item in getattr(model, stage)]
        stages.append((stage, boxes, [_box_height(a, b) for a, b in boxes] or [0.45]))
    content = max(sum(h) + _VGAP * (len(h) - 1) for _, _, h in stages)
    height = 2 * _MARGIN + _HEADER + 0.12 + content
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    top = height - _MARGIN - _HEADER - 0.12
    for i, (stage, boxes, heights) in enumerate(stages):
        x = _MARGIN + i * (column + _ARROW)
        _header(ax, stage, x, height - _MARGIN - _HEADER, column, lang)
        _column(ax, stage, boxes, heights, x, top, column, lang)
        if i < len(STAGES) - 1:
            y = height - _MARGIN - _HEADER / 2  # between the stage headers
            ax.add_patch(FancyArrowPatch((x + column + 0.03, y),
                                         (x + column + _ARROW - 0.03, y),
                                         arrowstyle="-|>", mutation_scale=12, color=S.MUTED,
                                         lw=1.2, gid="evalkit-arrow"))
    return fig


def _header(ax: Any, stage: str, x: float, y: float, column: float, lang: str) -> None:
    colour = _COLOURS[stage]
    ax.add_patch(FancyBboxPatch((x, y), column, _HEADER, boxstyle="round,pad=0,rounding_size=0.05",
                                fc=colour, ec="none", gid=f"evalkit-stage-{stage}"))
    ax.text(x + column / 2, y + _HEADER / 2, t(f"plots.logic.{stage}", lang), ha="center",
            va="center", fontsize=S.FONT + 0.5, fontweight="bold",
            color=S.text_colour(colour))


def _column(ax: Any, stage: str, boxes: list, heights: list, x: float, top: float,
            column: float, lang: str) -> None:
    colour = _COLOURS[stage]
    if not boxes:
        ax.add_patch(FancyBboxPatch((x, top - heights[0]), column, heights[0],
                                    boxstyle="round,pad=0,rounding_size=0.05", fc="white",
                                    ec=S.MUTED, ls="--", lw=0.8, gid="evalkit-empty"))
        ax.text(x + column / 2, top - heights[0] / 2, t("plots.logic.none", lang),
                ha="center", va="center", fontsize=S.SMALL, color=S.MUTED, style="italic")
        return
    y = top
    for (text, small), h in zip(boxes, heights, strict=True):
        ax.add_patch(FancyBboxPatch((x, y - h), column, h,
                                    boxstyle="round,pad=0,rounding_size=0.05",
                                    fc=S.blend(colour, "white", 0.82), ec=colour, lw=1.0,
                                    gid=f"evalkit-box-{stage}"))
        ax.text(x + _PAD, y - _PAD, text, ha="left", va="top", fontsize=S.FONT,
                linespacing=1.15)
        if small:
            ax.text(x + _PAD, y - h + _PAD, small, ha="left", va="bottom", fontsize=S.SMALL,
                    style="italic", color=S.TEXT, linespacing=1.15)
        y -= h + _VGAP
