"""Docstring text that several functions share, written once and put in place when they load.

A module lists its shared entries (numpydoc text without indentation) and decorates the
functions that use them; a docstring line holding ``{name}`` takes entry ``name``, indented as
the line is. Text after ``{name}`` on the same line is added to the entry's last line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["shared_docs"]

F = TypeVar("F", bound=Callable)


def shared_docs(entries: Mapping[str, str]) -> Callable[[F], F]:
    """A decorator that fills the ``{name}`` lines of a docstring from ``entries``.

    Parameters
    ----------
    entries : mapping of str to str
        Entry name → its text, numpydoc formatted, without indentation (continuation lines
        indented relative to the entry's first line).

    Returns
    -------
    callable
        The decorator; it returns the function it is given, with its docstring filled in.

    Notes
    -----
    Only a line whose text starts with ``{name}`` (``name`` an entry) is replaced; braces
    elsewhere in a docstring (formulas, sets) are left alone. Docstrings stripped by
    ``python -OO`` stay empty.

    Examples
    --------
    >>> documented = shared_docs({"seed": "seed : int or None\\n    Seed of the bootstrap."})
    >>> @documented
    ... def resample(data, *, seed=None):
    ...     '''Resample.
    ...
    ...     Parameters
    ...     ----------
    ...     {seed} Default None.
    ...     '''
    >>> print(resample.__doc__)
    Resample.
    <BLANKLINE>
        Parameters
        ----------
        seed : int or None
            Seed of the bootstrap. Default None.
    <BLANKLINE>
    """
    entries = dict(entries)

    def decorate(func: F) -> F:
        if func.__doc__:
            func.__doc__ = _fill(func.__doc__, entries)
        return func

    return decorate


def _fill(doc: str, entries: dict[str, str]) -> str:
    lines: list[str] = []
    for line in doc.split("\n"):
        text = line.lstrip()
        name, close, rest = text[1:].partition("}")
        if not (text.startswith("{") and close and name in entries):
            lines.append(line)
            continue
        indent = line[:len(line) - len(text)]
        parts = entries[name].split("\n")
        parts[-1] += rest
        lines += [indent + part if part else part for part in parts]
    return "\n".join(lines)
