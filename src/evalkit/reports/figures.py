"""The figures of the evidence brief, drawn by :mod:`evalkit.plots` from released tables and
turned into PNG blocks with a caption and a text alternative."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

from evalkit.reports.document import Figure

__all__ = ["brief_figure", "figure_block"]

#: Resolution of the PNG images (sharp when printed at the text width of A4).
DPI = 150


def figure_block(fig: Any, *, caption: str, alt: str, non_validated: bool = False,
                 name: str = "") -> Figure:
    """A matplotlib figure as a :class:`Figure` block (PNG, no timestamp: same figure, same
    bytes); the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                    metadata={"Software": None})
    finally:
        plt.close(fig)
    png = buffer.getvalue()
    width, height = _png_size(png)
    # Displayed at 96 CSS pixels per inch.
    scale = 96 / DPI
    return Figure(png=png, caption=caption, alt=alt, width=round(width * scale),
                  height=round(height * scale), non_validated=non_validated, name=name)


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def brief_figure(name: str, tables: Mapping[str, pd.DataFrame], *, study: Any, lang: str,
                 labels: Any = None) -> Figure | None:
    """The brief's figure ``name`` drawn from released ``tables`` (None when its tables are
    missing)."""
    builder = _FIGURES.get(name)
    return None if builder is None else builder(tables, study=study, lang=lang, labels=labels)


_FIGURES: dict[str, Any] = {}
