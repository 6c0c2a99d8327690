"""Code-free HTML pages of executed notebooks, with evalkit's look.

nbconvert renders the cells (its ``basic`` template, without code, prompts or the parameter
cells); the page around them is evalkit's: the shared style sheet inline, the study's title and
the run date, a table of contents built from the headings, the non-validated label wherever the
tokenism index appears and a footer of method notes with references. Nothing on the page asks
the network for anything: no script, style sheet or font is fetched.

A notebook executed once for several languages keeps each language apart: markdown cells tagged
``lang-fr`` or ``lang-en``, and output elements with ``data-evalkit-lang="fr"`` (what the
notebook helpers of :mod:`evalkit.present.session` write); each page keeps its own language only.

How a notebook says that it shows the tokenism index (any one is enough):

- notebook metadata ``{"evalkit": {"non_validated": true}}``: the label goes under the title;
- a cell tagged ``non-validated``: the label goes at the top of that cell's outputs;
- an output holding an element with ``data-evalkit-index="tokenism"`` (what
  :func:`evalkit.present.display.show_table` and ``show_figure`` write for tables and figures
  of the index): the label goes just before it, unless the output already carries one.

Which method notes the footer holds: the keys listed in the notebook metadata
``{"evalkit": {"methods": [...]}}`` and in elements ``data-evalkit-method="KEY"`` of the
outputs (keys of :data:`evalkit.present.methods.METHODS`); the note on the tokenism index is
added when the index appears; the notes on intervals and confidentiality are always there.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from evalkit.i18n import LANGUAGES, _check_lang, format_date, label, t
from evalkit.i18n import warm_up as warm_messages
from evalkit.present._text import typography
from evalkit.present.html import TocEntry, nav_html, non_validated_html, page_html, slug
from evalkit.present.methods import METHODS, method_notes

__all__ = ["HIDDEN_CELL_TAGS", "NON_VALIDATED_TAG", "export_notebook_html", "notes_html"]

#: Cells with one of these tags are left out of the page; ``remove-output`` drops a cell's
#: outputs only.
HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell"})
#: The tag of a cell whose outputs show the tokenism index.
NON_VALIDATED_TAG = "non-validated"
#: Method notes every page carries.
ALWAYS = ("intervals", "disclosure")


@functools.cache
def _exporter_class() -> type:
    """nbconvert's HTML exporter without its last pass, which reparses the whole page with
    BeautifulSoup (half of a page's export) to give images without a description an English
    one; :func:`_clean` gives them one in the page's language."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            # HTMLExporter's filters, as it registers them, then the template alone.
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name"))
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", _highlight(lexer, self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", _data_type_filter(self, resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PageExporter


def _highlight(lexer: Any, parent: Any) -> Any:
    from nbconvert.filters.highlight import Highlight2HTML

    return Highlight2HTML(pygments_lexer=lexer, parent=parent)


def _data_type_filter(exporter: Any, resources: Any) -> Any:
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    return WidgetsDataTypeFilter(notebook_metadata=exporter._nb_metadata, parent=exporter,
                                 resources=resources)


@functools.lru_cache(maxsize=len(LANGUAGES))
def _page_exporter(lang: str) -> Any:
    """The exporter of the pages in ``lang``, made once per process: nbconvert compiles its
    Jinja templates once per exporter (about 0.2 CPU s), and a worker exports many pages."""
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    others = {f"lang-{other}" for other in LANGUAGES if other != lang}
    config.TagRemovePreprocessor.remove_cell_tags = set(HIDDEN_CELL_TAGS) | others
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    exporter = _exporter_class()(config=config, template_name="basic", exclude_input=True,
                                 exclude_input_prompt=True, exclude_output_prompt=True,
                                 embed_images=True, anchor_link_text="",
                                 # once, after the preprocessors (not after each of the dozen,
                                 # most of them disabled): a fifth of a page's export
                                 optimistic_validation=True)
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    return exporter


def warm_up() -> None:
    """Make the exporter of every language and compile its templates, on a small notebook
    with the outputs a report has (markdown, text, an HTML table, an image): a process that
    exports pages does it while it waits for its first notebook, not on that notebook's
    pages (about 0.3 CPU s). The message catalogues and babel's dates are read too."""
    import nbformat

    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2O"
           "UAAAAABJRU5ErkJggg==")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Titre\n\n*Texte* et `code`."),
        nbformat.v4.new_code_cell("x", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="1\n"),
            nbformat.v4.new_output("display_data", data={
                "text/html": "<table><tr><td>1</td></tr></table>", "image/png": png,
                "text/plain": "1"}),
            nbformat.v4.new_output("execute_result", data={"text/plain": "1"},
                                   execution_count=1)])])
    for lang in LANGUAGES:
        _cells_html(nb, lang=lang)
    warm_messages()


def _cells_html(nb: Any, *, lang: str) -> str:
    body, _ = _page_exporter(lang).from_notebook_node(nb, resources={"metadata": {"path": ""}})
    return body


def _keep_language(root: Any, lang: str) -> None:
    """Drop what a bilingual notebook shows in the other languages (``data-evalkit-lang``)."""
    for element in root.xpath("//*[@data-evalkit-lang]"):
        if element.get("data-evalkit-lang") != lang and element.getparent() is not None:
            element.getparent().remove(element)


def _external(url: str | None) -> bool:
    """A URL that would be fetched from the network (``data:`` and local paths are not)."""
    url = (url or "").strip().lower()
    return url.startswith(("http:", "https:", "ftp:", "//"))


def _clean(root: Any, lang: str) -> None:
    """Drop what would reach the network or needs a kernel: scripts, external style sheets,
    frames, and external sources of images and media; say so of an image without a
    description."""
    for element in list(root.iter("script", "link", "iframe", "object", "embed")):
        if element.tag == "script" or _external(element.get("href") or element.get("src")
                                                 or element.get("data")):
            element.drop_tree()
    for element in root.iter("img", "source", "video", "audio"):
        if _external(element.get("src")):
            element.set("src", "")
            element.set("data-removed", "external")
    for element in root.iter("img"):
        if element.get("alt") is None:
            element.set("alt", t("reports.page.no_alt", lang))
    for element in root.iter("a"):
        if element.get("class") == "anchor-link":
            element.drop_tree()


def _headings(root: Any) -> list[TocEntry]:
    taken: set[str] = set()
    entries = []
    for element in root.iter("h1", "h2", "h3"):
        text = " ".join(element.text_content().split())
        if not text:
            continue
        # nbconvert's ids keep accents percent-encoded: plain ASCII anchors link everywhere.
        anchor = slug(text, taken)
        element.set("id", anchor)
        entries.append(TocEntry(anchor, text, 1 if element.tag in ("h1", "h2") else 2))
    # A notebook's own h1 is a section of the page (the page's h1 is the study title).
    return entries


def _label_element(lang: str) -> Any:
    from lxml import html as lxml_html

    return lxml_html.fragment_fromstring(non_validated_html(lang))


def _mark_non_validated(root: Any, lang: str) -> bool:
    """Insert the label where the index appears; True when it appears anywhere."""
    found = False
    for cell in root.find_class(f"celltag_{NON_VALIDATED_TAG}"):
        outputs = cell.find_class("output_wrapper") or [cell]
        outputs[0].insert(0, _label_element(lang))
        found = True
    for element in root.xpath("//*[@data-evalkit-index='tokenism']"):
        found = True
        previous = element.getprevious()
        inside = element.xpath(".//*[@data-evalkit='non-validated-label']")
        before = previous is not None and previous.get("data-evalkit") == "non-validated-label"
        if not inside and not before:
            element.addprevious(_label_element(lang))
    if root.xpath("//*[@data-evalkit='non-validated-label']"):
        found = True
    return found


def notes_html(keys: list[str], lang: str, *, policy: Any = None) -> str:
    """The footer of method notes with their references."""
    notes = method_notes(keys, lang, policy=policy)
    parts = [f"<h2>{escape(typography(t('reports.notes.title', lang), lang))}</h2>"]
    for note in notes:
        refs = "".join(f"<li>{escape(r)}</li>" for r in note.references)
        parts.append(f"<h3>{escape(note.title)}</h3><p>{escape(note.text)}</p>"
                     f"<ul class='ek-references'>{refs}</ul>")
    return "".join(parts)


def _method_keys(root: Any, nb: Any, non_validated: bool) -> list[str]:
    meta = (nb.metadata.get("evalkit") or {}) if hasattr(nb, "metadata") else {}
    keys = set(meta.get("methods") or [])
    keys |= {str(v) for v in root.xpath("//@data-evalkit-method")}
    if non_validated:
        keys.add("tokenism_index")
    keys |= set(ALWAYS)
    return [k for k in METHODS if k in keys]


def export_notebook_html(notebook: str | os.PathLike | Any, out_path: str | os.PathLike, *,
                         study: Any, lang: str, run_date: dt.date | str,
                         title: str | None = None, index: str | None = None,
                         twins: Mapping[str, str] | None = None) -> Path:
    """Write the code-free HTML page of an executed notebook.

    Parameters
    ----------
    notebook : path or nbformat.NotebookNode
        The executed notebook (``.ipynb``), or the notebook already read (left unchanged:
        a run reads it once for the pages of all its languages).
    out_path : path
        The page to write (its folder is created).
    study : evalkit.config.study.Study
        Gives the page's title (the study's), the organisation and the disclosure thresholds
        quoted in the method notes.
    lang : {'fr', 'en'}
    run_date : date or ISO string
        The date of the run, printed in the locale's format.
    title : str, optional
        The notebook's title, printed under the study's (e.g. "Site profile: A").
    index, twins : optional
        Links, relative to the page, to the run's index and to the page in the other
        languages (language → link); see :func:`evalkit.present.html.nav_html`.

    Returns
    -------
    Path
        ``out_path``.

    Notes
    -----
    Code cells, prompts and cells tagged ``parameters``, ``injected-parameters`` or
    ``remove-cell`` are left out; markdown and outputs are kept; images are embedded as data
    URIs; the style sheet is inline. See the module's documentation for how the tokenism
    index is detected and how the method notes are chosen.
    """
    import nbformat
    from lxml import html as lxml_html


    _check_lang(lang)
    run_date = dt.date.fromisoformat(run_date[:10]) if isinstance(run_date, str) else run_date
    nb = (notebook if isinstance(notebook, nbformat.NotebookNode)
          else nbformat.read(os.fspath(notebook), as_version=4))
    cells = _cells_html(nb, lang=lang)
    root = lxml_html.fragment_fromstring(cells, create_parent="div")
    _keep_language(root, lang)
    _clean(root, lang)
    toc = _headings(root)
    meta = nb.metadata.get("evalkit") or {}
    flagged = bool(meta.get("non_validated"))
    found = _mark_non_validated(root, lang) or flagged
    body = "".join(lxml_html.tostring(child, encoding="unicode") for child in root)
    if root.text and root.text.strip():
        body = escape(root.text) + body
    if flagged:
        body = non_validated_html(lang) + body
    report = getattr(study, "report", None)
    organisation = label(report.organisation, lang) if report and report.organisation else ""
    page = page_html(
        lang=lang, title=label(study.title, lang), subtitle=title or organisation,
        meta=[t("reports.page.run_date", lang, date=format_date(run_date, lang)),
              organisation if title else ""],
        toc=toc, body=f"<div class='ek-notebook'>{body}</div>",
        footer=notes_html(_method_keys(root, nb, found), lang, policy=getattr(study, "privacy",
                                                                             None)),
        head_title=f"{title} – {label(study.title, lang)}" if title else label(study.title, lang),
        nav=nav_html(lang, index=index, twins=twins))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(page, encoding="utf-8")
    return out_path
