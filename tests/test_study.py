"""The study model: located, bilingual errors; paths relative to study.yaml; JSON Schema."""

import json
from pathlib import Path

import pytest

from evalkit import ConfigError
from evalkit.config._model import StudyConfigError
from evalkit.config.study import load_study, study_json_schema

MINIMAL = """\
study: test-study
title: {fr: "Étude", en: "Study"}
sources:
  survey: [{path: data/survey.csv}]
codebook: codebook.yaml
roles: {id: rid, site: site}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_study_gets_documented_defaults(tmp_path):
    study = load_study(write(tmp_path, MINIMAL))
    assert study.study == "test-study"
    assert study.languages == ["fr", "en"]
    assert study.privacy.min_cell == 5
    assert study.privacy.min_n_for_rates == 10
    assert study.parameters.confidence == 0.95
    assert study.title["fr"] == "Étude"


def test_paths_resolve_relative_to_study_yaml(tmp_path):
    sub = tmp_path / "deep" / "folder"
    sub.mkdir(parents=True)
    study = load_study(write(sub, MINIMAL))
    assert study.resolve(study.sources.survey[0].path) == sub.resolve() / "data" / "survey.csv"
    assert study.resolve(study.codebook_file) == sub.resolve() / "codebook.yaml"
    # The folder itself is accepted in place of the file.
    assert load_study(sub).root == sub.resolve()


def test_error_names_file_line_key_expected_and_found(tmp_path):
    text = MINIMAL + "privacy:\n  min_cell: five\n"
    with pytest.raises(StudyConfigError) as info:
        load_study(write(tmp_path, text))
    rendered = info.value.render("en")
    assert "study.yaml, line 8, `privacy.min_cell`: must be an integer ≥ 1, got 'five'" in rendered
    assert "ligne 8, `privacy.min_cell` : doit être un entier ≥ 1, reçu 'five'" in \
        info.value.render("fr")
    assert info.value.exit_code == 2


def test_a_column_in_two_roles_is_located_at_the_second_role(tmp_path):
    text = MINIMAL.replace("roles: {id: rid, site: site}",
                           "roles:\n  id: rid\n  site: site\n  wave: wave\n  group: site")
    with pytest.raises(StudyConfigError) as info:
        load_study(write(tmp_path, text))
    assert info.value.render("en").splitlines()[1].strip() == (
        "study.yaml, line 10, `roles.group`: one column plays several roles: site")
    assert "study.yaml, ligne 10, `roles.group` : une même colonne joue plusieurs rôles" in \
        info.value.render("fr")


def test_every_problem_is_reported_at_once(tmp_path):
    text = MINIMAL.replace("study: test-study", "study: 'bad id!'") + (
        "privacy:\n  min_cell: 0\n  colour: red\nparameters: {confidence: 1.5}\n")
    with pytest.raises(StudyConfigError) as info:
        load_study(write(tmp_path, text))
    keys = [p.key for p in info.value.problems]
    assert keys == ["study", "privacy.min_cell", "privacy.colour", "parameters.confidence"]
    lines = [p.line for p in info.value.problems]
    assert lines == [1, 8, 9, 10]
    unknown = info.value.problems[2]
    assert "unknown key" in unknown.message_en and "min_n_for_rates" in unknown.message_en


def test_missing_required_key_points_at_its_parent(tmp_path):
    text = MINIMAL.replace("roles: {id: rid, site: site}\n", "roles: {id: rid}\n")
    with pytest.raises(StudyConfigError) as info:
        load_study(write(tmp_path, text))
    (problem,) = info.value.problems
    assert (problem.key, problem.line, problem.message_en) == ("roles.site", 6,
                                                               "required key is missing")


def test_duplicate_key_is_refused_with_both_lines(tmp_path):
    text = MINIMAL + "codebook: other.yaml\n"
    with pytest.raises(ConfigError, match=r"line 7.*`codebook` appears twice \(first at line 5\)"):
        load_study(write(tmp_path, text))


def test_yaml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match=r"study.yaml, line \d+: invalid YAML syntax"):
        load_study(write(tmp_path, MINIMAL + "roles: [unclosed\n"))


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_study(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="must hold keys"):
        load_study(write(tmp_path, "- a\n- b\n"))


def test_roles_must_be_distinct_columns(tmp_path):
    text = MINIMAL.replace("{id: rid, site: site}", "{id: rid, site: rid}")
    with pytest.raises(StudyConfigError, match="one column plays several roles: rid"):
        load_study(write(tmp_path, text))


def test_key_source_is_env_or_file_not_both(tmp_path):
    text = MINIMAL + "privacy:\n  key: {env: K, file: /k}\n"
    with pytest.raises(StudyConfigError, match="either env"):
        load_study(write(tmp_path, text))


def test_outcome_groups_must_use_listed_items(tmp_path):
    text = MINIMAL + ("measures:\n  outcomes:\n    items: [a, b]\n    met_at: 3\n"
                      "    groups: {g: [a, zz]}\n")
    with pytest.raises(StudyConfigError, match="group 'g' names items missing"):
        load_study(write(tmp_path, text))


def test_hash_of_the_file_is_kept(tmp_path):
    import hashlib

    path = write(tmp_path, MINIMAL)
    assert load_study(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_json_schema_describes_every_top_level_key():
    schema = study_json_schema()
    assert set(schema["properties"]) == {
        "study", "title", "languages", "sources", "codebook", "roles", "waves", "measures",
        "privacy", "parameters", "report"}
    assert set(schema["required"]) == {"study", "title", "sources", "codebook", "roles"}
    json.dumps(schema)


def test_schema_command_prints_valid_json(cli):
    result = cli("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "evalkit study.yaml"
    result = cli("schema", "codebook")
    assert "variables" in json.loads(result.stdout)["properties"]


# -- one definition each: the disclosure policy, the codebook, the baseline wave ----------------
CODEBOOK = """\
variables:
  rid: {type: id, label: {fr: Id, en: Id}}
  site: {type: category, label: {fr: Site, en: Site}, values: {A: {fr: A, en: A}}}
  vague:
    type: category
    label: {fr: Vague, en: Wave}
    values: {T2: {fr: Suivi, en: Follow-up}, T1: {fr: Début, en: Start}}
"""


def test_the_privacy_section_is_the_disclosure_policy(tmp_path):
    from evalkit import DisclosurePolicy
    from evalkit.release.suppress import DisclosurePolicy as released
    from evalkit.release.suppress import as_policy

    study = load_study(write(tmp_path, MINIMAL + "privacy: {min_cell: 7, zero_counts: suppress}\n"))
    assert DisclosurePolicy is released
    assert isinstance(study.privacy, DisclosurePolicy)
    assert as_policy(study) is study.privacy and as_policy(study.privacy) is study.privacy
    assert (study.privacy.min_cell, study.privacy.min_n_for_rates) == (7, 10)
    # The model's fields and the policy's are the same fields, not copies.
    assert set(DisclosurePolicy.model_fields) < set(type(study.privacy).model_fields)


def test_the_codebook_is_parsed_once_per_study(tmp_path, monkeypatch):
    import evalkit.config.study as module

    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    calls = []
    parse = module.load_codebook
    monkeypatch.setattr(module, "load_codebook", lambda path: calls.append(path) or parse(path))
    study = load_study(write(tmp_path, MINIMAL))
    assert calls == []  # parsed when first needed
    assert study.codebook is study.codebook
    assert study.codebook.names == ["rid", "site", "vague"]
    assert calls == [tmp_path.resolve() / "codebook.yaml"]


def test_the_baseline_wave_has_one_definition(tmp_path):
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    with_wave = MINIMAL.replace("{id: rid, site: site}", "{id: rid, site: site, wave: vague}")
    declared = load_study(write(tmp_path, with_wave + "waves: {baseline: T2}\n"))
    assert declared.baseline_wave(["T1"]) == "T2"
    # Without waves:, the codebook's first wave (in the codebook's order, not sorted).
    assert load_study(write(tmp_path, with_wave)).baseline_wave(["T1"]) == "T2"
    # Without a declared value set, the smallest value seen (numbers first, 1.0 is wave 1).
    (tmp_path / "codebook.yaml").write_text(
        CODEBOOK.replace("values: {T2: {fr: Suivi, en: Follow-up}, T1: {fr: Début, en: Start}}",
                         "values: w").replace("variables:", "value_sets: {w: {}}\nvariables:"),
        encoding="utf-8")
    study = load_study(write(tmp_path, with_wave))
    assert study.baseline_wave([3.0, 2.0, None, float("nan")]) == 2
    assert study.baseline_wave(["t2", "t1"]) == "t1"
    assert study.baseline_wave() is None
