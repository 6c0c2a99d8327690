"""The compute-once stage: every table the study configures, reproducible, with release rules."""

import re

import pandas as pd
import pytest

from evalkit.analyse.catalogue import UnknownTableError, table_title
from evalkit.analyse.compute import compute_results
from evalkit.analyse.involvement import tokenism_rates
from evalkit.analyse.results import Results
from evalkit.config.study import load_study
from evalkit.prepare.study import prepare_study
from evalkit.release.tables import released_frames, released_table, save_released

EXPECTED = {
    "response_counts", "sources", "validation_summary", "item_response", "representativeness", "tokenism_weighted", "ladder_distribution",
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
        assert table_title(name, "fr") != table_title(name, "en"), name
    assert table_title("reliability_wellbeing", "en") == "Reliability of the scale: wellbeing"
    # Bound to the study, a scale is named by its instrument's title, never by its key.
    spec = results["reliability_wellbeing"].spec
    assert spec.title("fr") == ("Fidélité de l'échelle : Échelle courte de bien-être mental "
                                "de Warwick-Edinburgh (SWEMWBS)")
    assert spec.title("en").endswith(": Short Warwick-Edinburgh Mental Wellbeing Scale "
                                     "(SWEMWBS)")


def test_tables_are_what_the_analysis_functions_give(prepared, results):
    study = prepared.study
    r = prepared.responses
    users = r[(r["wave"] == 1) & (r["respondent_type"] == "user")]
    tok = study.measures.involvement.tokenism
    direct = tokenism_rates(users, voice=tok.voice, influence=tok.influence, agree_at=4,
                            site="site", not_asked=prepared.not_asked.loc[users.index])
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


def test_a_runs_released_frames_are_read_only_when_asked(results, prepared, tmp_path):
    # A notebook of a run reads the released frames the run saved; a site profile shows a
    # few of them, so each is read when it is first asked for, not all of them at once.
    policy = prepared.study.privacy
    results.save(tmp_path)
    saved = released_frames(results, policy=policy)
    save_released(saved, tmp_path, policy=policy)
    for name in saved:
        if name != "tokenism_rates":
            (tmp_path / "released" / f"{name}.parquet").unlink()
    loaded = Results.load(tmp_path)
    stored = released_frames(loaded, policy=policy)
    assert list(stored) == list(saved)
    pd.testing.assert_frame_equal(released_table(loaded, "tokenism_rates", policy=policy),
                                  released_table(results, "tokenism_rates", policy=policy))
    with pytest.raises(FileNotFoundError):
        stored["tokenism_gap"]


def test_a_run_shows_released_tables_without_reading_their_private_copies(results, prepared,
                                                                            tmp_path):
    # What a notebook shows comes from the released frames the run saved; the unsuppressed
    # table is not read for its spec, its calls or whether it is released (each read costs a
    # notebook's kernel, and the private copy has no business in it). Here the private copies
    # of the released tables are gone: everything a page needs still works.
    from evalkit.present.display import show_table
    from evalkit.release.tables import ReleasedTables

    policy = prepared.study.privacy
    results.save(tmp_path)
    saved = released_frames(results, policy=policy)
    save_released(saved, tmp_path, policy=policy)
    for name in saved:
        (tmp_path / f"{name}.parquet").unlink()
    loaded = Results.load(tmp_path)
    for name in saved:
        assert loaded.spec(name).released and loaded.spec(name) == results[name].spec
        assert loaded.calls(name) == results[name].calls
    tables = ReleasedTables(loaded, policy)
    assert list(tables) == [n for n in results if results[n].release]
    assert "tokenism_rates" in tables
    pd.testing.assert_frame_equal(tables["tokenism_rates"],
                                  released_table(results, "tokenism_rates", policy=policy))
    html = show_table(loaded, "tokenism_rates", lang="fr", policy=policy, site="A").html
    assert "data-evalkit-index='tokenism'" in html and "<table" in html
    assert html == show_table(results, "tokenism_rates", lang="fr", policy=policy,
                              site="A").html
    with pytest.raises(UnknownTableError):
        loaded.spec("tokenism_rate")


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


def test_every_column_of_every_table_is_declared_in_the_catalogue(results):
    for name, table in results.items():
        assert list(table.frame.columns) == [c for c in table.spec.column_names
                                             if c in table.frame.columns], name


def test_an_undeclared_handle_fails_at_once_and_an_absent_one_says_why(results):
    with pytest.raises(UnknownTableError, match="(?s)tokenism_rate'.*Did you mean tokenism_rates"):
        results.frame("tokenism_rate")
    with pytest.raises(UnknownTableError):
        "tokenism_rate" in results  # noqa: B015 - the test is that asking raises
    assert results.absence("tokenism_rates") is None
    assert results.absence("framework_fr") is None


def test_results_keep_the_calls_that_made_each_table(results):
    calls = results["tokenism_rates"].calls
    assert [c.code() for c in calls] == [
        'evalkit.tokenism_rates(users, voice=["inv_consulted"], influence=["inv_influence"], '
        'agree_at=4.0, site="site", confidence=0.95, not_asked=not_asked_users)']
    assert results.meta["frames"]["users"]["params"] == {
        "wave": "wave", "baseline": 1, "group": "respondent_type", "users": "user"}
    for name, table in results.items():
        if name not in ("sources", "validation_summary", "item_response"):
            assert table.calls, name
            assert {c.function for c in table.calls} <= set(table.spec.calls), name


def test_the_declared_additive_structure_holds_on_the_demo(results):
    from evalkit.analyse.catalogue import additive_problems

    specs = {name: table.spec for name, table in results.items()}
    relations = sum(len(spec.additive) for spec in specs.values())
    assert relations >= 20
    assert additive_problems({n: t.frame for n, t in results.items()}, specs) == []


RAW = re.compile(r"ci low|ci high|mean follow up|n paired|share improved|code path|tp_safe|"
                 r"quality_of_life|cronbach_alpha|red|green|item|group|wellbeing_1")


def test_a_wide_table_is_reshaped_never_split(results, prepared):
    from evalkit.present.display import MAX_COLUMNS, show_table

    for lang in ("fr", "en"):
        html = show_table(results, "outcome_change", lang=lang, policy=prepared.study.privacy,
                          codebook=prepared.codebook, method=False).html
        assert html.count("<table>") == 1 and "(1/" not in html
        heads = re.findall(r"<th scope='col'>([^<]*)</th>", html)
        assert len(heads) <= MAX_COLUMNS, heads
    # 37 columns: shown long, one row per outcome and measure, the keys in one cell.
    assert heads[-2:] == ["Measure", "Value"], heads
    # Nine columns: each interval joins its estimate, the keys join, and it fits as it is.
    html = show_table(results, "outcome_change", lang="fr", policy=prepared.study.privacy,
                      codebook=prepared.codebook, method=False, columns=[
                          "outcome", "level", "n_paired", "n_lost", "mean_baseline",
                          "mean_follow_up", "mean_change", "change_ci_low", "change_ci_high",
                          "d_z"]).html
    heads = re.findall(r"<th scope='col'>([^<]*)</th>", html)
    assert len(heads) == 7 and "Changement moyen [intervalle de confiance]" in heads, heads
    cells = re.findall(r"<td class='num'( data-column='[^']*')?>([^<]*\[[^<]*)</td>", html)
    # An estimate shown with its interval names its three released columns, in that order.
    assert {origin for origin, _ in cells} == {
        " data-column='mean_change change_ci_low change_ci_high'"}, cells[:3]
    cells = [text for _, text in cells]
    assert cells and all(re.fullmatch(r"−?\d,\d+ \[−?\d,\d+\u202f; −?\d,\d+\]", c)
                         for c in cells), cells[:3]


def test_french_tables_show_labels_not_raw_names(results, prepared):
    from evalkit.present.display import show_table

    codebook = prepared.codebook
    for name in ("tokenism_rates", "outcome_change", "traffic_light", "reliability_ladder",
                 "ladder_items", "perception_gap", "scoring_wellbeing", "outcome_icc"):
        html = show_table(results, name, lang="fr", policy=prepared.study.privacy,
                          codebook=codebook, method=False).html
        cells = re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", html)
        raw = [c for c in cells if RAW.fullmatch(c) or re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", c)]
        assert raw == [], name
    html = show_table(results, "traffic_light", lang="fr", policy=prepared.study.privacy,
                      codebook=codebook).html
    # Eight columns: the share and its interval in one cell, so that the table fits.
    assert "<th scope='col'>Part [intervalle de confiance]</th>" in html
    assert "IC bas" not in html and "<td>rouge</td>" in html
    assert "evalkit.traffic_light_distribution(network_users, paid=" in html
    assert "Comment c&#x27;est calculé" in html


def test_a_released_table_is_made_once_and_given_as_a_copy(results, prepared, tmp_path):
    # A site profile asks for the funnel's table four times: it is put together once per
    # results and policy, and each caller gets its own copy; adding a table forgets it all.
    from evalkit.analyse.results import ResultTable

    policy = prepared.study.privacy
    results.save(tmp_path)
    save_released(released_frames(results, policy=policy), tmp_path, policy=policy)
    loaded = Results.load(tmp_path)
    first = released_table(loaded, "tokenism_funnel", policy=policy)
    (tmp_path / "released" / "tokenism_funnel.parquet").unlink()  # not read again
    again = released_table(loaded, "tokenism_funnel", policy=policy)
    pd.testing.assert_frame_equal(first, again)
    first.iloc[:, 1] = None  # what one caller does to its copy, the next does not see
    pd.testing.assert_frame_equal(released_table(loaded, "tokenism_funnel", policy=policy),
                                  again)
    assert loaded.spec("tokenism_rates") is loaded.spec("tokenism_rates")

    changed = Results(tables=dict(results.tables), meta=dict(results.meta))
    before = released_table(changed, "tokenism_rates", policy=policy)
    table = results["tokenism_rates"]
    changed.add(ResultTable(name=table.name, frame=table.frame.iloc[:3], spec=table.spec,
                            calls=table.calls))
    after = released_table(changed, "tokenism_rates", policy=policy)
    assert len(after) == 3 and len(before) == len(table.frame)
