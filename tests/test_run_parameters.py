"""Notebook parameters: read from the ``parameters`` cell with ast, checked before any kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from evalkit.errors import ConfigError, PrivacyError
from evalkit.run import run_study
from evalkit.run.parameters import (
    ParameterError,
    check_parameters,
    guard_secrets,
    looks_like_key,
    notebook_parameters,
    study_key_forms,
)

NOTEBOOKS = Path(__file__).parent / "notebooks"


def _notebook(source: str, tags=("parameters",)) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell])


def test_declarations_give_names_defaults_and_types():
    nb = _notebook(
        "%matplotlib inline\n"
        "study_file = ''\n"
        "seed = 3\n"
        "confidence = 0.9\n"
        "ci = False\n"
        "site = None\n"
        "label: str | None = None\n"
        "weights: 'Optional[float]' = None\n"
        "run_dir: str\n"
        "path = os.getcwd()\n"
        "a = b = 2\n")
    found = notebook_parameters(nb)
    assert list(found) == ["study_file", "seed", "confidence", "ci", "site", "label",
                           "weights", "run_dir", "path", "a", "b"]
    assert found["seed"].types == ("int",) and found["seed"].default == 3
    assert found["confidence"].types == ("float",)
    assert found["ci"].types == ("bool",)
    assert found["site"].types is None  # None without annotation accepts any type
    assert found["label"].types == ("str", "None")
    assert found["weights"].types == ("float", "None")
    assert found["run_dir"].has_default is False and found["run_dir"].line == 9
    assert found["path"].types is None and found["path"].has_default
    assert found["a"].default == 2 and found["b"].types == ("int",)


def test_no_parameters_cell_and_bad_syntax():
    assert notebook_parameters(_notebook("x = 1", tags=())) is None
    with pytest.raises(ConfigError, match=r"not valid Python \(line 2"):
        notebook_parameters(_notebook("x = 1\ny = = 2"))


@pytest.mark.parametrize(("declared", "value", "ok"), [
    ("x = 1", 2, True),
    ("x = 1", True, False),       # a bool is not an int
    ("x = 1", 2.5, False),
    ("x = 0.5", 2, True),         # an int is a float
    ("x = 'a'", 1, False),
    ("x: str | None = None", None, True),
    ("x: str | None = None", 1, False),
    ("x = True", 1, False),
])
def test_type_rules(declared, value, ok):
    found = notebook_parameters(_notebook(declared))
    assert found["x"].accepts(value) is ok


def test_check_names_notebook_parameter_expected_and_got():
    declared = notebook_parameters(_notebook("seed = 1\nthreshold: float\nlang = 'fr'"))
    problems = check_parameters("nb.ipynb", declared, {"seed": "x", "lang": "fr", "ci": True})
    assert [p.key for p in problems] == ["runner.param_type", "runner.param_unknown",
                                         "runner.param_missing"]
    text = ParameterError(problems).render("en")
    assert "3 notebook parameter problem(s)" in text
    assert "nb.ipynb: parameter `seed` (line 1 of the parameters cell): expected int, got " \
           "str 'x'" in text
    assert "nb.ipynb: parameter `ci` is not declared" in text and "type bool" in text
    assert "nb.ipynb: parameter `threshold` (line 2 of the parameters cell) has no default" \
        in text
    assert "problème(s) de paramètres" in ParameterError(problems).render("fr")
    assert check_parameters("nb", declared, {"seed": 2, "threshold": 1.0, "lang": "en"}) == []


def test_missing_parameters_cell_is_a_problem():
    problems = check_parameters("nb", None, {"seed": 1})
    assert [p.key for p in problems] == ["runner.param_no_cell"]


def test_secret_guard(monkeypatch, tmp_path):
    from evalkit.config.study import load_study
    from evalkit.datasets import make_demo_study

    study = load_study(make_demo_study(tmp_path / "s", n_sites=2, n_per_site=20))
    forms = study_key_forms(study)
    key = (tmp_path / "s" / "demo.key").read_text().splitlines()[1]
    assert key in forms and key.upper() in forms
    with pytest.raises(PrivacyError, match="parameter `site` holds the study's key") as info:
        guard_secrets("nb.ipynb", {"site": f"x{key}x"}, key_forms=forms)
    assert key not in info.value.render("en") and key not in info.value.render("fr")
    with pytest.raises(PrivacyError):
        guard_secrets("nb.ipynb", {"site": "a" * 40}, key_forms=[])
    guard_secrets("nb.ipynb", {"site": "Sherbrooke", "seed": 1, "run_dir": ".."},
                  key_forms=forms)
    assert not looks_like_key("/home/ana/etudes/2026-estrie/study.yaml")
    assert looks_like_key("0123456789abcdef0123456789ABCDEF")


def test_key_from_environment(monkeypatch, tmp_path):
    from types import SimpleNamespace

    key = "ab" * 32
    monkeypatch.setenv("EVALKIT_TEST_KEY", key)
    study = SimpleNamespace(privacy=SimpleNamespace(key=SimpleNamespace(env="EVALKIT_TEST_KEY",
                                                                        file=None)))
    assert key in study_key_forms(study)
    monkeypatch.delenv("EVALKIT_TEST_KEY")
    assert study_key_forms(study) == []


@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    from evalkit.datasets import make_demo_study

    return make_demo_study(tmp_path_factory.mktemp("study"), n_sites=2, n_per_site=20)


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail the test if anything tries to execute a notebook."""
    def refuse(*args, **kwargs):
        raise AssertionError("a notebook was about to be executed")

    monkeypatch.setattr("evalkit.run.runner._execute", refuse)
    monkeypatch.setattr("evalkit.run.executors.get_executor", refuse)


@pytest.mark.parametrize(("notebook", "message"), [
    ("bad_unknown", "bad_unknown.ipynb: parameter `ci` is not declared"),
    ("bad_missing", "bad_missing.ipynb: parameter `threshold` (line 8 of the parameters cell) "
                    "has no default"),
    ("bad_type", "bad_type.ipynb: parameter `seed` (line 4 of the parameters cell): expected "
                 "str, got int 20261122"),
])
def test_bad_parameters_stop_the_run_before_any_kernel(study_file, tmp_path, no_kernel,
                                                       notebook, message):
    with pytest.raises(ParameterError) as info:
        run_study(study_file, out=tmp_path / "reports", notebooks=NOTEBOOKS,
                  only=["hello", notebook], lang="fr", stage_overrides={"validate": None})
    assert info.value.exit_code == 2
    assert message in info.value.render("en")
    assert not (tmp_path / "reports").exists()


def test_cli_bad_parameters_exit_2_and_write_nothing(cli, study_file, tmp_path):
    result = cli("run", str(study_file), "--out", str(tmp_path / "r"), "--notebooks",
                 str(NOTEBOOKS), "--only", "bad_type,bad_unknown", "--quiet")
    assert result.returncode == 2, result.stderr
    assert "2 notebook parameter problem(s), found before any kernel started" in result.stderr
    assert "bad_type.ipynb" in result.stderr and "bad_unknown.ipynb" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists()  # refused before any folder was made
