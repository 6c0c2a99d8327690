"""What the configuration models share: their base, bilingual texts, and located errors.

Pydantic validation errors become located, bilingual configuration errors: every problem names
the file, the line, the key, what was expected and what was found, e.g.
``study.yaml, line 12, `privacy.min_cell`: must be an integer ≥ 1, got 'five'``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from evalkit.config._yaml import LocatedYaml
from evalkit.errors import ArgumentError, ConfigError
from evalkit.i18n import t

ColumnName = Annotated[str, Field(min_length=1)]
Scalar = int | float | str


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Bilingual(_Model):
    """A text in French and in English (both required: reports exist in both languages)."""

    fr: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def __getitem__(self, lang: str) -> str:
        return getattr(self, lang)


#: pydantic error types → catalogue keys (``config.*``).
_KEYS = {
    "missing": "config.missing",
    "extra_forbidden": "config.unknown_key",
    "int_parsing": "config.expected_integer",
    "int_type": "config.expected_integer",
    "int_from_float": "config.expected_integer",
    "float_parsing": "config.expected_number",
    "float_type": "config.expected_number",
    "bool_parsing": "config.expected_boolean",
    "bool_type": "config.expected_boolean",
    "string_type": "config.expected_text",
    "list_type": "config.expected_list",
    "tuple_type": "config.expected_list",
    "dict_type": "config.expected_mapping",
    "model_type": "config.expected_mapping",
    "model_attributes_type": "config.expected_mapping",
    "literal_error": "config.expected_one_of",
    "enum": "config.expected_one_of",
    "greater_than_equal": "config.expected_bound",
    "greater_than": "config.expected_bound",
    "less_than_equal": "config.expected_bound",
    "less_than": "config.expected_bound",
    "too_short": "config.too_short",
    "too_long": "config.too_long",
    "string_too_short": "config.empty_text",
    "string_pattern_mismatch": "config.pattern",
    "date_from_datetime_parsing": "config.expected_date",
    "date_parsing": "config.expected_date",
    "date_type": "config.expected_date",
}
_OPS = {"greater_than_equal": ("ge", "≥"), "greater_than": ("gt", ">"),
        "less_than_equal": ("le", "≤"), "less_than": ("lt", "<")}


def config_error(key: str, *, at: tuple | None = None, **params: Any) -> PydanticCustomError:
    """A custom validation error whose message comes from the catalogues (raise it in validators).

    ``at`` locates the problem below the model that raises it (e.g. ``("roles", "group")`` from
    the study's own validator), so that the message names that key's line.
    """
    context = {"key": key, **params, **({"at": tuple(at)} if at else {})}
    return PydanticCustomError("evalkit", t(key, "en", **params), context)


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a configuration file."""

    file: str
    line: int | None
    key: str
    message_en: str
    message_fr: str

    def render(self, lang: str = "en") -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        if lang == "fr":
            where = self.file + (f", ligne {self.line}" if self.line else "")
        message = self.message_fr if lang == "fr" else self.message_en
        colon = " : " if lang == "fr" else ": "
        return f"{where}, `{self.key}`{colon}{message}" if self.key else f"{where}{colon}{message}"


class StudyConfigError(ConfigError):
    """``study.yaml`` or the codebook is malformed: all its problems, each located."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            "\n".join(p.render("en") for p in self.problems),
            message_fr="\n".join(p.render("fr") for p in self.problems),
        )

    def render(self, lang: str = "en") -> str:
        head = t("config.n_problems", lang, n=len(self.problems))
        return head + "\n" + "\n".join("  " + p.render(lang) for p in self.problems)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _unwrap(annotation: Any) -> list[Any]:
    """The candidate types inside Optional/Union/Annotated/list/dict annotations."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _unwrap(arg)]
    return [annotation]


def _field_at(model: type[BaseModel], loc: tuple, *, annotation: bool = False) -> Any:
    """The pydantic FieldInfo at ``loc`` in ``model`` (None when it cannot be followed), or
    with ``annotation`` the type found there (through lists and dicts too)."""
    current: Any = model
    info = None
    for part in loc:
        candidates = _unwrap(current)
        nxt = None
        for cand in candidates:
            origin = typing.get_origin(cand)
            if isinstance(cand, type) and issubclass(cand, BaseModel) and isinstance(part, str):
                fields = {**cand.model_fields,
                          **{f.alias: f for f in cand.model_fields.values() if f.alias}}
                if part in fields:
                    info = fields[part]
                    nxt = info.annotation
                    break
            elif origin in (list, tuple, set) and isinstance(part, int):
                nxt = typing.get_args(cand)[0] if typing.get_args(cand) else Any
                info = None
                break
            elif origin is dict:
                args = typing.get_args(cand)
                nxt = args[1] if len(args) == 2 else Any
                info = None
                break
        if nxt is None:
            return None if annotation else (info if part == loc[-1] else None)
        current = nxt
    return current if annotation else info


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    parent = loc[:-1]
    target: Any = model
    if parent:
        target = _field_at(model, parent, annotation=True)
        if target is None:
            return []
    for cand in _unwrap(target):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return [f.alias or name for name, f in cand.model_fields.items()]
    return []


def _bounds(info: Any) -> str:
    if info is None:
        return ""
    parts = []
    for meta in info.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if isinstance(meta, getattr(annotated_types, attr.capitalize())):
                parts.append(f"{sign} {getattr(meta, attr)}")
    return " " + " ".join(parts) if parts else ""


def _message(error: dict, model: type[BaseModel], loc: tuple, lang: str) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = _shown(error.get("input"))
    if kind == "evalkit":
        params = {k: v for k, v in ctx.items() if k not in ("key", "at")}
        return t(ctx["key"], lang, **params)
    key = _KEYS.get(kind)
    if key is None:
        return error["msg"]
    if key == "config.unknown_key":
        allowed = _allowed_keys(model, loc)
        return t(key, lang, allowed=", ".join(allowed) if allowed else "–")
    if key == "config.expected_one_of":
        return t(key, lang, expected=ctx.get("expected", "?"), got=got)
    if key == "config.expected_bound":
        name, sign = _OPS[kind]
        return t(key, lang, bound=f"{sign} {ctx.get(name)}", got=got)
    if key in ("config.too_short", "config.too_long"):
        return t(key, lang, n=ctx.get("min_length", ctx.get("max_length", "?")), got=got)
    if key in ("config.expected_integer", "config.expected_number"):
        return t(key, lang, bounds=_bounds(_field_at(model, loc)), got=got)
    return t(key, lang, got=got)


def located_problems(exc: ValidationError, model: type[BaseModel], source: LocatedYaml,
                     *, prefix: tuple = ()) -> list[ConfigProblem]:
    """One :class:`ConfigProblem` per pydantic error, with the line it comes from."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        at = (error.get("ctx") or {}).get("at") if error["type"] == "evalkit" else None
        full = (*prefix, *loc, *(at or ()))
        problems.append(ConfigProblem(
            file=source.path.name,
            line=source.line_of(full),
            key=".".join(str(p) for p in full),
            message_en=_message(error, model, loc, "en"),
            message_fr=_message(error, model, loc, "fr"),
        ))
    return problems


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the name of the union member tried (e.g. 'str', 'list[str]') to locations.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"}
                                      or part.startswith("function-"))


class CalledModel(type(BaseModel)):
    """The metaclass of study models that Python code also builds by calling them.

    Validated as part of ``study.yaml``, a bad value is a located configuration problem; built
    by a direct call (``DisclosurePolicy(min_cell=0)``), it is an
    :class:`~evalkit.errors.ArgumentError` that names the parameter, the allowed values and
    what was passed.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
            param = ".".join(str(p) for p in loc) or cls.__name__
            message = _message(error, cls, loc, "en")
            sep = ": " if error["type"] == "extra_forbidden" else " "
            raise ArgumentError(f"{param}{sep}{message}", where=param) from None
