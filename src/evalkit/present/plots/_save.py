"""Saving figures to files whose bytes depend only on the figure: no date, no software version,
no random identifiers, written atomically.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.text import Text

from evalkit._checks import check_choice, check_int
from evalkit._files import write_bytes_atomic
from evalkit.errors import ArgumentError
from evalkit.present._text import typography
from evalkit.present.plots import _style as S
from evalkit.present.plots._bars import settle_labels
from evalkit.present.plots._text import text_metadata

__all__ = ["FORMATS", "save_figure"]

#: The formats :func:`save_figure` writes, by file suffix.
FORMATS = ("png", "svg")


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 200, lang: str | None = None) -> Path:
    """Write ``fig`` to ``path`` (PNG or SVG, by suffix) so that reruns give the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure, e.g. from one of the ``evalkit.present.plots`` functions.
    path : str or Path
        The file to write; its suffix (``.png`` or ``.svg``) chooses the format. Missing
        folders are created; the file is written through a temporary file and renamed.
    dpi : int, default 200
        Resolution of a PNG (ignored for SVG). At 200 dpi a 6.3 in wide figure is 1 260
        pixels wide.
    lang : {'fr', 'en'}, optional
        The language the figure is drawn in: the language tag of the text chunk that holds
        the figure's visible text (see Notes).

    Returns
    -------
    Path
        The path written.

    Notes
    -----
    With ``lang``, the figure's texts follow that language's spacing rules (French no-break
    spaces before ``%``, ``:`` and ``;``). The figure's visible text (titles, axis and tick
    labels, legend entries, annotations), one line each, is written into the file: a PNG's ``Description`` international text
    chunk (read back by Pillow's ``Image.open(path).text``), an SVG's ``dc:description``.
    PNG files carry no ``Software`` text chunk; SVG files carry no date and no creator, and
    their element identifiers come from a fixed salt (``svg.hashsalt``) rather than from random
    numbers, with text drawn as paths (the file does not depend on the reader's fonts). The
    figure is drawn from a copy, so that saving never moves it: the same figure saved twice,
    in one process or in two, gives the same bytes. (A figure that cannot be copied, because
    it holds a lambda for instance, is drawn as it is; its second save may then differ in the
    last decimals.)

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1))
    >>> _ = fig.subplots().plot([0, 1], [0, 1])
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> first = save_figure(fig, folder / "line.svg").read_bytes()
    >>> first == save_figure(fig, folder / "line.svg").read_bytes()
    True
    """
    if not isinstance(fig, Figure):
        raise ArgumentError(f"fig must be a matplotlib Figure, got {type(fig).__name__}",
                            where="fig")
    if not isinstance(path, str | Path):
        raise ArgumentError(f"path must be a file path, got {type(path).__name__}",
                            where="path")
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ArgumentError(f"path must end in .png or .svg, got {path.name!r}", where="path")
    dpi = check_int(dpi, "dpi", minimum=50, maximum=1200)
    buffer = io.BytesIO()
    if lang is not None:
        lang = check_choice(lang, ("fr", "en"), "lang")
    with S.styled():
        drawn = _snapshot(fig)
        if lang is not None:
            _spacing(drawn, lang)
        settle_labels(drawn)
        drawn.savefig(buffer, format=kind, dpi=dpi,
                      metadata=text_metadata(drawn, kind=kind, lang=lang))
    return write_bytes_atomic(path, buffer.getvalue())


def _spacing(fig: Figure, lang: str) -> None:
    """Give every text of ``fig`` the spacing rules of ``lang`` (French: no-break spaces
    before ``%``, ``:`` and ``;``), as pages have them; mathematical text is left alone."""
    for artist in fig.findobj(Text):
        text = artist.get_text()
        if text and "$" not in text:
            spaced = typography(text, lang)
            if spaced != text:
                artist.set_text(spaced)


def _snapshot(fig: Figure) -> Figure:
    """A copy of ``fig`` to draw, so that drawing never moves the original.

    Constrained layout starts from the positions of the previous draw: without a copy, a
    second save of the same figure could differ from the first in the last decimals.
    """
    try:
        return pickle.loads(pickle.dumps(fig))
    except (pickle.PicklingError, TypeError, AttributeError):
        return fig  # e.g. a figure holding a lambda: saved as it is
