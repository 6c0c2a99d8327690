"""The codebook: per variable its type, labels in French and English, valid values or range,
missing codes with their meaning, and whether it identifies a person.

Codebooks are written in YAML, or kept in a spreadsheet (CSV or XLSX, one row per value), as many
analysts do; both give the same :class:`Codebook`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from evalkit.config._codebook_table import codebook_from_table
from evalkit.config._model import (
    Bilingual,
    ConfigProblem,
    Scalar,
    StudyConfigError,
    _Model,
    config_error,
    located_problems,
)
from evalkit.config._yaml import LocatedYaml, load_yaml
from evalkit.errors import ConfigError
from evalkit.i18n import label as _label
from evalkit.i18n import t

__all__ = ["AskedIf", "Codebook", "Variable", "VARIABLE_TYPES", "load_codebook"]

#: The kinds of variable a codebook can declare.
VARIABLE_TYPES = ("id", "category", "likert", "number", "text", "date")

ValueLabels = dict[Scalar, Bilingual]


class AskedIf(_Model):
    """Skip logic: the variable is asked only of the respondents whose answer to ``variable``
    (a category or likert variable of the codebook) is one of ``values``."""

    variable: str = Field(description="The filter question: a category or likert variable.")
    values: Annotated[list[Scalar], Field(min_length=1)] = Field(
        description="The codes of the filter question whose respondents are asked this one.")


class Variable(_Model):
    """One variable (column) of the study's data."""

    type: Literal["id", "category", "likert", "number", "text", "date"]
    label: Bilingual
    values: ValueLabels | str | None = Field(
        None, description="Valid values with their labels, or the name of a value set.")
    range: tuple[float, float] | tuple[dt.date, dt.date] | None = Field(
        None, description="Inclusive [min, max] for numbers and dates.")
    integer: bool = Field(False, description="Numbers must be whole (counts, years).")
    missing: ValueLabels = Field(
        default_factory=dict,
        description="Missing-value codes with their meaning, e.g. 8: don't know, 9: refused.")
    identifying: bool = Field(
        False, description="The variable identifies a person (masked in reports, never released).")
    casefold: bool = Field(
        False, description="Compare values without case (e.g. e-mail addresses) before hashing.")
    required: bool = Field(True, description="The column must be present in every survey file "
                                             "of the waves it belongs to.")
    waves: list[Scalar] | None = Field(
        None, description="The waves that ask this variable (default: all).")
    reverse: bool = Field(
        False, description="The item is reverse-keyed (negatively worded): in a scale, its "
        "answers are reversed (lowest + highest − answer) before scores and reliability are "
        "computed.")
    asked_if: AskedIf | None = Field(
        None, description="Skip logic: asked only of the respondents whose answer to another "
        "variable is one of some values; the others are missing by design, not non-response.")
    description: Bilingual | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Variable:
        if self.type in ("category", "likert") and self.values is None:
            raise config_error("codebook.values_required", type=self.type)
        if self.type not in ("category", "likert") and isinstance(self.values, dict):
            raise config_error("codebook.values_not_allowed", type=self.type)
        if self.range is not None:
            if self.type not in ("number", "date", "likert"):
                raise config_error("codebook.range_not_allowed", type=self.type)
            low, high = self.range
            if self.type == "date" and not isinstance(low, dt.date):
                raise config_error("codebook.range_dates")
            if low > high:
                raise config_error("codebook.range_order", low=low, high=high)
        if self.reverse and self.type not in ("likert", "number"):
            raise config_error("codebook.reverse_not_allowed", type=self.type)
        if isinstance(self.values, dict):
            overlap = set(map(str, self.values)) & set(map(str, self.missing))
            if overlap:
                raise config_error("codebook.missing_overlap", codes=", ".join(sorted(overlap)))
        return self


class Codebook(_Model):
    """All variables of a study, with optional named sets of value labels shared by variables."""

    value_sets: dict[str, ValueLabels] = Field(
        default_factory=dict,
        description="Named sets of value labels (e.g. a 5-point agreement scale) that variables "
        "refer to by name in `values`.")
    variables: Annotated[dict[str, Variable], Field(min_length=1)]

    @model_validator(mode="after")
    def _value_sets_exist(self) -> Codebook:
        for name, var in self.variables.items():
            if isinstance(var.values, str) and var.values not in self.value_sets:
                raise config_error("codebook.unknown_value_set", variable=name, set=var.values,
                                   known=", ".join(self.value_sets) or "–")
            overlap = _overlap(self.value_sets.get(var.values) if isinstance(var.values, str)
                               else None, var.missing)
            if overlap:
                raise config_error("codebook.missing_overlap", at=("variables", name, "missing"),
                                   codes=overlap)
        for name, var in self.variables.items():
            if var.asked_if is not None:
                self._check_asked_if(name, var.asked_if)
        return self

    def _check_asked_if(self, name: str, rule: AskedIf) -> None:
        at = ("variables", name, "asked_if")
        filter_var = self.variables.get(rule.variable)
        if filter_var is None or rule.variable == name:
            known = ", ".join(n for n, v in self.variables.items()
                              if v.type in ("category", "likert") and n != name) or "–"
            raise config_error("codebook.asked_if_unknown", at=(*at, "variable"),
                               variable=name, filter=rule.variable, known=known)
        if filter_var.type not in ("category", "likert"):
            raise config_error("codebook.asked_if_not_coded", at=(*at, "variable"),
                               filter=rule.variable, type=filter_var.type)
        codes = [str(c) for c in self.values_of(rule.variable)]
        unknown = [str(v) for v in rule.values if str(v) not in codes]
        if unknown:
            raise config_error("codebook.asked_if_values", at=(*at, "values"),
                               filter=rule.variable, values=", ".join(unknown),
                               codes=", ".join(codes))

    # -- questions the rest of evalkit asks --------------------------------------------------
    def __contains__(self, name: object) -> bool:
        return name in self.variables

    def __getitem__(self, name: str) -> Variable:
        return self.variables[name]

    @property
    def names(self) -> list[str]:
        return list(self.variables)

    def values_of(self, name: str) -> dict[Scalar, Bilingual]:
        """The valid values of ``name`` with their labels (empty for free variables)."""
        values = self.variables[name].values
        if isinstance(values, str):
            return dict(self.value_sets[values])
        return dict(values or {})

    def numeric_codes(self, name: str) -> bool:
        """Whether the codes of a category/likert variable are numbers (1, 2...) or text."""
        codes = list(self.values_of(name)) + list(self.variables[name].missing)
        return bool(codes) and all(isinstance(c, int | float) for c in codes)

    def label(self, name: str, lang: str) -> str:
        """The label of variable ``name`` in ``lang``."""
        return _label(self.variables[name].label, lang)

    def value_label(self, name: str, value: Any, lang: str) -> str:
        """The label of ``value`` of variable ``name`` in ``lang`` (the value itself if none)."""
        var = self.variables[name]
        for table in (self.values_of(name), var.missing):
            for code, text in table.items():
                if code == value or str(code) == str(value):
                    return _label(text, lang)
        return str(value)

    def identifying(self) -> list[str]:
        """Names of the variables that identify a person."""
        return [n for n, v in self.variables.items() if v.identifying]

    def of_type(self, *types: str) -> list[str]:
        return [n for n, v in self.variables.items() if v.type in types]

    def skip_logic(self) -> dict[str, AskedIf]:
        """The variables asked of a subset only (``asked_if``), with their condition."""
        return {n: v.asked_if for n, v in self.variables.items() if v.asked_if is not None}

    def reverse_keyed(self) -> list[str]:
        """Names of the reverse-keyed items (``reverse: true``)."""
        return [n for n, v in self.variables.items() if v.reverse]


def load_codebook(path: str | Path, *, sheet: str | int | None = None) -> Codebook:
    """Load a codebook from YAML, or from a CSV/XLSX sheet with one row per value.

    Every problem is reported with the file, the line (or spreadsheet row) and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError.from_catalogue("study.file_missing", where=str(path))
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        located = load_yaml(path)
    elif suffix in (".csv", ".txt", ".tsv", ".xlsx", ".xlsm"):

        located = codebook_from_table(path, sheet=sheet)
    else:
        raise ConfigError.from_catalogue("codebook.unknown_format", where=str(path),
                                         suffix=suffix or "–")
    return _validate(located)


def _unknown_value_sets(located: LocatedYaml) -> list[ConfigProblem]:
    """References to value sets that do not exist, located (checked before the model so that
    they are reported together with every other problem)."""
    data = located.data
    sets = data.get("value_sets") or {}
    known = ", ".join(map(str, sets)) if isinstance(sets, dict) and sets else "–"
    problems = []
    variables = data.get("variables")
    for name, var in (variables.items() if isinstance(variables, dict) else ()):
        values = var.get("values") if isinstance(var, dict) else None
        if isinstance(values, str) and (not isinstance(sets, dict) or values not in sets):
            loc = ("variables", name, "values")
            params = {"variable": name, "set": values, "known": known}
            problems.append(ConfigProblem(
                located.path.name, located.line_of(loc), ".".join(map(str, loc)),
                t("codebook.unknown_value_set", "en", **params),
                t("codebook.unknown_value_set", "fr", **params)))
    return problems


def _overlap(values: Any, missing: Any) -> str:
    """The codes both valid and missing, as text (empty when none)."""
    if not isinstance(values, dict) or not isinstance(missing, dict):
        return ""
    return ", ".join(sorted(set(map(str, values)) & set(map(str, missing))))


def _named_set_overlaps(located: LocatedYaml) -> list[ConfigProblem]:
    """Missing codes that a variable's named value set also lists as valid, located at the
    variable's ``missing`` (inline values are checked by the variable itself)."""
    data = located.data
    sets = data.get("value_sets") if isinstance(data.get("value_sets"), dict) else {}
    variables = data.get("variables")
    problems = []
    for name, var in (variables.items() if isinstance(variables, dict) else ()):
        if not isinstance(var, dict) or not isinstance(var.get("values"), str):
            continue
        codes = _overlap(sets.get(var["values"]), var.get("missing"))
        if codes:
            loc = ("variables", name, "missing")
            problems.append(ConfigProblem(
                located.path.name, located.line_of(loc), ".".join(map(str, loc)),
                t("codebook.missing_overlap", "en", codes=codes),
                t("codebook.missing_overlap", "fr", codes=codes)))
    return problems


def _validate(located: LocatedYaml) -> Codebook:
    if not isinstance(located.data, dict):
        raise ConfigError.from_catalogue("codebook.not_a_mapping", where=located.path.name)
    early = _unknown_value_sets(located) + _named_set_overlaps(located)
    try:
        codebook = Codebook.model_validate(located.data)
    except ValidationError as exc:
        late = [p for p in located_problems(exc, Codebook, located)
                if all(p.message_en != e.message_en for e in early)]
        raise StudyConfigError(early + late) from None
    if early:
        raise StudyConfigError(early)
    return codebook
