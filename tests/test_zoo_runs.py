"""Every shape of the study zoo through the runner, as a user runs it: zero failed notebooks,
and the released tables (``tables/*.csv``, after disclosure control) equal to the independent
computations of ``tests/zoo_reference.py`` (no evalkit call) wherever a cell is released; a
cell disclosure control hid is checked only as hidden.

Each shape runs once for the module (its study notebooks, and the site profiles of at most
three sites, the tiny one among them). Every shape of the zoo runs by default;
``EVALKIT_ZOO=all`` adds the ``evalkit new`` template (``tests/test_template_run.py`` runs it
too), and ``EVALKIT_ZOO=quick`` keeps the three shapes that together cover every feature.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
import pytest
import zoo_reference as ref

from evalkit.datasets.zoo import ZOO, make_zoo_study

pytestmark = pytest.mark.slow

#: Together: French and English names, 1, 3 and 8 sites, 1 to 3 waves, CSV, French-Excel CSV,
#: XLSX and SPSS files, staff inline and in their own workbook, carers, interviews,
#: population, partners, a tiny site, reverse keying in the codebook and in an instrument.
QUICK = ["fr-csv-3sites", "en-mixed-8sites-3waves", "one-site-one-wave"]
SHAPES = {"all": [*ZOO, "template"], "quick": QUICK}.get(os.environ.get("EVALKIT_ZOO", ""),
                                                         list(ZOO))
RELEASED = 1e-9  # tables are written with 12 significant digits


def _profiled_sites(name: str, folder: Path) -> list[str] | None:
    """At most three site profiles per run: the first sites and the tiny one."""
    if name == "template":
        return None
    truth = ref.load_truth(folder)
    sites = list(truth["planted"]["tokenism_rate"])
    if len(sites) <= 3:
        return None
    return list(dict.fromkeys([*sites[:2], truth["tiny_site"] or sites[2]]))


@pytest.fixture(scope="module", params=SHAPES)
def zoo_run(request, tmp_path_factory):
    """One shape written (seed 11) and run; its folder, truth, raw responses and run."""
    from evalkit.run import run_study

    name = request.param
    root = tmp_path_factory.mktemp(f"zoo-{name}")
    study = make_zoo_study(root / "study", name, seed=11)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CI", "true")  # fewer bootstrap resamples
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the zoo's marked demo key
            run = run_study(study, out=root / "reports", jobs=2, quiet=True,
                            sites=_profiled_sites(name, study.parent))
    folder = study.parent
    truth = ref.load_truth(folder)
    responses = ref.read_survey(folder) if name != "template" else None
    return {"name": name, "folder": folder, "truth": truth, "responses": responses,
            "run": run, "tables": run.run_dir / "tables"}


def _table(zoo_run, name: str) -> pd.DataFrame:
    return pd.read_csv(zoo_run["tables"] / f"{name}.csv", dtype=str, keep_default_na=False)


def _zoo_only(zoo_run) -> None:
    if zoo_run["name"] == "template":
        pytest.skip("the template has no truth.json of planted values")


def _compare(released: pd.DataFrame, expected: pd.DataFrame, columns: list[str],
             exact: tuple[str, ...] = ()) -> int:
    """Compare ``released`` (text cells, one row per key, aligned with ``expected``) with
    ``expected``: a released cell equals the reference, an empty cell is in a suppressed row.
    Returns the number of released cells compared."""
    compared = 0
    for column in columns:
        shown = released[column].to_numpy()
        for k, value in enumerate(expected[column].to_numpy()):
            if shown[k] == "":
                assert released["suppressed"].iloc[k] == "True", (column, k)
                continue
            if column in exact:
                assert int(float(shown[k])) == int(value), (column, k)
            else:
                assert float(shown[k]) == pytest.approx(float(value), rel=RELEASED,
                                                        abs=1e-12), (column, k)
            compared += 1
    return compared


def test_every_notebook_succeeds(zoo_run):
    run = zoo_run["run"]
    statuses = {r["key"]: r["status"] for r in run.notebooks}
    failed = {k: s for k, s in statuses.items() if s != "ok"}
    assert not failed, failed
    assert run.status == "ok" and run.exit_code == 0
    assert run.manifest["disclosure_scan"]["status"] == "passed"
    assert len(statuses) >= 7


def test_released_counts_by_site_wave_and_group_match_the_reference(zoo_run):
    _zoo_only(zoo_run)
    truth = zoo_run["truth"]
    names = truth["names"]
    expected = ref.counts_by_site_group(zoo_run["responses"], truth)
    released = _table(zoo_run, "response_counts")
    released = released[[names["site"], names["wave"], names["group"], "n", "suppressed"]]
    released.columns = ["site", "wave", "group", "n", "suppressed"]
    expected = expected.assign(wave=expected["wave"].astype(str))
    merged = expected.merge(released, on=["site", "wave", "group"], how="left",
                            suffixes=("", "_released"), validate="one_to_one")
    assert merged["suppressed"].notna().all(), merged  # every combination is in the table
    shown = merged["n_released"] == ""
    assert (merged.loc[shown, "suppressed"] == "True").all()
    assert (merged.loc[~shown, "n_released"].astype(int) == merged.loc[~shown, "n"]).all()
    assert (~shown).any()
    if truth["shape"]["n_per_site"] >= 30:  # groups of many sites of a dozen people are small
        assert (~shown).sum() >= len(merged) // 2
    # The rest of a row that holds no respondent is not released as a combination.
    extra = released.merge(expected, on=["site", "wave", "group"], how="left", indicator=True)
    assert set(extra.loc[extra["_merge"] == "left_only", "n_x"]) <= {"", "0"}


def test_released_tokenism_by_site_matches_the_reference(zoo_run):
    _zoo_only(zoo_run)
    truth = zoo_run["truth"]
    expected = ref.tokenism_by_site(zoo_run["responses"], truth)
    released = _table(zoo_run, "tokenism_rates").set_index(truth["names"]["site"])
    assert sorted(released.index) == sorted(truth["planted"]["tokenism_rate"])
    released = released.loc[expected["site"]].reset_index()
    compared = _compare(released, expected, ["n_consulted", "n_tokenistic"],
                        exact=("n_consulted", "n_tokenistic"))
    compared += _compare(released, expected, ["rate", "ci_low", "ci_high"])
    assert compared > 0
    if truth["tiny_site"]:
        tiny = _table(zoo_run, "tokenism_rates").set_index(truth["names"]["site"])
        assert tiny.loc[truth["tiny_site"], "suppressed"] == "True"
        assert tiny.loc[truth["tiny_site"], "rate"] == ""


def test_released_alpha_keeps_the_reverse_keying(zoo_run):
    _zoo_only(zoo_run)
    truth = zoo_run["truth"]
    reversed_ = truth["shape"]["reverse"] != "none"
    base = ref._baseline(zoo_run["responses"], truth)
    items = base[truth["names"]["wellbeing"]]
    if reversed_:
        expected, n = ref.alpha_reversed(zoo_run["responses"], truth)
    else:
        expected, n = ref.cronbach_alpha(items)
    released = _table(zoo_run, "reliability_bien_etre")
    row = released[(released["measure"] == "cronbach_alpha")
                   & (released["ci_method"] == "feldt")].iloc[0]
    assert int(row["n"]) == n
    assert float(row["estimate"]) == pytest.approx(expected, rel=RELEASED)
    if reversed_:
        plain, _ = ref.cronbach_alpha(items)
        assert float(row["estimate"]) > plain + 0.2
        shown = _table(zoo_run, "items_bien_etre").set_index("item")["reversed"]
        assert {i for i, v in shown.items() if v == "True"} == set(truth["reversed_items"])


def test_released_model_slope_matches_the_reference(zoo_run):
    _zoo_only(zoo_run)
    truth = zoo_run["truth"]
    shape = truth["shape"]
    if shape["waves"] < 2 or shape["n_sites"] < 2:
        assert not (zoo_run["tables"] / "involvement_model.csv").exists()
        return
    data = ref.change_data(zoo_run["responses"], truth)
    expected = ref.mixed_slope(data).set_index("term")
    released = _table(zoo_run, "involvement_model").set_index("term")
    for term in ("Intercept", "rung", "tokenistic"):
        assert float(released.loc[term, "estimate"]) == pytest.approx(
            expected.loc[term, "estimate"], rel=1e-6, abs=1e-9), term
        assert float(released.loc[term, "std_error"]) == pytest.approx(
            expected.loc[term, "std_error"], rel=1e-5), term
    fit = _table(zoo_run, "involvement_model_fit").iloc[0]
    assert int(fit["n_obs"]) == len(data.dropna())
    assert int(fit["n_groups"]) == data.dropna()["site"].nunique()


def test_one_site_without_a_level_loses_only_its_own_weighted_rate(zoo_run):
    _zoo_only(zoo_run)
    truth = zoo_run["truth"]
    if not truth["shape"]["population"]:
        assert not (zoo_run["tables"] / "tokenism_weighted.csv").exists()
        return
    weighted = _table(zoo_run, "tokenism_weighted").set_index("site")
    assert sorted(weighted.index) == sorted(truth["planted"]["tokenism_rate"])
    # The sites an independent count finds with an empty population level, and only those,
    # lose their weighted rate, each with its own reason; the tiny site is among them.
    empty = ref.sites_without_a_level(zoo_run["folder"], zoo_run["responses"], truth)
    tiny = truth["tiny_site"]
    assert tiny in empty
    assert set(weighted.index[weighted["skipped_en"] != ""]) == empty
    for site in empty:
        assert weighted.loc[site, "skipped_fr"].startswith("population : site")
        assert site in weighted.loc[site, "skipped_en"]
    others = weighted.drop(index=sorted(empty))
    assert (others["skipped_en"] == "").all()
    # Raked sites show their weights unless disclosure control hid the row.
    assert ((others["sum_weights"] != "") | (others["suppressed"] == "True")).all()


def test_no_table_is_absent_for_a_reason_the_shape_does_not_give(zoo_run):
    absent = {r["table"]: r for r in zoo_run["run"].manifest["stages"]["prepare"]["absent"]}
    for table, record in absent.items():
        reason = record["reason"]["en"]
        assert "stopped on a data problem" not in reason, (table, reason)
        assert "KeyError" not in reason and "Error:" not in reason, (table, reason)


def test_pages_figures_and_word_briefs_show_no_raw_names(zoo_run):
    """What each shape writes is read as its readers read it: no column, code or table name
    of the study, no English value on a French page, figure or Word brief."""
    from _reader_text import scan_run

    from evalkit.analyse.catalogue import catalogue
    from evalkit.config.study import load_study

    study = load_study(zoo_run["folder"])
    run_dir = zoo_run["run"].run_dir
    assert list((run_dir / "figures").glob("*.png")), "no figure to read"
    found = scan_run(run_dir, [*study.codebook.names, *catalogue().keys()])
    assert found == {"pages": [], "figures": [], "docx": []}, \
        {kind: items[:10] for kind, items in found.items()}
