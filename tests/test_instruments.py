"""The instrument registry: shipped definitions, loading from files and dicts, and clear
configuration errors (file, line, key, expected, found) in both languages."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest
from pydantic import ValidationError

from evalkit import ConfigError
from evalkit.config.instruments import (
    Instrument,
    instrument_from_dict,
    list_instruments,
    load_instrument,
)

SHIPPED = ["ascof_1a", "likert", "swemwbs", "wemwbs"]


def test_shipped_instruments_are_listed():
    table = list_instruments()
    assert table["name"].tolist() == SHIPPED
    n_items = table.set_index("name")["n_items"]
    assert pd.isna(n_items["likert"])
    assert n_items.drop("likert").to_dict() == {"ascof_1a": 8, "swemwbs": 7, "wemwbs": 14}
    assert table.set_index("name")["conversion"].to_dict() == {
        "ascof_1a": False, "likert": False, "swemwbs": True, "wemwbs": False}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_instrument_has_licence_and_source_but_no_wording(name):
    inst = load_instrument(name)
    assert inst.licence and inst.source and inst.source.citation
    assert inst.title.fr and inst.title.en
    if name != "likert":
        assert inst.source.doi and inst.source.doi.startswith("10.")
        # Items are keys (identifiers), never question text.
        assert all(key.replace("_", "").isalnum() and len(key) < 25 for key in inst.items)


def test_published_facts_of_the_shipped_instruments():
    swemwbs, wemwbs, ascof = (load_instrument(n) for n in ("swemwbs", "wemwbs", "ascof_1a"))
    assert (len(swemwbs.items), swemwbs.range.min, swemwbs.range.max) == (7, 1, 5)
    assert swemwbs.min_answered == "all" and not swemwbs.prorate and not swemwbs.reverse
    assert min(swemwbs.conversion.table) == 7 and max(swemwbs.conversion.table) == 35
    assert (len(wemwbs.items), wemwbs.score, wemwbs.min_answered) == (14, "sum", "all")
    assert len(ascof.items) == 8 and ascof.min_answered == "all"
    assert ascof.response_scores == {1: 3, 2: 2, 3: 1, 4: 0}
    likert = load_instrument("likert")
    assert (likert.items, likert.score, likert.min_answered) == (None, "mean", 0.5)


def test_required_items_round_proportions_up():
    likert = load_instrument("likert")
    assert [likert.required(k) for k in (1, 2, 3, 4, 5, 7)] == [1, 1, 2, 2, 3, 4]
    assert load_instrument("swemwbs").required(7) == 7


def test_instruments_are_immutable():
    with pytest.raises(ValidationError):
        load_instrument("swemwbs").score = "mean"


def test_load_from_a_yaml_file(tmp_path):
    path = tmp_path / "involvement.yaml"
    path.write_text(textwrap.dedent("""\
        name: involvement
        items: [inv_1, inv_2, inv_3]
        range: [1, 4]
        reverse: [inv_2]
        score: mean
        min_answered: 2
        licence: Study's own items (CC BY 4.0).
        source: {citation: "Our protocol, 2026."}
    """))
    inst = load_instrument(path)
    assert inst.name == "involvement" and inst.reverse == ["inv_2"]
    assert load_instrument(str(path)) == inst


def test_extends_a_shipped_definition():
    inst = instrument_from_dict({"extends": "likert", "name": "trust", "range": {"min": 0,
                                                                                 "max": 10}})
    assert (inst.name, inst.range.max, inst.score, inst.min_answered) == ("trust", 10, "mean",
                                                                          0.5)
    assert inst.licence == load_instrument("likert").licence


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ConfigError) as err:
        load_instrument("swembws")
    assert "unknown instrument 'swembws'; shipped instruments: ascof_1a, likert, swemwbs, " \
           "wemwbs" in str(err.value)
    assert "instruments fournis" in err.value.render("fr")
    assert err.value.exit_code == 2


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the instrument definition"):
        load_instrument(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml, line 2: invalid YAML syntax"):
        load_instrument(broken)
    bomb = tmp_path / "bomb.yaml"  # the same limits as study.yaml: aliases of aliases refused
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}' if i > 1 else '*a'] * 10)}]\n"
        for i in range(1, 8)))
    with pytest.raises(ConfigError, match="expand to more than 1,000,000 values"):
        load_instrument(bomb)


def test_schema_errors_are_all_listed_with_line_key_expected_and_found(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""\
        name: bad
        items: [a, b, c]
        range: {min: 1, max: 5}
        score: median
        min_answered: lots
        wording: "How often do you ..."
    """))
    with pytest.raises(ConfigError) as err:
        load_instrument(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ")
    assert "line 4, `score`: expected one of 'sum' or 'mean', got 'median'" in text
    assert "line 5, `min_answered`" in text and "got 'lots'" in text
    assert "line 6, `wording`: expected a known key (this one is not part of the schema)" in text
    french = err.value.render("fr")
    assert "ligne 6, `wording` : attendu une clé connue" in french
    assert "docs/instruments.md" in text


@pytest.mark.parametrize(("change", "fragment"), [
    ({"reverse": ["x9"]}, "`reverse`: expected keys listed in `items` (a, b, c), got x9"),
    ({"items": ["a", "a", "c"]}, "`items`: expected each item key once (repeated), got a"),
    ({"range": [5, 1]}, "`range`: expected a minimum below the maximum, got min 5, max 1"),
    ({"min_answered": 4}, "`min_answered`: expected a number of items from 1 to 3, got 4"),
    ({"min_answered": 1.5}, "`min_answered`: expected a proportion above 0 and at most 1"),
    ({"min_answered": 2, "score": "sum"}, "`min_answered`: expected `all` for a sum that is "
                                          "not prorated"),
    ({"prorate": True, "score": "mean"}, "`prorate`: expected prorate only with score: sum"),
    ({"subscales": {"s": {"items": ["a", "z"]}}}, "`subscales.s.items`: expected keys listed"),
    ({"subscales": {"Bad Name": {"items": ["a"]}}}, "`subscales.Bad Name`: expected an "
                                                    "identifier"),
    ({"response_scores": {1: 2, 2: 1}, "range": [1, 3]},
     "`response_scores`: expected a score for every answer value 1–3 (lacking), got 3"),
    ({"response_scores": {1: 2, 2: 1, 3: 0, 7: 0}, "range": [1, 3]},
     "`response_scores`: expected answer values within 1–3, got 7"),
    ({"score": "sum", "conversion": {"table": {3: 0, 4: 10, 5: 20}}},
     "`conversion.table`: expected a converted score for every raw score 3–15 (lacking), got 6"),
    ({"score": "sum", "conversion": {"table": {v: 15 - v for v in range(3, 16)}}},
     "`conversion.table`: expected converted scores that never decrease"),
    ({"name": "Has Spaces"}, "`name`: expected an identifier"),
    ({"title": {"fr": "Titre"}}, "`title.en`: expected a value (this key is required), got —"),
])
def test_consistency_rules(change, fragment):
    base = {"name": "demo", "items": ["a", "b", "c"], "range": [1, 5], "score": "mean"}
    with pytest.raises(ConfigError) as err:
        instrument_from_dict({**base, **change}, where="study.yaml: measures.scales.demo")
    assert str(err.value).startswith("study.yaml: measures.scales.demo: ")
    assert fragment in str(err.value)


def test_generic_instruments_cannot_name_items():
    with pytest.raises(ConfigError, match="`reverse`: expected no item keys, since the "
                                          "instrument has no `items` list, got q3"):
        instrument_from_dict({"extends": "likert", "reverse": ["q3"]})


def test_inline_definition_must_be_a_mapping_and_extend_a_shipped_instrument():
    with pytest.raises(ConfigError, match="expected a mapping of keys to values, got list"):
        instrument_from_dict(["swemwbs"])
    with pytest.raises(ConfigError, match="`extends`: expected one of ascof_1a, likert"):
        instrument_from_dict({"extends": "phq9"})


def test_an_instrument_object_passes_through_scoring_unchanged():
    inst = Instrument(name="pair", items=["a", "b"], range={"min": 0, "max": 1}, score="sum")
    assert inst.required(2) == 2 and inst.item_range("a").max == 1
