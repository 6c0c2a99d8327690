"""The reports as a reader sees them, in headless Chromium: a notebook page, a site report and
the brief in both languages. Every image loads, nothing is wider than the page (on screen at
1024 px and printed on A4), French accents are intact, no request leaves the page, and the
printed brief keeps to its 1, 3 and 25 pages, close to the estimate made without a browser.

Screenshots and PDFs are written to pytest's temporary folder. Without Chromium the module is
skipped with its reason, except when the environment variable CI is "true": then it fails.
"""

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]
#: A4 less the style sheet's margins (16 mm each side), in CSS pixels.
A4_TEXT_WIDTH = 673
RUN_DATE = dt.date(2026, 11, 22)
MOJIBAKE = ("Ã©", "Ã¨", "Ã ", "Ã§", "Â«", "Â»", "â€", "\ufffd")


def _why_no_browser():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"Chromium is not installed ({CHROMIUM}); apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _why_no_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def demo(project_root):
    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study

    prepared = prepare_study(load_study(project_root / "data_samples" / "demo"))
    return compute_results(prepared, n_boot=200), prepared.study


@pytest.fixture(scope="module")
def pages(demo, tmp_path_factory):
    """The HTML pages to look at: the brief (fr, en), a notebook page and a site report."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evalkit.present.brief import build_brief
    from evalkit.present.display import show_figure, show_table
    from evalkit.present.notebook_page import export_notebook_html
    from evalkit.present.writers import write_brief_html

    results, study = demo
    folder = tmp_path_factory.mktemp("pages")
    out = {"briefs": {}}
    for lang in ("fr", "en"):
        brief = build_brief(results, study, lang=lang, run_date=RUN_DATE)
        out["briefs"][lang] = brief
        out[f"brief_{lang}"] = write_brief_html(brief, folder / f"brief.{lang}.html")
    for name, site in (("notebook", None), ("site_report", "G")):
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.bar(["à", "é", "ç"], [1, 3, 2])
        ax.set_title("Répartition « à l'échelle »")
        nb = new_notebook(cells=[
            new_code_cell("site = 'G'", metadata={"tags": ["parameters"]}),
            new_markdown_cell("# Implication des usagers\n\nÀ lire avec les entrevues : "
                              "« ça change quoi ? »\n\n## Tokénisme par site"),
            new_code_cell("show_table(...)", outputs=[new_output("display_data", data={
                "text/html": show_table(results, "tokenism_rates", lang="fr",
                                        policy=study.privacy, site=site).html})]),
            new_code_cell("show_table(...)", outputs=[new_output("display_data", data={
                "text/html": show_table(results, "outcome_change_site" if site else
                                        "outcome_change", lang="fr", policy=study.privacy,
                                        site=site).html})]),
            new_markdown_cell("## Une figure"),
            new_code_cell("show_figure(fig)", outputs=[new_output("display_data", data={
                "text/html": show_figure(fig, caption="Figure d'essai", lang="fr",
                                         method="funnel").html})]),
        ])
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, str(path))
        title = "Profil du site G" if site else "Implication et tokénisme"
        out[name] = export_notebook_html(path, folder / f"{name}.html", study=study,
                                         lang="fr", run_date=RUN_DATE, title=title)
    return out


def _open(browser, path, *, width=1024, requests=None):
    page = browser.new_page(viewport={"width": width, "height": 900})

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            requests.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


PAGES = ("brief_fr", "brief_en", "notebook", "site_report")


@pytest.mark.parametrize("name", PAGES)
def test_page_as_a_reader_sees_it(browser, pages, name, tmp_path):
    requests: list[str] = []
    page = _open(browser, pages[name], requests=requests)
    try:
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        images = page.evaluate("() => Array.from(document.images).map(i => [i.naturalWidth, "
                               "i.complete])")
        assert images, "no image on the page"
        assert all(w > 0 and done for w, done in images), images
        width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1], f"the page is wider than the screen: {width}"
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_TEXT_WIDTH, "height": 979})
        printed = page.evaluate("() => document.documentElement.scrollWidth")
        assert printed <= A4_TEXT_WIDTH, f"wider than an A4 page: {printed}px"
        text = page.evaluate("() => document.body.innerText")
    finally:
        page.close()
    assert requests == []
    assert not [m for m in MOJIBAKE if m in text]
    if name != "brief_en":
        for expected in ("Implication des usagers", "é", "à", "ç", "«"):
            assert expected in text, expected
        assert "22 novembre 2026" in text
    else:
        assert "Main messages" in text and "November 22, 2026" in text
    if name.startswith("brief"):
        assert text.count("Indice non validé" if name == "brief_fr" else
                          "Non-validated index") >= 4


def _pdf_pages(page, part=None):
    if part is not None:
        hide = f"section.ek-part:not([data-part='{part}']) {{ display: none !important; }}"
        if part != "main":
            hide += " header.ek-header { display: none !important; }"
        handle = page.add_style_tag(content=hide)
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    if part is not None:
        handle.evaluate("element => element.remove()")
    # Chromium writes one page object per page (no object streams).
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)), pdf


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_printed_brief_keeps_to_1_3_25_pages_close_to_the_estimate(browser, pages, lang,
                                                                   tmp_path):
    brief = pages["briefs"][lang]
    page = _open(browser, pages[f"brief_{lang}"], requests=[])
    try:
        total, pdf = _pdf_pages(page)
        (tmp_path / f"brief.{lang}.pdf").write_bytes(pdf)
        measured = {part: _pdf_pages(page, part)[0] for part in ("main", "summary", "report")}
    finally:
        page.close()
    assert measured["main"] == 1
    assert measured["summary"] <= 3
    assert measured["report"] <= 25
    assert total == sum(measured.values())
    for part, pages_measured in measured.items():
        estimate = brief.budget[part][0]
        # Whole pages are printed (a part's last page is counted whole) and a long part loses
        # the end of a page at each figure that does not fit where it falls.
        tolerance = 1.0 if part != "report" else max(2.0, 0.15 * pages_measured)
        assert abs(estimate - pages_measured) <= tolerance, (part, estimate, pages_measured)
