"""The import graph of evalkit: arrows point from later stages to earlier ones, never back.

The graph is built from the source with :mod:`ast` (nothing is imported): one node per module
of ``src/evalkit``, one edge per first-party import. The checks below are what
``docs/architecture.md`` promises; the tests on a tiny synthetic package prove that each check
can fail.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: The stages, earliest first. A module may import its own stage and earlier ones only.
STAGES: tuple[str, ...] = ("bottom", "read", "config", "validate", "prepare", "analyse",
                           "release", "present", "datasets", "run", "cli")
#: Small shared modules (and the message catalogues) under every stage.
BOTTOM: frozenset[str] = frozenset({"errors", "i18n", "_checks", "_lazy", "_files", "_docs",
                                    "_lifetime", "_version"})
#: Modules allowed at the top of the package besides these three.
TOP_LEVEL_FREE: frozenset[str] = frozenset({"__init__", "__main__", "_version"})
MAX_TOP_LEVEL = 6
#: First-party imports allowed inside a function, each with its reason. Keep it empty:
#: ``import evalkit`` stays fast through the lazy public API, not through hidden imports.
LOCAL_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


@dataclass
class Graph:
    """First-party modules and the imports between them."""

    package: str
    modules: set[str] = field(default_factory=set)
    edges: set[tuple[str, str]] = field(default_factory=set)
    #: (importer, imported, line) of first-party imports made inside a function.
    local: list[tuple[str, str, int]] = field(default_factory=list)
    #: (module, target) of ``'package.module:function'`` strings (imported on first use).
    deferred: set[tuple[str, str]] = field(default_factory=set)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_package(name: str, root: Path) -> bool:
    return (root / Path(*name.split(".")) / "__init__.py").is_file()


def _resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(node: ast.AST, current: str, is_package: bool, modules: set[str]) -> list[str]:
    """The first-party modules an import statement loads (the most specific known module)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _resolve(node, current, is_package)
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                 for alias in node.names]
    found = []
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name:
            found.append(name)
    return found


class _Visitor(ast.NodeVisitor):
    def __init__(self, graph: Graph, module: str, is_package: bool) -> None:
        self.graph, self.module, self.is_package = graph, module, is_package
        self.depth = 0

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for target in _targets(node, self.module, self.is_package, self.graph.modules):
            if target == self.module:
                continue
            self.graph.edges.add((self.module, target))
            if self.depth:
                self.graph.local.append((self.module, target, node.lineno))

    visit_Import = visit_ImportFrom = _import

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and value.startswith(self.graph.package + ".") \
                and ":" in value and " " not in value:
            target = value.partition(":")[0]
            if target in self.graph.modules:
                self.graph.deferred.add((self.module, target))


def build_graph(root: Path, package: str) -> Graph:
    """The import graph of ``root/package`` (a folder of Python source)."""
    graph = Graph(package)
    files = sorted((root / package).rglob("*.py"))
    graph.modules = {_module_name(p, root) for p in files}
    for path in files:
        name = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _Visitor(graph, name, path.name == "__init__.py").visit(tree)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    adjacency: dict[str, list[str]] = {m: [] for m in graph.modules}
    for a, b in sorted(graph.edges):
        adjacency[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:
        # iterative Tarjan: (node, iterator over its successors)
        work = [(start, iter(adjacency[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(adjacency[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found)


def stage_of(module: str, package: str) -> str | None:
    """The stage a module belongs to; None for the package's own ``__init__``."""
    parts = module.split(".")
    if parts == [package]:
        return None
    first = parts[1]
    if first in BOTTOM:
        return "bottom"
    if first == "__main__":
        return "cli"
    return first


def upward_arrows(graph: Graph, *, deferred: bool = True) -> list[tuple[str, str]]:
    """Imports from an earlier stage into a later one (or into a module of no known stage)."""
    rank = {name: i for i, name in enumerate(STAGES)}
    edges = graph.edges | (graph.deferred if deferred else set())
    bad = []
    for a, b in sorted(edges):
        stage_a, stage_b = stage_of(a, graph.package), stage_of(b, graph.package)
        if stage_a is None:  # the lazy public API may name anything
            continue
        if stage_a not in rank or stage_b not in rank or rank[stage_b] > rank[stage_a]:
            bad.append((a, b))
    return bad


def top_level_modules(root: Path, package: str) -> list[str]:
    return sorted(p.stem for p in (root / package).glob("*.py") if p.stem not in TOP_LEVEL_FREE)


# -- the checks on evalkit ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(SRC, "evalkit")


def test_the_graph_is_the_package(graph, capsys):
    # Sanity: the graph sees every module and a realistic number of imports.
    assert "evalkit.read._registry" in graph.modules
    assert ("evalkit.validate.study", "evalkit.config.study") in graph.edges
    assert len(graph.modules) > 100 and len(graph.edges) > 300
    with capsys.disabled():
        print(f"\nimport graph: {len(graph.modules)} modules, {len(graph.edges)} edges, "
              f"{len(cycles(graph))} cycles, {len(graph.deferred)} deferred references")


def test_no_import_cycle(graph):
    assert cycles(graph) == []


def test_every_module_belongs_to_a_stage(graph):
    unknown = sorted({m for m in graph.modules
                      if stage_of(m, "evalkit") not in (None, *STAGES)})
    assert unknown == []


def test_arrows_point_to_earlier_stages_only(graph):
    assert upward_arrows(graph) == []


def test_nothing_outside_the_command_line_imports_it(graph):
    into_cli = sorted((a, b) for a, b in graph.edges | graph.deferred
                      if b.startswith("evalkit.cli") and stage_of(a, "evalkit") != "cli")
    assert into_cli == []


def test_first_party_imports_at_module_top(graph):
    local = [(a, b, line) for a, b, line in graph.local if (a, b) not in LOCAL_IMPORTS_ALLOWED]
    assert local == []


def test_few_modules_at_the_top_of_the_package():
    modules = top_level_modules(SRC, "evalkit")
    assert len(modules) <= MAX_TOP_LEVEL, modules


# -- the checker can fail: a tiny package with each defect ---------------------------------------
def _package(tmp_path: Path, files: dict[str, str]) -> Graph:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return build_graph(tmp_path, "pkg")


def test_checker_finds_a_cycle_and_an_upward_arrow(tmp_path):
    graph = _package(tmp_path, {
        "__init__.py": "from pkg.cli import main\n",
        "errors.py": "from pkg import i18n\n",
        "i18n.py": "from . import errors\n",
        "read/__init__.py": "",
        "read/core.py": "from pkg.validate.rules import RULES\n",
        "validate/__init__.py": "",
        "validate/rules.py": "from ..read import core\nRULES = 1\n",
        "cli/__init__.py": "def main():\n    from pkg.read import core\n",
        "run/__init__.py": "RUN = 'pkg.cli:main'\n",
    })
    assert cycles(graph) == [["pkg.errors", "pkg.i18n"],
                             ["pkg.read.core", "pkg.validate.rules"]]
    assert upward_arrows(graph) == [("pkg.read.core", "pkg.validate.rules"),
                                    ("pkg.run", "pkg.cli")]
    assert graph.local == [("pkg.cli", "pkg.read.core", 2)]
    assert ("pkg", "pkg.cli") in graph.edges  # the package __init__ may name anything
    assert ("pkg.run", "pkg.cli") not in upward_arrows(graph, deferred=False)


def test_checker_passes_a_clean_package(tmp_path):
    graph = _package(tmp_path, {
        "__init__.py": "",
        "errors.py": "",
        "read/__init__.py": "from pkg.errors import *\n",
        "config/study.py": "from pkg.read import x\nimport pkg.errors\n",
        "cli/__init__.py": "from pkg.config.study import y\n",
    })
    assert cycles(graph) == []
    assert upward_arrows(graph) == []
    assert graph.local == []
    assert ("pkg.config.study", "pkg.read") in graph.edges
    assert ("pkg.config.study", "pkg.errors") in graph.edges
