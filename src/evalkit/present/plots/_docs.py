"""Docstring text that every figure function shares, written once.

A figure function's docstring names a shared entry by a line holding only ``{name}``;
:func:`shared_docs` replaces that line by the entry, indented as the line was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

#: Shared entries, numpydoc formatted, without indentation.
DOCS: dict[str, str] = {
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


def shared_docs(func: F) -> F:
    """Replace each line ``{name}`` of ``func``'s docstring by ``DOCS[name]``."""
    lines = []
    for line in (func.__doc__ or "").split("\n"):
        key = line.strip()
        if key.startswith("{") and key.endswith("}") and key[1:-1] in DOCS:
            indent = line[:len(line) - len(line.lstrip())]
            lines += [indent + part if part else part for part in DOCS[key[1:-1]].split("\n")]
        else:
            lines.append(line)
    func.__doc__ = "\n".join(lines)
    return func
