"""The release check reads the numbers pages, the brief (HTML and Word) and notebook outputs
show, and holds them against the released tables."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from evalkit.present import tables as tb
from evalkit.present.brief import Brief
from evalkit.present.document import Part
from evalkit.present.writers import write_brief_docx, write_brief_html
from evalkit.release.disclosure import check_disclosure
from evalkit.release.shown import docx_cells, html_cells, shown_findings, shown_numbers

#: A released table with a hidden row (site C) in a study whose site column is ``centre``.
RELEASED = pd.DataFrame({
    "centre": ["A", "B", "C"],
    "n": ["40", "35", ""], "n_answered": ["38", "33", ""], "n_excluded_missing": ["2", "2", ""],
    "n_consulted": ["30", "25", ""], "n_tokenistic": ["12", "10", ""],
    "rate": ["0.4", "0.4", ""], "ci_low": ["0.25", "0.23", ""], "ci_high": ["0.57", "0.59", ""],
    "suppressed": ["False", "False", "True"]})
STUDY = {"site": "centre"}


def _table(lang: str, frame: pd.DataFrame = RELEASED) -> tb.Table:
    shown = frame.rename(columns={"centre": "site"})
    for column in shown.columns[1:-1]:
        shown[column] = pd.to_numeric(shown[column])
    shown["suppressed"] = frame["suppressed"] == "True"
    columns = [tb.Column("reports.col.site", tb.text("site"), numeric=False),
               tb.Column("reports.col.n_consulted", tb.count("n_consulted")),
               tb.Column("reports.col.rate", tb.pct("rate")),
               tb.Column("CI", tb.interval("ci_low", "ci_high", percent=True))]
    return tb.format_table(shown, columns, caption="Taux", lang=lang, name="tokenism_rates")


def _brief(lang: str, table: tb.Table) -> Brief:
    part = Part(key="report", title="Rapport", blocks=[table])
    return Brief(lang=lang, study="s", title="Étude", subtitle="", run_date=dt.date(2026, 1, 1),
                 parts=[part], messages=[], budget={})


@pytest.fixture
def run(tmp_path) -> Path:
    """A released folder: the table, the brief in HTML and Word, a notebook showing it."""
    folder = tmp_path / "run"
    (folder / "tables").mkdir(parents=True)
    RELEASED.to_csv(folder / "tables" / "tokenism_rates.csv", index=False)
    manifest = {"files": {}, "stages": {"prepare": {"study_parameters": STUDY,
                                                    "policy": {"min_cell": 5}}}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for lang in ("fr", "en"):
        write_brief_html(_brief(lang, _table(lang)), folder / "brief" / f"brief.{lang}.html")
        write_brief_docx(_brief(lang, _table(lang)), folder / "brief" / f"brief.{lang}.docx")
    page = (folder / "brief" / "brief.fr.html").read_text(encoding="utf-8")
    start = page.index("<div class='ek-table-wrap'")
    fragment = page[start:page.index("</div>", start) + 6]
    notebook = {"cells": [{"cell_type": "code", "source": "nb.table('tokenism_rates')",
                           "metadata": {}, "outputs": [{"output_type": "display_data",
                                                        "metadata": {},
                                                        "data": {"text/html": fragment}}]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "notebooks").mkdir()
    (folder / "notebooks" / "02.fr.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return folder


def _findings(folder: Path) -> list[tuple[str, str, str, str]]:
    from evalkit.release.audit import read_released

    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return shown_findings(folder, files, read_released(folder), study=STUDY)


def test_numbers_are_read_in_french_and_english_formats():
    assert shown_numbers("1\u202f234,5\u00a0%", "fr") == [1234.5]
    assert shown_numbers("1,234.5 %", "en") == [1234.5]
    assert shown_numbers("[25\u00a0% ; 57\u00a0%]", "fr") == [25.0, 57.0]
    assert shown_numbers("[0.25; 0.57]", "en") == [0.25, 0.57]
    assert shown_numbers("25\u00a0%\u00a0à\u00a057\u00a0%", "fr") == [25.0, 57.0]
    assert shown_numbers("x", "fr") == shown_numbers("–", "en") == []
    assert shown_numbers("12,5", None) == [12.5]


def test_every_rendered_cell_names_its_table_row_and_column(run):
    cells = html_cells((run / "brief" / "brief.en.html").read_text(encoding="utf-8"))
    assert {(c.key["site"], c.columns) for c in cells} == {
        (s, cols) for s in "ABC" for cols in
        [("n_consulted",), ("rate",), ("ci_low", "ci_high")]}
    assert all(c.table == "tokenism_rates" for c in cells)
    b = next(c for c in cells if c.key["site"] == "B" and c.columns == ("n_consulted",))
    assert b.text == "25" and b.lang == "en"
    word = docx_cells(run / "brief" / "brief.fr.docx", lang="fr")
    assert [(c.key["site"], c.columns, c.text) for c in word][:3] == [
        ("A", ("n_consulted",), "30"), ("A", ("rate",), "40\u00a0%"),
        ("A", ("ci_low", "ci_high"), "25\u00a0%\u00a0à\u00a057\u00a0%")]
    assert word[3].place.startswith("table[1]:row[3]:cell[2]")


def test_a_clean_release_has_no_finding(run):
    assert _findings(run) == []
    assert check_disclosure(run, update_manifest=False).empty


def test_a_page_showing_a_hidden_value_is_a_finding(run):
    page = run / "brief" / "brief.fr.html"
    text = page.read_text(encoding="utf-8")
    row = text.index('data-row=\'{&quot;site&quot;:&quot;C&quot;}\'')
    cell = text.index(">x<", row)
    page.write_text(text[:cell] + ">3<" + text[cell + 3:], encoding="utf-8")
    found = _findings(run)
    assert [(f[0], f[1], f[2]) for f in found] == [
        ("brief/brief.fr.html", "tokenism_rates:row[4]:n_consulted", "shown_hidden")]
    findings = check_disclosure(run, update_manifest=False)
    assert findings[findings["kind"] == "shown_hidden"]["file"].tolist() == \
        ["brief/brief.fr.html"]


def test_a_page_showing_another_count_is_a_finding(run):
    page = run / "brief" / "brief.en.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace(">25<", ">27<", 1), encoding="utf-8")
    assert [(f[1], f[2]) for f in _findings(run)] == [
        ("tokenism_rates:row[3]:n_consulted", "shown_differs")]


def test_the_same_changed_cell_on_several_pages_is_a_finding_on_each(run):
    # A cell shown on several pages is judged once: its finding is given at every place.
    page = run / "brief" / "brief.en.html"
    text = page.read_text(encoding="utf-8").replace(">25<", ">27<", 1)
    page.write_text(text, encoding="utf-8")
    (run / "pages").mkdir()
    (run / "pages" / "copy.en.html").write_text(text, encoding="utf-8")
    clean = (run / "brief" / "brief.fr.html").read_text(encoding="utf-8")
    (run / "pages" / "clean.fr.html").write_text(clean, encoding="utf-8")
    assert [(f[0], f[1], f[2]) for f in _findings(run)] == [
        ("brief/brief.en.html", "tokenism_rates:row[3]:n_consulted", "shown_differs"),
        ("pages/copy.en.html", "tokenism_rates:row[3]:n_consulted", "shown_differs")]


def test_a_word_document_showing_a_hidden_value_is_a_finding(run):
    import docx

    path = run / "brief" / "brief.en.docx"
    document = docx.Document(str(path))
    document.tables[0].cell(3, 1).paragraphs[0].runs[0].text = "2"
    document.save(str(path))
    found = _findings(run)
    assert [(f[0], f[2]) for f in found] == [("brief/brief.en.docx", "shown_hidden")]
    assert found[0][1].startswith("table[1]:row[4]:cell[2]")


def test_a_notebook_showing_a_count_the_tables_do_not_release_is_a_finding(run):
    path = run / "notebooks" / "02.fr.ipynb"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("&quot;:&quot;A&quot;", "&quot;:&quot;Z&quot;", 1),
                    encoding="utf-8")
    found = _findings(run)
    assert [(f[0], f[1], f[2]) for f in found] == [
        ("notebooks/02.fr.ipynb", "cell[0]:output[0]:tokenism_rates:row[2]:n_consulted",
         "shown_unreleased")]


def test_a_pivoted_cell_stands_for_the_rows_it_adds_up():
    released = {"response_counts": pd.DataFrame({
        "centre": ["A", "A", "B", "B"], "vague": ["1", "2", "1", "2"],
        "n": ["40", "38", "", "12"], "suppressed": ["False", "False", "True", "False"]})}
    page = ("<div data-table='response_counts'><table>"
            "<tr data-row='{\"site\":\"A\"}'><td data-column='n' data-where='{\"vague\":\"1\"}'>"
            "40</td><td data-column='n'>78</td></tr>"
            "<tr data-row='{\"site\":\"B\"}'><td data-column='n' data-where='{\"vague\":\"1\"}'>"
            "3</td><td data-column='n' data-where='{\"vague\":\"2\"}'>13</td></tr>"
            "</table></div>")
    from evalkit.release.shown import _cell_findings, _Released

    known = _Released(released, {"site": "centre", "wave": "vague"})
    kinds = [[f[1] for f in _cell_findings(c, known)] for c in html_cells(page, lang="en")]
    assert kinds == [[], [], ["shown_hidden"], ["shown_differs"]]
