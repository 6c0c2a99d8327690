"""Figures drawn once per run: a figure in the same state as one the run has already drawn is
given that figure's PNG from the run's work folder instead of being drawn again.

The study-wide notebooks and the evidence brief draw several of the same figures (the tokenism
funnel in two notebooks and in the brief, the integration profile, the code heat map...). A
figure's key is the SHA-256 of its pickle, which holds everything matplotlib needs to draw it
again, with what drawing reads besides: matplotlib's rcParams, the fonts it knows, the
resolution and PNG options, the language of the PNG's text chunk and the versions. Transforms
are pickled without their links to the transforms built on them (which only invalidate caches,
and are keyed by ``id``). A figure that cannot be pickled, or whose pickle names anything of
``__main__`` (a notebook's own function or class: another notebook may define another under the
same name), is drawn; so is a figure whose stored PNG cannot be read back.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

from evalkit._files import write_bytes_atomic
from evalkit._version import __version__

__all__ = ["drawn_png", "figure_key", "keep_png"]

#: The version of the key (a change of what it covers names other files).
_FORMAT = "2"
#: rcParams a PNG drawn by Agg does not depend on (the interactive backends' settings).
_NOT_DRAWING = ("backend", "interactive", "toolbar", "keymap.", "webagg.", "tk.", "macosx.",
                "figure.raise_window", "savefig.directory")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"


def figure_key(fig: Any, **drawing: Any) -> str | None:
    """The key of the PNG of ``fig`` drawn with ``drawing`` (resolution, options, language):
    None when it cannot be told (see the module's notes). Taken before ``fig`` is drawn."""
    import matplotlib as mpl

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = _transform_reducers()
    try:
        pickler.dump(fig)
    except Exception:  # a lambda, a closure, an open file...: drawn each time
        return None
    state = buffer.getvalue()
    if b"__main__" in state:
        return None
    digest = hashlib.sha256(state)
    settings = repr(sorted((k, repr(v)) for k, v in mpl.rcParams.items()
                           if not k.startswith(_NOT_DRAWING)))
    digest.update("\0".join((_FORMAT, settings, _fonts(), repr(sorted(drawing.items())),
                             mpl.__version__, _pillow_version(), __version__)).encode())
    return digest.hexdigest()


def drawn_png(folder: Path, key: str) -> bytes | None:
    """The PNG kept under ``key`` in ``folder`` (None when there is none, or it is not a
    whole PNG file)."""
    try:
        png = (Path(folder) / f"{key}.png").read_bytes()
    except OSError:
        return None
    if not (png.startswith(_PNG_SIGNATURE) and png.endswith(_PNG_END)):
        return None
    return png


def keep_png(folder: Path, key: str, png: bytes) -> None:
    """Keep ``png`` under ``key`` in ``folder`` (written whole or not at all; a folder that
    cannot be written to only means the next figure alike is drawn again)."""
    with contextlib.suppress(OSError):
        Path(folder).mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(Path(folder) / f"{key}.png", png)


def _fonts() -> str:
    """The fonts matplotlib chooses from (a notebook may add some)."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    return repr([(f.fname, f.name, f.style, f.weight) for f in
                 (*manager.ttflist, *manager.afmlist)])


@functools.cache
def _pillow_version() -> str:
    import PIL

    return PIL.__version__


def _transform_state(transform: Any) -> tuple:
    state = {k: v for k, v in transform.__dict__.items() if k != "_parents"}
    return object.__new__, (type(transform),), state


@functools.cache
def _transform_reducers() -> dict:
    """A pickler's dispatch table for every kind of matplotlib transform (known when it is
    first asked for; a transform class made later is pickled as matplotlib does)."""
    from matplotlib.transforms import TransformNode

    kinds, todo = set(), [TransformNode]
    while todo:
        kind = todo.pop()
        if kind not in kinds:
            kinds.add(kind)
            todo.extend(kind.__subclasses__())
    return dict.fromkeys(kinds, _transform_state)
