"""Notebook parameters: what a notebook's ``parameters`` cell declares, checked before any kernel.

papermill only warns about a parameter the notebook does not declare; a run refuses unknown,
missing and ill-typed parameters, and any value that is, or looks like, a secret key.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, PrivacyError
from evalkit.i18n import t

__all__ = [
    "RUN_PARAMETERS",
    "Parameter",
    "ParameterError",
    "ParameterProblem",
    "check_parameters",
    "guard_secrets",
    "notebook_parameters",
]

#: The parameters ``evalkit run`` passes to every notebook (and ``site`` to per-site ones), with
#: the types of their values. Every notebook's ``parameters`` cell declares them.
RUN_PARAMETERS: dict[str, str] = {
    "study_file": "str",
    "run_dir": "str",
    "lang": "str",
    "site": "str or None",
    "seed": "int",
    "bootstrap": "int",
    "confidence": "float",
    "ci": "bool",
}

_NO_DEFAULT = object()
_UNKNOWN_DEFAULT = object()
_SIMPLE_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "None": type(None)}


@dataclass(frozen=True)
class Parameter:
    """One parameter declared in a notebook's ``parameters`` cell.

    Attributes
    ----------
    name : str
    types : tuple of str or None
        The type names the parameter accepts (``"str"``, ``"int"``, ``"float"``, ``"bool"``,
        ``"None"``), from its annotation or the type of its default; None accepts any value.
    default : Any
        The default value (a literal), when there is one.
    has_default : bool
    line : int
        The line of the declaration in the cell (1-based).
    """

    name: str
    types: tuple[str, ...] | None
    default: Any = None
    has_default: bool = True
    line: int = 1

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has a type this parameter accepts (an int is a float; a bool is not
        an int)."""
        if self.types is None:
            return True
        kind = _type_name(value)
        return kind in self.types or (kind == "int" and "float" in self.types)

    @property
    def expected(self) -> str:
        return " or ".join(self.types) if self.types else "any value"


@dataclass(frozen=True)
class ParameterProblem:
    """One problem found in a notebook's parameters, with both languages' messages."""

    notebook: str
    key: str
    params: dict

    def render(self, lang: str = "en") -> str:

        return f"{self.notebook}: {t(self.key, lang, **self.params)}"


class ParameterError(ConfigError):
    """Notebook parameters do not match what the run passes (every problem, each located)."""

    def __init__(self, problems: list[ParameterProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(p.render("en") for p in self.problems),
                         message_fr="\n".join(p.render("fr") for p in self.problems))

    def render(self, lang: str = "en") -> str:

        head = t("runner.param_problems", lang, n=len(self.problems))
        return head + "\n" + "\n".join("  " + p.render(lang) for p in self.problems)


def _type_name(value: Any) -> str:
    if value is None:
        return "None"
    for name in ("bool", "int", "float", "str"):
        if type(value) is _SIMPLE_TYPES[name]:
            return name
    return type(value).__name__


def _annotation_types(node: ast.expr | None) -> tuple[str, ...] | None:
    """Type names from an annotation like ``int``, ``str | None`` or ``Optional[float]``."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and node.value is None:
        return ("None",)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _annotation_types(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return None
    if isinstance(node, ast.Name) and node.id in _SIMPLE_TYPES:
        return (node.id,)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _annotation_types(node.left), _annotation_types(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Subscript):
        base = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(
            node.value, "id", None)
        if base == "Optional":
            inner = _annotation_types(node.slice)
            return None if inner is None else (*inner, "None")
        if base == "Union" and isinstance(node.slice, ast.Tuple):
            parts = [_annotation_types(e) for e in node.slice.elts]
            return None if any(p is None for p in parts) else tuple(x for p in parts for x in p)
    return None


def _declaration(node: ast.stmt) -> list[Parameter]:
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        types = _annotation_types(node.annotation)
        if node.value is None:
            return [Parameter(node.target.id, types, None, False, node.lineno)]
        default = _literal(node.value)
        return [Parameter(node.target.id, types, _shown_default(default), True, node.lineno)]
    if isinstance(node, ast.Assign):
        default = _literal(node.value)
        if default is _UNKNOWN_DEFAULT or default is None:
            types = None
        else:
            types = (_type_name(default),)
        return [Parameter(target.id, types, _shown_default(default), True, node.lineno)
                for target in node.targets if isinstance(target, ast.Name)]
    return []


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN_DEFAULT


def _shown_default(value: Any) -> Any:
    return None if value is _UNKNOWN_DEFAULT else value


def _without_magics(source: str) -> str:
    # IPython magics and shell escapes are not Python; blank them, keeping line numbers.
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def notebook_parameters(notebook: Any) -> dict[str, Parameter] | None:
    """The parameters declared in the cell tagged ``parameters`` of ``notebook``.

    Parameters
    ----------
    notebook : str, Path or dict
        The notebook: a path to an ``.ipynb`` file, or its content (an
        ``nbformat.NotebookNode`` is a dict).

    Returns
    -------
    dict of str to Parameter, or None
        The declared parameters by name, in the order of the cell; None when no cell is tagged
        ``parameters``.

    Raises
    ------
    evalkit.errors.ConfigError
        The parameters cell is not valid Python.

    Notes
    -----
    The cell is parsed with :mod:`ast`, never run: ``name = literal`` declares a parameter whose
    type is that of the literal (any type when the default is None or not a literal);
    ``name: type = value`` takes its type from the annotation (``str``, ``int``, ``float``,
    ``bool``, ``None`` and unions of them); ``name: type`` declares a parameter with no default,
    which the run must pass.

    Examples
    --------
    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("seed = 1\\nsite: str | None = None\\nrun_dir: str")
    >>> cell.metadata["tags"] = ["parameters"]
    >>> nb = nbformat.v4.new_notebook(cells=[cell])
    >>> {name: p.types for name, p in notebook_parameters(nb).items()}
    {'seed': ('int',), 'site': ('str', 'None'), 'run_dir': ('str',)}
    """
    if isinstance(notebook, str | Path):
        name = Path(notebook).name
        # Plain JSON: importing nbformat costs seconds, and a run checks parameters first.
        notebook = json.loads(Path(notebook).read_text(encoding="utf-8"))
    else:
        name = "notebook"
    cell = next((c for c in notebook["cells"] if c["cell_type"] == "code"
                 and "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return None
    source = cell["source"]
    source = "".join(source) if isinstance(source, list) else source
    try:
        tree = ast.parse(_without_magics(source))
    except SyntaxError as error:
        raise ConfigError.from_catalogue("runner.param_syntax", where=name, line=error.lineno,
                                         problem=error.msg) from None
    found: dict[str, Parameter] = {}
    for node in tree.body:
        for parameter in _declaration(node):
            found[parameter.name] = parameter
    return found


def check_parameters(notebook: str, declared: Mapping[str, Parameter] | None,
                     passed: Mapping[str, Any]) -> list[ParameterProblem]:
    """The problems of passing ``passed`` to a notebook that declares ``declared``.

    Unknown (passed but not declared), missing (declared without a default and not passed) and
    ill-typed parameters are reported, each naming the notebook, the parameter, what is expected
    and what was got.

    Examples
    --------
    >>> declared = {"seed": Parameter("seed", ("int",), 1)}
    >>> [p.key for p in check_parameters("nb", declared, {"seed": "x", "lang": "fr"})]
    ['runner.param_type', 'runner.param_unknown']
    """
    if declared is None:
        return [ParameterProblem(notebook, "runner.param_no_cell",
                                 {"passed": ", ".join(passed) or "-"})]
    problems = []
    names = ", ".join(declared) or "-"
    for name, value in passed.items():
        parameter = declared.get(name)
        if parameter is None:
            problems.append(ParameterProblem(notebook, "runner.param_unknown", {
                "parameter": name, "declared": names, "got": _type_name(value)}))
        elif not parameter.accepts(value):
            problems.append(ParameterProblem(notebook, "runner.param_type", {
                "parameter": name, "line": parameter.line, "expected": parameter.expected,
                "got": f"{_type_name(value)} {_shown(value)}"}))
    for name, parameter in declared.items():
        if not parameter.has_default and name not in passed:
            problems.append(ParameterProblem(notebook, "runner.param_missing", {
                "parameter": name, "line": parameter.line,
                "passed": ", ".join(passed) or "-"}))
    return problems


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# A key written as text the way evalkit writes keys: 128 bits or more as hex digits.
_HEX_KEY = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])")


def looks_like_key(value: str) -> bool:
    """Whether ``value`` holds a run of 32 or more hex digits (how evalkit writes keys).

    Examples
    --------
    >>> looks_like_key("/home/ana/studies/estrie/study.yaml")
    False
    >>> looks_like_key("key=" + "ab12" * 8)
    True
    """
    return _HEX_KEY.search(value) is not None


def study_key_forms(study: Any) -> list[str]:
    """The study's pseudonymisation key as the texts it may be written in (never shown).

    Read from ``privacy.key`` (its environment variable or key file) without checking its
    format; an unset variable or an unreadable file gives nothing to compare with.
    """
    source = getattr(getattr(study, "privacy", None), "key", None)
    if source is None:
        return []
    if source.env is not None:
        texts = [os.environ.get(source.env, "")]
    else:
        try:
            text = study.resolve(source.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
        texts = [line.strip() for line in text.splitlines()
                 if line.strip() and not line.strip().startswith("#")]
    forms = set()
    for text in texts:
        value = "".join(text.split())
        if len(value) < 8:
            continue
        forms |= {value, value.lower(), value.upper()}
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            continue
        forms |= {base64.b64encode(raw).decode().rstrip("="),
                  base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return sorted(forms)


def guard_secrets(notebook: str, passed: Mapping[str, Any], *, key_forms: list[str]) -> None:
    """Refuse a parameter value that holds the study's key or looks like a key.

    Parameters are written in clear into the executed notebook; the value is never shown in
    the error.

    Raises
    ------
    evalkit.errors.PrivacyError
        Naming the notebook and the parameter.
    """
    for name, value in passed.items():
        if not isinstance(value, str):
            continue
        if any(form in value for form in key_forms) or looks_like_key(value):
            raise PrivacyError.from_catalogue("runner.param_secret", where=notebook,
                                              parameter=name)
