"""Code-free HTML pages of executed notebooks: outputs and text only, images embedded.

Each page stands alone (styles and images inside the file) so that it can be sent by e-mail or
put on an intranet as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["HIDDEN_CELL_TAGS", "export_html"]

#: Cells with one of these tags are left out of the page (the parameter cells, and cells the
#: author marks ``remove-cell``); ``remove-output`` drops a cell's outputs only.
HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell"})


def _exporter(lang: str) -> Any:
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(HIDDEN_CELL_TAGS)
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    templates = Path(__file__).resolve().parent / "templates"
    exporter = HTMLExporter(config=config, template_name="lab",
                            extra_template_paths=[str(templates)],
                            template_file="evalkit_page.html.j2",
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True,
                            language_code=lang)
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    return exporter


def export_html(nb: Any, path: str | Path, *, lang: str = "fr", title: str = "") -> Path:
    """Write the code-free HTML page of the executed notebook ``nb`` to ``path``.

    Parameters
    ----------
    nb : nbformat.NotebookNode or path
        The executed notebook.
    path : str or Path
        The page to write (its folder is created).
    lang : str
        The page's language (the ``lang`` attribute of ``<html>``).
    title : str
        The page's title.

    Returns
    -------
    Path
    """
    import nbformat

    if isinstance(nb, str | os.PathLike):
        nb = nbformat.read(str(nb), as_version=4)
    resources = {"metadata": {"name": title or "evalkit"}}
    body, _ = _exporter(lang).from_notebook_node(nb, resources=resources)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path
