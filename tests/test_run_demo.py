"""The real notebooks, executed on the demo study by the runner, read back as a reader would."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from evalkit.analyse.results import Results
from evalkit.release.tables import released_table
from evalkit.run import run_study

NOTEBOOKS = ["01_data_quality", "02_involvement_tokenism", "03_outcomes", "04_qualitative",
             "05_cross_site", "06_evidence_brief"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(project_root, tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("CI", "true")  # fewer bootstrap resamples
    out = tmp_path_factory.mktemp("reports")
    return run_study(project_root / "data_samples" / "demo" / "study.yaml", out=out, jobs=2,
                     quiet=True)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_every_notebook_runs_on_the_demo(demo_run):
    statuses = {r["key"]: r["status"] for r in demo_run.notebooks}
    expected = {*NOTEBOOKS, *(f"site_profile.{s}" for s in "ABCDEFGH")}
    assert statuses == dict.fromkeys(expected, "ok")
    assert demo_run.exit_code == 0
    assert demo_run.manifest["disclosure_scan"]["status"] == "passed"


def test_the_demo_passes_the_attack_on_what_it_releases(demo_run):
    from evalkit.release.audit import audit_run

    audit = demo_run.manifest["disclosure_scan"]["audit"]
    assert audit["protection"] == 3 and audit["disclosed"] == []
    assert audit["hidden_counts"] > 300  # the demo has hundreds of small counts to protect
    again = audit_run(demo_run.run_dir, policy={"min_cell": 5})
    assert len(again) == audit["hidden_counts"] and not again["disclosed"].any()
    loss = demo_run.manifest["stages"]["prepare"]["information_loss"]
    assert 0 < loss["outcome_change_site"]["share"] < 0.5
    header = (demo_run.run_dir / "tables" / "tokenism_rates_group.csv").read_text().splitlines()[0]
    assert "suppression" not in header.split(",") and "suppressed" in header.split(",")


def test_every_number_of_people_in_a_sentence_of_the_demo_carries_its_origin(demo_run):
    # Pages, notebooks and the Word briefs: each count of people a sentence states names the
    # released cell it comes from, or how it is derived, for the release check.
    from _people_numbers import run_unmarked

    assert run_unmarked(demo_run.run_dir) == {}


def test_no_mark_of_a_numbers_origin_is_left_in_what_is_released(demo_run):
    # Sentences carry their numbers' origins in private-use characters while they are built;
    # every writer turns them into markup or drops them. None may reach a released file
    # (a Word brief is a ZIP: its parts are read).
    import zipfile

    left = []
    for path in sorted(p for p in demo_run.run_dir.rglob("*") if p.is_file()):
        if ".work" in path.relative_to(demo_run.run_dir).parts or path.suffix == ".png":
            continue  # images: their text is in the figures' description, read on the pages
        parts = ([zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()]
                 if path.suffix in (".docx", ".zip") else [path.read_bytes()])
        marks = ("\ue000".encode(), "\ue002".encode(), b"\\ue000", b"\\ue002")
        if any(mark in part.lower() for part in parts for mark in marks):
            left.append(path.relative_to(demo_run.run_dir).as_posix())
    assert left == []


def test_each_page_keeps_its_own_language(demo_run):
    html = demo_run.run_dir / "html"
    fr = (html / "02_involvement_tokenism.fr.html").read_text(encoding="utf-8")
    en = (html / "02_involvement_tokenism.en.html").read_text(encoding="utf-8")
    assert "Tokénisme par site" in fr and "Tokenism by site" not in fr
    assert "Tokenism by site" in en and "Tokénisme par site" not in en
    assert "Indice non validé" in fr and "Non-validated index" in en
    assert "12,5 %" not in en  # French number formats stay on French pages
    for key in [*NOTEBOOKS, "site_profile.G"]:
        for lang in ("fr", "en"):
            page = (html / f"{key}.{lang}.html").read_text(encoding="utf-8")
            assert f"<html lang='{lang}'>" in page
            assert "import " not in page and "nb.table(" not in page  # code-free


def test_released_tables_are_the_results_after_disclosure_control(demo_run, project_root):
    from evalkit.config.study import load_study

    results = Results.load(demo_run.run_dir / ".work" / "results")
    policy = load_study(project_root / "data_samples" / "demo").privacy
    table = pd.read_csv(demo_run.run_dir / "tables" / "tokenism_rates.csv")
    expected = released_table(results, "tokenism_rates", policy=policy)
    assert table["site"].tolist() == expected["site"].astype(str).tolist()
    pd.testing.assert_series_equal(table["rate"], expected["rate"].astype(float),
                                   check_names=False, rtol=1e-11)
    declared = {r["path"]: r for r in demo_run.manifest["tables"]}
    assert declared["tables/tokenism_rates.csv"]["counts"] == list(results["tokenism_rates"].counts)


def test_figures_and_brief_are_written_in_both_languages(demo_run):
    figures = {p.name for p in (demo_run.run_dir / "figures").iterdir()}
    for name in ("tokenism_funnel", "ladder_profile", "joint_display", "outcome_change"):
        assert {f"{name}.fr.png", f"{name}.en.png"} <= figures
    brief = demo_run.run_dir / "brief"
    assert {p.name for p in brief.iterdir()} >= {"brief.fr.html", "brief.en.html",
                                                 "brief.fr.docx", "brief.en.docx",
                                                 "budget.json"}
    budget = json.loads((brief / "budget.json").read_text())
    assert all(part["ok"] for lang in budget.values() for part in lang.values())
    text = (brief / "brief.fr.html").read_text(encoding="utf-8")
    assert "site G" in text  # the planted high-tokenism site is named


def test_the_brief_notebook_shows_the_budget_of_the_brief_it_wrote(demo_run):
    """The page budget shown in the notebook is that of the written brief, figures included."""
    from evalkit.i18n import format_number

    budget = json.loads((demo_run.run_dir / "brief" / "budget.json").read_text())
    for lang, parts in budget.items():
        page = (demo_run.run_dir / "html" / f"06_evidence_brief.{lang}.html").read_text(
            encoding="utf-8")
        for part in parts.values():
            shown = re.escape(format_number(part["estimated_pages"], lang))
            assert re.search(f"<td class=.num.>{shown}</td>", page), (lang, part)


def test_nothing_identifying_in_the_run(demo_run, project_root):
    raw = (project_root / "data_samples" / "demo" / "survey_w1.csv").read_bytes().decode("cp1252")
    ids = {line.split(";")[0] for line in raw.splitlines()[1:6]}
    for path in demo_run.run_dir.rglob("*"):
        if path.is_file() and ".work" not in path.parts and path.suffix in (".csv", ".html"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(i in text for i in ids), path


def test_tables_are_the_same_bytes_from_one_run_to_the_next(project_root, tmp_path,
                                                            monkeypatch):
    monkeypatch.setenv("CI", "true")

    def tables(out):
        run = run_study(project_root / "data_samples" / "demo" / "study.yaml", out=out,
                        only="01_data_quality", jobs=1, quiet=True)
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((run.run_dir / "tables").iterdir())}

    first, second = tables(tmp_path / "a"), tables(tmp_path / "b")
    assert len(first) > 30 and first == second


# -- the pages as their readers read them ----------------------------------------------------
def _pages(run_dir):
    from _reader_text import run_pages

    return run_pages(run_dir)


def _lang(page) -> str:
    return "en" if ".en." in page.name else "fr"


def test_pages_figures_and_word_briefs_show_no_raw_names(demo_run, project_root):
    from _reader_text import figure_lines, scan_run

    from evalkit.analyse.catalogue import catalogue
    from evalkit.config.study import load_study

    study = load_study(project_root / "data_samples" / "demo")
    identifiers = [*study.codebook.names, *catalogue().keys()]
    run_dir = demo_run.run_dir
    assert len(_pages(run_dir)) == 2 * (len(NOTEBOOKS) + 8) + 2 + 2
    figures = sorted((run_dir / "figures").glob("*.png"))
    assert len(figures) >= 40 and len(list(run_dir.rglob("*.docx"))) == 2
    # Every figure records what it shows: its axis title, in its own language.
    lines, tag = figure_lines(run_dir / "figures" / "tokenism_funnel.fr.png")
    assert tag == "fr" and "Taux de tokénisme" in lines and "Nombre de personnes" in lines
    found = scan_run(run_dir, identifiers)
    assert found == {"pages": [], "figures": [], "docx": []}, \
        {kind: items[:10] for kind, items in found.items()}


def test_no_table_on_a_page_is_split(demo_run):
    for page in _pages(demo_run.run_dir):
        html = page.read_text(encoding="utf-8")
        assert "(1/2)" not in html and "(2/2)" not in html, page.name
    from bs4 import BeautifulSoup

    fr = (demo_run.run_dir / "html" / "03_outcomes.fr.html").read_text(encoding="utf-8")
    cells = [td.get_text() for td in BeautifulSoup(fr, "lxml").find_all("td")]
    # The change and its interval in one cell, the bounds with their French separator.
    joined = [c for c in cells if re.fullmatch(r"−?\d,\d+ \[−?\d,\d+\u202f; −?\d,\d+\]", c)]
    assert len(joined) >= 10, [c for c in cells if "[" in c][:5]


def test_every_page_links_to_the_index_and_to_its_twin(demo_run):
    from bs4 import BeautifulSoup

    run_dir = demo_run.run_dir
    for page in _pages(run_dir):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        nav = soup.find("nav", class_="ek-nav")
        assert nav is not None, page.name
        targets = {(page.parent / a["href"]).resolve() for a in nav.find_all("a")}
        twin_name = page.name.replace(f".{_lang(page)}.", ".fr." if _lang(page) == "en"
                                      else ".en.")
        if page.name.startswith("index"):
            twin_name = "index.html" if page.name == "index.en.html" else "index.en.html"
        else:
            index = run_dir / ("index.html" if _lang(page) == "fr" else "index.en.html")
            assert index.resolve() in targets, page.name
        twin = page.parent / twin_name
        assert twin.is_file() and twin.resolve() in targets, page.name
        assert all(target.is_file() for target in targets), page.name


def test_the_index_is_a_landing_page_in_its_language(demo_run):
    from bs4 import BeautifulSoup

    expected = {"fr": ["Note de synthèse", "Profils des sites", "Analyses", "Téléchargements"],
                "en": ["Evidence brief", "Site profiles", "Analyses", "Downloads"]}
    for name, lang in (("index.html", "fr"), ("index.en.html", "en")):
        soup = BeautifulSoup((demo_run.run_dir / name).read_text(encoding="utf-8"), "lxml")
        headings = [h.get_text(strip=True) for h in soup.find_all("h2")]
        assert headings[:4] == expected[lang], headings
        brief = soup.find("h2").find_parent("section")
        assert "1:3:25" in brief.get_text()
        first = brief.find("a")["href"]
        assert first == f"brief/brief.{lang}.html"
        links = [a.get_text(strip=True) for a in soup.find_all("a")]
        assert not any(re.search(r"\.(csv|png|docx|html)$", text) for text in links), links
        sites = soup.find_all("h2")[1].find_parent("section").find_all("a")
        assert [a["href"] for a in sites] == [f"html/site_profile.{s}.{lang}.html"
                                               for s in "ABCDEFGH"]


def test_each_site_profile_shows_where_its_own_site_stands(demo_run):
    figures = demo_run.run_dir / "figures"
    digests = {hashlib.sha256((figures / f"tokenism_funnel.{s}.fr.png").read_bytes())
               .hexdigest() for s in "ABCDEFGH"}
    assert len(digests) == 8
    for site in "ABCDEFGH":
        fr = (demo_run.run_dir / "html" / f"site_profile.{site}.fr.html").read_text(
            encoding="utf-8")
        en = (demo_run.run_dir / "html" / f"site_profile.{site}.en.html").read_text(
            encoding="utf-8")
        assert f"Le site {site} (" in fr and "moyenne de tous les sites" in fr
        assert f"Site {site} (" in en and "all-site mean" in en


def test_french_typography_on_every_page(demo_run):
    from _reader_text import reader_text

    for page in _pages(demo_run.run_dir):
        if _lang(page) != "fr":
            continue
        text = reader_text(page.read_text(encoding="utf-8"), "fr")
        for line in text.splitlines():
            assert not re.search(r"[^\s\u202f\u00a0][;!?](\s|$)", line), (page.name, line)
            assert not re.search(r"[ \w)][:%](\s|$)", line), (page.name, line)
            assert not re.search(r"(?<![\w\u2212-])-\d", line), (page.name, line)
            assert not re.search(r"[-\u2212]0(,0+)?(\s|\u00a0|$)", line), (page.name, line)


# -- what is shared ------------------------------------------------------------------------------
def _bundle_texts(archive):
    """Every member's text as a reader's program gets it (the parts of Office files too)."""
    for name in archive.namelist():
        data = archive.read(name)
        if name.endswith((".docx", ".xlsx")):
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                for part in inner.namelist():
                    yield f"{name}:{part}", inner.read(part).decode("utf-8", "replace")
        else:
            yield name, data.decode("utf-8", "replace")


def test_the_bundle_holds_what_is_released_and_no_path_of_the_machine(demo_run, project_root):
    bundle = demo_run.run_dir.with_name(f"{demo_run.run_id}.release.zip")
    assert demo_run.manifest["release_bundle"]["name"] == bundle.name
    forbidden = [str(project_root.resolve()), str(demo_run.run_dir.parent.parent.resolve())]
    forbidden += [str(Path.home())] if len(Path.home().parts) > 1 else []
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        assert set(names) == {"manifest.json", *manifest["files"]}
        assert not any(part.startswith(".") for n in names for part in n.split("/"))
        assert {"index.html", "tables/tokenism_rates.csv", "brief/brief.fr.docx",
                "notebooks/03_outcomes.ipynb", "validation.csv"} <= set(names)
        found = [(name, path) for name, text in _bundle_texts(archive) for path in forbidden
                 if path in text]
    assert found == []
    assert manifest["study_file"] == "study.yaml"
    scan = demo_run.manifest["disclosure_scan"]
    assert scan["status"] == "passed" and scan["scanned_files"] == len(names)


def test_the_method_note_reports_the_information_lost(demo_run):
    from bs4 import BeautifulSoup

    loss = demo_run.manifest["stages"]["prepare"]["information_loss"]
    hidden = sum(r["hidden"] for r in loss.values())
    cells = sum(r["cells"] for r in loss.values())
    assert 0 < hidden < cells
    for lang, words in (("fr", "des"), ("en", "of the")):
        html = (demo_run.run_dir / "brief" / f"brief.{lang}.html").read_text(encoding="utf-8")
        text = re.sub(r"[\u00a0\u202f]", " ", BeautifulSoup(html, "lxml").get_text(" "))
        said = re.search(rf"(\d[\d ,]*) {words} (\d[\d ,]*) (?:cellules|cells)", text)
        assert said, lang
        assert [int(re.sub(r"[ ,]", "", g)) for g in said.groups()] == [hidden, cells]
        share = f"{100 * hidden / cells:.1f}"
        assert (f"({share.replace('.', ',')} %)" if lang == "fr" else f"({share}%)") in text
        soup = BeautifulSoup(html, "lxml")
        table = next(c.find_parent("table") for c in soup.find_all("caption")
                     if "information" in c.get_text().lower())
        assert len(table.find("tbody").find_all("tr")) == sum(r["hidden"] > 0
                                                              for r in loss.values())


# -- accessibility: axe-core in Chromium on every page ------------------------------------------
CHROMIUM = "/usr/bin/chromium"
#: axe-core's impacts that fail the check; "moderate" and "minor" ones are reported only.
BLOCKING = ("serious", "critical")


def _axe_script():
    """axe-core's script, as the axe-playwright-python package ships it (MPL-2.0); None with
    the reason when the browser or the script is not installed."""
    import shutil
    from importlib import resources
    from pathlib import Path

    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return None, f"Chromium is not installed ({CHROMIUM}); apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
        script = resources.files("axe_playwright_python").joinpath("axe.min.js")
        return script.read_text(encoding="utf-8"), None
    except (ImportError, FileNotFoundError):
        return None, ("playwright or axe-playwright-python is not installed "
                      "(pip install -e '.[test]')")


def axe_violations(pages, script):
    """axe-core's violations on each page, opened from disk in headless Chromium (no request
    leaves the page): ``[(page, rule, impact, help, first element), ...]``."""
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                            "--disable-dev-shm-usage", "--no-first-run"])
        try:
            for path in pages:
                page = browser.new_page()
                page.route("**/*", lambda route: route.continue_() if route.request.url
                           .startswith(("file:", "data:")) else route.abort())
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                page.evaluate(script)
                result = page.evaluate(
                    "() => axe.run(document, {resultTypes: ['violations']})")
                for violation in result["violations"]:
                    target = violation["nodes"][0]["target"] if violation["nodes"] else []
                    found.append((path.name, violation["id"], violation["impact"],
                                  violation["help"], target))
                page.close()
        finally:
            browser.close()
    return found


def test_no_serious_accessibility_violation_on_any_page(demo_run):
    script, reason = _axe_script()
    if script is None:
        pytest.skip(reason)
    pages = _pages(demo_run.run_dir)
    assert len(pages) == 2 * (len(NOTEBOOKS) + 8) + 2 + 2
    found = axe_violations(pages, script)
    blocking = [v for v in found if v[2] in BLOCKING]
    assert blocking == [], blocking[:10]


def _hidden_cell_shown(text: str) -> str:
    """``text`` with the first hidden cell of a rendered table showing a number."""
    match = re.search(r"""(<td[^>]*data-column=["'][^"']+["'][^>]*>)x(</td>)""", text)
    assert match is not None, "no hidden cell shown on this page"
    return text[:match.start()] + match.group(1) + "3" + match.group(2) + text[match.end():]


def _tampered_copy(run_dir: Path, folder: Path) -> Path:
    """A copy of the shared part of a run: a page shows a hidden cell, the Word brief another
    count than the table releases, a notebook a count of a site the tables do not have."""
    import shutil

    import docx

    from evalkit.release.shown import docx_cells

    copy = folder / run_dir.name
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(".work"))
    page = copy / "html" / "01_data_quality.fr.html"
    page.write_text(_hidden_cell_shown(page.read_text(encoding="utf-8")), encoding="utf-8")
    brief = copy / "brief" / "brief.en.docx"
    cell = next(c for c in docx_cells(brief, lang="en")  # a table's cell, not a sentence's
                if c.place.startswith("table[") and c.columns == ("n_consulted",)
                and c.text.isdigit())
    k, r, j = (int(n) for n in re.findall(r"\[(\d+)\]", cell.place)[:3])
    document = docx.Document(str(brief))
    document.tables[k - 1].cell(r - 1, j - 1).paragraphs[0].runs[0].text = \
        str(int(cell.text) + 1)
    document.save(str(brief))
    notebook = copy / "notebooks" / "01_data_quality.ipynb"
    text = notebook.read_text(encoding="utf-8")
    at = text.index("data-table='response_counts'")
    notebook.write_text(text[:at] + re.sub(r"data-row='\{&quot;site&quot;:&quot;[^&]+&quot;",
                                           "data-row='{&quot;site&quot;:&quot;ZZ&quot;",
                                           text[at:], count=1), encoding="utf-8")
    return copy


def test_pages_brief_and_notebooks_are_held_against_the_released_tables(demo_run, tmp_path,
                                                                       cli):
    scan = demo_run.manifest["disclosure_scan"]
    assert scan["status"] == "passed" and not scan["by_kind"]  # the clean demo passes
    copy = _tampered_copy(demo_run.run_dir, tmp_path)
    done = cli("check-disclosure", str(copy), "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    found = pd.DataFrame(json.loads(done.stdout)["findings"])
    shown = found[found["kind"].str.startswith("shown_")]
    assert sorted(zip(shown["file"], shown["kind"], strict=True)) == [
        ("brief/brief.en.docx", "shown_differs"), ("html/01_data_quality.fr.html",
                                                   "shown_hidden"),
        ("notebooks/01_data_quality.ipynb", "shown_unreleased")]
    places = dict(zip(shown["file"], shown["place"], strict=True))
    assert re.fullmatch(r"table\[\d+\]:row\[\d+\]:cell\[2\] \(tokenism_rates:n_consulted\)",
                        places["brief/brief.en.docx"])
    assert re.fullmatch(r"\w+:row\[\d+\]:\w+", places["html/01_data_quality.fr.html"])
    assert places["notebooks/01_data_quality.ipynb"].startswith("cell[")
