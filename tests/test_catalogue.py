"""The table catalogue: every declaration complete and coherent, the reference page generated
from it, the release rules it gives, its labels and its additive structure."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import evalkit
from evalkit.analyse.catalogue import (
    ROLES,
    Sum,
    TableSpec,
    UnknownTableError,
    _table,
    additive_problems,
    catalogue,
    table_spec,
    tables_markdown,
)
from evalkit.analyse.compute import ANALYSES, NEEDS
from evalkit.errors import ConfigError
from evalkit.i18n import LANGUAGES

TESTS = Path(__file__).resolve().parent
STUDY = {"site": "site", "wave": "wave", "group": "respondent_type", "integration_site": "site",
         "baseline": 1, "users": ["user"]}


def test_every_table_is_declared_completely():
    analyses = {name for name, _ in ANALYSES}
    assert len(catalogue()) == 42
    for handle, spec in catalogue().items():
        assert spec.analysis in analyses, handle
        assert set(spec.needs) <= set(NEEDS), handle
        assert spec.about.strip() and spec.unit in catalogue().units, handle
        assert all(spec.titles[g].strip() for g in LANGUAGES), handle
        assert spec.titles["fr"] != spec.titles["en"], handle
        for column in spec.columns:
            assert column.role in ROLES, (handle, column.name)
            assert all(column.label[g].strip() for g in LANGUAGES), (handle, column.name)
        keys = [c for c in spec.columns if c.role == "key"]
        assert keys or len(spec.columns) < 20, handle


def test_the_functions_a_table_comes_from_are_evalkit_s_public_functions():
    for handle, spec in catalogue().items():
        for name in spec.calls:
            assert callable(getattr(evalkit, name)), (handle, name)


def test_docs_tables_md_is_generated_from_the_catalogue(project_root):
    committed = (project_root / "docs" / "tables.md").read_text(encoding="utf-8")
    assert committed == tables_markdown(), (
        "docs/tables.md is out of date: run python -m evalkit.analyse.catalogue docs/tables.md")


def test_the_reference_page_says_what_a_reader_needs():
    text = tables_markdown()
    section = text[text.index("### `tokenism_rates`"):text.index("### `tokenism_overall`")]
    assert "Tokenism rate by site (non-validated index)" in section
    assert "| `n_tokenistic` | integer | count | people |" in section
    assert "numerator of `n_consulted`" in section
    assert "`n_answered` + `n_excluded_missing` + `{not_asked}` = `n` (on each row)" in section
    assert "add up to `n`, `n_answered`" in section and "of `tokenism_overall`" in section


def test_release_rules_are_those_written_by_hand_before_the_catalogue():
    """``release_roles_before.json`` holds the counts, estimates, base and numerators that
    ``compute.py`` declared by hand for each table of the demo before the catalogue (read from
    that code's results). The catalogue gives the same, but for two intended changes named in
    the changelog."""
    before = json.loads((TESTS / "release_roles_before.json").read_text(encoding="utf-8"))
    before["tokenism_weighted"]["estimates"] = sorted(
        [*before["tokenism_weighted"]["estimates"], "se"])  # now suppressed with the rate
    before["scale_wellbeing_by_site"]["numerators"] = {}  # was n, of itself: no rule
    for name, rules in before.items():
        spec = table_spec(name, study=STUDY)
        present = [c.name for c in spec.columns if c.name != "note"]
        roles = spec.release_roles(present)
        got = {"counts": sorted(roles.counts), "estimates": sorted(roles.estimates),
               "n": roles.n, "numerators": roles.numerators}
        assert got == rules, name


def test_families_of_tables_and_unknown_handles():
    assert table_spec("scoring_wellbeing").handle == "scoring_{scale}"
    assert table_spec("scale_q12_by_site").params == {"scale": "q12"}
    assert table_spec("reliability_ladder").handle == "reliability_ladder"  # its own entry
    assert table_spec("framework_en").params == {"lang": "en"}
    for name in ("framework_de", "tokenism", "", "scale__by_site"):
        with pytest.raises(UnknownTableError):
            table_spec(name)
    assert catalogue().members("quotes_{lang}", ["quotes_fr", "quotes_en", "framework_fr"]) \
        == ["quotes_fr", "quotes_en"]


def test_binding_gives_the_study_s_own_column_names():
    study = {**STUDY, "site": "centre", "group": None, "users": None}
    spec = table_spec("ladder_distribution", study=study)
    assert spec.column_names[:2] == ("centre", "rung")  # no group role: no group column
    assert spec.key("site") == "centre"
    rates = table_spec("tokenism_rates_group", study={**STUDY, "site": "centre"})
    assert rates.additive[1].over == ("respondent_type",)
    assert rates.additive[1].where == {"respondent_type": ["user"]}
    # A relation that needs the users' groups is left out when the study has none.
    assert len(table_spec("tokenism_rates_group", study={**STUDY, "users": None}).additive) == 1


def test_labels_of_columns_and_values_come_from_the_catalogue():
    light = table_spec("traffic_light", study=STUDY)
    assert light.label("ci_low", "fr") == "IC bas"
    assert light.value_label("colour", "red", "fr") == "rouge"
    reliability = table_spec("reliability_ladder")
    assert reliability.value_label("measure", "cronbach_alpha", "fr") == "Alpha de Cronbach"
    assert reliability.value_label("ci_method", "feldt", "en") == "Feldt interval (F distribution)"
    outcomes = table_spec("outcome_change")
    assert outcomes.value_label("level", "group", "fr") == "Groupe de résultats"
    assert outcomes.value_label("outcome", "quality_of_life", "fr") == "Qualité de vie"
    assert outcomes.label("mean_follow_up", "fr") == "Moyenne au suivi"
    rung = table_spec("ladder_distribution")
    assert rung.value_label("rung", 0, "fr") == "Aucun échelon"
    assert rung.value_label("rung", 3, "fr") == "3"  # no label: the value itself
    assert table_spec("integration_profile").value_label(
        "level", 2, "fr", row={"label_fr": "Coopération", "label_en": "Cooperation"}) \
        == "Coopération"


def test_codebook_labels_of_key_values(project_root):
    from evalkit.config.codebook import load_codebook

    codebook = load_codebook(project_root / "data_samples" / "demo" / "codebook.yaml")
    items = table_spec("ladder_items", study=STUDY)
    assert items.value_label("item", "inv_consulted", "fr", codebook=codebook) == \
        codebook.label("inv_consulted", "fr")
    answer = items.value_label("category", 5.0, "en", codebook=codebook,
                               row={"item": "inv_consulted"})
    assert answer == codebook.value_label("inv_consulted", 5, "en")
    rates = table_spec("tokenism_funnel", study=STUDY)
    assert rates.value_label("site", "A", "fr", codebook=codebook) == "Site A"


def test_a_malformed_declaration_is_a_clear_error():
    entry = {"title": {"fr": "T", "en": "T"}, "about": "x", "analysis": "describe",
             "unit": "people", "columns": {"n": {"type": "integer", "role": "counts",
                                                "label": {"fr": "n", "en": "n"}}}}
    with pytest.raises(ConfigError, match="role must be one of"):
        _table("broken", entry, catalogue().units)
    entry["columns"]["n"]["role"] = "count"
    entry["additive"] = [{"parts": ["n"], "total": "m"}]
    with pytest.raises(ConfigError, match="names 'm', which is not a column"):
        _table("broken", entry, catalogue().units)
    entry["additive"] = []
    entry["columns"]["n"]["label"] = {"fr": "n"}
    with pytest.raises(ConfigError, match="label must give a text in each of fr, en"):
        _table("broken", entry, catalogue().units)


def _spec(additive: tuple[Sum, ...]) -> TableSpec:
    return TableSpec(handle="t", name="t", titles={"fr": "t", "en": "t"}, about="",
                     analysis="describe", calls=(), needs=(), unit="people", released=True,
                     non_validated=False, columns=table_spec("tokenism_rates",
                                                             study=STUDY).columns,
                     additive=additive)


def test_the_additive_check_finds_what_does_not_add_up():
    frame = pd.DataFrame({"site": ["A", "B"], "n": [10, 12], "n_answered": [8, 12],
                          "n_excluded_missing": [2, 0], "n_consulted": [6, 9],
                          "n_tokenistic": [2, 3]})
    overall = pd.DataFrame({"n": [22], "n_answered": [20], "n_excluded_missing": [2],
                            "n_consulted": [15], "n_tokenistic": [5]})
    row = Sum(parts=("n_answered", "n_excluded_missing"), total="n")
    margin = Sum(parts=("n", "n_consulted"), over=("site",), table="o")
    specs = {"t": _spec((row, margin))}
    assert additive_problems({"t": frame, "o": overall}, specs) == []
    broken = frame.assign(n_excluded_missing=[3, 0])
    problems = additive_problems({"t": broken, "o": overall}, specs)
    assert problems == ["t: `n_answered` + `n_excluded_missing` = `n` (on each row): 1 row(s) "
                        "do not add up"]
    problems = additive_problems({"t": frame, "o": overall.assign(n_consulted=[16])}, specs)
    assert len(problems) == 1 and "1 value(s) differ" in problems[0]
