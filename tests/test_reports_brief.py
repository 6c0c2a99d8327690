"""The evidence brief on the demo study: its parts and budgets, released numbers only, the
GRIPP2 table, the Word document as python-docx reads it back, code-free notebook pages, and
no sentence of the reports written in code."""

import ast
import datetime as dt
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from evalkit.present.brief import build_brief, gripp2_table, write_budget_json
from evalkit.present.document import Figure, Heading, Quote, Table
from evalkit.present.writers import brief_html, write_brief_docx, write_brief_html

RUN_DATE = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo(project_root):
    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study

    prepared = prepare_study(load_study(project_root / "data_samples" / "demo"))
    return compute_results(prepared, n_boot=200), prepared.study


@pytest.fixture(scope="module")
def briefs(demo):
    results, study = demo
    return {lang: build_brief(results, study, lang=lang, run_date=RUN_DATE)
            for lang in ("fr", "en")}


def _blocks(brief, part, kind):
    return [b for b in brief.part(part).blocks if isinstance(b, kind)]


# -- content -------------------------------------------------------------------------------
def test_three_parts_within_their_budgets(briefs):
    for brief in briefs.values():
        assert [p.key for p in brief.parts] == ["main", "summary", "report"]
        assert set(brief.budget) == {"main", "summary", "report"}
        for key, budget in (("main", 1), ("summary", 3), ("report", 25)):
            pages, limit, ok = brief.budget[key]
            assert limit == budget and ok and 0 < pages <= budget, (brief.lang, key)


def test_budget_json(briefs, tmp_path):
    path = write_budget_json(briefs, tmp_path / "brief" / "budget.json")
    data = json.loads(path.read_text())
    assert data["fr"]["main"] == {"estimated_pages": briefs["fr"].budget["main"][0],
                                  "budget": 1, "ok": True}
    assert set(data) == {"fr", "en"}


def test_main_messages_come_from_the_rules(briefs):
    for brief in briefs.values():
        rules = [m.rule for m in brief.messages]
        assert rules[:3] == ["funnel_high", "highest_tokenism", "involvement_outcomes"]
        items = _blocks(brief, "main", __import__("evalkit.present.document",
                                                  fromlist=["Bullets"]).Bullets)[0].items
        assert list(items) == [m.text(brief.lang, marks=True) for m in brief.messages]
        # The marks of the numbers' origins are invisible: the words are the message's.
        from evalkit.present._text import plain

        assert [plain(i) for i in items] == [m.text(brief.lang) for m in brief.messages]
        assert all("\ue000" not in m.text(brief.lang) for m in brief.messages)
    assert "le site G" in briefs["fr"].messages[1].text("fr")


def test_report_has_methods_results_gripp2_and_appendix(briefs):
    brief = briefs["en"]
    headings = [b.text for b in brief.part("report").blocks if isinstance(b, Heading)]
    for title in ("Context", "Methods", "Results", "Tokenism by site", "Personal outcomes",
                  "What the interviews say", "Users' involvement in this study (GRIPP2)",
                  "Appendix: method notes and references"):
        assert title in headings
    figures = [b for b in brief.part("report").blocks if isinstance(b, Figure)]
    assert {f.name for f in figures} >= {"funnel", "caterpillar", "outcomes", "traffic_light"}
    assert all(f.png.startswith(b"\x89PNG") and f.width > 0 for f in figures)
    references = " ".join(" ".join(b.items) for b in brief.part("report").blocks
                          if type(b).__name__ == "Bullets")
    assert "https://doi.org/10.1002/sim.1970" in references


def test_tables_are_released_numbers_with_the_footnote(briefs):
    brief = briefs["fr"]
    tables = {t.name: t for t in brief.part("report").blocks if isinstance(t, Table)}
    respondents = tables["response_counts"]
    # Site H has 3 carers at baseline (the demo's small group): shown as suppressed, not as 3.
    row_h = next(r for r in respondents.rows if r[0] == "H")
    assert "x" in row_h and "3" not in row_h
    assert any("confidentialité" in n for n in respondents.notes)
    # Tables of the index carry the label.
    assert tables["tokenism_rates"].non_validated
    assert not tables["outcome_change"].non_validated


def test_quotes_name_no_site_of_fewer_than_min_cell_people(briefs, project_root):
    truth = json.loads((project_root / "data_samples" / "demo" / "truth.json").read_text())
    planted = {p["value"] for p in truth["interviews"]["planted_identifiers"]}
    for brief in briefs.values():
        quotes = _blocks(brief, "report", Quote)
        assert len(quotes) > 1
        # The demo interviewed two people of each role at each site, fewer than min_cell (5):
        # quotes are attributed by role only, never by site.
        roles = {"fr": {"Usager·ère", "Proche aidant·e", "Intervenant·e"},
                 "en": {"Service user", "Carer", "Staff member"}}[brief.lang]
        assert {q.attribution for q in quotes} <= roles
        assert not any(p in q.text for q in quotes for p in planted)


def test_gripp2_table(demo):
    _, study = demo
    table = gripp2_table(study, lang="fr")
    assert (len(table.rows), len(table.columns)) == (5, 2)
    assert table.rows[0][0] == "1. Objectif"
    assert table.rows[3][1].startswith("Les messages clés")
    assert gripp2_table(study.model_copy(update={"report": study.report.model_copy(
        update={"gripp2": None})}), lang="en") is None
    with pytest.raises(Exception, match="lang"):
        gripp2_table(study, lang="de")


def test_french_typography_and_locale_numbers(briefs):
    text = brief_html(briefs["fr"])
    assert "Messages principaux" in text
    assert "\u00a0%" in text and "\u00a0:" in text
    assert re.search(r"\d %", text) is None  # never a breaking space before %
    assert "22 novembre 2026" in text
    assert "November 22, 2026" in brief_html(briefs["en"])


def test_html_stands_alone(briefs, tmp_path):
    path = write_brief_html(briefs["en"], tmp_path / "brief.en.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<html lang='en'>" in text
    assert "<script" not in text and "<link" not in text
    assert re.search(r"(src|href)=['\"](https?:)?//", text) is None
    assert text.count("data:image/png;base64,") >= 5


def test_same_results_same_brief(demo, briefs):
    results, study = demo
    again = build_brief(results, study, lang="fr", run_date=RUN_DATE)
    assert brief_html(again) == brief_html(briefs["fr"])


# -- Word --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def docx_paths(briefs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("docx")
    return {lang: write_brief_docx(b, folder / f"brief.{lang}.docx")
            for lang, b in briefs.items()}


def test_docx_has_real_styles_tables_and_images(briefs, docx_paths):
    from docx import Document

    for lang, path in docx_paths.items():
        doc = Document(str(path))
        styles = [p.style.name for p in doc.paragraphs]
        assert styles[0] == "Title"
        assert {"Heading 1", "Heading 2", "Heading 3", "Normal", "Caption"} <= set(styles)
        headings1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
        assert headings1 == [p.title for p in briefs[lang].parts]
        expected = [b for part in briefs[lang].parts for b in part.blocks
                    if isinstance(b, Table)]
        assert len(doc.tables) == len(expected)
        for table, block in zip(doc.tables, expected, strict=True):
            assert (len(table.rows), len(table.columns)) == (len(block.rows) + 1,
                                                             len(block.columns))
            assert table.style.name == "Light List Accent 1"
            assert table.cell(0, 0).text == block.columns[0]
        figures = sum(isinstance(b, Figure) for p in briefs[lang].parts for b in p.blocks)
        assert len(doc.inline_shapes) == figures > 0
        breaks = doc.element.body.xml.count('w:type="page"')
        assert breaks == 2  # between the 1, the 3 and the 25


def test_docx_in_each_language_with_deterministic_properties(docx_paths, briefs):
    from docx import Document

    fr, en = Document(str(docx_paths["fr"])), Document(str(docx_paths["en"]))
    assert fr.core_properties.language == "fr-CA" and en.core_properties.language == "en-CA"
    assert fr.core_properties.title == briefs["fr"].title
    assert fr.core_properties.created == dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    assert any("Messages principaux" == p.text for p in fr.paragraphs)
    assert any("Main messages" == p.text for p in en.paragraphs)
    all_text = "\n".join(p.text for p in fr.paragraphs)
    assert "é" in all_text and "Ã" not in all_text


def test_docx_same_brief_same_bytes(briefs, tmp_path, docx_paths):
    again = write_brief_docx(briefs["fr"], tmp_path / "again.docx")
    assert again.read_bytes() == docx_paths["fr"].read_bytes()


def test_every_number_of_people_in_a_sentence_carries_its_origin(briefs, docx_paths):
    from _people_numbers import docx_unmarked, html_unmarked

    from evalkit.present._text import plain

    for lang, brief in briefs.items():
        page = brief_html(brief)
        assert html_unmarked(page) == [], lang
        assert docx_unmarked(docx_paths[lang]) == [], lang
        # Respondents and interviews are sums over sites, sites and waves counts of values.
        assert page.count("data-sum=") == 4 and page.count("data-distinct=") == 4, lang
        assert "\ue000" not in page
        summary = " ".join(plain(b.text) for b in brief.part("summary").blocks
                           if hasattr(b, "text") and isinstance(b.text, str))
        words = {"fr": "Nous avons interrogé", "en": "We surveyed"}[lang]
        assert words in summary and "\ue000" not in summary


# -- code-free notebook pages ------------------------------------------------------------------
def _notebook(path, results, study):
    from evalkit.present.display import mark_methods, show_table

    nb = new_notebook()
    nb.cells = [
        new_code_cell("study_file = 'secret.yaml'", metadata={"tags": ["parameters"]}),
        new_markdown_cell("# Implication des usagers\n\n## Taux par site"),
        new_code_cell("show_table(results, 'tokenism_rates')", outputs=[new_output(
            "display_data", data={"text/html": show_table(
                results, "tokenism_rates", lang="fr", policy=study.privacy).html})]),
        new_code_cell("rate_value", metadata={"tags": ["non-validated"]}, outputs=[
            new_output("execute_result", data={"text/plain": "0.44"}, execution_count=2)]),
        new_code_cell("mark_methods('funnel')", outputs=[new_output(
            "display_data", data={"text/html": mark_methods("funnel").html})]),
        new_code_cell("html", outputs=[new_output("display_data", data={
            "text/html": "<script src='https://cdn.example.org/x.js'></script><p>Après</p>"})]),
    ]
    nbformat.write(nb, str(path))
    return path


def test_a_page_is_made_from_a_notebook_already_read_validating_it_once(demo, tmp_path,
                                                                         monkeypatch):
    # A run reads an executed notebook once for the pages of all its languages; nbconvert's
    # exporter validated it after each of its dozen preprocessors (most of them disabled),
    # a fifth of a page's export. Now once per page, for the same bytes, the notebook unchanged.
    import copy

    from evalkit.present.notebook_page import export_notebook_html

    results, study = demo
    path = _notebook(tmp_path / "nb.ipynb", results, study)
    expected = {lang: export_notebook_html(path, tmp_path / "from_file" / f"{lang}.html",
                                           study=study, lang=lang,
                                           run_date="2026-11-22").read_bytes()
                for lang in ("fr", "en")}
    nb = nbformat.read(path, as_version=4)
    before = copy.deepcopy(nb)
    calls = []
    real = nbformat.validate
    monkeypatch.setattr(nbformat, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    for lang in ("fr", "en"):
        page = export_notebook_html(nb, tmp_path / "from_node" / f"{lang}.html", study=study,
                                    lang=lang, run_date="2026-11-22")
        assert page.read_bytes() == expected[lang]
    assert len(calls) == 2
    assert nb == before


def test_pages_warmed_up_have_their_templates_compiled_and_the_same_bytes(demo, tmp_path):
    # A run's workers warm up while the data are prepared: the exporters of both languages
    # exist and their templates are compiled before the first notebook's pages; those pages
    # are the bytes of a process that did not warm up.
    from evalkit.present import notebook_page

    results, study = demo
    path = _notebook(tmp_path / "nb.ipynb", results, study)
    notebook_page._page_exporter.cache_clear()
    cold = {lang: notebook_page.export_notebook_html(
        path, tmp_path / "cold" / f"{lang}.html", study=study, lang=lang,
        run_date="2026-11-22").read_bytes() for lang in ("fr", "en")}
    notebook_page._page_exporter.cache_clear()
    notebook_page.warm_up()
    assert notebook_page._page_exporter.cache_info().currsize == 2
    for lang in ("fr", "en"):
        exporter = notebook_page._page_exporter(lang)
        assert len(exporter.environment.cache) > 0  # compiled Jinja templates
        page = notebook_page.export_notebook_html(path, tmp_path / "warm" / f"{lang}.html",
                                                  study=study, lang=lang,
                                                  run_date="2026-11-22")
        assert page.read_bytes() == cold[lang]
    assert notebook_page._page_exporter.cache_info().misses == 2  # made once, by warm_up


def test_notebook_page_without_code_with_label_toc_and_notes(demo, tmp_path):
    from evalkit.present.notebook_page import export_notebook_html

    results, study = demo
    nb = _notebook(tmp_path / "nb.ipynb", results, study)
    out = export_notebook_html(nb, tmp_path / "html" / "nb.html", study=study, lang="fr",
                               run_date="2026-11-22", title="Implication")
    text = out.read_text(encoding="utf-8")
    for code in ("study_file", "show_table(", "rate_value", "mark_methods("):
        assert code not in text
    assert "<script" not in text and "cdn.example.org" not in text and "Après" in text
    assert text.count("data-evalkit='non-validated-label'") + text.count(
        'data-evalkit="non-validated-label"') >= 2  # the table and the tagged cell
    assert "Table des matières" in text and "href='#taux-par-site'" in text
    assert "Notes de méthode et références" in text
    assert "https://doi.org/10.1002/sim.1970" in text  # asked for by the marker
    assert "https://doi.org/10.1080/01944366908977225" in text  # the index appears
    assert "Résultats du 22 novembre 2026" in text


def test_notebook_page_metadata_flag(demo, tmp_path):
    from evalkit.present.notebook_page import export_notebook_html

    _, study = demo
    nb = new_notebook(cells=[new_markdown_cell("## Section")],
                      metadata={"evalkit": {"non_validated": True, "methods": ["gripp2"]}})
    nbformat.write(nb, str(tmp_path / "flag.ipynb"))
    text = export_notebook_html(tmp_path / "flag.ipynb", tmp_path / "flag.html", study=study,
                                lang="en", run_date=dt.date(2026, 11, 22)).read_text()
    assert "Non-validated index" in text and "GRIPP2" in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_notebook_page_describes_an_image_without_description_in_its_language(
        demo, tmp_path, lang, monkeypatch):
    import nbconvert.exporters.html

    from evalkit.i18n import t
    from evalkit.present._text import typography
    from evalkit.present.notebook_page import export_notebook_html

    _, study = demo
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVO"
           "RK5CYII=")
    cell = new_code_cell("show()", outputs=[new_output(
        "display_data", data={"image/png": png, "text/plain": "<Figure>"})])
    nbformat.write(new_notebook(cells=[new_markdown_cell("## Figure"), cell]),
                   str(tmp_path / "img.ipynb"))

    def reparse(*args, **kwargs):  # nbconvert's own pass would describe it in English
        raise AssertionError("the page is not reparsed by nbconvert")

    monkeypatch.setattr(nbconvert.exporters.html, "BeautifulSoup", reparse)
    text = export_notebook_html(tmp_path / "img.ipynb", tmp_path / "img.html", study=study,
                                lang=lang, run_date="2026-11-22").read_text(encoding="utf-8")
    from lxml import html as lxml_html

    images = lxml_html.document_fromstring(text).xpath("//img")
    assert [image.get("alt") for image in images] == [typography(t("reports.page.no_alt", lang),
                                                                 lang)]
    assert "No description has been provided" not in text


# -- no sentence in code -----------------------------------------------------------------------
REPORT_MODULES = sorted((Path(__file__).resolve().parents[1] / "src" / "evalkit" /
                         "present").glob("*.py"))


def _string_literals(tree):
    """String constants outside docstrings and outside the messages of errors raised for a
    programmer (``ArgumentError``: the Python API speaks English)."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(
                    getattr(body[0], "value", None), ast.Constant):
                skipped.add(id(body[0].value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "ArgumentError":
            skipped |= {id(n) for arg in node.args for n in ast.walk(arg)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                id(node) not in skipped:
            yield node


def test_no_sentence_is_hard_coded_in_the_reports_modules():
    """A reader's sentence is two or more words of letters; markup, CSS classes, catalogue
    keys, column names and format strings are not."""
    word = r"[A-Za-zÀ-ÿ]{2,}"
    word_styles = {"Light List Accent 1"}  # names of Word's built-in styles, not sentences
    sentence = re.compile(rf"\b{word}[,;:]? {word}[,;:]? {word}\b")
    offenders = []
    assert len(REPORT_MODULES) > 10  # the presentation modules are read, not an empty list
    for module in REPORT_MODULES:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in _string_literals(tree):
            text = re.sub(r"<[^>]*>?", " ", node.value)  # tags and their attributes
            if node.value not in word_styles and sentence.search(text):
                offenders.append(f"{module.name}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_the_sentence_check_catches_a_sentence(tmp_path):
    tree = ast.parse('def f():\n    """Doc string is fine."""\n    return "Main messages for you"\n')
    found = [n.value for n in _string_literals(tree)]
    assert found == ["Main messages for you"]


def test_write_briefs_fills_the_runs_brief_folder(demo, tmp_path):
    from evalkit.present import write_briefs

    results, study = demo
    record = write_briefs(results, study, tmp_path / "brief", run_date="2026-11-22")
    assert record["files"] == ["brief.fr.html", "brief.fr.docx", "brief.en.html",
                               "brief.en.docx", "budget.json"]
    assert all((tmp_path / "brief" / f).stat().st_size > 0 for f in record["files"])
    assert record["budget"]["en"]["main"][1:] == [1, True]


# -- the code × site heatmap: one released frame for the notebook and the brief -----------------

def _heatmap_arrays(fig):
    """What the heatmap draws: its coloured values and its grey (hidden) cells."""
    images = {im.get_gid(): im.get_array() for im in fig.axes[0].get_images()}
    grey = ~np.ma.getmaskarray(images.pop("evalkit-suppressed"))
    (values,) = images.values()
    return np.ma.filled(values.astype("float64"), np.nan), grey


def test_code_heatmap_of_the_brief_and_of_the_notebook_agree(demo, monkeypatch):
    from evalkit.present import figures, plots
    from evalkit.present.brief import released_tables
    from evalkit.release.tables import released_table

    results, study = demo
    drawn = []
    original = plots.code_site_heatmap

    def spy(*args, **kwargs):
        fig = original(*args, **kwargs)
        drawn.append(_heatmap_arrays(fig))
        return fig

    monkeypatch.setattr(plots, "code_site_heatmap", spy)
    block = figures.brief_figure("codes", released_tables(results, study.privacy), study=study,
                                 lang="fr")
    assert block is not None and len(drawn) == 1
    brief_values, brief_grey = drawn[0]
    # The qualitative notebook's call, on Session.released's frame.
    frame = released_table(results, "code_frequencies", policy=study.privacy)
    fig = original(frame, value="n_segments", lang="fr")
    values, grey = _heatmap_arrays(fig)
    np.testing.assert_array_equal(grey, brief_grey)
    np.testing.assert_array_equal(values, brief_values)
    # Neither is grey whole nor filled whole: the released frame hides some cells, not all.
    assert 0 < grey.sum() < grey.size
    # A grey cell is exactly a hidden one of the released frame.
    hidden = frame.pivot(index="code_path", columns="site", values="n_segments").isna()
    assert grey.sum() == int(hidden.to_numpy().sum())


def test_notebook_pages_of_one_exporter_are_those_of_a_new_one(demo, tmp_path):
    """A worker exports many pages with one exporter per language (its templates compiled
    once): each page has the bytes an exporter made for it alone gives, whatever came before
    (another notebook, another language, tagged cells of the other language)."""
    from evalkit.present import notebook_page
    from evalkit.present.notebook_page import export_notebook_html

    results, study = demo
    first = _notebook(tmp_path / "first.ipynb", results, study)
    second = tmp_path / "second.ipynb"
    nbformat.write(new_notebook(cells=[
        new_markdown_cell("## Deux"), new_markdown_cell("Seulement en français", metadata={
            "tags": ["lang-fr"]}), new_markdown_cell("English only", metadata={
                "tags": ["lang-en"]})]), str(second))

    def pages(prefix: str) -> dict[str, bytes]:
        out = {}
        for nb in (first, second, first):
            for lang in ("fr", "en"):
                page = tmp_path / prefix / f"{nb.stem}.{lang}.html"
                export_notebook_html(nb, page, study=study, lang=lang, run_date="2026-11-22")
                out.setdefault(page.name, page.read_bytes())
                assert page.read_bytes() == out[page.name]
        return out

    notebook_page._page_exporter.cache_clear()
    reused = pages("reused")
    assert notebook_page._page_exporter.cache_info().misses == 2  # one per language
    fresh = {}
    for nb in (first, second):
        for lang in ("fr", "en"):
            notebook_page._page_exporter.cache_clear()
            page = tmp_path / "fresh" / f"{nb.stem}.{lang}.html"
            export_notebook_html(nb, page, study=study, lang=lang, run_date="2026-11-22")
            fresh[page.name] = page.read_bytes()
    assert reused == fresh
    assert b"Seulement en fran" in reused["second.fr.html"]
    assert b"English only" not in reused["second.fr.html"]
    assert b"English only" in reused["second.en.html"]
