"""The release check reads the numbers sentences show (the brief in HTML and Word, notebook
outputs), each marked with the released cell it comes from or with how it is derived from
released cells, and holds them against the released tables."""

from __future__ import annotations

import datetime as dt
import json
from html import escape
from pathlib import Path

import pandas as pd
import pytest

from evalkit.present._text import (
    distinct_origin,
    marked,
    marked_html,
    origin,
    plain,
    spans,
    sum_origin,
)
from evalkit.present.brief import Brief
from evalkit.present.document import Bullets, Paragraph, Part
from evalkit.present.writers import write_brief_docx, write_brief_html
from evalkit.release.disclosure import check_disclosure
from evalkit.release.shown import docx_cells, html_cells, shown_findings

#: A released table with a hidden row (site C) in a study whose site column is ``centre``.
RELEASED = pd.DataFrame({
    "centre": ["A", "B", "C"], "n": ["40", "35", ""],
    "n_consulted": ["30", "25", ""], "n_tokenistic": ["12", "10", ""],
    "rate": ["0.4", "0.4", ""], "ci_low": ["0.25", "0.23", ""], "ci_high": ["0.57", "0.59", ""],
    "suppressed": ["False", "False", "True"]})
STUDY = {"site": "centre"}
TABLE = "tokenism_rates"


def _sentences(lang: str, *, summed: str = "AB") -> list[str]:
    """Sentences as the brief writes them: a count and a rate of one row, a sum over rows
    (``summed``), a count of sites, and a year and a level that come from no table."""
    a = {"centre": "A"}
    n = {"fr": ("30", "40\u00a0%", "75", "3"), "en": ("30", "40%", "75", "3")}[lang]
    total = sum_origin(TABLE, "n", [{"centre": s} for s in summed])
    if lang == "fr":
        return [f"Parmi les {marked(n[0], origin(TABLE, a, 'n_consulted'))} usagers consultés "
                f"du site A en 2026, {marked(n[1], origin(TABLE, a, 'rate'))} disent que leur "
                "avis n'a rien changé (IC à 95\u00a0%).",
                f"Nous avons interrogé {marked(n[2], total)} personnes dans "
                f"{marked(n[3], distinct_origin(TABLE, 'centre'))} sites."]
    return [f"Of the {marked(n[0], origin(TABLE, a, 'n_consulted'))} users consulted at site A "
            f"in 2026, {marked(n[1], origin(TABLE, a, 'rate'))} say their view changed nothing "
            "(95% CI).",
            f"We surveyed {marked(n[2], total)} people at "
            f"{marked(n[3], distinct_origin(TABLE, 'centre'))} sites."]


def _brief(lang: str, *, summed: str = "AB") -> Brief:
    first, second = _sentences(lang, summed=summed)
    part = Part(key="summary", title="Résumé", blocks=[Paragraph(first), Bullets((second,))])
    return Brief(lang=lang, study="s", title="Étude", subtitle="", run_date=dt.date(2026, 1, 1),
                 parts=[part], messages=[], budget={})


def _write(folder: Path, *, summed: str = "AB") -> None:
    for lang in ("fr", "en"):
        write_brief_html(_brief(lang, summed=summed), folder / "brief" / f"brief.{lang}.html")
        write_brief_docx(_brief(lang, summed=summed), folder / "brief" / f"brief.{lang}.docx")
    # A notebook's sentence as the Session shows it (its text helpers mark numbers the same way).
    html = "".join(f"<div lang='{g}'><p>{marked_html(escape(s))}</p></div>"
                   for g in ("fr", "en") for s in _sentences(g, summed=summed))
    notebook = {"cells": [{"cell_type": "code", "source": "nb.text('nb.x')", "metadata": {},
                           "outputs": [{"output_type": "display_data", "metadata": {},
                                        "data": {"text/html": html}}]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "notebooks").mkdir(exist_ok=True)
    (folder / "notebooks" / "02.ipynb").write_text(json.dumps(notebook), encoding="utf-8")


@pytest.fixture
def run(tmp_path) -> Path:
    """A released folder: the table, the brief and a notebook whose sentences show it."""
    folder = tmp_path / "run"
    (folder / "tables").mkdir(parents=True)
    RELEASED.to_csv(folder / "tables" / f"{TABLE}.csv", index=False)
    manifest = {"files": {}, "stages": {"prepare": {"study_parameters": STUDY,
                                                    "policy": {"min_cell": 5}}}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _write(folder)
    return folder


def _findings(folder: Path) -> list[tuple[str, str, str, str]]:
    from evalkit.release.audit import read_released

    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return shown_findings(folder, files, read_released(folder), study=STUDY)


def test_marks_travel_through_a_sentence_and_leave_no_trace_in_its_words():
    sentence = _sentences("fr")[1]
    assert plain(sentence) == "Nous avons interrogé 75 personnes dans 3 sites."
    assert [where for _, where in spans(sentence) if where] == [
        {"sum": {"table": TABLE, "column": "n", "rows": [{"centre": "A"}, {"centre": "B"}]}},
        {"distinct": {"table": TABLE, "column": "centre"}}]


def test_every_number_of_a_sentence_names_its_origin_in_html_and_word(run):
    for lang in ("fr", "en"):
        page = (run / "brief" / f"brief.{lang}.html").read_text(encoding="utf-8")
        assert "\ue000" not in page and "\ue001" not in page
        shown = [(c.place, c.text) for c in html_cells(page) if c.place.startswith("text[")]
        word = [(c.place, c.text) for c in docx_cells(run / "brief" / f"brief.{lang}.docx",
                                                      lang=lang)]
        assert [p for p, _ in shown] == [p for p, _ in word] == [
            f"text[1]:{TABLE}:n_consulted", f"text[2]:{TABLE}:rate",
            f"text[3]:sum:{TABLE}:n", f"text[4]:distinct:{TABLE}:centre"]
        assert [t for _, t in shown] == [t for _, t in word]
        assert shown[0][1] == "30" and shown[2][1] == "75"
    # The reader reads the words only: the year and the confidence level carry nothing.
    import docx

    text = "\n".join(p.text for p in docx.Document(str(run / "brief" / "brief.fr.docx"))
                     .paragraphs)
    assert "Parmi les 30 usagers consultés du site A en 2026" in text
    assert _findings(run) == []
    assert check_disclosure(run, update_manifest=False).empty


def test_a_changed_number_in_a_sentence_of_the_html_brief_is_a_finding(run):
    from evalkit.cli import main

    page = run / "brief" / "brief.fr.html"
    text = page.read_text(encoding="utf-8")
    assert text.count(">75</span>") == 1
    page.write_text(text.replace(">75</span>", ">76</span>"), encoding="utf-8")
    assert [(f[0], f[1], f[2]) for f in _findings(run)] == [
        ("brief/brief.fr.html", f"text[3]:sum:{TABLE}:n", "shown_differs")]
    assert main(["check-disclosure", str(run)]) == 1
    findings = check_disclosure(run, update_manifest=False)
    assert findings[["file", "place", "kind"]].values.tolist() == [
        ["brief/brief.fr.html", f"text[3]:sum:{TABLE}:n", "shown_differs"]]


def test_a_changed_count_in_a_sentence_of_the_word_brief_is_a_finding(run):
    import docx

    path = run / "brief" / "brief.en.docx"
    document = docx.Document(str(path))
    runs = [r for p in document.paragraphs for r in p.runs if r.text == "30"]
    assert len(runs) == 1
    runs[0].text = "31"
    document.save(str(path))
    assert [(f[0], f[1], f[2]) for f in _findings(run)] == [
        ("brief/brief.en.docx", f"text[1]:{TABLE}:n_consulted", "shown_differs")]


def test_a_changed_count_of_sites_in_a_notebook_sentence_is_a_finding(run):
    path = run / "notebooks" / "02.ipynb"
    text = path.read_text(encoding="utf-8")
    marker = "tokenism_rates&quot;}'>3</span>"
    assert text.count(marker) == 2
    path.write_text(text.replace(marker, marker.replace(">3<", ">4<"), 1), encoding="utf-8")
    assert [(f[0], f[1], f[2]) for f in _findings(run)] == [
        ("notebooks/02.ipynb", f"cell[0]:output[0]:text[4]:distinct:{TABLE}:centre",
         "shown_differs")]


def test_a_sentence_adding_up_a_hidden_cell_is_a_finding(run):
    _write(run, summed="ABC")  # the sum would carry the hidden count of site C
    found = _findings(run)
    assert {(f[0], f[1], f[2]) for f in found} == {
        (file, f"{prefix}text[{i}]:sum:{TABLE}:n", "shown_hidden")
        for file, prefix, i in [("brief/brief.fr.html", "", 3), ("brief/brief.en.html", "", 3),
                                ("brief/brief.fr.docx", "", 3), ("brief/brief.en.docx", "", 3),
                                ("notebooks/02.ipynb", "cell[0]:output[0]:", 3),
                                ("notebooks/02.ipynb", "cell[0]:output[0]:", 7)]}
    assert all("centre=C" in f[3] for f in found)


def test_a_sentence_showing_a_hidden_cell_is_a_finding(run):
    page = run / "brief" / "brief.en.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("{&quot;centre&quot;:&quot;A&quot;}' data-column='n_consulted'",
                                 "{&quot;centre&quot;:&quot;C&quot;}' data-column='n_consulted'"),
                    encoding="utf-8")
    assert [(f[1], f[2]) for f in _findings(run)] == [
        (f"text[1]:{TABLE}:n_consulted", "shown_hidden")]


def test_a_site_profile_sentence_marks_the_site_rate_it_reads():
    from evalkit.analyse.funnel import funnel_limits
    from evalkit.present.plots import funnel_position

    sites = pd.DataFrame({"site": ["A", "B", "C"], "tokenistic": [12, 30, 9],
                          "consulted": [40, 50, 45]})
    limits = funnel_limits(sites, site="site", numerator="tokenistic", denominator="consulted")
    words = funnel_position(limits, site="B", lang="fr")
    sentence = funnel_position(limits, site="B", lang="fr", table="tokenism_funnel")
    assert plain(sentence) == words  # the same words, the value marked
    level = float(limits.loc[limits["source"] == "site", "level"].min())
    assert [(text, where) for text, where in spans(sentence) if where] == [
        ("60\u00a0%", origin("tokenism_funnel", {"source": "site", "site": "B",
                                                "level": level}, "estimate"))]
    released = limits[limits["source"] == "site"].assign(suppressed=False).astype(str)
    cells = html_cells(f"<p lang='fr'>{marked_html(escape(sentence))}</p>")
    from evalkit.release.shown import _cell_findings, _Released

    known = _Released({"tokenism_funnel": released}, {})
    assert [c.place for c in cells] == ["text[1]:tokenism_funnel:estimate"]
    assert _cell_findings(cells[0], known) == []
    changed = cells[0].__class__(**{**cells[0].__dict__, "text": "61\u00a0%"})
    assert [f[1] for f in _cell_findings(changed, known)] == ["shown_differs"]


def test_a_share_computed_on_the_page_is_computed_again():
    from evalkit.present._text import ratio_origin
    from evalkit.release.shown import _cell_findings, _Released

    known = _Released({TABLE: RELEASED}, STUDY)

    def findings(text: str, sites: str) -> list[str]:
        where = ratio_origin(TABLE, "n_tokenistic", "n_consulted", [{"centre": s} for s in sites])
        cells = html_cells(f"<p lang='fr'>{marked_html(escape(marked(text, where)))} en rouge</p>")
        assert [c.place for c in cells] == [f"text[1]:ratio:{TABLE}:n_tokenistic"]
        return [f[1] for f in _cell_findings(cells[0], known)]

    assert findings("40\u00a0%", "AB") == []  # (12 + 10) / (30 + 25)
    assert findings("41\u00a0%", "AB") == ["shown_differs"]
    assert findings("40\u00a0%", "ABC") == ["shown_hidden"]
