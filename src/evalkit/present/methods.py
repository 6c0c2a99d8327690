"""Method notes of the reports: a short explanation of each method in plain words, with its
references (DOIs), for the appendix of the brief and the footer of notebook pages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from evalkit.i18n import format_integer, t
from evalkit.present._text import typography
from evalkit.release.suppress import DisclosurePolicy, as_policy

__all__ = ["METHODS", "MethodNote", "method_notes", "reference_text"]

#: Each method: the references its note cites, in the order of the appendix.
METHODS: dict[str, tuple[str, ...]] = {
    "tokenism_index": ("arnstein1969", "guttman1944"),
    "intervals": ("wilson1927",),
    "funnel": ("spiegelhalter2005funnel", "spiegelhalter2005overdispersion"),
    "shrinkage": ("efron1975",),
    "mixed_model": ("bates2015", "shrout1979"),
    "reliability": ("cronbach1951", "zumbo2007"),
    "weights": ("deming1940",),
    "outcomes": ("cook2012",),
    "agreement": ("cohen1960", "hayes2007"),
    "framework": ("gale2013",),
    "joint_display": ("guetterman2015",),
    "disclosure": ("hundepool2012",),
    "gripp2": ("staniszewska2017",),
    "brief": ("chsrf2001",),
}


@dataclass(frozen=True)
class MethodNote:
    """A method's title, its note and its references, in one language."""

    key: str
    title: str
    text: str
    references: tuple[str, ...]


@cache
def _references() -> dict:
    text = resources.files("evalkit.present").joinpath("static", "references.yaml").read_text(
        encoding="utf-8")
    return yaml.safe_load(text)


def reference_text(key: str) -> str:
    """A reference as cited, with its DOI when it has one.

    Examples
    --------
    >>> reference_text("gale2013").endswith("https://doi.org/10.1186/1471-2288-13-117")
    True
    """
    entry = _references()[key]
    doi = entry.get("doi")
    return f"{entry['citation']} https://doi.org/{doi}" if doi else entry["citation"]


def method_notes(keys: list[str] | tuple[str, ...] | None, lang: str, *,
                 policy: Any = None) -> list[MethodNote]:
    """The notes of the methods ``keys`` (all of :data:`METHODS` when None), in ``lang``;
    ``policy`` (disclosure thresholds, default the privacy defaults) fills the note on
    confidentiality."""

    policy = DisclosurePolicy() if policy is None else as_policy(policy)
    params = {"disclosure": {"min_cell_minus": format_integer(policy.min_cell - 1, lang),
                             "min_n": format_integer(policy.min_n_for_rates, lang)}}
    chosen = [k for k in METHODS if keys is None or k in keys]
    return [MethodNote(k, typography(t(f"reports.method.{k}.title", lang), lang),
                       typography(t(f"reports.method.{k}", lang, **params.get(k, {})), lang),
                       tuple(reference_text(r) for r in METHODS[k])) for k in chosen]
