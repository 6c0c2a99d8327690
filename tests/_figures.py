"""Helpers to read a matplotlib figure back in tests: the artists evalkit tagged with a gid,
the visible texts, the notes under the figure."""

from matplotlib.figure import Figure
from matplotlib.text import Text


def by_gid(fig: Figure, gid: str, kind=None) -> list:
    """Artists of ``fig`` (of type ``kind`` if given) whose gid is ``gid``."""
    return [a for a in fig.findobj(kind) if a.get_gid() == gid]


def texts(fig: Figure) -> list[str]:
    """Every visible, non-empty text of ``fig``."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def notes(fig: Figure) -> str:
    """The notes under the figure as one line."""
    return " ".join(t.get_text() for t in by_gid(fig, "evalkit-notes")).replace("\n", " ")
