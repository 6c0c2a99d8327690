"""The committed demo study (``data_samples/demo``) is what its generator writes, skip logic
included: the questions asked of a subset are declared in both, and its item response counts
them as not asked, checked against the files read with pandas."""

import re
import warnings

import pandas as pd
import pytest
import yaml

from evalkit.datasets import make_demo_study
from evalkit.validate.study import validate_study


def _regenerate_arguments(readme: str) -> dict:
    """The ``make_demo_study`` keyword arguments the demo's README gives."""
    call = re.search(r'make_demo_study\("data_samples/demo", (.*)\)', readme).group(1)
    return {k: int(v) for k, v in (part.split("=") for part in call.split(", "))}


def test_the_committed_demo_is_what_the_generator_writes(project_root, tmp_path):
    demo = project_root / "data_samples" / "demo"
    args = _regenerate_arguments((demo / "README.md").read_text(encoding="utf-8"))
    make_demo_study(tmp_path / "demo", **args)
    committed = sorted(p.name for p in demo.iterdir())
    assert committed == sorted(p.name for p in (tmp_path / "demo").iterdir())
    for name in committed:
        assert (demo / name).read_bytes() == (tmp_path / "demo" / name).read_bytes(), (
            f"data_samples/demo/{name} differs from the generator's: regenerate the demo as its "
            "README says")


def test_the_demo_declares_who_is_asked_what(project_root):
    book = yaml.safe_load((project_root / "data_samples" / "demo" / "codebook.yaml")
                          .read_text(encoding="utf-8"))["variables"]
    asked = {name: var.get("asked_if") for name, var in book.items()}
    users = {"variable": "respondent_type", "values": ["user"]}
    assert all(asked[name] == users for name in asked if name.startswith(("tp_", "net_")))
    assert all(asked[name] == {"variable": "respondent_type", "values": ["user", "carer"]}
               for name in asked if name.startswith("wb_") or name == "hours_support")
    assert all(asked[name] is None for name in asked if name.startswith("inv_"))


@pytest.fixture(scope="module")
def demo_raw(project_root) -> pd.DataFrame:
    demo = project_root / "data_samples" / "demo"
    w1 = pd.read_csv(demo / "survey_w1.csv", sep=";", encoding="cp1252", dtype=str)
    w2 = pd.read_spss(demo / "survey_w2.sav", convert_categoricals=False)
    w2 = w2.astype(object).where(w2.notna(), None)
    return pd.concat([w1, w2.astype({"respondent_type": str})], ignore_index=True)


def test_the_demo_outcomes_not_asked_of_carers_and_staff_are_not_non_response(project_root,
                                                                                   demo_raw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo's marked key
        report = validate_study(project_root / "data_samples" / "demo")
    table = report.item_response().set_index("variable")
    not_user = (demo_raw["respondent_type"] != "user").to_numpy()
    staff = (demo_raw["respondent_type"] == "staff").to_numpy()
    for item in ("tp_safe", "tp_say", "tp_symptoms"):
        blank = demo_raw[item].isna().to_numpy()
        assert table.loc[item, "n_not_asked"] == (not_user & blank).sum() > 500
        assert table.loc[item, "n_no_answer"] == (~not_user & blank).sum()
        assert table.loc[item, "share_no_answer"] < 0.05  # was about 39 % without skip logic
    blank = demo_raw["wb_1"].isna().to_numpy()
    assert table.loc["wb_1", "n_not_asked"] == (staff & blank).sum() > 100
    assert table.loc["wb_1", "n_no_answer"] == (~staff & blank).sum()
    assert "answered_not_asked" not in set(report.problems["rule"])
