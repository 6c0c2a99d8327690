"""Every broken input of the case table gives its exit code and its message, in English and in
French, with no traceback; the inputs are unchanged and nothing but ``validation.csv`` is
written (nothing at all for a configuration error)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from robustness.base_study import write_base_study
from robustness.cases import CASES, FAULT_CASES, INPUT_CASES, markdown

from evalkit.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return write_base_study(tmp_path_factory.mktemp("base") / "etude").parent


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    from evalkit.prepare.keys import generate_key

    monkeypatch.setenv("EVALKIT_ROBUSTNESS_KEY", generate_key())


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its SHA-256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def validate(study: Path, out: Path, lang: str, capsys) -> tuple[int, str, str]:
    code = main(["--lang", lang, "validate", str(study), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_base_study_is_clean(base, tmp_path, capsys):
    code, out, err = validate(base, tmp_path / "v.csv", "en", capsys)
    assert (code, err) == (0, "") and "No problem found." in out, out


def test_there_are_at_least_sixty_cases_of_every_kind():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    groups = {c.group for c in INPUT_CASES}
    assert groups == {"study.yaml", "codebook", "CSV", "XLSX", "SPSS", "population", "partners"}
    faults = {c.id for c in FAULT_CASES}
    assert {"kernel_killed", "parent_killed", "cell_timeout", "disk_full", "read_only_out",
            "ctrl_c", "two_runs", "resume_truncated_manifest"} <= faults


@pytest.mark.parametrize("case", INPUT_CASES, ids=[c.id for c in INPUT_CASES])
def test_broken_input(case, base, tmp_path, capsys):
    study = tmp_path / "etude"
    shutil.copytree(base, study)
    case.mutate(study)
    before = tree(tmp_path)
    out = tmp_path / "sortie" / "validation.csv"
    out.parent.mkdir()
    code, stdout, stderr = validate(study, out, "en", capsys)
    assert code == case.exit, stdout + stderr
    assert "Traceback" not in stderr and "Unexpected error" not in stderr
    said = stderr if case.exit == 2 else stdout
    assert case.words in said, said
    after = tree(tmp_path)
    assert {k: after.get(k) for k in before} == before, "an input file changed"
    written = set(after) - set(before)
    assert written == (set() if case.exit == 2 else {"sortie/validation.csv"}), written
    if case.exit == 2:
        assert not out.exists()
    else:
        problems = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if case.rule:
            found = problems[problems["rule"] == case.rule]
            assert len(found), problems.to_string()
            assert any(case.words in m for m in found["message_en"]) or case.words in stdout
    code_fr, stdout_fr, stderr_fr = validate(study, out, "fr", capsys)
    assert code_fr == case.exit
    french = stderr_fr if case.exit == 2 else stdout_fr
    if case.fr:
        assert case.fr in french, french
    # French says its places in French
    assert not re.search(r", (line|row|column) \d", french), french


def test_the_documentation_lists_every_case():
    page = (ROOT / "docs" / "robustness.md").read_text(encoding="utf-8")
    assert page == markdown(), ("docs/robustness.md is out of step with the cases: "
                                "python tests/robustness/cases.py > docs/robustness.md")
