"""Validation: every problem collected, located as the user sees it, bilingual, inputs untouched."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evalkit.cli import main
from evalkit.datasets import make_demo_study, simulate_responses
from evalkit.datasets.demo import LADDER_ITEMS, OUTCOME_ITEMS
from evalkit.validate.study import PROBLEM_COLUMNS, validate_study

BROKEN = Path(__file__).parent / "broken_studies"
#: A key for the studies whose key is in EVALKIT_KEY (a test value, not a secret).
TEST_KEY = "5e" * 32
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expected.yaml").is_file())


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_there_are_at_least_fifteen_broken_studies():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_broken_study_gives_its_message_and_exit_code(case, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVALKIT_LANG", "en")
    # The broken studies are copies of the template, whose key is in EVALKIT_KEY.
    monkeypatch.setenv("EVALKIT_KEY", TEST_KEY)
    expected = yaml.safe_load((BROKEN / case / "expected.yaml").read_text(encoding="utf-8"))
    before = tree_digest(BROKEN / case)
    out = tmp_path / "validation.csv"
    code = main(["validate", str(BROKEN / case / "study.yaml"), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == expected["exit_code"], captured.err + captured.out
    assert "Traceback" not in captured.err
    assert tree_digest(BROKEN / case) == before  # inputs never modified
    if "message" in expected:  # configuration problems: printed, nothing written
        assert expected["message"] in captured.err
        assert not out.exists()
        return
    problems = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(problems.columns) == PROBLEM_COLUMNS
    if "n_problems" in expected:
        assert len(problems) == expected["n_problems"]
    want = {k: str(v) for k, v in expected["problem"].items()}
    matching = problems[(problems[list(want)] == pd.Series(want)).all(axis=1)]
    assert len(matching) >= 1, problems.to_string()
    assert want["rule"] in captured.out


def test_demo_study_validates_and_round_trips_through_its_messy_files(tmp_path):
    study = make_demo_study(tmp_path / "demo", n_sites=3, n_per_site=40, seed=9)
    report = validate_study(study)
    assert report.n_errors == 0, report.render_text()
    drawn = simulate_responses(n_sites=3, n_per_site=40, seed=9).responses
    got = report.responses
    assert len(got) == len(drawn)
    assert set(got["source"]) == {"survey_w1.csv", "survey_w2.sav"}
    # Numbers, decimal commas, cp1252 accents, day-first dates, SPSS values: all as drawn.
    for column in [*LADDER_ITEMS, *OUTCOME_ITEMS, "hours_support", "net_paid"]:
        expected = drawn[column]
        if column in LADDER_ITEMS:  # codes 8 and 9 are missing codes there
            expected = expected.where(~expected.isin([8, 9]))
        np.testing.assert_allclose(got[column].to_numpy(float), expected.to_numpy(float),
                                   err_msg=column)
    assert got["comment"].fillna("").tolist() == drawn["comment"].fillna("").tolist()
    assert (got["response_date"] == drawn["response_date"]).all()
    assert got["wave"].tolist() == drawn["wave"].tolist()


def test_missing_codes_stay_distinguishable(tmp_path):
    study = make_demo_study(tmp_path / "demo", n_sites=2, n_per_site=60, seed=4)
    report = validate_study(study)
    drawn = simulate_responses(n_sites=2, n_per_site=60, seed=4).responses
    for code in (8, 9):
        expected = int((drawn[LADDER_ITEMS] == code).to_numpy().sum())
        got = int((report.missing["code"].astype(float) == code).sum())
        assert got == expected > 0
    row = report.missing.iloc[0]
    assert report.responses[row["variable"]].isna().iloc[row["row"]]


def test_every_problem_is_collected_not_the_first(tmp_path):
    study = shutil.copytree(BROKEN / "data_wrong_type", tmp_path / "s")
    w2 = study / "data" / "survey_w2.csv"
    w2.write_text(w2.read_text(encoding="utf-8").replace(",A,2,", ",Z,2,", 1), encoding="utf-8")
    report = validate_study(study / "study.yaml")
    assert set(report.problems["rule"]) >= {"wrong_type", "out_of_codebook"}
    assert set(report.problems["source"]) == {"data/survey_w1.csv", "data/survey_w2.csv"}


def test_identifying_values_are_masked(tmp_path):
    report = validate_study(BROKEN / "data_duplicate_id_wave" / "study.yaml")
    dup = report.problems[report.problems["rule"] == "duplicate_id_wave"]
    assert set(dup["value"]) == {"***"}
    raw_ids = pd.read_csv(BROKEN / "data_duplicate_id_wave" / "data" / "survey_w1.csv")
    text = report.problems.to_csv()
    assert not any(rid in text for rid in raw_ids["respondent_id"])


def test_json_summary(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EVALKIT_KEY", TEST_KEY)
    code = main(["validate", str(BROKEN / "data_value_out_of_codebook"), "--format", "json",
                 "--out", str(tmp_path / "v.csv")])
    payload = json.loads(capsys.readouterr().out)
    assert code == 1
    assert payload["errors"] == 1 and payload["ok"] is False
    assert payload["summary"][0]["rule"] == "out_of_codebook"
    assert payload["run_problems"] == []
    assert {s["path"] for s in payload["sources"]} >= {"data/survey_w1.csv"}
    assert all(len(s["sha256"]) == 64 for s in payload["sources"])


def test_french_messages(capsys, tmp_path):
    main(["--lang", "fr", "validate", str(BROKEN / "data_value_out_of_codebook"),
          "--out", str(tmp_path / "v.csv")])
    out = capsys.readouterr().out
    assert "« 7 » n'est pas une valeur permise pour tp_safe" in out
    assert "1 erreur(s), 0 avertissement(s)." in out


def test_cli_exit_codes_and_no_traceback(cli, tmp_path):
    key = {"EVALKIT_KEY": TEST_KEY}
    ok = cli("validate", str(BROKEN / "data_follow_up_without_baseline"), "--out",
             str(tmp_path / "a.csv"), env=key)
    assert ok.returncode == 0
    data = cli("validate", str(BROKEN / "data_wrong_type"), "--out", str(tmp_path / "b.csv"),
               env=key)
    assert data.returncode == 1 and (tmp_path / "b.csv").is_file()
    config = cli("validate", str(BROKEN / "config_unknown_key"), "--out",
                 str(tmp_path / "c.csv"))
    assert config.returncode == 2 and "Traceback" not in config.stderr
    debug = cli("--debug", "validate", str(BROKEN / "config_unknown_key"))
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    usage = cli("validate")
    assert usage.returncode == 2


def test_new_template_validates(cli, tmp_path):
    made = cli("new", str(tmp_path / "Mon Étude"))
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "Mon Étude" / "study.yaml").read_text(encoding="utf-8")
    assert "study: mon-etude" in text and text.count("#") > 20  # commented
    checked = cli("validate", str(tmp_path / "Mon Étude"), "--out", str(tmp_path / "v.csv"),
                  env={"EVALKIT_KEY": TEST_KEY})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    again = cli("new", str(tmp_path / "Mon Étude"))
    assert again.returncode == 2 and "already exists" in again.stderr
