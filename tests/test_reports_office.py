"""The Word brief as a reader prints it: LibreOffice (Debian's ``libreoffice-writer-nogui``)
turns each language's DOCX into PDF pages, and poppler's ``pdftotext`` reads them back. The
main messages keep to one page, the summary to three and the report to twenty-five, close to
the estimate made without an office suite; accents survive; figures are in the pages.

Without LibreOffice or poppler the module is skipped with its reason, except when the
environment variable CI is "true": then it fails.
"""

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evalkit.present.budget import BUDGETS

RUN_DATE = dt.date(2026, 11, 22)
MOJIBAKE = ("Ã©", "Ã¨", "Ã ", "Ã§", "Â«", "Â»", "â€", "\ufffd")
pytestmark = pytest.mark.slow


def _why_no_office():
    missing = [tool for tool, deb in (("soffice", "libreoffice-writer-nogui"),
                                      ("pdftotext", "poppler-utils"),
                                      ("pdfinfo", "poppler-utils"),
                                      ("pdfimages", "poppler-utils"))
               if not shutil.which(tool)]
    if missing:
        return f"{', '.join(missing)} not found; apt-get install libreoffice-writer-nogui " \
               "poppler-utils"
    return None


@pytest.fixture(scope="module")
def printed(project_root, tmp_path_factory):
    """For each language: the brief, and the text of each printed page of its DOCX."""
    reason = _why_no_office()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the office-suite tests: {reason}")
        pytest.skip(reason)
    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study
    from evalkit.present.brief import build_brief
    from evalkit.present.writers import write_brief_docx

    prepared = prepare_study(load_study(project_root / "data_samples" / "demo"))
    results = compute_results(prepared, n_boot=200)
    folder = tmp_path_factory.mktemp("office")
    # A profile of its own, so that a LibreOffice already open (or a parallel test) is not used.
    profile = (folder / "profile").as_uri()
    out = {}
    for lang in ("fr", "en"):
        brief = build_brief(results, prepared.study, lang=lang, run_date=RUN_DATE)
        docx = write_brief_docx(brief, folder / f"brief.{lang}.docx")
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(folder), str(docx)],
                       check=True, capture_output=True, timeout=300)
        pdf = folder / f"brief.{lang}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                              text=True).stdout
        n_pages = int(next(line.split()[1] for line in info.splitlines()
                           if line.startswith("Pages:")))
        pages = [subprocess.run(["pdftotext", "-f", str(i), "-l", str(i), "-layout", str(pdf),
                                 "-"], check=True, capture_output=True, text=True).stdout
                 for i in range(1, n_pages + 1)]
        text = " ".join(_words(getattr(b, "text", "") or " ".join(getattr(b, "items", ())))
                        for part in brief.parts for b in part.blocks)
        out[lang] = {"brief": brief, "pdf": pdf, "pages": pages, "text": text}
    return out


def _words(text):
    """Text with every run of spaces (no-break ones included) as one space."""
    return " ".join(text.split())


def _part_pages(brief, pages):
    """Pages of each part: from the page showing its label to the page before the next one."""
    starts = []
    for part in brief.parts:
        first = next(i for i, text in enumerate(pages) if _words(part.label) in _words(text))
        starts.append(first)
    ends = starts[1:] + [len(pages)]
    return {part.key: end - start for part, start, end in zip(brief.parts, starts, ends, strict=True)}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_printed_word_brief_keeps_to_1_3_25_pages(printed, lang):
    brief, pages = printed[lang]["brief"], printed[lang]["pages"]
    measured = _part_pages(brief, pages)
    for part, n_pages in measured.items():
        assert n_pages <= BUDGETS[part], (lang, part, n_pages)
        # The estimate in budget.json (made without an office suite) stays close.
        estimate = brief.budget[part][0]
        tolerance = 1.0 if part != "report" else max(2.5, 0.2 * n_pages)
        assert abs(estimate - n_pages) <= tolerance, (lang, part, estimate, n_pages)


def test_printed_word_brief_text_and_figures(printed):
    fr = _words(" ".join(printed["fr"]["pages"]))
    en = _words(" ".join(printed["en"]["pages"]))
    assert _words(printed["fr"]["brief"].title) in fr
    assert "tokénisme" in fr and "Résumé" in fr
    assert not any(m in fr or m in en for m in MOJIBAKE)
    assert "1 page to decide" in en and "page pour décider" not in en
    for lang in ("fr", "en"):
        figures = sum(1 for part in printed[lang]["brief"].parts for b in part.blocks
                      if type(b).__name__ == "Figure")
        listed = subprocess.run(["pdfimages", "-list", str(printed[lang]["pdf"])], check=True,
                                capture_output=True, text=True).stdout.splitlines()[2:]
        assert len(listed) >= figures > 0


def test_word_tables_fit_the_text_width(printed):
    """No table is wider than the page's text (17 cm) and no column is narrower than its
    longest word."""
    from docx import Document
    from docx.shared import Cm

    from evalkit.present.writers import write_brief_docx

    path = write_brief_docx(printed["fr"]["brief"], printed["fr"]["pdf"].with_suffix(".2.docx"))
    doc = Document(str(path))
    assert doc.tables
    for table in doc.tables:
        widths = [column.width for column in table.columns]
        assert all(w is not None for w in widths)
        assert sum(widths) <= Cm(17.01)
        for j, column in enumerate(table.columns):
            longest = max(len(w) for cell in column.cells for w in cell.text.split() or [""])
            assert widths[j] >= Cm(min(0.19 * longest, 17.0 / len(widths) * 0.5)), (j, longest)


def test_ci_installs_the_office_suite(project_root):
    ci = Path(project_root, ".ci", "run").read_text(encoding="utf-8")
    assert "libreoffice-writer-nogui" in ci and "poppler-utils" in ci


def test_word_brief_is_ready_to_send(tmp_path, project_root):
    """Page numbers and a running header, a table of contents, clickable DOIs, styles only
    (no run carries a size, bold or italic of its own), headings kept with what follows."""
    import zipfile

    from docx import Document

    from evalkit.analyse.compute import compute_results
    from evalkit.config.study import load_study
    from evalkit.prepare.study import prepare_study
    from evalkit.present.brief import build_brief
    from evalkit.present.writers import write_brief_docx

    prepared = prepare_study(load_study(project_root / "data_samples" / "demo"))
    results = compute_results(prepared, n_boot=100)
    brief = build_brief(results, prepared.study, lang="fr", run_date=RUN_DATE, figures=False)
    path = write_brief_docx(brief, tmp_path / "brief.fr.docx")
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
        footer = archive.read("word/footer1.xml").decode("utf-8")
        header = archive.read("word/header1.xml").decode("utf-8")
        rels = archive.read("word/_rels/document.xml.rels").decode("utf-8")
    assert "PAGE" in footer and "fldChar" in footer
    assert "Implication des usagers" in header
    assert "TOC \\o" in body
    assert body.count("<w:hyperlink") >= 3 and "https://doi.org/" in rels
    runs = re.findall(r"<w:r>.*?</w:r>|<w:r .*?</w:r>", body)
    assert runs and not any(tag in run for run in runs
                            for tag in ("<w:sz ", "<w:b/>", "<w:i/>", "<w:color "))
    doc = Document(str(path))
    for level in (1, 2, 3):
        assert doc.styles[f"Heading {level}"].paragraph_format.keep_with_next
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    intervals = [c for c in cells if re.search(r"\d(\u00a0%)?[ \u00a0]à[ \u00a0][\u2212]?\d", c)]
    assert intervals and all(" à " not in c for c in intervals)  # no-break spaces


def test_printed_word_brief_ends_no_page_on_a_heading(printed):
    from evalkit.present.document import Heading

    for lang in ("fr", "en"):
        brief = printed[lang]["brief"]
        headings = {_words(b.text) for part in brief.parts for b in part.blocks
                    if isinstance(b, Heading)} | {_words(p.title) for p in brief.parts}
        for i, page in enumerate(printed[lang]["pages"][:-1]):
            lines = [_words(line) for line in page.splitlines() if line.strip()]
            body = [line for line in lines if not re.fullmatch(r"Page \d+", line)]
            assert body and body[-1] not in headings, (lang, i + 1, body[-1])
            # No word is cut at the end of a line (a hyphen the text does not hold).
            for line in body:
                if re.search(r"[a-zà-ÿ]-$", line):
                    assert line.split()[-1] in printed[lang]["text"], (lang, i + 1, line)
