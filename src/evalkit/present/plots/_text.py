"""The text a person reads on a figure, collected from its artists, and written into the image
file's metadata so that a figure's words can be read back and checked like a page's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["TEXT_KEY", "axis_lines", "figure_text", "png_with_text", "text_metadata"]

#: The PNG text chunk (and SVG metadata entry) that holds a figure's visible text.
TEXT_KEY = "Description"


def figure_text(fig: Any, known: Mapping[Any, Sequence[str]] | None = None) -> list[str]:
    """Every visible text of ``fig``, one line each, in drawing order, without repeats.

    Titles, axis labels, tick labels, legend entries, annotations, table cells and colour-bar
    labels: the texts of visible artists whose parents are visible too. Tick labels are those
    the axis would draw now (its locator and formatter are asked), so the figure need not have
    been drawn.

    ``known`` gives the texts (:func:`axis_lines`) of axes read where the same axes were
    drawn (in a site's copy of a figure drawn over a shared layer, the axes drawn in the
    shared layer only, :mod:`evalkit.present.plots._layers`): making every tick of an axis
    only to read it is most of what reading such a figure's text costs.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> _ = ax.bar(["a", "b"], [1, 2], label="Effectif")
    >>> _ = ax.set_title("Titre"), ax.legend(), ax.set_yticks([0, 1, 2])
    >>> figure_text(fig)
    ['a', 'b', '0', '1', '2', 'Titre', 'Effectif']
    """
    lines: dict[str, None] = {}
    _collect(fig, lines, known or {})
    return list(lines)


def text_metadata(fig: Any, *, kind: str, lang: str | None) -> dict[str, Any]:
    """The ``metadata`` argument of ``savefig`` for ``kind`` (``png`` or ``svg``): no software
    version or date (same figure, same bytes) and the figure's visible text under
    :data:`TEXT_KEY`, tagged with its language ``lang`` in a PNG's international text chunk."""
    text = "\n".join(figure_text(fig))
    if kind == "svg":
        return {"Creator": None, "Date": None, TEXT_KEY: text}
    # Pillow comes with matplotlib; its iTXt is a str that carries a language tag.
    from PIL.PngImagePlugin import iTXt

    return {"Software": None, TEXT_KEY: iTXt(text, lang or "", "")}


def png_with_text(png: bytes, fig: Any, lang: str | None,
                  known: Mapping[Any, Sequence[str]] | None = None) -> bytes:
    """``png`` (saved from ``fig`` without :data:`TEXT_KEY`) with the figure's visible text
    read now, after the save has drawn it, in the international text chunk
    :func:`text_metadata` gives Pillow: the same bytes, one layout pass fewer for figures
    whose visible text is known only once drawn (share labels that must fit their bar).
    ``known``: as :func:`figure_text` takes it."""
    import struct
    import zlib

    if png[12:16] != b"IHDR":
        raise ValueError("not a PNG file written by matplotlib")
    end = 8 + 12 + struct.unpack(">I", png[8:12])[0]  # the chunk after the header
    data = (TEXT_KEY.encode("latin-1") + b"\0\0\0" + (lang or "").encode("latin-1") + b"\0"
            + b"\0" + "\n".join(figure_text(fig, known)).encode("utf-8"))
    chunk = (struct.pack(">I", len(data)) + b"iTXt" + data
             + struct.pack(">I", zlib.crc32(b"iTXt" + data) & 0xFFFFFFFF))
    return png[:end] + chunk + png[end:]


def _collect(artist: Any, lines: dict[str, None], known: Mapping[Any, Sequence[str]]) -> None:
    from matplotlib.axis import Axis  # here: importing evalkit does not import matplotlib
    from matplotlib.text import Text

    if not artist.get_visible():
        return
    if isinstance(artist, Axis):
        read = known.get(artist)
        for line in axis_lines(artist) if read is None else read:
            _add(line, lines)
        return
    if isinstance(artist, Text):
        _add(artist.get_text(), lines)
        return
    for child in artist.get_children():
        _collect(child, lines, known)


def axis_lines(axis: Any) -> list[str]:
    """The texts a visible ``axis`` shows, in :func:`figure_text`'s order: its label, the
    labels of its ticks within its view interval (major, then minor), its offset text."""
    if not axis.axes.axison:
        return []
    out = [axis.label.get_text() if axis.label.get_visible() else ""]
    low, high = sorted(axis.get_view_interval())
    room = (high - low) * 1e-9
    for which in ("major", "minor"):
        labels = axis.get_majorticklabels if which == "major" else axis.get_minorticklabels
        labels()  # sets each tick's label from the locator and the formatter
        locs = axis.get_majorticklocs() if which == "major" else axis.get_minorticklocs()
        ticks = axis.get_major_ticks(len(locs)) if which == "major" else \
            axis.get_minor_ticks(len(locs))
        for tick, loc in zip(ticks, locs, strict=False):
            if tick.get_visible() and low - room <= loc <= high + room:
                out += [label.get_text() for label in (tick.label1, tick.label2)
                        if label.get_visible()]
    out.append(axis.get_major_formatter().get_offset())
    return [str(text) for text in out]


def _add(text: str, lines: dict[str, None]) -> None:
    for line in str(text).splitlines():
        if line.strip():
            lines.setdefault(line.strip(), None)
