"""The instrument registry: scoring definitions of questionnaires, keyed on item IDs.

A definition gives the item keys, their range, reverse-keyed items, subscales, the missing-data
rule, an optional conversion table, the licence and the source, never the item wording (which is
copyrighted). A study maps its own columns to the keys; it may also declare its own instrument
inline (a mapping with the same schema) or as a YAML file.
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)

from evalkit.config._yaml import compose_yaml
from evalkit.errors import ConfigError
from evalkit.i18n import t

__all__ = [
    "Instrument",
    "instrument_from_dict",
    "list_instruments",
    "load_instrument",
    "match_items",
]

_NAME = r"^[a-z][a-z0-9_]*$"
_SUFFIXES = (".yaml", ".yml")

MinAnswered = Literal["all"] | StrictInt | StrictFloat


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(_Model):
    """A label in French and in English."""

    fr: str
    en: str


class ItemRange(_Model):
    """The lowest and highest answer value of an item (``{min: 1, max: 5}`` or ``[1, 5]``)."""

    min: float
    max: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"min": value[0], "max": value[1]}
        return value


class Subscale(_Model):
    """Items scored together as a subscale, with its own missing-data rule (default: the
    instrument's rule when that is ``all`` or a proportion, else ``all``)."""

    items: list[str] = Field(min_length=1)
    min_answered: MinAnswered | None = None


class Conversion(_Model):
    """A table from raw scores to the instrument's published metric."""

    label: Labels | None = None
    table: dict[float, float] = Field(min_length=2)


class Source(_Model):
    """Where the scoring rules come from."""

    citation: str
    doi: str | None = None
    url: str | None = None


class Instrument(_Model):
    """The scoring definition of an instrument (see ``docs/instruments.md``).

    Attributes
    ----------
    name : str
        Identifier (lower case, digits, ``_``).
    title : Labels or None
        Full name in French and English.
    items : list of str or None
        Item keys in instrument order; None for a generic scale whose items are given when
        scoring (then every item shares ``range``).
    range : ItemRange
        Answer range of every item; ``item_ranges`` overrides it item by item.
    integer : bool
        Answers must be whole numbers.
    response_scores : dict or None
        Score of each answer value when it is not the value itself (e.g. ASCOT: first answer
        option scores 3).
    reverse : list of str
        Reverse-keyed items: score = lowest + highest possible score − score.
    score : {'sum', 'mean'}
        How item scores combine.
    min_answered : 'all', int or float
        Missing-data rule: every item, at least that many items, or at least that proportion
        (0 < p ≤ 1, rounded up).
    prorate : bool
        For sums with missing items: sum × items / answered (the mean scaled to the full scale).
    subscales : dict of Subscale
    conversion : Conversion or None
        Raw score → converted score table.
    licence, source, notes
        Licence note, citation with DOI/URL, remarks.
    """

    name: str = Field(pattern=_NAME)
    title: Labels | None = None
    items: list[str] | None = Field(default=None, min_length=1)
    range: ItemRange
    item_ranges: dict[str, ItemRange] = {}
    integer: bool = True
    response_scores: dict[float, float] | None = None
    reverse: list[str] = []
    score: Literal["sum", "mean"] = "sum"
    min_answered: MinAnswered = "all"
    prorate: bool = False
    subscales: dict[str, Subscale] = {}
    conversion: Conversion | None = None
    licence: str | None = None
    source: Source | None = None
    notes: str | None = None

    def required(self, n_items: int, rule: MinAnswered | None = None) -> int:
        """How many of ``n_items`` items must be answered under ``rule`` (default: the
        instrument's ``min_answered``)."""
        rule = self.min_answered if rule is None else rule
        if rule == "all":
            return n_items
        if isinstance(rule, float):
            return max(1, math.ceil(rule * n_items - 1e-9))
        return int(rule)

    def subscale_rule(self, subscale: Subscale) -> MinAnswered:
        """The missing-data rule of ``subscale``."""
        if subscale.min_answered is not None:
            return subscale.min_answered
        return self.min_answered if not isinstance(self.min_answered, int) else "all"

    def item_range(self, key: str) -> ItemRange:
        """The answer range of item ``key``."""
        return self.item_ranges.get(key, self.range)

    def score_bounds(self, key: str) -> tuple[float, float]:
        """Lowest and highest score item ``key`` can contribute (after ``response_scores``)."""
        if self.response_scores:
            values = list(self.response_scores.values())
            return min(values), max(values)
        r = self.item_range(key)
        return r.min, r.max


def match_items(instrument: Instrument, items: Any) -> tuple[list[str], list[Any]]:
    """The instrument's item keys and a study's columns for them, in instrument order.

    Parameters
    ----------
    instrument : Instrument
    items : dict or list
        ``{item key: column}`` naming every item, or the columns in the instrument's order; for
        a generic instrument without item keys, the columns to score (their names are the keys).

    Returns
    -------
    keys, columns : list

    Raises
    ------
    ConfigError
        A mapping that misses or adds item keys, a list of the wrong length, a column listed
        twice, or neither a mapping nor a list.

    Examples
    --------
    >>> from evalkit.config.instruments import load_instrument, match_items
    >>> match_items(load_instrument("likert"), ["q1", "q2"])
    (['q1', 'q2'], ['q1', 'q2'])
    """
    name, expected = instrument.name, instrument.items
    if isinstance(items, dict):
        keys, columns = list(items), list(items.values())
        if expected is not None:
            missing = [k for k in expected if k not in items]
            unknown = [k for k in keys if k not in expected]
            if missing or unknown:
                raise ConfigError.from_catalogue(
                    "quant.instrument.items_keys", where="items", name=repr(name),
                    missing=", ".join(missing) or "–",
                    unknown=", ".join(map(repr, unknown)) or "–", keys=", ".join(expected))
            keys, columns = list(expected), [items[k] for k in expected]
    elif isinstance(items, list | tuple):
        columns = list(items)
        if expected is not None and len(columns) != len(expected):
            raise ConfigError.from_catalogue(
                "quant.instrument.items_count", where="items", name=repr(name),
                n=len(expected), keys=", ".join(expected), got=len(columns))
        keys = list(expected) if expected is not None else [str(c) for c in columns]
    else:
        raise ConfigError.from_catalogue("quant.instrument.items_kind", where="items",
                                         got=repr(items))
    if len(set(columns)) != len(columns):
        raise ConfigError.from_catalogue("quant.instrument.items_twice", where="items",
                                         columns=repr(columns))
    return keys, columns


# --------------------------------------------------------------------------------------------
# Loading


def load_instrument(name_or_path: str | Path) -> Instrument:
    """A shipped instrument by name (``'swemwbs'``) or a definition from a YAML file.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        The name of a shipped instrument (see :func:`list_instruments`) or the path of a YAML
        file with the same schema.

    Returns
    -------
    Instrument

    Raises
    ------
    ConfigError
        Unknown name, unreadable file, or a definition that breaks the schema (every problem is
        listed with its key, what was expected, what was found and, for files, the line).

    Examples
    --------
    >>> from evalkit.config.instruments import load_instrument
    >>> swemwbs = load_instrument("swemwbs")
    >>> swemwbs.items[:2], swemwbs.range.min, swemwbs.range.max, swemwbs.min_answered
    (['swemwbs_1', 'swemwbs_2'], 1.0, 5.0, 'all')
    >>> swemwbs.conversion.table[20]
    18.59
    """
    if isinstance(name_or_path, Path) or str(name_or_path).endswith(_SUFFIXES):
        return _load_file(Path(name_or_path))
    if not isinstance(name_or_path, str):
        raise ConfigError.from_catalogue("quant.instrument.unknown", name=repr(name_or_path),
                                         available=", ".join(_shipped_names()))
    return _load_shipped(name_or_path)


def instrument_from_dict(definition: dict, *, where: str = "instrument") -> Instrument:
    """An instrument declared inline, e.g. in ``study.yaml``.

    Parameters
    ----------
    definition : dict
        The same keys as an instrument YAML file. ``extends: <shipped name>`` starts from a
        shipped definition and replaces the keys given (e.g. a Likert scale on 1-7).
    where : str
        How to name the place of the definition in error messages (e.g.
        ``"study.yaml: measures.scales.trust.instrument"``).

    Returns
    -------
    Instrument

    Raises
    ------
    ConfigError
        A definition that breaks the schema (all problems listed).

    Examples
    --------
    >>> from evalkit.config.instruments import instrument_from_dict
    >>> trust = instrument_from_dict({"extends": "likert", "name": "trust",
    ...                               "items": ["t1", "t2", "t3", "t4"], "reverse": ["t3"],
    ...                               "range": [1, 7]})
    >>> trust.score, trust.min_answered, trust.required(4)
    ('mean', 0.5, 2)
    """
    if not isinstance(definition, dict):
        raise _config_error([("(instrument)", _expected("mapping"), type(definition).__name__)],
                            where, None)
    definition = dict(definition)
    base = definition.pop("extends", None)
    if base is not None:
        if base not in _shipped_names():
            allowed = ", ".join(_shipped_names())
            raise _config_error([("extends", _expected("one_of", allowed=allowed), repr(base))],
                                where, None)
        definition = {**_shipped_definition(base), **definition}
    return _build(definition, where=where, node=None)


def list_instruments() -> pd.DataFrame:
    """The shipped instruments.

    Returns
    -------
    pandas.DataFrame
        One row per instrument, with columns ``name``, ``title_fr``, ``title_en``, ``n_items``
        (NA for generic scales), ``score`` (sum or mean), ``min_answered``, ``conversion``
        (whether a conversion table exists), ``licence`` and ``source`` (citation).

    Examples
    --------
    >>> from evalkit.config.instruments import list_instruments
    >>> list_instruments()["name"].tolist()
    ['ascof_1a', 'likert', 'swemwbs', 'wemwbs']
    """
    rows = []
    for name in _shipped_names():
        inst = _load_shipped(name)
        rows.append({
            "name": inst.name,
            "title_fr": inst.title.fr if inst.title else inst.name,
            "title_en": inst.title.en if inst.title else inst.name,
            "n_items": len(inst.items) if inst.items else pd.NA,
            "score": inst.score,
            "min_answered": str(inst.min_answered),
            "conversion": inst.conversion is not None,
            "licence": inst.licence,
            "source": inst.source.citation if inst.source else None,
        })
    return pd.DataFrame(rows).astype({"n_items": "Int64"})


def _shipped_names() -> list[str]:
    files = resources.files(__name__).iterdir()
    return sorted(f.name.rsplit(".", 1)[0] for f in files if f.name.endswith(".yaml"))


def _shipped_text(name: str) -> str:
    return resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def _shipped_definition(name: str) -> dict:
    return yaml.safe_load(_shipped_text(name))


@cache
def _load_shipped(name: str) -> Instrument:
    if name not in _shipped_names():
        raise ConfigError.from_catalogue("quant.instrument.unknown", name=repr(name),
                                         available=", ".join(_shipped_names()))
    text = _shipped_text(name)
    return _build(yaml.safe_load(text), where=f"{name}.yaml", node=yaml.compose(text))


def _load_file(path: Path) -> Instrument:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError.from_catalogue("quant.instrument.unreadable", where=str(path),
                                         reason=exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError.from_catalogue("study.not_utf8", where=str(path),
                                         position=exc.start) from None
    # The same limits as study.yaml and the codebook (size, depth, aliases).
    node, definition = compose_yaml(text, path)
    if isinstance(definition, dict) and "extends" in definition:
        return instrument_from_dict(definition, where=str(path))
    return _build(definition, where=str(path), node=node)


# --------------------------------------------------------------------------------------------
# Validation: every problem at once, each with its key, what was expected and what was found


def _build(definition: Any, *, where: str, node: Any) -> Instrument:
    try:
        instrument = Instrument.model_validate(definition)
    except ValidationError as exc:
        problems = [_from_pydantic(err) for err in exc.errors()]
    else:
        problems = _consistency(instrument)
        if not problems:
            return instrument
    raise _config_error(problems, where, node)


def _expected(kind: str, **params: Any) -> dict:
    """A catalogue phrase for what was expected, as {lang: text}."""

    return {lang: t(f"quant.instrument.expected.{kind}", lang, **params) for lang in ("en", "fr")}


_PYDANTIC_KINDS = {
    "missing": "required", "extra_forbidden": "known_key", "int_type": "integer",
    "float_type": "number", "float_parsing": "number", "bool_type": "boolean",
    "bool_parsing": "boolean", "string_type": "text", "list_type": "list", "dict_type": "mapping",
    "model_type": "mapping", "too_short": "not_empty", "string_pattern_mismatch": "identifier",
}


def _from_pydantic(err: dict) -> tuple[str, dict, str]:
    loc = [part for part in err["loc"] if not (isinstance(part, str) and "[" in part)]
    key = ".".join(str(part) for part in loc) or "(instrument)"
    kind = _PYDANTIC_KINDS.get(err["type"])
    if err["type"] == "literal_error":
        expected = _expected("one_of", allowed=err.get("ctx", {}).get("expected", ""))
    elif kind:
        expected = _expected(kind)
    else:
        expected = {"en": err["msg"], "fr": err["msg"]}
    found = "—" if err["type"] == "missing" else repr(err.get("input"))
    return key, expected, found


def _consistency(inst: Instrument) -> list[tuple[str, dict, str]]:
    """Cross-key rules the schema alone cannot express."""
    problems = []
    for key, r in (("range", inst.range), *((f"item_ranges.{k}", v)
                                            for k, v in inst.item_ranges.items())):
        if not r.min < r.max:
            problems.append((key, _expected("ordered_range"), f"min {r.min:g}, max {r.max:g}"))
    keys = inst.items or []
    known = set(keys)
    if inst.items is not None and len(known) != len(keys):
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        problems.append(("items", _expected("unique"), ", ".join(duplicates)))
    for field, named in (("reverse", inst.reverse), ("item_ranges", list(inst.item_ranges)),
                         *((f"subscales.{s}.items", sub.items)
                           for s, sub in inst.subscales.items())):
        unknown = [k for k in named if k not in known]
        if unknown and inst.items is None:
            problems.append((field, _expected("needs_items"), ", ".join(unknown)))
        elif unknown:
            problems.append((field, _expected("item_keys", keys=", ".join(keys)),
                             ", ".join(unknown)))
    for name in inst.subscales:
        if not _is_identifier(name):
            problems.append((f"subscales.{name}", _expected("identifier"), repr(name)))
    problems += _rule_problems(inst, "min_answered", inst.min_answered, len(keys) or None)
    for name, sub in inst.subscales.items():
        problems += _rule_problems(inst, f"subscales.{name}.min_answered",
                                   inst.subscale_rule(sub), len(sub.items))
    if inst.prorate and inst.score == "mean":
        problems.append(("prorate", _expected("prorate_sum"), "true"))
    problems += _score_problems(inst)
    problems += _conversion_problems(inst)
    return problems


def _rule_problems(inst: Instrument, key: str, rule: Any, n_items: int | None) -> list:
    if isinstance(rule, float) and not 0 < rule <= 1:
        return [(key, _expected("proportion"), repr(rule))]
    if isinstance(rule, int) and (rule < 1 or (n_items is not None and rule > n_items)):
        return [(key, _expected("count", n=n_items if n_items is not None else "k"), repr(rule))]
    partial = rule != "all" and not (isinstance(rule, float) and rule == 1.0) and \
        not (isinstance(rule, int) and rule == n_items)
    if partial and inst.score == "sum" and not inst.prorate:
        return [(key, _expected("partial_sum"), repr(rule))]
    return []


def _score_problems(inst: Instrument) -> list:
    if not inst.response_scores:
        return []
    problems = []
    for key in [None, *inst.item_ranges]:
        r = inst.item_range(key) if key else inst.range
        outside = [v for v in inst.response_scores if not r.min <= v <= r.max]
        if outside:
            problems.append(("response_scores", _expected("within", min=f"{r.min:g}",
                                                          max=f"{r.max:g}"),
                             ", ".join(f"{v:g}" for v in outside)))
        if inst.integer:
            values = range(math.ceil(r.min), math.floor(r.max) + 1)
            lacking = [v for v in values if float(v) not in inst.response_scores]
            if lacking:
                problems.append(("response_scores", _expected("score_each",
                                                              min=f"{r.min:g}",
                                                              max=f"{r.max:g}"),
                                 ", ".join(map(str, lacking))))
    return problems


def _conversion_problems(inst: Instrument) -> list:
    if inst.conversion is None:
        return []
    problems = []
    table = inst.conversion.table
    raw = sorted(table)
    if any(table[b] < table[a] for a, b in zip(raw, raw[1:], strict=False)):
        problems.append(("conversion.table", _expected("non_decreasing"), "…"))
    exact = (inst.items is not None and inst.score == "sum" and inst.integer
             and inst.required(len(inst.items)) == len(inst.items))
    if exact:
        low = sum(inst.score_bounds(k)[0] for k in inst.items)
        high = sum(inst.score_bounds(k)[1] for k in inst.items)
        reachable = range(math.ceil(low), math.floor(high) + 1)
        lacking = [v for v in reachable if float(v) not in table]
        if lacking:
            problems.append(("conversion.table", _expected("covers", min=f"{low:g}",
                                                           max=f"{high:g}"),
                             ", ".join(map(str, lacking))))
    return problems


def _is_identifier(name: str) -> bool:
    import re

    return re.fullmatch(_NAME, name) is not None


def _config_error(problems: list, where: str, node: Any) -> ConfigError:

    texts = {}
    for lang in ("en", "fr"):
        lines = []
        for key, expected, found in problems:
            line = _line_of(node, key)
            place = t("quant.instrument.at_line", lang, key=key, line=line) if line else f"`{key}`"
            lines.append(t("quant.instrument.problem_line", lang, place=place,
                           expected=expected[lang], found=found))
        texts[lang] = "\n".join(lines)
    return ConfigError(texts["en"], where=where, message_fr=texts["fr"],
                       hint=t("quant.instrument.hint", "en"),
                       hint_fr=t("quant.instrument.hint", "fr"))


def _line_of(node: Any, key: str) -> int | None:
    """The line (1-based) of dotted ``key`` in a composed YAML document, if it can be found."""
    if node is None:
        return None
    line = None
    for part in key.split("."):
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if str(k.value) == part]
            if not match:
                break
            line = match[0][0].start_mark.line + 1
            node = match[0][1]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            break
    return line
