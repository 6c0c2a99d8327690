"""Absent tables say why: on studies of other shapes than the demo (two sites, one wave, parts
left out, the study's own column names), every table of the catalogue is either computed or
recorded with its reason, and pages show the reason instead of failing."""

from __future__ import annotations

import re

import pytest
from _studies import small_study

from evalkit.analyse.catalogue import UnknownTableError, additive_problems, catalogue
from evalkit.analyse.compute import compute_results
from evalkit.analyse.results import Results, TableAbsent
from evalkit.config.study import load_study
from evalkit.i18n import LANGUAGES
from evalkit.prepare.study import prepare_study
from evalkit.present.brief import build_brief
from evalkit.present.session import Session

LEFT_OUT = ("sources.interviews", "sources.population", "sources.partners", "measures.scales",
            "measures.network", "measures.integration", "measures.logic_model")


@pytest.fixture(scope="module")
def sparse(tmp_path_factory):
    """Two sites, one wave, no interviews, population, partners, scales, network."""
    folder = tmp_path_factory.mktemp("sparse")
    study_file = small_study(folder, n_sites=2, waves=1, drop=LEFT_OUT)
    return study_file, compute_results(prepare_study(load_study(study_file)), n_boot=100)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """Four sites, two waves, the site and group columns under the study's own names."""
    folder = tmp_path_factory.mktemp("renamed")
    study_file = small_study(folder, n_sites=4, waves=2, n_per_site=40,
                             rename={"site": "centre", "respondent_type": "type_repondant"})
    return study_file, compute_results(prepare_study(load_study(study_file)), n_boot=100)


def _every_declared(results: Results) -> list[str]:
    names = []
    for handle in catalogue():
        if "{lang}" in handle:
            names += [handle.replace("{lang}", g) for g in LANGUAGES]
        elif "{scale}" in handle:
            names += results.instances(handle) or [handle]
        else:
            names.append(handle)
    return names


def test_every_declared_table_is_computed_or_says_why(sparse):
    _, results = sparse
    for name in _every_declared(results):
        absence = results.absence(name)
        assert (name in results.tables) != (absence is not None), name
        if absence is not None:
            assert absence.reason not in ("absent.not_computed", "absent.no_data"), name
            for lang in LANGUAGES:
                assert absence.text(lang).strip(), (name, lang)


def test_the_reasons_are_the_study_s_own(sparse):
    _, results = sparse
    reasons = {name: (a.reason, dict(a.params)) for name in _every_declared(results)
               if (a := results.absence(name)) is not None}
    assert reasons["tokenism_funnel"] == ("absent.too_few_sites", {"n": 2, "min": 3})
    assert reasons["outcome_change"] == ("absent.one_wave", {})
    assert reasons["involvement_model"] == ("absent.one_wave", {})
    assert reasons["representativeness"] == ("absent.no_population", {})
    assert reasons["code_frequencies"] == ("absent.no_interviews", {})
    assert reasons["framework_fr"] == ("absent.no_interviews", {})
    assert reasons["scoring_{scale}"] == ("absent.not_configured",
                                          {"section": "measures.scales"})
    assert reasons["traffic_light"] == ("absent.not_configured",
                                        {"section": "measures.network"})
    assert reasons["integration_profile"] == ("absent.not_configured",
                                              {"section": "measures.integration"})
    assert results.absence("tokenism_funnel").text("fr") == \
        "trop peu de sites à comparer (2 ; il en faut au moins 3)"
    assert {"tokenism_rates", "ladder_distribution", "perception_gap"} <= set(results)


def test_reasons_are_kept_with_the_saved_results(sparse, tmp_path):
    _, results = sparse
    results.save(tmp_path)
    loaded = Results.load(tmp_path)
    for name in _every_declared(results):
        before, after = results.absence(name), loaded.absence(name)
        assert (before is None) == (after is None), name
        if before is not None:
            assert [before.text(g) for g in LANGUAGES] == [after.text(g) for g in LANGUAGES]
    with pytest.raises(TableAbsent) as raised:
        loaded.require("outcome_change")
    assert raised.value.render("fr").endswith(
        "Non calculé : un seul temps de mesure : le changement demande un suivi "
        "(waves.follow_up dans study.yaml)")


def test_a_data_error_stops_one_site_and_gives_its_message(renamed):
    """The raking of the renamed study meets a population level no respondent of one site is
    in: that site's weighted rate is left out with the problem, in both languages and on one
    line; the other sites keep theirs, and the profile against the population is there."""
    _, results = renamed
    assert results.absence("tokenism_weighted") is None
    assert "representativeness" in results
    frame = results["tokenism_weighted"].frame
    skipped = frame[frame["skipped_en"].notna()]
    assert len(skipped) == 1 and skipped["n"].isna().all()
    assert "no respondent in the level" in skipped["skipped_en"].iloc[0]
    assert "aucun répondant" in skipped["skipped_fr"].iloc[0]
    assert "\n" not in skipped["skipped_fr"].iloc[0]
    kept = frame[frame["skipped_en"].isna()]
    assert len(kept) == 3 and kept["estimate"].between(0, 1).all()


def test_the_study_s_own_column_names_are_declared_and_add_up(renamed):
    _, results = renamed
    assert list(results["tokenism_rates"].frame.columns)[0] == "centre"
    assert "type_repondant" in results["ladder_distribution"].frame.columns
    for name, table in results.items():
        undeclared = [c for c in table.frame.columns if not table.spec.has_column(c)]
        assert undeclared == [], name
    specs = {name: table.spec for name, table in results.items()}
    assert additive_problems({n: t.frame for n, t in results.items()}, specs) == []
    assert sum(len(s.additive) for s in specs.values()) >= 20


def _shown(monkeypatch, session: Session) -> list[dict]:
    shown: list[dict] = []
    monkeypatch.setattr(session, "_show", shown.append)
    return shown


def test_a_session_shows_why_instead_of_failing(sparse, monkeypatch):
    study_file, _ = sparse
    nb = Session(study_file, lang="all", bootstrap=100)
    shown = _shown(monkeypatch, nb)
    nb.table("tokenism_funnel")
    nb.figure("tokenism_funnel", lambda g: nb.released("tokenism_funnel"),
              caption="nb.caption.tokenism_funnel")
    assert nb.each("scoring_{scale}") == []
    nb.quotes(site="A")
    assert nb.get("code_frequencies") is None
    assert not nb.configured("measures.logic_model")
    assert len(shown) == 6
    for part in shown:
        assert part["fr"].count("Non calculé") == 1 and "Not computed" not in part["fr"]
        assert part["en"].count("Not computed") == 1
    assert "trop peu de sites à comparer" in shown[0]["fr"]
    assert "measures.scales" in shown[2]["en"]
    with pytest.raises(UnknownTableError):
        nb.table("tokenism_fun")


def test_the_brief_of_a_sparse_study_says_why_and_prints_no_empty_number(sparse):
    study_file, results = sparse
    study = load_study(study_file)
    for lang in LANGUAGES:
        brief = build_brief(results, study, lang=lang, run_date="2026-11-22", figures=False)
        text = " ".join(getattr(b, "text", "") or "" for part in brief.parts
                        for b in part.blocks)
        word = "Non calculé" if lang == "fr" else "Not computed"
        assert text.count(word) >= 5, lang
        assert not re.search(r"– (à|to) –", text), lang
        assert not re.search(r"\b0 (entrevues|interviews)", text), lang


def test_the_brief_and_pages_of_a_study_with_its_own_column_names(renamed, monkeypatch):
    study_file, results = renamed
    study = load_study(study_file)
    for lang in LANGUAGES:
        brief = build_brief(results, study, lang=lang, run_date="2026-11-22", figures=False)
        assert brief.budget["report"][2], lang
    nb = Session(study_file, lang="fr", bootstrap=100, site="B")
    shown = _shown(monkeypatch, nb)
    nb.table("tokenism_rates", site="B", columns=["site", "n_consulted", "rate"])
    html = shown[0]["fr"]
    assert "<th scope='col'>Site</th>" in html and html.count("<tr") == 2  # header, site B
