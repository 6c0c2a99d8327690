"""A study drafted from its data: ``study.yaml`` and the codebook written from what the files say
about themselves (labels, value labels, missing codes, distinct values) and from data
dictionaries, with the roles of columns guessed and every guess marked for the analyst.

Pure: sketches of the files in, YAML text out (:func:`draft_study`); reading the files is
:func:`evalkit.read.sketch_source`'s job, writing them the command line's (``evalkit new DIR
--from FILE...``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import yaml

from evalkit.config.codebook import Codebook
from evalkit.i18n import t
from evalkit.read.sketch import ColumnSketch, DataDictionary, DictionaryVariable, SourceSketch

__all__ = ["Draft", "Guess", "draft_study"]

#: Roles guessed, in the order they are decided (a column plays one role at most).
ROLES = ("id", "wave", "site", "group")
#: A text column whose values repeat at least this often on average is a category.
CATEGORY_REPEATS = 3
#: Whole-number columns without labels and with at most this many values are categories only
#: when a role or a dictionary says so; otherwise they are numbers.
MAX_WAVES = 12

_NAMES = {
    "id": {"id", "record_id", "responseid", "response_id", "respondent_id", "participant_id",
           "id_participant", "participant", "id_repondant", "identifiant", "id_personne",
           "no_dossier", "numero_dossier", "pid", "subject_id", "caseid", "case_id",
           "code_participant", "no_participant", "matricule", "id_usager", "no_usager"},
    "site": {"site", "territoire", "territory", "region", "csss", "clsc", "rls", "centre",
             "center", "etablissement", "installation", "point_de_service", "lieu", "location",
             "organisation", "organization", "quartier", "secteur", "site_id", "nom_site",
             "code_site", "territoire_rls"},
    "wave": {"wave", "vague", "temps", "time", "t", "phase", "round", "collecte", "mesure",
             "temps_mesure", "redcap_event_name", "event", "visit", "visite", "periode",
             "period", "moment", "temps_de_mesure"},
    "group": {"respondent_type", "type_repondant", "type_de_repondant", "groupe", "group",
              "profil", "profile", "statut", "role", "categorie", "repondant", "respondent",
              "type_participant", "participant_type", "type"},
}
_PATTERNS = {
    "id": r"(^|_)(id|ident|identifiant|dossier|matricule)($|_)",
    "site": r"(^|_)(site|territoire|territory|region|centre|center|csss|clsc|rls|quartier|"
            r"secteur|lieu|etablissement)($|_)",
    "wave": r"(^|_)(wave|vague|temps|time|phase|round|collecte|visit|visite|event|periode|"
            r"moment)($|_)",
    "group": r"(^|_)(type|groupe|group|profil|profile|statut|role|categorie|repondant|"
             r"respondent)($|_)",
}
_LABEL_WORDS = {
    "id": ("identifiant", "identifier", "numero de dossier", "record id", "response id"),
    "site": ("site", "territoire", "territory", "centre", "region", "point de service"),
    "wave": ("temps de mesure", "vague", "wave", "collecte", "time point", "event name"),
    "group": ("type de repondant", "respondent type", "profil", "groupe de repondants"),
}
_GROUP_VALUES = {"user", "usager", "usagere", "users", "usagers", "carer", "carers", "proche",
                 "proches", "aidant", "aidante", "staff", "personnel", "intervenant",
                 "intervenante", "professionnel", "professional", "employe", "family", "famille",
                 "patient", "client", "benevole", "volunteer", "gestionnaire", "manager"}
_IDENTIFYING = r"(^|_)(e?mail|courriel|phone|telephone|tel|cellulaire|nom|name|prenom|" \
               r"firstname|lastname|adresse|address|code_postal|postal|postcode|zip|nas|sin|" \
               r"ramq|nam|ipaddress|ip|naissance|birth|dob|latitude|longitude|" \
               r"recipient\w*|externalreference|external_reference)($|_)"
_FREE_TEXT = r"(^|_)(comment|commentaire|commentaires|remarque|remarques|precisez|precision|" \
             r"precisions|autre|other|specify|texte|text|note|notes|suggestion|suggestions)($|_)"
_SCALE_WORDS = ("accord", "agree", "jamais", "never", "souvent", "often", "toujours", "always",
                "pas du tout", "not at all", "satisf", "tres", "very", "tout a fait",
                "completely", "rarement", "rarely", "parfois", "sometimes", "beaucoup",
                "a lot", "un peu", "a little", "atteint", "met", "excellent", "mauvais", "poor")
#: Words of value labels that mark a missing-value code (don't know, refused, not applicable).
_MISSING_WORDS = ("ne sait pas", "nsp", "refus", "ne veut pas", "sans objet", "ne s applique",
                  "manquant", "non reponse", "dont know", "don t know", "refused", "not applicable",
                  "prefer not", "prefere ne pas", "missing", "no answer", "pas de reponse")
_WAVE_IN_NAME = r"(?:^|[^a-z0-9])(?:w|t|wave|vague|temps|time|phase|round|v)[ _-]?0*(\d{1,2})" \
                r"(?:$|[^0-9])"


@dataclass(frozen=True)
class Guess:
    """A role guessed for a column (or set for a file), with why, for the analyst to confirm."""

    role: str
    column: str | None
    reason_fr: str
    reason_en: str


@dataclass(frozen=True)
class Draft:
    """A drafted study: the text of ``study.yaml`` and of ``codebook.yaml``, and the guesses."""

    study: str
    codebook: str
    roles: dict[str, str | None]
    guesses: list[Guess] = field(default_factory=list)


@dataclass
class _Column:
    """A column over every file that has it."""

    name: str
    sketches: list[ColumnSketch]
    sources: list[int]
    meta: DictionaryVariable | None = None

    @property
    def label(self) -> str | None:
        if self.meta is not None and self.meta.label:
            return self.meta.label
        return next((s.label for s in self.sketches if s.label), None)

    @property
    def kind(self) -> str:
        kinds = {s.kind for s in self.sketches} - {"empty"}
        if not kinds:
            return "empty"
        return kinds.pop() if len(kinds) == 1 else "text"

    @property
    def integer(self) -> bool:
        return all(s.integer or s.kind == "empty" for s in self.sketches)

    @property
    def distinct(self) -> list | None:
        values: set = set()
        for sketch in self.sketches:
            if sketch.distinct is None:
                return None
            values |= set(sketch.distinct)
        return sorted(values, key=_sort_key)

    @property
    def n_present(self) -> int:
        return sum(s.n_present for s in self.sketches)

    @property
    def value_labels(self) -> dict:
        out: dict = {}
        for sketch in self.sketches:
            out.update(sketch.value_labels)
        return out

    @property
    def missing_codes(self) -> dict:
        """Declared user-missing codes, and labelled codes whose label says missing (don't
        know, refused...)."""
        out: dict = {}
        for sketch in self.sketches:
            out.update(sketch.missing_codes)
        labels = dict(self.value_labels)
        if self.meta is not None:
            labels.update({k: v for k, v in self.meta.choices.items() if isinstance(v, str)})
        for code, label in labels.items():
            words = " " + _norm(label).replace("_", " ") + " "
            if code not in out and any(f" {w} " in words for w in _MISSING_WORDS):
                out[code] = label
        return out

    @property
    def measure(self) -> str | None:
        return next((s.measure for s in self.sketches if s.measure), None)


def draft_study(sources: Sequence[SourceSketch], *, paths: Sequence[str], study_id: str,
                dictionaries: Sequence[DataDictionary] = (),
                codebook: Codebook | None = None) -> Draft:
    """Draft ``study.yaml`` and the codebook of a study from sketches of its data files.

    Parameters
    ----------
    sources : sequence of SourceSketch
        The survey files, from :func:`evalkit.read.sketch_source`.
    paths : sequence of str
        How each source is written in ``study.yaml`` (relative to it).
    study_id : str
        The study's identifier (letters, digits and ``-``).
    dictionaries : sequence of DataDictionary
        Data dictionaries (REDCap, a spreadsheet of variables) describing the columns.
    codebook : Codebook, optional
        A codebook the study already has (e.g. evalkit's spreadsheet form): its variables are
        kept as they are, the others drafted.

    Returns
    -------
    Draft
        ``study`` and ``codebook`` (YAML text with bilingual comments), ``roles`` (column of
        each role), ``guesses`` (each guessed role with why).

    Notes
    -----
    Roles are guessed from column names, labels and values: the identifier is a column named
    like one (``id``, ``record_id``, ``ResponseId``, ``identifiant``...) whose values do not
    repeat within a wave; the wave, a column named like one with at most 12 values, or the
    wave number in each file's name (``w1``, ``t2``, ``vague3``...); the site, a column named
    like one whose values repeat; the respondent group, a column named like one or whose values
    are user, carer, staff... (in French or English). Variables take their type from the file:
    labelled codes are categories, or Likert items when SPSS says ordinal or the labels read
    like an agreement or frequency scale; user-missing codes become ``missing``; dates stay
    dates; identifying columns (e-mail, phone, name, address, postal code...) are marked.
    The draft validates against the files it came from.
    """
    columns, dictionary = _columns(sources, dictionaries)
    given = codebook.variables if codebook is not None else {}
    roles, guesses, constants = _guess_roles(sources, paths, columns, given)
    variables = _variables(columns, roles, dictionary, given, len(sources))
    variables.update(_constant_variables(roles, constants, variables))
    value_sets = _value_sets(variables, dict(codebook.value_sets) if codebook else {})
    waves = _waves(roles, constants, variables, sources)
    study_text = _study_text(study_id, sources, paths, roles, guesses, constants, waves,
                             variables)
    codebook_text = _codebook_text(variables, value_sets)
    return Draft(study=study_text, codebook=codebook_text, roles=roles, guesses=guesses)


# -- columns ----------------------------------------------------------------------------------

def _columns(sources: Sequence[SourceSketch], dictionaries: Sequence[DataDictionary]
             ) -> tuple[dict[str, _Column], dict[str, DictionaryVariable]]:
    meta: dict[str, DictionaryVariable] = {}
    for d in dictionaries:
        meta.update(d.variables)
    columns: dict[str, _Column] = {}
    for i, source in enumerate(sources):
        for sketch in source.columns:
            column = columns.setdefault(sketch.name, _Column(sketch.name, [], []))
            column.sketches.append(sketch)
            column.sources.append(i)
    for name, column in columns.items():
        column.meta = _dictionary_entry(name, meta)
    return columns, meta


def _dictionary_entry(name: str, meta: Mapping[str, DictionaryVariable]
                      ) -> DictionaryVariable | None:
    if name in meta:
        return meta[name]
    # REDCap exports a checkbox field `x` as `x___<code>`, and each form's status as
    # `<form>_complete`.
    checkbox = re.fullmatch(r"(.+)___(.+)", name)
    if checkbox and checkbox.group(1) in meta:
        parent = meta[checkbox.group(1)]
        choice = parent.choices.get(_code(checkbox.group(2)), checkbox.group(2))
        return DictionaryVariable(
            name=name, label=f"{parent.label or parent.name} : {choice}", kind="category",
            choices={v: {lang: t(f"draft.value.{k}", lang) for lang in ("fr", "en")}
                     for v, k in ((0, "unchecked"), (1, "checked"))},
            condition=parent.condition, form=parent.form)
    forms = {v.form for v in meta.values() if v.form}
    complete = re.fullmatch(r"(.+)_complete", name)
    if complete and complete.group(1) in forms:
        return DictionaryVariable(name=name, label=f"{complete.group(1)} : statut",
                                  kind="category",
                                  choices={0: "Incomplete", 1: "Unverified", 2: "Complete"})
    return None


def _code(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _sort_key(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, int | float) else (1, 0, str(value))


def _norm(text: Any) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


# -- roles ------------------------------------------------------------------------------------

def _guess_roles(sources, paths, columns, given) -> tuple[dict, list[Guess], dict]:
    roles: dict[str, str | None] = dict.fromkeys(ROLES)
    guesses: list[Guess] = []
    constants: dict[str, list] = {}
    taken: set[str] = set()
    for role in ROLES:
        best, why = _best_column(role, columns, sources, roles, taken, given)
        if best is not None:
            roles[role] = best
            taken.add(best)
            guesses.append(Guess(role, best, *why))
    if roles["wave"] is None:
        numbers = [_wave_in_name(PurePath(p).stem) for p in paths]
        if len(sources) > 1 and all(n is not None for n in numbers) and len(set(numbers)) > 1:
            roles["wave"] = _free_name("wave", columns, ("temps",))
            constants["wave"] = numbers
            guesses.append(Guess("wave", None, t("draft.why.wave_file", "fr"),
                                 t("draft.why.wave_file", "en")))
    if roles["site"] is None:
        roles["site"] = _free_name("site", columns, ("site_etude",))
        constants["site"] = [1] * len(sources)
        guesses.append(Guess("site", None, t("draft.why.site_none", "fr"),
                             t("draft.why.site_none", "en")))
    if roles["id"] is None:
        fallback = next((c.name for c in columns.values() if _unique_per_wave(
            c, sources, roles["wave"])), None) or next(iter(columns))
        roles["id"] = fallback
        guesses.append(Guess("id", fallback, t("draft.why.id_fallback", "fr"),
                             t("draft.why.id_fallback", "en")))
    return roles, guesses, constants


def _free_name(name: str, columns: Mapping, others: Sequence[str]) -> str:
    for candidate in (name, *others, f"{name}_1"):
        if candidate not in columns:
            return candidate
    return f"{name}_{len(columns)}"


def _wave_in_name(stem: str) -> int | None:
    match = re.search(_WAVE_IN_NAME, _norm(stem).replace("_", " ").replace(" ", "_"))
    if match is None:
        match = re.search(_WAVE_IN_NAME, stem.lower())
    return int(match.group(1)) if match else None


def _name_score(role: str, column: _Column) -> int:
    name = _norm(column.name)
    score = 0
    if name in _NAMES[role]:
        score = 4
    elif re.search(_PATTERNS[role], name):
        score = 3
    label = _norm(column.label or "").replace("_", " ")
    if any(word in label for word in _LABEL_WORDS[role]):
        score = max(score, 2) + 1
    return score


def _best_column(role, columns, sources, roles, taken, given) -> tuple[str | None, tuple]:
    best, best_score, why = None, 0, ("", "")
    for column in columns.values():
        if column.name in taken:
            continue
        declared = given.get(column.name)
        score = _name_score(role, column)
        fits, detail = _values_fit(role, column, sources, roles)
        if declared is not None:
            score += {"id": 3 if declared.type == "id" else -9}.get(role, 0)
            if role != "id" and declared.type != "category":
                score = -9
        if role == "group" and detail.get("group_values"):
            score = max(score, 3) + 1
        if role == "id" and detail.get("links"):
            score += 2
        if not fits or score < 3:
            continue
        if score > best_score:
            best, best_score = column.name, score
            why = _why(role, column, detail)
    return best, why


def _values_fit(role: str, column: _Column, sources, roles) -> tuple[bool, dict]:
    distinct = column.distinct
    n = len(distinct) if distinct is not None else None
    if role == "id":
        ok = column.kind != "empty" and _unique_per_wave(column, sources, roles.get("wave"))
        return ok, {"n": column.n_present, "links": _links_files(column, sources)}
    if column.kind in ("empty", "date") or n is None:
        return False, {}
    if role == "wave":
        return 1 <= n <= MAX_WAVES, {"n": n}
    repeated = column.n_present >= CATEGORY_REPEATS * n
    if role == "site":
        return 1 <= n and repeated, {"n": n}
    values = {_norm(v) for v in [*distinct, *column.value_labels.values()]}
    group_values = len(values & _GROUP_VALUES) >= 2
    if re.search(r"(^|_)(age|ages|sexe|sex|genre|gender)($|_)", _norm(column.name)):
        return False, {}  # an age group or a sex is not a respondent group
    # A study of one respondent group still has its group column, when it is named like one.
    fewest = 1 if _norm(column.name) in _NAMES["group"] else 2
    return fewest <= n <= 10 and repeated, {"n": n, "group_values": group_values}


def _links_files(column: _Column, sources) -> bool:
    """Whether the same values appear in several files (an identifier that follows people
    from wave to wave, rather than one that numbers each file's responses)."""
    seen: list[set] = []
    for index in column.sources:
        sample = sources[index].sample
        if column.name in sample.columns:
            seen.append(set(sample[column.name].dropna().astype(str)))
    return len(seen) > 1 and any(a & b for i, a in enumerate(seen) for b in seen[i + 1:])


def _unique_per_wave(column: _Column, sources, wave: str | None) -> bool:
    if column.kind == "empty":
        return False
    for index in column.sources:
        sample = sources[index].sample
        if column.name not in sample.columns:
            continue
        keys = [column.name] + ([wave] if wave and wave in sample.columns else [])
        present = sample[keys].dropna()
        if present.duplicated().any():
            return False
        if not len(present):
            return False
    return True


def _why(role: str, column: _Column, detail: dict) -> tuple[str, str]:
    params = {"column": column.name, "n": detail.get("n", 0)}
    key = f"draft.why.{role}"
    if role == "group" and detail.get("group_values"):
        key = "draft.why.group_values"
    return t(key, "fr", **params), t(key, "en", **params)


# -- variables --------------------------------------------------------------------------------

def _bilingual(text: Any) -> dict:
    if isinstance(text, Mapping) and {"fr", "en"} <= set(text):
        return {"fr": str(text["fr"]), "en": str(text["en"])}
    text = str(text)
    return {"fr": text, "en": text}


def _variables(columns, roles, dictionary, given, n_sources) -> dict[str, dict]:
    out: dict[str, dict] = {}
    role_of = {v: k for k, v in roles.items() if v}
    for name, column in columns.items():
        if name in given:
            out[name] = given[name].model_dump(exclude_defaults=True, exclude_none=True)
            continue
        var = _variable(column, role_of.get(name))
        if len(column.sources) < n_sources and name not in role_of:
            var["required"] = False
        if column.meta is not None and column.meta.condition:
            var["_condition"] = column.meta.condition
        out[name] = var
    for name, var in given.items():  # variables of the codebook the files do not have
        out.setdefault(name, {**var.model_dump(exclude_defaults=True, exclude_none=True),
                              "required": False})
    return out


def _variable(column: _Column, role: str | None) -> dict:
    label = _bilingual(column.label or column.name)
    meta = column.meta
    if role == "id":
        return {"type": "id", "label": label, "identifying": True, "_why": "id"}
    if role in ("site", "wave", "group"):
        return {"type": "category", "label": label, **_coded(column, categorical=True)}
    if (meta is not None and meta.identifying) or re.search(_IDENTIFYING, _norm(column.name)):
        var = {"type": "text", "label": label, "identifying": True, "_why": "identifying"}
        return var if column.n_present else {**var, "required": False}
    kind = column.kind
    hint = meta.kind if meta is not None else None
    if kind == "empty":
        return {"type": "text", "label": label, "required": False, "_why": "empty"}
    if kind == "date" or (hint == "date" and kind == "text"):
        return {"type": "date", "label": label}
    labelled = bool(column.value_labels) or bool(meta is not None and meta.choices)
    if kind == "number" and (labelled or hint in ("category", "likert", "checkbox")):
        coded = _coded(column, categorical=False)
        likert = hint == "likert" or column.measure == "ordinal" or _reads_like_scale(
            coded.get("values", {}))
        if set(column.value_labels) <= set(column.missing_codes) and not (meta and meta.choices):
            # Only the missing codes are labelled: a number with missing codes.
            return _number(column, label, meta)
        return {"type": "likert" if likert else "category", "label": label, **coded}
    if kind == "number":
        return _number(column, label, meta)
    distinct = column.distinct
    free = bool(re.search(_FREE_TEXT, _norm(column.name))
                or re.search(_FREE_TEXT, _norm(column.label or "")))
    if distinct is not None and len(distinct) <= 50 and \
            column.n_present >= CATEGORY_REPEATS * len(distinct) and not free:
        return {"type": "category", "label": label, **_coded(column, categorical=True)}
    if column.sketches and all(s.unique for s in column.sketches) and \
            re.search(_PATTERNS["id"] + r"|responseid|code", _norm(column.name)):
        # Another identifier (a response number, a participant code): never released.
        return {"type": "id", "label": label, "identifying": True, "_why": "identifying"}
    var = {"type": "text", "label": label}
    if free or distinct is None or len(distinct) > 50:
        var["_why"] = "free_text"
    return var


def _number(column: _Column, label: dict, meta: DictionaryVariable | None) -> dict:
    var: dict[str, Any] = {"type": "number", "label": label}
    if column.integer:
        var["integer"] = True
    if meta is not None and meta.minimum is not None and meta.maximum is not None:
        var["range"] = [meta.minimum, meta.maximum]
    missing = _missing(column)
    if missing:
        var["missing"] = missing
    return var


def _missing(column: _Column) -> dict:
    unlabelled = {lang: t("draft.value.missing_code", lang) for lang in ("fr", "en")}
    return {code: _bilingual(label) if label else dict(unlabelled)
            for code, label in sorted(column.missing_codes.items(),
                                      key=lambda kv: _sort_key(kv[0]))}


def _coded(column: _Column, *, categorical: bool) -> dict:
    labels = dict(column.value_labels)
    if column.meta is not None and column.meta.choices:
        labels = {**column.meta.choices, **labels}
    missing = set(column.missing_codes)
    codes = [c for c in labels if c not in missing]
    observed = column.distinct or []
    codes += [v for v in observed if v not in labels and v not in missing
              and str(v) not in {str(c) for c in codes}]
    values = {code: _bilingual(labels.get(code, code)) for code in sorted(set(codes),
                                                                          key=_sort_key)}
    out: dict[str, Any] = {"values": values}
    if not values:  # every answer a missing code: keep the type valid
        out["values"] = {0: _bilingual(0)}
    if missing:
        out["missing"] = _missing(column)
    if not labels and not categorical:
        out["_why"] = "unlabelled"
    return out


def _reads_like_scale(values: Mapping) -> bool:
    words = " ".join(_norm(v["fr"]).replace("_", " ") for v in values.values())
    return 3 <= len(values) <= 11 and sum(w in words for w in _SCALE_WORDS) >= 2


def _constant_variables(roles, constants, variables) -> dict[str, dict]:
    out = {}
    if "wave" in constants and roles["wave"] not in variables:
        out[roles["wave"]] = {"type": "category", "label": {"fr": "Temps de mesure",
                                                            "en": "Wave"},
                              "values": {w: {"fr": f"Temps {w}", "en": f"Wave {w}"}
                                         for w in sorted(set(constants["wave"]))}}
    if "site" in constants and roles["site"] not in variables:
        out[roles["site"]] = {"type": "category", "label": {"fr": "Site", "en": "Site"},
                              "values": {1: {"fr": "Site unique", "en": "Single site"}}}
    return out


def _value_sets(variables: dict[str, dict], given: dict) -> dict[str, dict]:
    """Identical value labels used by several variables become one named set."""
    sets: dict[str, dict] = {name: {k: v.model_dump() if hasattr(v, "model_dump") else v
                                    for k, v in values.items()}
                             for name, values in given.items()}
    users: dict[str, list[str]] = {}
    for name, var in variables.items():
        values = var.get("values")
        if isinstance(values, dict) and len(values) >= 2 and var["type"] in ("likert",
                                                                              "category"):
            users.setdefault(yaml.safe_dump(values, sort_keys=True), []).append(name)
    for _, names in users.items():
        if len(names) < 2:
            continue
        base = _stem(names)
        set_name = base
        k = 2
        while set_name in sets or set_name in variables:
            set_name, k = f"{base}_{k}", k + 1
        sets[set_name] = variables[names[0]]["values"]
        for name in names:
            variables[name]["values"] = set_name
    return sets


def _stem(names: list[str]) -> str:
    """A name for a value set shared by ``names``: their common prefix (``wb`` for ``wb_1``,
    ``wb_2``...), else the first name without its trailing number."""
    prefix = _norm(names[0])
    for name in names[1:]:
        other = _norm(name)
        while not other.startswith(prefix):
            prefix = prefix[:-1]
    prefix = re.sub(r"[_\d]+$", "", prefix)
    return prefix or re.sub(r"[_\d]+$", "", _norm(names[0])) or "valeurs"


def _waves(roles, constants, variables, sources) -> dict | None:
    wave = roles.get("wave")
    if not wave:
        return None
    if "wave" in constants:
        values = sorted(set(constants["wave"]))
    else:
        values = list(variables[wave].get("values", {}))
        if not all(isinstance(v, int | float) for v in values):
            values = _first_seen(wave, sources, values)
    if not values:
        return None
    return {"baseline": values[0], "follow_up": values[1:]}


def _first_seen(column: str, sources, values: list) -> list:
    seen: list = []
    for source in sources:
        if column in source.sample.columns:
            for value in source.sample[column].dropna().astype(str).str.strip():
                if value in map(str, values) and value not in seen:
                    seen.append(value)
    return seen + [str(v) for v in values if str(v) not in seen]


# -- writing ----------------------------------------------------------------------------------

def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6,
                          sort_keys=False).strip()
    return text[:-4].rstrip() if text.endswith("\n...") else text.removesuffix("...").strip()


def _comment(key: str, indent: int = 0, **params: Any) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {t(key, 'fr', **params)}", f"{pad}# {t(key, 'en', **params)}"]


def _study_text(study_id, sources, paths, roles, guesses, constants, waves,
                variables) -> str:
    lines = [*_comment("draft.head"), *_comment("draft.confirm"),
             "# Référence de chaque clé / every key: docs/study.md", "",
             f"study: {_flow(study_id)}", "", "title:",
             f"  fr: {_flow(t('draft.title', 'fr'))}", f"  en: {_flow(t('draft.title', 'en'))}",
             "languages: [fr, en]", "", "sources:", *_comment("draft.sources", 2),
             "  survey:"]
    for i, (source, path) in enumerate(zip(sources, paths, strict=True)):
        spec: dict[str, Any] = {"path": str(path)}
        if source.sheet is not None and source.format == "xlsx":
            spec["sheet"] = source.sheet
        given = {roles[role]: constants[role][i] for role in ("wave", "site") if role in constants}
        if given:
            spec["set"] = given
        note = f"  # {source.format}, {source.n_rows} lignes / rows"
        lines.append(f"    - {_flow(spec)}{note}")
    lines += ["", *_comment("draft.codebook"), "codebook: codebook.yaml", "", "roles:",
              *_comment("draft.roles", 2)]
    why = {g.role: g for g in guesses}
    for role in ROLES:
        column = roles.get(role)
        if column is None:
            continue
        guess = why.get(role)
        note = f"  # {t('draft.guessed', 'fr')} : {guess.reason_fr} / {t('draft.guessed', 'en')}: " \
               f"{guess.reason_en}" if guess else ""
        lines.append(f"  {role}: {_flow(column)}{note}")
    if waves is not None:
        lines += ["", *_comment("draft.waves"),
                  f"waves: {_flow({'baseline': waves['baseline'], 'follow_up': waves['follow_up']})}"]
    lines += ["", *_measures_hint(variables)]
    pseudonymise = [roles["id"]]
    redact = [n for n, v in variables.items() if v.get("_why") == "free_text"]
    lines += ["", "privacy:", "  min_cell: 5", "  min_n_for_rates: 10",
              f"  pseudonymise: {_flow(pseudonymise)}"]
    if redact:
        lines += [*_comment("draft.redact", 2), f"  redact: {_flow(redact)}"]
    lines += [*_comment("draft.key", 2), "  key: {env: EVALKIT_KEY}", "",
              "parameters:", "  confidence: 0.95", "  bootstrap: 2000", "  seed: 20261122", ""]
    return "\n".join(lines)


def _measures_hint(variables: dict[str, dict]) -> list[str]:
    """Groups of Likert items sharing a value set, offered as scales to declare."""
    groups: dict[str, list[str]] = {}
    for name, var in variables.items():
        if var.get("type") == "likert" and isinstance(var.get("values"), str):
            groups.setdefault(var["values"], []).append(name)
    lines = [*_comment("draft.measures"), "# measures:"]
    shown = [(s, names) for s, names in groups.items() if len(names) >= 3]
    if shown:
        lines.append("#   scales:")
        for set_name, names in shown:
            lines.append(f"#     {set_name}: {{instrument: likert, items: {_flow(names)}}}")
    return lines


def _codebook_text(variables: dict[str, dict], value_sets: dict[str, dict]) -> str:
    lines = [*_comment("draft.codebook_head"), *_comment("draft.translate"),
             "# Référence / reference: docs/codebook.md", ""]
    if value_sets:
        lines.append("value_sets:")
        for name, values in value_sets.items():
            lines.append(f"  {_flow(name)}:")
            lines += [f"    {_flow(code)}: {_flow(label)}" for code, label in values.items()]
        lines.append("")
    lines.append("variables:")
    for name, var in variables.items():
        lines.append(f"  {_flow(name)}:")
        why = var.get("_why")
        if why:
            lines += _comment(f"draft.var.{why}", 4)
        if var.get("_condition"):
            lines += _comment("draft.var.condition", 4, condition=var["_condition"])
        for key, value in var.items():
            if key.startswith("_"):
                continue
            if key in ("values", "missing") and isinstance(value, dict):
                lines.append(f"    {key}:")
                lines += [f"      {_flow(code)}: {_flow(label)}" for code, label in value.items()]
            else:
                lines.append(f"    {key}: {_flow(value)}")
    return "\n".join(lines) + "\n"
