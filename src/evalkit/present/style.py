"""The shared style sheet of every evalkit page, read from the package.

Pages embed it inline (a page stands alone: no file beside it, no request when it opens).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["stylesheet"]


@cache
def stylesheet() -> str:
    """The text of ``evalkit.css`` (print-friendly, A4; accessible colours).

    Examples
    --------
    >>> "@page" in stylesheet()
    True
    """
    return resources.files("evalkit.present").joinpath("static", "evalkit.css").read_text(
        encoding="utf-8")
