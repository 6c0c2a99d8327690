"""Generated studies of other shapes than the demo: fewer sites, one wave, parts left out of
study.yaml, the study's own column names."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from evalkit import load_study, prepare_study
from evalkit.analyse.compute import compute_results
from evalkit.datasets import make_demo_study


def small_study(folder: Path, *, n_sites: int = 2, waves: int = 1, n_per_site: int = 30,
                drop: Sequence[str] = (), rename: Mapping[str, str] | None = None,
                skip_logic: bool = True) -> Path:
    """A demo-like study in ``folder`` (plain CSV), with the keys ``drop`` (dotted paths of
    study.yaml) left out and the survey columns ``rename`` renamed everywhere the study names
    them; ``skip_logic=False`` leaves the codebook's ``asked_if`` out (every blank is then
    non-response); returns its study.yaml."""
    study_file = make_demo_study(folder, n_sites=n_sites, n_per_site=n_per_site, waves=waves,
                                 formats="plain")
    if not skip_logic:
        path = Path(folder) / "codebook.yaml"
        book = yaml.safe_load(path.read_text(encoding="utf-8"))
        for var in book["variables"].values():
            var.pop("asked_if", None)
        path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    study = yaml.safe_load(study_file.read_text(encoding="utf-8"))
    for path in drop:
        *parents, last = path.split(".")
        node = study
        for part in parents:
            node = node[part]
        node.pop(last, None)
    rename = dict(rename or {})
    if rename:
        for name in Path(folder).glob("survey_w*.csv"):
            head, _, rest = name.read_text(encoding="utf-8").partition("\n")
            header = ",".join(rename.get(c, c) for c in head.split(","))
            name.write_text(header + "\n" + rest, encoding="utf-8")
        path = Path(folder) / "codebook.yaml"
        book = yaml.safe_load(path.read_text(encoding="utf-8"))
        book["variables"] = {rename.get(k, k): v for k, v in book["variables"].items()}
        for var in book["variables"].values():
            if var.get("asked_if"):
                rule = var["asked_if"]
                var["asked_if"] = {**rule, "variable": rename.get(rule["variable"],
                                                                  rule["variable"])}
        path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        study["roles"] = {k: rename.get(v, v) for k, v in study["roles"].items()}
        sources = study["sources"]
        for spec in [*sources["survey"], *(sources[k] for k in ("population", "partners")
                                             if sources.get(k))]:
            if "set" in spec:
                spec["set"] = {rename.get(k, k): v for k, v in spec["set"].items()}
        population = sources.get("population")
        if population and "site" in rename:  # the file keeps its own header for the site
            population["columns"] = {"site": rename["site"], **population.get("columns", {})}
        privacy = study["privacy"]
        privacy["quasi_identifiers"] = [rename.get(c, c)
                                        for c in privacy.get("quasi_identifiers", [])]
    study_file.write_text(yaml.safe_dump(study, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
    return study_file


def computed(study: Path, *, n_boot: int = 0):
    """The results of a generated study, its validation warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare_study(load_study(study))
    return compute_results(prepared, n_boot=n_boot)
