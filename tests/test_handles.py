"""Notebooks, site profiles, the brief and the index reach tables only by handles the table
catalogue declares: every handle written in them is checked here, so that a misspelt or renamed
table fails in the tests, never silently in a run."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from evalkit.analyse.catalogue import UnknownTableError, catalogue

ROOT = Path(__file__).resolve().parents[1]

#: Functions whose text arguments are table handles, wherever they are called.
HANDLE_FUNCTIONS = {"table_spec", "table_title", "released_table", "with_site", "site_key",
                    "_about", "ReleasedTables", "TableAbsent", "Absence"}
#: Methods whose text arguments are table handles, by what they are called on.
HANDLE_METHODS = {"table", "released", "get", "absence", "require", "frame", "instances",
                  "each", "has", "title", "absent", "note", "key", "spec", "resolve"}
RECEIVERS = re.compile(r"(^|\.)(nb|ctx|tables|results|catalogue\(\))$")
#: ``ctx.frame(...)`` in the analyses names a data frame of a method note, not a table.
NOT_ON = {"frame": re.compile(r"(^|\.)ctx$")}
#: Text that is a table handle's shape (catalogue messages have dots, roles are not tables).
SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\{[a-z]+\}[a-z0-9_]*)*$")
ROLES = {"site", "wave", "group"}


def _handle_like(node: ast.AST) -> str | None:
    """A handle written as text: a string, or an f-string whose fields become ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    else:
        return None
    probe = text.replace("{}", "{x}")
    return text if SHAPE.match(probe) and text not in ROLES else None


def _receiver(node: ast.Attribute) -> str:
    return ast.unparse(node.value)


def handles_in(source: str, where: str) -> list[tuple[str, str]]:
    """The table handles a piece of Python code writes as text, with where each is."""
    found = []
    for node in ast.walk(ast.parse(source)):
        args: list[ast.AST] = []
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in HANDLE_FUNCTIONS:
                args = list(node.args)
            elif isinstance(func, ast.Attribute) and func.attr in HANDLE_METHODS and \
                    RECEIVERS.search(_receiver(func)) and not (
                        func.attr in NOT_ON and NOT_ON[func.attr].search(_receiver(func))):
                args = list(node.args[:1])
        elif isinstance(node, ast.Subscript) and re.search(
                r"(tables|results)$", ast.unparse(node.value)):
            args = [node.slice]
        elif isinstance(node, ast.Compare) and any(isinstance(o, ast.In | ast.NotIn)
                                                   for o in node.ops):
            if re.search(r"(^nb|tables|results)$", ast.unparse(node.comparators[0])):
                args = [node.left]
        for arg in args:
            text = _handle_like(arg)
            if text is not None:
                found.append((text, f"{where}:{getattr(arg, 'lineno', '?')}"))
    return found


def _declared(text: str) -> bool:
    if "{}" not in text:
        return catalogue().is_declared(text)
    pattern = re.compile("^" + re.escape(text).replace(r"\{\}", r"[^_]+(?:_[^_]+)*") + "$")
    families = [h for h in catalogue() if "{" in h]
    return any(pattern.match(re.sub(r"\{\w+\}", "x", h)) or
               pattern.match(h) for h in families) or \
        any(catalogue().is_declared(text.replace("{}", value))
            for value in ("wellbeing", "fr", "en"))


def _sources() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                out.append(("".join(cell["source"]), f"{path.name} cell {i}"))
    # Tables exist from the analyses on: the stages that make, release and show them.
    for stage in ("analyse", "release", "present", "run", "cli", "datasets"):
        for path in sorted((ROOT / "src" / "evalkit" / stage).rglob("*.py")):
            out.append((path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))))
    return out


def test_every_table_handle_in_the_notebooks_and_the_package_is_declared():
    found = [h for source, where in _sources() for h in handles_in(source, where)]
    # The scan finds the handles of the notebooks, the brief and the index: it is not blind.
    places = {where.split(":")[0].split(" cell")[0] for _, where in found}
    assert {"04_qualitative.ipynb", "site_profile.ipynb", "src/evalkit/present/brief.py",
            "src/evalkit/present/messages.py", "src/evalkit/present/figures.py"} <= places
    assert len(found) > 100
    undeclared = [f"{where}: {text!r}" for text, where in found if not _declared(text)]
    assert undeclared == []


@pytest.mark.parametrize("code", [
    'nb.table("tokenism_rate")',
    'nb.released("outcome_changes", site=site)',
    'ctx.tables["trafic_light"]',
    'if "code_frequency" in nb:\n    pass',
    'nb.table(f"scores_{name}")',
    'released_table(results, "tokenism_fun", policy=policy)',
])
def test_the_scan_catches_a_misspelt_handle(code):
    found = handles_in(code, "example")
    assert found and not any(_declared(text) for text, _ in found)


def test_the_scan_passes_declared_handles_and_families():
    code = ('nb.table("tokenism_rates")\nnb.table(f"reliability_{scale}")\n'
            'nb.table("framework_{lang}")\nctx.tables.get(f"quotes_{ctx.lang}")')
    found = handles_in(code, "example")
    assert len(found) == 4 and all(_declared(text) for text, _ in found)


def test_an_undeclared_handle_is_an_error_at_once_in_a_notebook_session(tmp_path):
    from evalkit.analyse.results import Results
    from evalkit.release.tables import ReleasedTables

    tables = ReleasedTables(Results(), policy={"min_cell": 5, "min_n_for_rates": 10})
    with pytest.raises(UnknownTableError, match="Did you mean tokenism_rates"):
        tables.get("tokenism_rate")
    with pytest.raises(UnknownTableError):
        "tokenism_rate" in tables  # noqa: B015 - asking is the test
    assert tables.get("tokenism_rates") is None  # declared, not computed
    assert tables.absence("tokenism_rates").reason == "absent.not_computed"
