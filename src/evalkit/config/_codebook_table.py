"""Codebooks kept in a spreadsheet: one row per value, turned into the YAML structure.

Columns (header names are case-insensitive; the French names in brackets are accepted too):
``variable``, ``type``, ``label_fr``, ``label_en``, ``value`` [valeur], ``value_label_fr``,
``value_label_en``, ``missing`` [manquant], ``min``, ``max``, ``integer`` [entier],
``identifying`` [identifiant], ``casefold``, ``required`` [obligatoire], ``waves`` [temps],
``reverse`` [inverse], ``asked_if`` [filtre, posée_si: ``filter_question = code, code``],
``description_fr``, ``description_en``. Variable-level cells may be left blank on the rows that
follow a variable's first row, and the variable name itself may be left blank on those rows.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from evalkit.config._yaml import LocatedYaml
from evalkit.errors import ConfigError
from evalkit.read import read_source

_ALIASES = {
    "valeur": "value", "manquant": "missing", "entier": "integer", "identifiant": "identifying",
    "obligatoire": "required", "temps": "waves", "libelle_fr": "label_fr",
    "libelle_en": "label_en", "libelle_valeur_fr": "value_label_fr",
    "libelle_valeur_en": "value_label_en", "inverse": "reverse", "inversé": "reverse",
    "filtre": "asked_if", "posée_si": "asked_if", "posee_si": "asked_if",
}
_VARIABLE_FIELDS = ("type", "label_fr", "label_en", "min", "max", "integer", "identifying",
                    "casefold", "required", "waves", "reverse", "asked_if", "description_fr",
                    "description_en")
_TRUE = {"1", "true", "yes", "oui", "y", "o", "x", "vrai"}
_FALSE = {"0", "false", "no", "non", "n", "faux", ""}


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _scalar(value: Any) -> Any:
    """A code as written: integers stay integers ('1' → 1), other text stays text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    for cast in (int, float):
        try:
            return cast(text.replace(",", ".") if cast is float else text)
        except ValueError:
            continue
    return text


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(_scalar(value)).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value  # the model reports it as not a boolean, with its line


def _bound(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return _scalar(text)


def codebook_from_table(path: Path, *, sheet: str | int | None = None) -> LocatedYaml:
    """Read the spreadsheet codebook at ``path`` into the codebook structure, with row numbers."""

    source = read_source(path, sheet=sheet)
    frame = source.data.copy()
    frame.columns = [_ALIASES.get(str(c).strip().lower(), str(c).strip().lower())
                     for c in frame.columns]
    for required in ("variable", "type", "label_fr", "label_en"):
        if required not in frame.columns:
            raise ConfigError.from_catalogue(
                "codebook.table_column_missing", where=path.name, column=required,
                columns=", ".join(map(str, frame.columns)))
    variables: dict[str, dict[str, Any]] = {}
    lines: dict[tuple, int] = {(): 1, ("variables",): 1}
    current: str | None = None
    for position, record in enumerate(frame.to_dict("records")):
        line = int(source.lines[position])
        name = record.get("variable")
        if not _blank(name):
            current = str(name).strip()
        if current is None:
            continue
        var = variables.setdefault(current, {})
        lines.setdefault(("variables", current), line)
        for field in _VARIABLE_FIELDS:
            value = record.get(field)
            if _blank(value) or field in var:
                continue
            var[field] = value
            lines[("variables", current, field)] = line
        value = record.get("value")
        if _blank(value):
            continue
        code = _scalar(value)
        target = "missing" if _boolean(record.get("missing", "")) is True else "values"
        var.setdefault(target, {})[code] = {
            "fr": "" if _blank(record.get("value_label_fr")) else str(record["value_label_fr"]),
            "en": "" if _blank(record.get("value_label_en")) else str(record["value_label_en"]),
        }
        lines[("variables", current, target, code)] = line
        lines.setdefault(("variables", current, target), line)
    return LocatedYaml(data={"variables": {n: _variable(v, lines, n) for n, v in
                                           variables.items()}},
                       path=path, lines=lines)


def _variable(raw: dict[str, Any], lines: dict[tuple, int], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": str(raw.get("type", "")).strip().lower() or None}
    out["label"] = {"fr": str(raw.get("label_fr", "")), "en": str(raw.get("label_en", ""))}
    lines.setdefault(("variables", name, "label"), lines.get(("variables", name, "label_fr"),
                                                               lines[("variables", name)]))
    if "description_fr" in raw or "description_en" in raw:
        out["description"] = {"fr": str(raw.get("description_fr", "")),
                              "en": str(raw.get("description_en", ""))}
    if "min" in raw or "max" in raw:
        out["range"] = [_bound(raw.get("min", "")), _bound(raw.get("max", ""))]
        lines[("variables", name, "range")] = lines.get(("variables", name, "min"),
                                                        lines.get(("variables", name, "max")))
    for flag in ("integer", "identifying", "casefold", "required", "reverse"):
        if flag in raw:
            out[flag] = _boolean(raw[flag])
    if "waves" in raw:
        out["waves"] = [_scalar(w) for w in str(raw["waves"]).replace(";", ",").split(",")
                        if w.strip()]
    if "asked_if" in raw and not _blank(raw["asked_if"]):
        # "filter = code, code": the filter question and the codes that lead to this one.
        filter_name, _, codes = str(raw["asked_if"]).partition("=")
        out["asked_if"] = {"variable": filter_name.strip(),
                           "values": [_scalar(c) for c in codes.replace(";", ",").split(",")
                                      if c.strip()]}
        line = lines.get(("variables", name, "asked_if"))
        if line is not None:
            for key in ("variable", "values"):
                lines.setdefault(("variables", name, "asked_if", key), line)
    for target in ("values", "missing"):
        if target in raw:
            out[target] = raw[target]
    return out
