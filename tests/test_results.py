"""The compute-once stage: every table the study configures, reproducible, with release rules."""

import pandas as pd
import pytest

from evalkit.analyse.compute import compute_results
from evalkit.analyse.involvement import tokenism_rates
from evalkit.analyse.results import Results, table_title
from evalkit.config.study import load_study
from evalkit.i18n import has_key
from evalkit.prepare.study import prepare_study
from evalkit.release.tables import released_table

EXPECTED = {
    "response_counts", "sources", "validation_summary", "representativeness", "tokenism_weighted", "ladder_distribution",
    "ladder_reproducibility", "ladder_items", "tokenism_rates", "tokenism_overall",
    "tokenism_rates_group", "tokenism_gap", "tokenism_funnel", "tokenism_funnel_limits",
    "tokenism_overdispersion",
    "tokenism_shrunken", "perception_gap", "reliability_ladder", "items_ladder",
    "scoring_wellbeing", "scale_wellbeing_by_site", "reliability_wellbeing", "items_wellbeing",
    "outcome_change", "outcome_change_site", "involvement_model", "involvement_model_fit",
    "involvement_model_variance", "involvement_model_sites", "outcome_icc", "outcome_funnel",
    "outcome_funnel_limits",
    "outcome_shrunken", "traffic_light", "integration_profile", "code_frequencies",
    "cooccurrence", "coder_agreement", "framework_fr", "framework_en", "quotes_fr", "quotes_en",
}


@pytest.fixture(scope="module")
def prepared(project_root):
    return prepare_study(load_study(project_root / "data_samples" / "demo"))


@pytest.fixture(scope="module")
def results(prepared):
    return compute_results(prepared, n_boot=200)


def test_every_configured_analysis_gives_its_tables(results):
    assert set(results) == EXPECTED
    empty = {name for name, table in results.items() if table.frame.empty}
    assert empty == {"validation_summary"}  # the demo has no validation problem


def test_release_rules_name_real_columns(results):
    for name, table in results.items():
        columns = set(table.frame.columns)
        assert set(table.counts) <= columns, name
        assert set(table.estimates) <= columns, name
        assert table.n is None or table.n in columns, name


def test_tokenism_tables_are_labelled_non_validated(results):
    flagged = {name for name, table in results.items() if table.non_validated}
    assert {"tokenism_rates", "tokenism_funnel", "tokenism_shrunken", "perception_gap"} <= flagged
    assert "outcome_change" not in flagged


def test_every_table_has_a_title_in_both_languages(results):
    for name in results:
        for lang in ("fr", "en"):
            assert table_title(name, lang) != name, (name, lang)
    assert has_key("results.tokenism_rates")


def test_tables_are_what_the_analysis_functions_give(prepared, results):
    study = prepared.study
    r = prepared.responses
    users = r[(r["wave"] == 1) & (r["respondent_type"] == "user")]
    tok = study.measures.involvement.tokenism
    direct = tokenism_rates(users, voice=tok.voice, influence=tok.influence, agree_at=4,
                            site="site")
    pd.testing.assert_frame_equal(results.frame("tokenism_rates"), direct)


def test_same_seed_same_tables(prepared, results):
    again = compute_results(prepared, n_boot=200)
    for name in results:
        pd.testing.assert_frame_equal(results.frame(name), again.frame(name), obj=name)


def _plain(frame):
    """Values as Python objects, any missing value as None (Parquet keeps NA, not its flavour)."""
    return frame.astype(object).where(frame.notna(), None)


def test_save_and_load_round_trip(results, tmp_path):
    results.save(tmp_path)
    loaded = Results.load(tmp_path)
    assert set(loaded) == set(results)
    for name, table in results.items():
        other = loaded[name]
        assert (other.counts, other.estimates, other.n, other.non_validated) == (
            table.counts, table.estimates, table.n, table.non_validated)
        pd.testing.assert_frame_equal(_plain(other.frame), _plain(table.frame), obj=name)
    assert loaded.meta["sites"] == list("ABCDEFGH")


def test_planted_high_tokenism_site_is_found(results, project_root):
    import json

    truth = json.loads((project_root / "data_samples" / "demo" / "truth.json").read_text())
    funnel = results.frame("tokenism_funnel")
    sites = funnel[funnel["level"] == 0.998]
    above = sites[sites["outside"] & (sites["direction"] == "above")]["site"].tolist()
    assert above == [truth["high_tokenism_site"]]


SHARES = {  # share-like estimate → its base, as a reader of the released table would pair them
    "tokenism_rates": [("rate", "n_consulted")],
    "tokenism_rates_group": [("rate", "n_consulted")],
    "ladder_distribution": [("share", "n_placed")],
    "ladder_items": [("share", "n")],
    "traffic_light": [("share", "n")],
    "representativeness": [("share", "n_site")],
    "outcome_change_site": [("share_improved", "n_paired"), ("share_worse", "n_paired"),
                            ("share_same", "n_paired"),
                            ("share_met_baseline", "n_baseline")],
    "tokenism_funnel": [("estimate", "n")],
    "tokenism_shrunken": [("estimate", "n")],
}


def test_released_tables_never_give_a_small_count_back(results, prepared):
    policy = prepared.study.privacy
    low, high = 1, policy.min_cell - 1
    for name, table in results.items():
        released = released_table(results, name, policy=policy)
        for column in table.counts:
            shown = released[column].dropna().astype(float)
            assert not shown.between(low, high).any(), (name, column)
        for share, base in SHARES.get(name, []):
            pair = released[[share, base]].dropna().astype(float)
            k = (pair[share] * pair[base]).round()
            assert not k.between(low, high).any(), (name, share)
            assert not (pair[base] - k).between(low, high).any(), (name, share, "complement")
    # The small group of the demo (3 carers at site H) is never shown.
    group = released_table(results, "ladder_distribution", policy=policy)
    h = group[(group["site"] == "H") & (group["respondent_type"] == "carer")]
    assert h["n_placed"].isna().all() and h["share"].isna().all()


def test_the_tables_reference_documents_every_table_and_its_columns(results, project_root):
    import re

    text = (project_root / "docs" / "tables.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"(?ms)^### `([^`]+)`\n(.*?)(?=^### |\Z)", text))
    for name, table in results.items():
        key = re.sub(r"_(fr|en)$", "_<lang>", name) if name.startswith(("framework_",
                                                                         "quotes_")) else name
        assert key in sections, f"docs/tables.md does not document {key}"
        documented = re.search(r"- columns: (.*)", sections[key]).group(1)
        assert re.findall(r"`([^`]+)`", documented) == list(table.frame.columns), name
