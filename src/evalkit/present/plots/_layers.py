"""A figure drawn as two layers: what every site's copy shares, drawn once per run, and what
belongs to one site, drawn over it.

Each site profile of a run draws the funnel of all sites with its own site ringed. Everything
but the ring and the sites' names (limits, points, axes, legend, notes: nearly all the drawing)
is the same in every profile, so a run draws it once per language into its work folder and
each profile draws only its *site layer* (the artists whose gid is in :data:`SITE_GIDS`) over
it, at the positions the shared layer was laid out with.

A plot marks a figure for layers with :func:`mark_layers`, giving everything its shared
layer is drawn from (its inputs, without the site); :func:`layered_png` adds what drawing
depends on besides (matplotlib's rcParams, versions, resolution). A figure that is not marked,
a site layer reaching beyond what its axes were laid out by (drawn whole, it would move the
layout or the frame), or anything unexpected: the caller draws the whole figure, as without
layers.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from evalkit._files import write_bytes_atomic
from evalkit.present.plots._png import Crop, crop, drawn_once, png_of, tight_pixels
from evalkit.present.plots._text import axis_lines

__all__ = ["SITE_GIDS", "digest_of", "layered_png", "mark_layers"]

#: The gids of the artists of a figure's site layer.
SITE_GIDS = frozenset({"evalkit-site", "evalkit-highlight"})
#: The attribute of a marked figure holding the digest of its shared layer's inputs.
_KEY = "_evalkit_shared_layer"
#: The version of the files below (a change of format names other files).
_FORMAT = "4"


def mark_layers(fig: Any, *inputs: Any) -> None:
    """Mark ``fig`` as drawn in two layers: ``inputs`` are everything its shared layer is drawn
    from (data frames are hashed by their values and index)."""
    digest = hashlib.sha256()
    for item in inputs:
        digest.update(digest_of(item))
    setattr(fig, _KEY, digest.hexdigest())


def digest_of(item: Any) -> bytes:
    """A digest of ``item``: a data frame's by its values, index, column names, dtypes and
    attrs; anything else's by its ``repr``."""
    import pandas as pd

    if isinstance(item, pd.DataFrame):
        values = pd.util.hash_pandas_object(item, index=True).to_numpy().tobytes()
        names = repr([list(map(str, item.columns)), [str(d) for d in item.dtypes],
                      sorted(map(str, item.attrs.items()))]).encode()
        return hashlib.sha256(names + values).digest()
    return hashlib.sha256(repr(item).encode()).digest()


def layered_png(fig: Any, folder: Path, *, dpi: float) -> tuple[bytes, dict] | None:
    """The PNG of ``fig`` (as :func:`evalkit.present.plots._png.tight_png` draws it whole)
    from its shared layer in ``folder``, drawn there first if missing, and its site
    layer drawn now; None when ``fig`` is not marked or cannot be drawn so.

    With the PNG, the texts of the axes drawn in the shared layer only, as read there
    (``figure_text``'s ``known``): their ticks are not made here."""
    import matplotlib as mpl
    import numpy as np

    marked = getattr(fig, _KEY, None)
    site = _site_layer(fig)
    if marked is None or not site or not all(a.get_visible() for a in site) \
            or not _drawn_last(site):
        return None
    settings = repr(sorted((k, repr(v)) for k, v in mpl.rcParams.items()))
    key = hashlib.sha256("\0".join((_FORMAT, marked, settings, mpl.__version__, repr(dpi),
                                    repr(fig.get_size_inches().tolist()))).encode())
    path = Path(folder) / f"{key.hexdigest()[:32]}.npz"
    shared = _read(path)
    if shared is None or len(shared["positions"]) != len(fig.axes):
        # Drawn from a copy: laying a figure out again moves it by a pixel or two (matplotlib's
        # constrained layout starts from where the last left it), and ``fig`` may yet have
        # to be drawn whole.
        try:
            copy = pickle.loads(pickle.dumps(fig))
        except (pickle.PicklingError, TypeError, AttributeError):
            return None  # a figure holding what cannot be copied is drawn whole
        shared = _draw_shared(copy, _site_layer(copy), dpi=dpi)
        if shared is None:
            return None
        try:
            _write(path, shared)
        except OSError:  # a full disk, a folder that cannot be written: not kept, still used
            pass
    keep = _with_ancestors(fig, site)
    png = _draw_site_layer(fig, site, keep, shared, dpi=dpi, np=np)
    if png is None:
        return None
    return png, _known_text(fig, shared["texts"], keep)


def _axes_of(ax: Any) -> list:
    """The axes' ``Axis`` artists (x, y, ...), in the order it holds them; none made."""
    from matplotlib.axis import Axis

    return [child for child in ax.get_children() if isinstance(child, Axis)]


def _axes_text(fig: Any) -> list:
    """Per axes of ``fig``, per ``Axis``: its view interval and the texts it shows."""
    return [[{"interval": [float(v) for v in axis.get_view_interval()],
              "lines": axis_lines(axis)} for axis in _axes_of(ax)] for ax in fig.axes]


def _known_text(fig: Any, texts: list, keep: set) -> dict:
    """The texts read in the shared layer of the axes of ``fig`` drawn there only (none of
    the site layer in ``keep``) that show the same view interval; any other axis is read
    from ``fig``."""
    known = {}
    for ax, recorded in zip(fig.axes, texts, strict=True):
        axes = _axes_of(ax)
        if len(axes) != len(recorded):
            continue
        for axis, record in zip(axes, recorded, strict=True):
            if axis not in keep \
                    and [float(v) for v in axis.get_view_interval()] == record["interval"]:
                known[axis] = record["lines"]
    return known


def _site_layer(fig: Any) -> list:
    return [a for a in _artists(fig) if a.get_gid() in SITE_GIDS]


def _artists(artist: Any, whole: Any = ()) -> Iterator[Any]:
    """The artists ``artist`` holds, at every depth, in the order of ``findobj``, without
    making an axis's ticks (except for the axes in ``whole``).

    ``Axis.get_children`` makes every tick the axis would draw (a tick and its label and
    lines each, at its locator's positions), a few milliseconds a figure that is then drawn
    without them. Ticks not yet made hold nothing of a site layer: made later (when the axis
    is drawn or asked for them), they copy no gid."""
    for child in _children(artist, whole):
        yield from _artists(child, whole)
        yield child


def _children(artist: Any, whole: Any) -> list:
    from matplotlib.axis import Axis

    if isinstance(artist, Axis) and artist not in whole:
        made = [ticks for ticks in (vars(artist).get("majorTicks"),
                                    vars(artist).get("minorTicks")) if isinstance(ticks, list)]
        return [artist.label, artist.offsetText, *(tick for ticks in made for tick in ticks)]
    return artist.get_children()


def _drawn_last(site: list) -> bool:
    """Whether the site layer is drawn over everything else of its axes when the figure is
    drawn whole (a higher zorder than every other artist there), as it is laid over the
    shared layer (where a name reaches beyond what its axes were laid out by, the figure is
    drawn whole: see ``_within``)."""
    for ax in {id(a.axes): a.axes for a in site}.values():
        if ax is None:
            return False
        lowest = min(a.get_zorder() for a in site if a.axes is ax)
        if any(child.get_zorder() >= lowest for child in ax.get_children()
               if child not in site and child.get_visible()):
            return False
    return True


def _draw_shared(fig: Any, site: list, *, dpi: float) -> dict | None:
    """The figure without its site layer, drawn (RGBA) as ``savefig(bbox_inches="tight")``
    draws the whole figure (:func:`evalkit.present.plots._png.tight_pixels`); the axes'
    positions it was drawn at and the box of the canvas it was cropped to, to draw site layers
    at."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with _hidden(site):
        drawn = tight_pixels(fig, dpi=dpi)
    if drawn is None:
        return None
    rgba, box = drawn
    positions = np.array([ax.get_position().bounds for ax in fig.axes], dtype=float)
    with _hidden(site), _resolution(fig, dpi):
        renderer = FigureCanvasAgg(fig).get_renderer()
        # What constrained layout laid each axes out by: its box and all it holds
        layout = np.array([ax.get_tightbbox(renderer, for_layout_only=True).bounds
                           for ax in fig.axes], dtype=float)
    # The texts the axes show, read once here (as ``figure_text`` reads a figure after its
    # save, at the figure's own resolution); a site's copy does not make their ticks.
    texts = _axes_text(fig)
    return {"rgba": rgba, "positions": positions, "layout": layout,
            "box": np.array(box, dtype=np.int64), "texts": texts}


def _draw_site_layer(fig: Any, site: list, keep: set, shared: dict, *, dpi: float,
                     np: Any) -> bytes | None:
    """``fig``'s site layer (``site``; ``keep``: it and the artists holding it) drawn over
    the ``shared`` layer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    # An axis holding none of the site layer is hidden whole: its ticks need not be made. One
    # that holds some is drawn with its ticks, every one of them made and hidden but those.
    hidden = [a for a in _artists(fig, whole=keep) if a not in keep and a.get_visible()]
    box = Crop(*(int(v) for v in shared["box"]))
    engine = fig.get_layout_engine()
    face = fig.patch.get_visible()
    # set_position takes an axes out of the layout: both are given back if drawn whole
    before = [(ax, ax.get_position(original=True), ax.get_in_layout()) for ax in fig.axes]
    drawn = False
    try:
        fig.set_layout_engine("none")
        for ax, bounds in zip(fig.axes, shared["positions"], strict=True):
            ax.set_position(bounds)
        for artist in hidden:
            artist.set_visible(False)
        fig.patch.set_visible(False)
        with _resolution(fig, dpi):
            renderer = FigureCanvasAgg(fig).get_renderer()
            regions = dict(zip(map(id, fig.axes), shared["layout"], strict=True))
            if not all(_within(a, renderer, regions) for a in site):
                # Drawn whole, this site's names would have moved the layout or the frame.
                return None
        with drawn_once(fig, dpi=dpi) as canvas:  # the same canvas as the shared layer's
            layer = crop(np.asarray(canvas.buffer_rgba()), box, fill=0)
        drawn = True
    finally:
        for artist in hidden:
            artist.set_visible(True)
        fig.patch.set_visible(face)
        fig.set_layout_engine(engine)
        # Drawn: left laid out as drawn (its ticks, read for its text, are those drawn);
        # otherwise as it came, to be drawn whole.
        for (ax, position, in_layout), laid_out in zip(before, shared["positions"],
                                                       strict=True):
            ax.set_position(laid_out if drawn else position)
            ax.set_in_layout(in_layout)
    base = shared["rgba"]
    if layer.shape != base.shape:
        return None
    pixels = np.asarray(Image.alpha_composite(Image.fromarray(base), Image.fromarray(layer)))
    if pixels[..., 3].min() == 255:  # opaque: the same pixels without alpha
        pixels = pixels[..., :3]
    return png_of(pixels, dpi=dpi)


def _with_ancestors(fig: Any, site: list) -> set:
    """The site layer's artists and every artist that holds one of them."""
    keep: set = set()

    def visit(artist: Any) -> bool:
        holds = artist in site
        for child in _children(artist, ()):
            holds = visit(child) or holds
        if holds:
            keep.add(artist)
        return holds

    visit(fig)
    return keep


def _within(artist: Any, renderer: Any, regions: dict) -> bool:
    """Whether ``artist``, drawn whole, would leave the layout and the frame as the shared
    layer has them: it lies within what its axes were laid out by (the axes and everything
    they hold, as constrained layout measures them), or takes no part in the layout."""
    import numpy as np
    from matplotlib.transforms import Bbox

    if artist.axes is None or id(artist.axes) not in regions:
        return False
    if not artist.get_in_layout():
        return True
    extent = artist.get_tightbbox(renderer)
    if extent is None or not np.isfinite(extent.extents).all():
        return True  # nothing constrained layout measures (a scatter's markers)
    region = Bbox.from_bounds(*regions[id(artist.axes)])
    return (extent.x0 >= region.x0 and extent.x1 <= region.x1
            and extent.y0 >= region.y0 and extent.y1 <= region.y1)


class _resolution:
    """Draw ``fig`` at ``dpi`` for the block's length (as savefig does)."""

    def __init__(self, fig: Any, dpi: float) -> None:
        self.fig, self.dpi, self.before = fig, dpi, fig.dpi

    def __enter__(self) -> None:
        self.fig.dpi = self.dpi

    def __exit__(self, *_: Any) -> None:
        self.fig.dpi = self.before


class _hidden:
    """Hide ``artists`` for the block's length."""

    def __init__(self, artists: Iterable[Any]) -> None:
        self.artists = [a for a in artists if a.get_visible()]

    def __enter__(self) -> None:
        for artist in self.artists:
            artist.set_visible(False)

    def __exit__(self, *_: Any) -> None:
        for artist in self.artists:
            artist.set_visible(True)


def _read(path: Path) -> dict | None:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as stored:
            shared = {name: stored[name] for name in ("rgba", "positions", "layout", "box")}
            shared["texts"] = json.loads(str(stored["texts"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # missing, or broken (a full disk): drawn again
    rgba = shared["rgba"]
    box = shared["box"]
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8 \
            or box.shape != (4,) or box.dtype.kind != "i" \
            or tuple(box[2:][::-1]) != rgba.shape[:2] or shared["positions"].ndim != 2 \
            or shared["layout"].shape != shared["positions"].shape \
            or not _valid_texts(shared["texts"], len(shared["positions"])):
        return None
    return shared


def _valid_texts(texts: Any, n_axes: int) -> bool:
    def valid(record: Any) -> bool:
        return (isinstance(record, dict) and isinstance(record.get("lines"), list)
                and all(isinstance(line, str) for line in record["lines"])
                and isinstance(record.get("interval"), list) and len(record["interval"]) == 2
                and all(isinstance(v, float) for v in record["interval"]))

    return (isinstance(texts, list) and len(texts) == n_axes
            and all(isinstance(axes, list) and all(map(valid, axes)) for axes in texts))


def _write(path: Path, shared: dict) -> None:
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **{**shared, "texts": np.array(json.dumps(shared["texts"]))})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buffer.getvalue())
