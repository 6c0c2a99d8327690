"""The attacker's audit of released tables: each way the row-by-row control let a hidden count
of people be recovered is caught on the tables that control released."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evalkit import DisclosurePolicy, apply_disclosure_control
from evalkit.analyse.catalogue import table_spec
from evalkit.release.audit import audit_tables, protection_level, relations

STUDY = {"site": "site", "wave": "wave", "group": "respondent_type", "baseline": 1,
         "users": ["user"]}
POLICY = DisclosurePolicy(min_cell=5, min_n_for_rates=10)


def row_by_row(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table as the row-by-row control released it (each row on its own)."""
    roles = table_spec(name, study=STUDY).release_roles(list(frame.columns))
    return apply_disclosure_control(frame, counts=roles.counts, estimates=roles.estimates,
                                    n=roles.n, numerators=roles.numerators, policy=POLICY)


def audit(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return audit_tables(tables, policy=POLICY, study=STUDY)


def cell(found: pd.DataFrame, table: str, column: str, row: str) -> pd.Series:
    hit = found[(found["table"] == table) & (found["column"] == column) & (found["row"] == row)]
    assert len(hit) == 1, found
    return hit.iloc[0]


def test_protection_level_covers_the_small_range():
    assert protection_level(DisclosurePolicy(min_cell=5)) == 3
    assert protection_level(DisclosurePolicy(min_cell=10, zero_counts="suppress")) == 9
    assert protection_level(DisclosurePolicy(min_cell=1)) == 1


def test_row_identity_of_outcome_change_site_is_caught():
    frame = pd.DataFrame({"site": ["A", "B"], "outcome": ["x", "x"], "level": ["item", "item"],
                          "n_baseline": [89, 60], "n_follow_up": [75, 50],
                          "n_paired": [74, 50], "n_lost": [13, 8], "n_item_missing": [2, 2],
                          "n_improved": [26, 20], "n_same": [27, 20], "n_worse": [21, 10]})
    released = row_by_row("outcome_change_site", frame)
    assert released["n_item_missing"].isna().all()  # suppressed, as before
    found = audit({"outcome_change_site": released})
    a = cell(found, "outcome_change_site", "n_item_missing", "site=A, outcome=x, level=item")
    assert (a["lower"], a["upper"], a["disclosed"]) == (2, 2, True)
    assert "n_baseline" in a["relations"]


def test_site_rows_adding_up_to_the_all_sites_row_are_caught():
    sites = pd.DataFrame({"site": ["A", "B", "C"], "outcome": "x", "level": "item",
                          "n_baseline": [40, 40, 40], "n_paired": [30, 36, 30],
                          "n_lost": [8, 2, 6], "n_item_missing": [2, 2, 4]})
    overall = pd.DataFrame({"outcome": ["x"], "level": ["item"], "n_baseline": [120],
                            "n_paired": [96], "n_lost": [16], "n_item_missing": [8]})
    # Each site row protected on its own (two cells hidden per row), not across the rows.
    released = sites.astype({c: "Int64" for c in ["n_paired", "n_lost", "n_item_missing"]})
    released.loc[1, ["n_lost", "n_item_missing"]] = pd.NA
    found = audit({"outcome_change_site": released, "outcome_change": overall})
    b = cell(found, "outcome_change_site", "n_lost", "site=B, outcome=x, level=item")
    assert (b["lower"], b["upper"], b["disclosed"]) == (2, 2, True)
    assert "outcome_change" in b["relations"]


def test_code_frequencies_capped_by_segments_are_caught():
    frame = pd.DataFrame({"site": ["A", "A"], "code_path": ["x", "y"], "theme": ["x", "y"],
                          "depth": [1, 1], "n_segments": [2, 9], "n_participants": [2, 3],
                          "n_participants_total": [12, 12],
                          "share_participants": [2 / 12, 3 / 12]})
    released = row_by_row("code_frequencies", frame)
    found = audit({"code_frequencies": released})
    x = cell(found, "code_frequencies", "n_participants", "site=A, code_path=x")
    y = cell(found, "code_frequencies", "n_participants", "site=A, code_path=y")
    assert (x["lower"], x["upper"], x["disclosed"]) == (0, 2, True)
    assert "n_segments" in x["relations"]
    assert (y["lower"], y["upper"], y["disclosed"]) == (0, 9, False)


def test_tokenism_rates_group_subtraction_is_caught():
    frame = pd.DataFrame({"site": ["A", "A"], "respondent_type": ["carer", "user"],
                          "n": [30, 90], "n_answered": [28, 84], "n_excluded_missing": [2, 6],
                          "n_consulted": [17, 55], "n_tokenistic": [5, 19],
                          "rate": [5 / 17, 19 / 55]})
    released = row_by_row("tokenism_rates_group", frame)
    found = audit({"tokenism_rates_group": released})
    carer = cell(found, "tokenism_rates_group", "n_excluded_missing",
                 "site=A, respondent_type=carer")
    assert (carer["lower"], carer["upper"], carer["disclosed"]) == (2, 2, True)


def test_ladder_rungs_adding_up_to_the_placed_are_caught():
    frame = pd.DataFrame({"site": "E", "respondent_type": "staff", "rung": [0, 1, 2, 3, 4, 5],
                          "n": [0, 0, 5, 16, 8, 1], "n_placed": 30})
    frame["share"] = frame["n"] / frame["n_placed"]
    released = row_by_row("ladder_distribution", frame)
    assert released["n"].isna().sum() == 1
    found = audit({"ladder_distribution": released})
    rung = cell(found, "ladder_distribution", "n", "site=E, respondent_type=staff, rung=5")
    assert (rung["lower"], rung["upper"], rung["disclosed"]) == (1, 1, True)


def test_categories_adding_up_to_n_are_caught():
    frame = pd.DataFrame({"item": "q1", "respondent_type": "user", "category": [1, 2, 3],
                          "count": [100, 104, 3], "n": 207})
    found = audit({"ladder_items": row_by_row("ladder_items", frame)})
    assert found["disclosed"].tolist() == [True]
    assert (found["lower"].iloc[0], found["upper"].iloc[0]) == (3, 3)


def test_age_groups_adding_up_to_the_site_are_caught():
    frame = pd.DataFrame({"site": "A", "dimension": "age_group",
                          "level": ["18-34", "35-49", "50+"], "n": [5, 83, 2], "n_site": 90})
    frame["share"] = frame["n"] / frame["n_site"]
    found = audit({"representativeness": row_by_row("representativeness", frame)})
    hit = cell(found, "representativeness", "n", "site=A, dimension=age_group, level=50+")
    assert (hit["lower"], hit["upper"], hit["disclosed"]) == (2, 2, True)


def test_a_share_and_its_base_give_the_count_back():
    frame = pd.DataFrame({"site": "A", "code_path": ["x"], "theme": ["x"], "depth": [1],
                          "n_segments": [40], "n_participants": [pd.NA],
                          "n_participants_total": [12], "share_participants": [3 / 12]})
    found = audit({"code_frequencies": frame})
    assert (found["lower"].iloc[0], found["upper"].iloc[0]) == (3, 3)
    assert "share_participants" in found["relations"].iloc[0]


def test_two_large_hidden_counts_in_a_row_protect_each_other():
    frame = pd.DataFrame({"site": ["A"], "n": [40], "n_answered": [pd.NA],
                          "n_excluded_missing": [pd.NA], "n_consulted": [30],
                          "n_tokenistic": [12]})
    found = audit({"tokenism_rates": frame})
    assert set(found["column"]) == {"n_answered", "n_excluded_missing"}
    assert (found["lower"] == 0).all() and (found["upper"] == 40).all()
    assert not found["disclosed"].any()


def test_a_hidden_count_that_nothing_bounds_is_unbounded():
    frame = pd.DataFrame({"site": ["A"], "n": [pd.NA]})
    found = audit({"tokenism_rates": frame})
    assert found["lower"].iloc[0] == 0 and math.isinf(found["upper"].iloc[0])
    assert not found["disclosed"].any()


def test_relations_of_tables_outside_the_catalogue_are_ignored():
    found, hidden = relations({"not_a_table": pd.DataFrame({"n": [pd.NA]})}, study=STUDY)
    assert found == [] and hidden == []


@pytest.mark.parametrize("zero_counts, expected", [("show", False), ("suppress", True)])
def test_a_count_placed_above_the_threshold_is_not_a_disclosure(zero_counts, expected):
    # n_excluded_missing is exactly 20: a hidden count that is not small tells no small group
    frame = pd.DataFrame({"site": ["A"], "n": [40], "n_answered": [20],
                          "n_excluded_missing": [pd.NA]})
    policy = DisclosurePolicy(zero_counts=zero_counts, min_cell=25)
    found = audit_tables({"tokenism_rates": frame}, policy=policy, study=STUDY)
    assert found["disclosed"].tolist() == [True]
    found = audit_tables({"tokenism_rates": frame}, policy=DisclosurePolicy(
        zero_counts=zero_counts), study=STUDY)
    assert found["disclosed"].tolist() == [False]
    assert expected in (True, False)


@pytest.mark.parametrize(("zero_counts", "disclosed"), [("show", False), ("suppress", True)])
def test_a_hidden_count_of_an_empty_base_tells_nothing_when_zeros_are_shown(zero_counts,
                                                                           disclosed):
    """A site with no staff: its count of staff is hidden with the row, and the released base
    of zero pins it to zero. Zero is a count the policy releases unless zeros are suppressed."""
    released = pd.DataFrame({
        "site": ["B"], "measure": ["tokenism_rate"], "n_staff": [0.0], "n_users": [float("nan")],
        "staff": [float("nan")], "users": [float("nan")], "difference": [float("nan")],
        "ci_low": [float("nan")], "ci_high": [float("nan")], "method": ["newcombe"],
        "non_validated": [True], "n_min": [0.0], "k_staff": [float("nan")],
        "k_users": [float("nan")], "suppressed": [True]})
    policy = DisclosurePolicy(min_cell=5, min_n_for_rates=10, zero_counts=zero_counts)
    found = audit_tables({"perception_gap": released}, policy=policy, study=STUDY)
    staff = cell(found, "perception_gap", "k_staff", "site=B, measure=tokenism_rate")
    assert (staff["lower"], staff["upper"]) == (0, 0)
    assert bool(staff["disclosed"]) is disclosed


def test_groups_attacked_together_keep_their_own_ranges():
    # Two groups of linked cells in one linear program: each cell's range is its group's,
    # and a group whose relations contradict each other does not blank the other's.
    from evalkit.release.audit import Relation, intervals

    a, b, c, d = (("t", i, "n") for i in range(4))
    found = [Relation({a: 1.0, b: 1.0}, -10.0), Relation({a: 1.0}, -3.0),
             Relation({c: 1.0, d: 1.0}, -5.0), Relation({c: -1.0}, 1.0, "le")]
    solved = intervals([a, b, c, d], found, [b, c, d])
    assert solved[b][:2] == (7.0, 7.0)
    assert solved[c][:2] == (1.0, 5.0)
    assert solved[d][:2] == (0.0, 4.0)
    assert solved[c][2] == [2, 3]
    contradicted = [*found, Relation({a: 1.0}, -4.0)]
    solved = intervals([a, b, c, d], contradicted, [b, c])
    assert math.isnan(solved[b][0])
    assert solved[c][:2] == (1.0, 5.0)
