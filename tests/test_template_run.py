"""The study `evalkit new` writes runs as a new user runs it (new → keygen → validate → run):
every notebook succeeds, and what the template's data cannot support (two sites, no
interviews, no network) is said on every page instead of failing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template_run(tmp_path_factory):
    from conftest import run_cli

    root = tmp_path_factory.mktemp("template")
    # From the user's folder: what the commands write beside it stays in the test's folder.
    assert run_cli("new", "study", cwd=root).returncode == 0
    key = run_cli("keygen", cwd=root).stdout.strip()
    env = {"EVALKIT_KEY": key, "CI": "true"}  # CI: fewer bootstrap resamples
    assert run_cli("validate", "study/study.yaml", cwd=root, env=env).returncode == 0
    done = run_cli("run", "study/study.yaml", "--out", "reports", cwd=root, env=env,
                   timeout=1200)
    runs = sorted(p for p in (root / "reports" / "study").glob("2*") if p.is_dir())
    return done, runs[-1] if runs else None


def test_every_notebook_of_the_template_succeeds(template_run):
    done, run_dir = template_run
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    statuses = {r["key"]: r["status"] for r in manifest["notebooks"]}
    assert len(statuses) == 8 and set(statuses.values()) == {"ok"}, statuses
    absent = {r["table"] for r in manifest["stages"]["prepare"]["absent"]}
    assert {"tokenism_funnel", "code_frequencies", "traffic_light"} <= absent


def _text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html,
                                          flags=re.S))


def test_pages_say_why_a_table_is_not_computed(template_run):
    _, run_dir = template_run
    funnel = {"fr": "Non calculé : trop peu de sites à comparer (2 ; il en faut au moins 3)",
              "en": "Not computed: too few sites to compare (2; at least 3 are needed)"}
    for lang, sentence in funnel.items():
        for page in ("02_involvement_tokenism", "05_cross_site", "site_profile.A"):
            text = _text(run_dir / "html" / f"{page}.{lang}.html").replace("\u00a0", " ")
            text = text.replace("\u202f", " ")
            assert sentence in text, (page, lang)
        text = _text(run_dir / "html" / f"04_qualitative.{lang}.html")
        assert "sources.interviews" in text, lang
    index = _text(run_dir / "index.html")
    assert "Tableaux non calculés" in index and "measures.network" in index


def test_no_prose_prints_a_dash_interval_or_no_interviews(template_run):
    _, run_dir = template_run
    pages = [*sorted((run_dir / "html").glob("*.html")), *sorted((run_dir / "brief").glob(
        "*.html"))]
    assert len(pages) == 18
    for page in pages:
        text = _text(page).replace("\u00a0", " ").replace("\u202f", " ")
        assert not re.search(r"– (à|to) –", text), page.name
        assert not re.search(r"\b0 (entrevues|interviews)\b", text), page.name
