"""The notebook registry: which notebooks a run executes, in which order, and which run per site.

The list lives next to the notebooks, in ``notebooks.yaml``; adding a notebook to every run is
adding its ``.ipynb`` file to the folder and one entry to that list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evalkit.config._model import StudyConfigError, located_problems
from evalkit.config._yaml import load_yaml
from evalkit.errors import ConfigError, Place

__all__ = [
    "REGISTRY_FILE",
    "NotebookEntry",
    "NotebookRegistry",
    "default_notebook_dir",
    "load_registry",
]

#: The file, inside a notebook folder, that lists the notebooks of a run.
REGISTRY_FILE = "notebooks.yaml"

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class _Title(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=_NAME, max_length=64)] = Field(
        description="File name without .ipynb; also the name --only uses.")
    title: _Title | None = Field(None, description="Title shown on the run's index page.")
    per_site: bool = Field(False, description="Run once per site (receives the site parameter).")


class _RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notebooks: list[_Entry] = Field(default_factory=list)


@dataclass(frozen=True)
class NotebookEntry:
    """One notebook of a run.

    Attributes
    ----------
    name : str
        The file name without ``.ipynb`` (also the name ``--only`` selects).
    path : Path
        The notebook file.
    per_site : bool
        Whether the notebook runs once per site (it then receives ``site``).
    title : dict
        ``{"fr": ..., "en": ...}``; the name when the registry gives no title.
    order : int
        Position in the run (0 first).
    """

    name: str
    path: Path
    per_site: bool = False
    title: dict | None = None
    order: int = 0

    def title_in(self, lang: str) -> str:
        """The notebook's title in ``lang`` (its name when it has none)."""
        return (self.title or {}).get(lang) or self.name


@dataclass(frozen=True)
class NotebookRegistry:
    """The notebooks of a run, in order, read from a folder's ``notebooks.yaml``."""

    folder: Path
    entries: tuple[NotebookEntry, ...]

    @cached_property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, name: str) -> NotebookEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def select(self, only: Iterable[str] | None = None) -> list[NotebookEntry]:
        """The entries named in ``only`` (all when None), in the registry's order.

        Raises
        ------
        evalkit.errors.ConfigError
            A name in ``only`` is not in the registry (the message lists the known names).
        """
        if only is None:
            return list(self.entries)
        wanted = [name.strip() for name in only if name and name.strip()]
        unknown = [name for name in wanted if name not in self.names]
        if unknown:
            raise ConfigError.from_catalogue(
                "runner.unknown_notebook", where="--only", names=", ".join(unknown),
                known=", ".join(self.names) or "-")
        return [entry for entry in self.entries if entry.name in wanted]


def default_notebook_dir() -> Path:
    """The folder of the notebooks that ``evalkit run`` executes by default.

    An installed package carries them as package data (``evalkit/notebooks``); a source checkout
    (an editable install included) has them in the project's ``notebooks/`` folder, two levels
    above the package. The package data wins when both exist.
    """
    package = Path(__file__).resolve().parents[1]
    shipped = package / "notebooks"
    if (shipped / REGISTRY_FILE).is_file():
        return shipped
    checkout = package.parents[1] / "notebooks"
    if (checkout / REGISTRY_FILE).is_file():
        return checkout
    raise ConfigError.from_catalogue("runner.no_notebook_folder", where=str(checkout))


def load_registry(folder: str | Path | None = None) -> NotebookRegistry:
    """Read the notebook registry of ``folder`` (default: :func:`default_notebook_dir`).

    Parameters
    ----------
    folder : str or Path, optional
        A folder holding ``notebooks.yaml`` and the notebooks it lists.

    Returns
    -------
    NotebookRegistry

    Raises
    ------
    evalkit.errors.ConfigError
        ``notebooks.yaml`` is missing or malformed (each problem with its line), names a
        notebook twice, or lists a notebook whose file does not exist.

    Examples
    --------
    >>> registry = load_registry(default_notebook_dir())
    >>> isinstance(registry.names, list)
    True
    """

    folder = Path(folder) if folder is not None else default_notebook_dir()
    path = folder / REGISTRY_FILE
    if not path.is_file():
        raise ConfigError.from_catalogue("runner.no_registry", where=str(path))
    located = load_yaml(path)
    try:
        parsed = _RegistryFile.model_validate(located.data or {})
    except ValidationError as exc:
        raise StudyConfigError(located_problems(exc, _RegistryFile, located)) from None
    entries = []
    for order, entry in enumerate(parsed.notebooks):
        if entry.name in [e.name for e in entries]:
            raise ConfigError.from_catalogue(
                "runner.registry_duplicate",
                where=Place(path.name, line=located.line_of(("notebooks", order))),
                name=entry.name)
        notebook = folder / f"{entry.name}.ipynb"
        if not notebook.is_file():
            raise ConfigError.from_catalogue(
                "runner.notebook_missing",
                where=Place(path.name, line=located.line_of(("notebooks", order))),
                path=str(notebook))
        title = entry.title.model_dump() if entry.title else None
        entries.append(NotebookEntry(entry.name, notebook, entry.per_site, title, order))
    return NotebookRegistry(folder=folder, entries=tuple(entries))


def file_stem(*parts: str | None) -> str:
    """A file-name-safe stem joined from ``parts`` (site codes may hold spaces or accents).

    Examples
    --------
    >>> file_stem("site_profile", "Sherbrooke Est", "fr")
    'site_profile.Sherbrooke-Est.fr'
    """
    safe = [re.sub(r"[^A-Za-z0-9_-]+", "-", str(p)).strip("-") or "x" for p in parts if p]
    return ".".join(safe)


def split_list(value: str | Sequence[str] | None) -> list[str] | None:
    """``"a,b"`` or ``["a", "b"]`` as a list of names; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    return [item.strip() for item in value if item and item.strip()]
