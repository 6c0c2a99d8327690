"""The release check: a clean run passes, a leak planted in any file type is found.

Files are written with the real writers (pandas, openpyxl, python-docx, nbformat, nbconvert,
matplotlib, Pillow), as a run would write them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from evalkit import ConfigError, DisclosurePolicy, PseudonymKey, check_disclosure, write_table

POLICY = DisclosurePolicy(min_cell=5, min_n_for_rates=10)
KEY = PseudonymKey(bytes(range(100, 132)))
NAMES = ["Émilie Tremblay", "Gaétan Côté"]
IDENTIFIERS = ["A-0001", "B-0042", "jo.bouchard@example.org", "Josée Bouchard"]


def results() -> pd.DataFrame:
    return pd.DataFrame({"site": ["A", "B", "C"], "n": [40, 25, 3], "consulted": [12, 7, 2],
                         "rate": [0.3, 0.28, 0.67]})


def figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["A", "B", "C"], [0.3, 0.28, 0.5])
    ax.set_title("Taux de tokénisme par site, 2025-03-14")
    ax.set_ylabel("Proportion (n = 1 234)")
    return fig


def notebook(extra_output: str = "", parameters: dict | None = None):
    nb = new_notebook(cells=[
        new_markdown_cell("# Résultats\n\nTokénisme par site (Sherbrooke, Saint-Laurent)."),
        new_code_cell("seed = 20261122\nsite = 'A'", metadata={"tags": ["parameters"]}),
        new_code_cell("print(rate)", outputs=[
            new_output("stream", name="stdout", text="0.3 (IC 95 % : 0,22 à 0,38)\n"
                       + extra_output)]),
        new_code_cell("table", outputs=[new_output(
            "execute_result", execution_count=3,
            data={"text/plain": results().to_string(), "text/html": results().to_html()})]),
    ])
    nb.metadata["papermill"] = {"parameters": parameters or {"seed": 20261122, "site": "A"}}
    nb.metadata["kernelspec"] = {"name": "evalkit", "display_name": "Python 3 (evalkit)",
                                 "language": "python"}
    return nb


def docx(path: Path, *, header: str = "Note de synthèse", author: str = "evalkit",
         cell: str = "0,30") -> None:
    from docx import Document

    document = Document()
    document.core_properties.author = author
    document.core_properties.title = "Note de synthèse"
    document.sections[0].header.paragraphs[0].text = header
    document.sections[0].footer.paragraphs[0].text = "Page 1"
    document.add_heading("Messages clés", level=1)
    document.add_paragraph("Les usagers sont consultés mais leur avis change peu les décisions.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Site", "Taux"
    table.cell(1, 0).text, table.cell(1, 1).text = "A", cell
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)


def clean_run(root: Path) -> Path:
    run = root / "run"
    (run / "figures").mkdir(parents=True)
    records = [
        write_table(results(), run / "tables" / "rates.csv", counts=["consulted"],
                    estimates=["rate"], n="n", policy=POLICY),
        write_table(results(), run / "tables" / "rates.xlsx", counts=["consulted"],
                    estimates=["rate"], n="n", policy=POLICY, lang="fr"),
    ]
    fig = figure()
    fig.savefig(run / "figures" / "rates.svg", metadata={"Title": "Taux par site"})
    fig.savefig(run / "figures" / "rates.png", metadata={"Title": "Taux par site"}, dpi=50)
    plt.close(fig)
    nb = notebook()
    (run / "notebooks").mkdir()
    nbformat.write(nb, run / "notebooks" / "analysis.ipynb")
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(nb)
    (run / "html").mkdir()
    (run / "html" / "analysis.html").write_text(html, encoding="utf-8")
    docx(run / "brief" / "brief_fr.docx")
    manifest = {"study": "demo-estrie", "run_id": "20250314-120000", "tables": records,
                "parameters": {"seed": 20261122, "confidence": 0.95}, "key": KEY.fingerprint}
    (run / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return run


@pytest.fixture
def run(tmp_path):
    return clean_run(tmp_path)


def scan(run_dir, **kwargs):
    return check_disclosure(run_dir, identifiers=IDENTIFIERS, names=NAMES, key=KEY,
                            policy=POLICY, **kwargs)


def test_a_clean_run_passes_and_the_manifest_says_so(run):
    findings = scan(run)
    assert findings.empty, findings.to_string()
    assert findings.attrs["scanned_files"] == 8
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["disclosure_scan"] == {"status": "passed", "n_findings": 0, "by_kind": {},
                                           "scanned_files": 8,
                                           "audit": {"protection": 3, "hidden_counts": 0,
                                                     "disclosed": []}}
    assert manifest["tables"][0]["path"].endswith("tables/rates.csv")


# -- one planted leak per file type ---------------------------------------------------------------
def leak_csv_name(run):
    frame = results().assign(site=["A", "EMILIE TREMBLAY", "C"])
    write_table(frame, run / "tables" / "rates.csv", counts=["consulted"], policy=POLICY)


def leak_csv_identifier(run):
    frame = pd.DataFrame({"contact": ["Josée  Bouchard"], "n": [12]})
    write_table(frame, run / "tables" / "contacts.csv", counts=["n"], policy=POLICY)


def leak_csv_small_count(run):
    # A table written without disclosure control, declared as a count table in the manifest.
    results().to_csv(run / "tables" / "raw.csv", index=False)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["tables"].append({"path": "/elsewhere/tmp/run/tables/raw.csv",
                               "counts": ["consulted"], "n": "n"})
    (run / "manifest.json").write_text(json.dumps(manifest))


def leak_xlsx_cell(run):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "résumé"
    book.active.append(["site", "rate"])
    details = book.create_sheet("détails")
    details["C7"] = "Rappeler au (819) 555-0142 poste 221"
    book.save(run / "tables" / "details.xlsx")


def leak_xlsx_property(run):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["site", "rate"])
    book.properties.creator = "Gaétan Côté"
    book.save(run / "tables" / "props.xlsx")


def leak_html_attribute(run):
    html = (run / "html" / "analysis.html").read_text()
    html = html.replace("</body>", '<a href="#top" title="Écrire à emilie.tremblay@example.org">'
                                   "haut</a></body>")
    (run / "html" / "analysis.html").write_text(html)


def leak_html_text(run):
    html = (run / "html" / "analysis.html").read_text()
    html = html.replace("</body>", "<p>Code postal du répondant : J1H 5N4</p></body>")
    (run / "html" / "analysis.html").write_text(html)


def leak_html_after_the_end(run):
    html = (run / "html" / "analysis.html").read_text()
    (run / "html" / "analysis.html").write_text(html + "<p>Joindre au 819 555 0142</p>")


def leak_html_name_after_the_end(run):
    # a name with an accent: read with the page's characters, not as Latin-1
    html = (run / "html" / "analysis.html").read_text(encoding="utf-8")
    (run / "html" / "analysis.html").write_text(html + "<p>Merci à Gaétan Côté</p>",
                                                encoding="utf-8")


def leak_docx_header(run):
    docx(run / "brief" / "brief_fr.docx", header="Préparé avec Gaétan Côté")


def leak_docx_table(run):
    docx(run / "brief" / "brief_fr.docx", cell="NAS 046 454 286")


def leak_docx_property(run):
    docx(run / "brief" / "brief_fr.docx", author="Jo.Bouchard@example.org")


def leak_notebook_output(run):
    nbformat.write(notebook(extra_output="outlier: respondent A-0001\n"),
                   run / "notebooks" / "analysis.ipynb")


def leak_notebook_parameter(run):
    nbformat.write(notebook(parameters={"seed": 1, "key": KEY.secret.hex()}),
                   run / "notebooks" / "analysis.ipynb")


def leak_svg_text(run):
    fig = figure()
    fig.axes[0].set_xlabel("Intervenante : Émilie Tremblay")
    fig.savefig(run / "figures" / "rates.svg")
    plt.close(fig)


def leak_svg_metadata(run):
    fig = figure()
    fig.savefig(run / "figures" / "rates.svg", metadata={"Creator": "TREM 5001 0112"})
    plt.close(fig)


def leak_png_text(run):
    fig = figure()
    fig.savefig(run / "figures" / "rates.png", metadata={"Author": "Gaétan Côté"}, dpi=50)
    plt.close(fig)


def leak_png_compressed(run):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "joindre au 819 555 0142", zip=True)
    info.add_itxt("Description", "Émilie Tremblay, J1H 5N4", lang="fr", zip=True)
    Image.new("RGB", (4, 4)).save(run / "figures" / "tiny.png", pnginfo=info)


def leak_notebook_png(run):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Émilie Tremblay")
    buffer = __import__("io").BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG", pnginfo=info)
    nb = notebook()
    nb.cells[2].outputs.append(new_output("display_data", data={
        "image/png": base64.b64encode(buffer.getvalue()).decode()}))
    nbformat.write(nb, run / "notebooks" / "analysis.ipynb")


def leak_key_base64(run):
    (run / "params.json").write_text(json.dumps({"k": base64.b64encode(KEY.secret).decode()}))


def leak_key_raw_bytes(run):
    (run / "blob.bin").write_bytes(b"\x00\x01" + KEY.secret + b"\x00")


LEAKS = [
    (leak_csv_name, "tables/rates.csv", "name", "3:1"),
    (leak_csv_identifier, "tables/contacts.csv", "identifier", "2:"),
    (leak_csv_small_count, "tables/raw.csv", "small_count", "4:consulted"),
    (leak_xlsx_cell, "tables/details.xlsx", "phone", "détails!C7"),
    (leak_xlsx_property, "tables/props.xlsx", "name", "docProps/core.xml:creator"),
    (leak_html_attribute, "html/analysis.html", "email", "/html/body/a/@title"),
    (leak_html_text, "html/analysis.html", "postal_code", "/html/body/p"),
    (leak_html_after_the_end, "html/analysis.html", "phone", "after-html:"),
    (leak_html_name_after_the_end, "html/analysis.html", "name", "after-html:"),
    (leak_docx_header, "brief/brief_fr.docx", "name", "word/header1.xml:p[1]"),
    (leak_docx_table, "brief/brief_fr.docx", "sin", "word/document.xml:p["),
    (leak_docx_property, "brief/brief_fr.docx", "identifier", "docProps/core.xml:creator"),
    (leak_notebook_output, "notebooks/analysis.ipynb", "identifier", "cell[2]:output[0]"),
    (leak_notebook_parameter, "notebooks/analysis.ipynb", "key", "metadata"),
    (leak_notebook_png, "notebooks/analysis.ipynb", "name", "cell[2]:output[1]:image/png:tEXt"),
    (leak_svg_text, "figures/rates.svg", "name", "/"),
    (leak_svg_metadata, "figures/rates.svg", "health_card", "/"),
    (leak_png_text, "figures/rates.png", "name", "tEXt:Author"),
    (leak_png_compressed, "figures/tiny.png", "phone", "zTXt:Comment"),
    (leak_png_compressed, "figures/tiny.png", "postal_code", "iTXt:Description"),
    (leak_key_base64, "params.json", "key", "1:"),
    (leak_key_raw_bytes, "blob.bin", "key", "bytes"),
]


@pytest.mark.parametrize(("plant", "file", "kind", "place"), LEAKS,
                         ids=[f"{p.__name__}-{k}" for p, _, k, _ in LEAKS])
def test_a_planted_leak_is_found(run, plant, file, kind, place):
    plant(run)
    findings = scan(run)
    hits = findings[(findings["file"] == file) & (findings["kind"] == kind)]
    assert len(hits), findings.to_string()
    assert hits["place"].str.startswith(place).any(), hits.to_string()
    others = findings[findings["file"] != file]
    assert others.empty, others.to_string()
    # Excerpts are masked, and the key never shows.
    for excerpt in findings["excerpt"]:
        assert "Tremblay" not in excerpt and "555-0142" not in excerpt
        assert KEY.secret.hex()[:8] not in excerpt
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["disclosure_scan"]["status"] == "failed"
    assert manifest["disclosure_scan"]["by_kind"][kind] >= 1
    if kind not in ("key", "identifier", "name"):  # those need --study (see below)
        from evalkit.cli import main

        assert main(["check-disclosure", str(run)]) == 1


def test_suppressed_cells_are_not_small_counts(run):
    # rates.csv is declared with counts; its small counts were suppressed (empty): no finding.
    lines = (run / "tables" / "rates.csv").read_text().splitlines()
    assert lines[3].startswith("C,,,")
    assert scan(run).empty


def test_a_file_that_cannot_be_read_is_a_finding(run):
    (run / "tables" / "broken.xlsx").write_bytes(b"not a zip")
    findings = scan(run)
    assert findings[["file", "kind"]].values.tolist() == [["tables/broken.xlsx", "unreadable"]]


def test_no_manifest_is_fine(tmp_path):
    (tmp_path / "a.txt").write_text("rien à signaler\n")
    assert check_disclosure(tmp_path).empty
    assert not (tmp_path / "manifest.json").exists()


def test_not_a_folder(tmp_path):
    with pytest.raises(ConfigError, match="not a folder of results"):
        check_disclosure(tmp_path / "nope")


# -- the command --------------------------------------------------------------------------------
def test_command_exit_codes_and_manifest(cli, run, tmp_path):
    clean = cli("check-disclosure", str(run))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Nothing found" in clean.stdout
    (run / "notes.md").write_text("Contact : emilie.tremblay@example.org\n")
    found = cli("check-disclosure", str(run), "--format", "json")
    assert found.returncode == 1
    result = json.loads(found.stdout)
    assert result["status"] == "failed" and result["n_findings"] == 1
    assert result["findings"] == [{"file": "notes.md", "place": "1:11", "kind": "email",
                                   "excerpt": "e*****.t*******@e******.o**"}]
    assert json.loads((run / "manifest.json").read_text())["disclosure_scan"]["n_findings"] == 1
    text = cli("--lang", "fr", "check-disclosure", str(run))
    assert text.returncode == 1 and "courriel" in text.stdout and "1 problème" in text.stdout
    usage = cli("check-disclosure", str(tmp_path / "nope"))
    assert usage.returncode == 2
    assert cli("check-disclosure").returncode == 2


def test_command_with_a_study_refuses_a_key_inside_the_folder(cli, run, tmp_path):
    study = tmp_path / "study"
    study.mkdir()
    (study / "study.yaml").write_text(
        "study: s\ntitle: {fr: É, en: S}\nsources: {survey: [{path: s.csv}]}\n"
        "codebook: codebook.yaml\nroles: {id: id, site: site}\n"
        "privacy: {pseudonymise: [id], key: {file: my.key}}\n", encoding="utf-8")
    (study / "my.key").write_text(KEY.secret.hex())
    result = cli("check-disclosure", str(run), "--study", str(study / "study.yaml"))
    assert result.returncode == 1
    assert "inside the study folder" in result.stderr


def test_command_with_the_demo_study(cli, tmp_path):
    from evalkit.datasets import make_demo_study

    study = make_demo_study(tmp_path / "demo", n_sites=2, n_per_site=20, formats="plain")
    survey = pd.read_csv(tmp_path / "demo" / "survey_w1.csv")
    contact = survey["contact_name"].dropna().iloc[0]
    respondent = survey["respondent_id"].iloc[3]
    demo_key = (tmp_path / "demo" / "demo.key").read_text().splitlines()[1]
    run = tmp_path / "run"
    (run / "tables").mkdir(parents=True)
    write_table(pd.DataFrame({"site": ["A"], "n": [12]}), run / "tables" / "ok.csv",
                counts=["n"], policy=POLICY)
    clean = cli("check-disclosure", str(run), "--study", str(study))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "demo key" in clean.stderr
    (run / "notes.md").write_text(f"À revoir : {respondent}, avec {contact.upper()}.\n"
                                  f"seed: 1\nkey: {demo_key}\n")
    found = cli("check-disclosure", str(run), "--study", str(study), "--format", "json")
    assert found.returncode == 1
    kinds = sorted(f["kind"] for f in json.loads(found.stdout)["findings"])
    assert kinds == ["identifier", "identifier", "key"]


def test_images_embedded_in_notebook_html_outputs_are_not_read_as_words(tmp_path):
    import base64

    import nbformat

    # Random-looking base64 holds strings shaped like postal codes (e.g. "/E1B2C3+").
    payload = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40).decode()
    payload = payload[:200] + "/E1B2C3+" + payload[200:]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={
            "text/html": f"<figure><img src='data:image/png;base64,{payload}'>"
                         "<figcaption>Taux par site</figcaption></figure>"})])])
    run = tmp_path / "run"
    (run / "notebooks").mkdir(parents=True)
    nbformat.write(nb, run / "notebooks" / "a.ipynb")
    findings = check_disclosure(run, update_manifest=False)
    assert findings.empty, findings.to_string()


def test_excluded_folders_are_not_scanned(tmp_path):
    run = tmp_path / "run"
    (run / ".work").mkdir(parents=True)
    (run / ".work" / "private.txt").write_text("Appelez au 819 555-0142.\n", encoding="utf-8")
    (run / "page.txt").write_text("Rien à signaler.\n", encoding="utf-8")
    assert len(check_disclosure(run, update_manifest=False)) == 1
    found = check_disclosure(run, update_manifest=False, exclude=(".work",))
    assert found.empty and found.attrs["scanned_files"] == 1


def test_papermill_timings_are_not_read_as_identifiers(tmp_path):
    import nbformat

    # A cell that ran in 0.100095 s, in a study whose respondent IDs are six-digit numbers.
    cell = nbformat.v4.new_code_cell(source="x = 1")
    cell.metadata["papermill"] = {"duration": 0.100095, "status": "completed",
                                  "start_time": "2026-12-03T00:10:54.100095+00:00",
                                  "end_time": "2026-12-03T00:10:54.332428+00:00"}
    leak = nbformat.v4.new_code_cell(source="y = 2")
    leak.metadata["papermill"] = {"duration": 0.1, "note": "respondent 100096"}
    nb = nbformat.v4.new_notebook(cells=[cell, leak])
    run = tmp_path / "run"
    (run / "notebooks").mkdir(parents=True)
    nbformat.write(nb, run / "notebooks" / "a.ipynb")
    findings = check_disclosure(run, identifiers=["100095", "100096"], update_manifest=False)
    assert findings["place"].tolist() == ["cell[1]:metadata"], findings.to_string()
