"""Each notebook runs top to bottom with its defaults, as a user opening it in JupyterLab would
(no run folder: the results are computed when the notebook starts)."""

from __future__ import annotations

import json

import pytest

NAMES = ["01_data_quality", "02_involvement_tokenism", "03_outcomes", "04_qualitative",
         "05_cross_site", "site_profile", "06_evidence_brief"]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_with_its_defaults(name, project_root, tmp_path):
    import papermill

    from evalkit.run.kernel import ensure_kernel

    ensure_kernel()
    folder = project_root / "notebooks"
    out = tmp_path / f"{name}.ipynb"
    # Only the CI switch is set (fewer bootstrap resamples); every other parameter is the
    # notebook's own default, and the notebook runs from its folder, as in JupyterLab.
    papermill.execute_notebook(str(folder / f"{name}.ipynb"), str(out), parameters={"ci": True},
                               kernel_name="evalkit", cwd=str(folder), progress_bar=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code)
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    html = "".join("".join(o.get("data", {}).get("text/html", ""))
                   for c in code for o in c.get("outputs", []))
    assert "data-evalkit-lang='fr'" in html  # the default language
    assert "data-evalkit-lang='en'" not in html


def test_committed_notebooks_have_no_outputs_and_one_parameters_cell(project_root):
    for path in (project_root / "notebooks").glob("*.ipynb"):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
        tagged = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, path.name
        langs = [c["metadata"].get("tags", []) for c in nb["cells"] if c["cell_type"] == "markdown"]
        assert all(("lang-fr" in t) != ("lang-en" in t) for t in langs), path.name
