"""The study folder: a typed model of ``study.yaml``, loaded with located, bilingual errors.

A study names its sources (paths relative to ``study.yaml``), its codebook, the roles of its
columns, how items become constructs, its privacy rules and its analysis parameters. Column names
belong to the study, never to the code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from evalkit.config._model import (
    Bilingual,
    CalledModel,
    ColumnName,
    Scalar,
    StudyConfigError,
    _Model,
    config_error,
    located_problems,
)
from evalkit.config._yaml import LocatedYaml, load_yaml
from evalkit.config.codebook import Codebook, load_codebook
from evalkit.errors import ConfigError
from evalkit.read import registered_formats

__all__ = [
    "Bilingual",
    "DisclosurePolicy",
    "Privacy",
    "Study",
    "SourceSpec",
    "Study",
    "load_study",
    "study_json_schema",
]

Language = Literal["fr", "en"]
StudyId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$", max_length=64)]
def _format_field(kind: str) -> Any:
    """The ``format`` key of a source of ``kind``: any format the reader registry holds for it
    (the JSON Schema lists those registered when it is generated)."""
    def registered(schema: dict[str, Any]) -> None:
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "string":
                option["enum"] = list(registered_formats(kind))

    return Field(None, json_schema_extra=registered, description=(
        "File format, one of the formats registered for this kind of source; detected from "
        "the extension and content when omitted."))


def _check_format(value: str | None, kind: str) -> str | None:
    formats = registered_formats(kind)
    if value is not None and value not in formats:
        raise config_error("config.expected_one_of", expected=", ".join(formats),
                           got=repr(value))
    return value


class SourceSpec(_Model):
    """One table (a survey, population or partners file) and how to read it.

    Declared reading options win over what evalkit detects. ``columns`` renames the file's
    columns to the study's names and ``set`` gives a column one value for every row: the file
    itself is never changed, and messages name its columns as the file does.
    """

    _kind: ClassVar[str] = "survey"

    path: Path = Field(description="Path of the file, relative to study.yaml.")
    format: str | None = _format_field("survey")
    encoding: str | None = Field(None, description="Text encoding of a CSV file, e.g. cp1252.")
    delimiter: Literal[",", ";", "\t", "|"] | None = Field(
        None, description="Field delimiter of a CSV file.")
    decimal: Literal[".", ","] | None = Field(None, description="Decimal mark of a CSV file.")
    thousands: str | None = Field(None, description="Thousands separator of a CSV file.")
    sheet: str | int | None = Field(None, description="Worksheet of an XLSX file (name or index).")
    columns: dict[str, ColumnName] = Field(
        default_factory=dict, description="The file's column → the study's name for it, e.g. "
        "{No_employe: respondent_id}. Columns not listed keep their name.")
    constants: dict[ColumnName, Scalar] = Field(
        default_factory=dict, alias="set", description="Columns that hold one value for every "
        "row of this file, e.g. {respondent_type: staff, wave: 1}.")
    label: Bilingual | None = None

    @field_validator("format")
    @classmethod
    def _registered(cls, value: str | None) -> str | None:
        return _check_format(value, cls._kind)

    @field_validator("columns", mode="before")
    @classmethod
    def _headers_as_text(cls, value: Any) -> Any:
        # YAML reads a header such as 2024 or true as a number or a boolean.
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _one_name_each(self) -> SourceSpec:
        targets = list(self.columns.values())
        twice = sorted({t for t in targets if targets.count(t) > 1})
        if twice:
            raise config_error("config.columns_twice", names=", ".join(twice))
        both = sorted(set(targets) & set(self.constants))
        if both:
            raise config_error("config.columns_and_set", names=", ".join(both))
        return self

    def file_column(self, name: str) -> str:
        """The column of the file that holds the study's column ``name``."""
        for column, target in self.columns.items():
            if target == name:
                return column
        return name


class PopulationSource(SourceSpec):
    """The population margins file."""

    _kind: ClassVar[str] = "population"
    format: str | None = _format_field("population")


class PartnersSource(SourceSpec):
    """The partner organisations' ratings file."""

    _kind: ClassVar[str] = "partners"
    format: str | None = _format_field("partners")


class InterviewSource(_Model):
    """One file of coded interviews: a REFI-QDA project or a sheet of coded segments."""

    path: Path = Field(description="Path of the file, relative to study.yaml.")
    format: str | None = _format_field("interviews")
    sheet: str | int | None = Field(
        None, description="Worksheet of a coded-segment workbook (name or index).")
    external_sources: Path | None = Field(
        None, description="REFI-QDA project: the folder (relative to study.yaml) that holds its "
        "sources with relative:// paths that are not in the archive. Without it, nothing "
        "outside the archive is read.")
    label: Bilingual | None = None

    @field_validator("format")
    @classmethod
    def _registered(cls, value: str | None) -> str | None:
        return _check_format(value, "interviews")


class Sources(_Model):
    survey: Annotated[list[SourceSpec], Field(min_length=1)] = Field(
        description="Survey files (waves, sites), stacked with their source kept per row.")
    interviews: list[InterviewSource] = Field(
        default_factory=list,
        description="Coded interviews: REFI-QDA projects (.qdpx) or coded-segment CSV/XLSX.")
    population: PopulationSource | None = Field(
        None, description="Population margins per site: the study's site column, a count "
        "column, and either dimension columns (codebook variables) or dimension and level "
        "columns.")
    partners: PartnersSource | None = Field(
        None, description="Partner organisations' ratings of their link with each site.")


class Roles(_Model):
    """Which columns play which role. Names are the study's own."""

    id: ColumnName = Field(description="Respondent identifier (same person across waves).")
    site: ColumnName
    wave: ColumnName | None = None
    group: ColumnName | None = Field(None, description="Respondent type: user, carer, staff...")
    weight: ColumnName | None = Field(None, description="A design weight column, if any.")


class Waves(_Model):
    baseline: Scalar = Field(description="The wave value of the baseline.")
    follow_up: list[Scalar] = Field(default_factory=list,
                                    description="Follow-up wave values, in order.")


class Tokenism(_Model):
    voice: Annotated[list[ColumnName], Field(min_length=1)] = Field(
        description="Items saying the respondent was asked for their view (voice).")
    influence: Annotated[list[ColumnName], Field(min_length=1)] = Field(
        description="Items saying their view changed something (influence).")

    @field_validator("voice", "influence", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Perception(_Model):
    """Which respondent groups are compared for the staff–user perception gap."""

    staff: Annotated[list[Scalar], Field(min_length=1)]
    users: Annotated[list[Scalar], Field(min_length=1)]

    @field_validator("staff", "users", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | int) else value


class Involvement(_Model):
    ladder: Annotated[list[ColumnName], Field(min_length=2)] = Field(
        description="Agree/disagree items in rung order, lowest rung first.")
    agree_at: float = Field(description="A rung is endorsed when its item is at least this value.")
    tokenism: Tokenism | None = None
    perception: Perception | None = None


#: The outcome model's response and the terms its formula may use (columns of
#: :func:`evalkit.analyse.models.involvement_change_data`).
MODEL_RESPONSE = "outcome_change"
MODEL_TERMS = ("rung", "tokenistic", "baseline_mean")
DEFAULT_MODEL_FORMULA = "outcome_change ~ rung + tokenistic"


class OutcomeModel(_Model):
    """The released model of outcome change on involvement: its formula, who enters it and the
    follow-up wave the change is measured to. Every key has a documented default."""

    formula: str = Field(
        default=DEFAULT_MODEL_FORMULA,
        description="outcome_change ~ terms, the terms among rung, tokenistic and "
        "baseline_mean (a random intercept per site is always added).")
    respondents: list[Scalar] | None = Field(
        default=None,
        description="Values of roles.group whose change enters the model (default: "
        "involvement.perception.users when declared, else every respondent with a change).")
    follow_up: Scalar | None = Field(
        default=None, description="The follow-up wave the change is measured to (default: "
        "the first of waves.follow_up).")

    @field_validator("respondents", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | int) else value

    @field_validator("formula")
    @classmethod
    def _known_terms(cls, value: str) -> str:
        left, sep, right = value.partition("~")
        terms = [t.strip() for t in right.split("+")]
        unknown = [t for t in terms if t not in MODEL_TERMS]
        if not sep or left.strip() != MODEL_RESPONSE or not right.strip() or unknown \
                or len(set(terms)) != len(terms):
            raise config_error("config.model_formula", formula=value,
                               terms=", ".join(MODEL_TERMS), response=MODEL_RESPONSE)
        return f"{MODEL_RESPONSE} ~ " + " + ".join(terms)

    @property
    def terms(self) -> list[str]:
        """The formula's terms, in order."""
        return [t.strip() for t in self.formula.partition("~")[2].split("+")]


class Outcomes(_Model):
    items: Annotated[list[ColumnName], Field(min_length=1)]
    met_at: float = Field(description="An outcome is met when its rating is at least this value.")
    groups: dict[str, list[ColumnName]] = Field(
        default_factory=dict, description="Outcome groups (e.g. quality_of_life, process, change).")
    model: OutcomeModel = Field(default_factory=OutcomeModel,
                                description="The released model of outcome change on "
                                "involvement (formula, who enters, the follow-up).")

    @model_validator(mode="after")
    def _groups_use_items(self) -> Outcomes:
        for name, items in self.groups.items():
            unknown = [i for i in items if i not in self.items]
            if unknown:
                raise config_error("config.group_items_unknown", group=name,
                                   unknown=", ".join(unknown))
        return self


class Scale(_Model):
    instrument: str | dict[str, Any] = Field(
        description="A registered instrument name (e.g. swemwbs), a path to a YAML definition, "
        "or the definition itself.")
    items: list[ColumnName] | dict[str, ColumnName] = Field(
        description="The study's columns, in the instrument's item order (or keyed by item).")


class Network(_Model):
    paid: ColumnName = Field(description="Count of paid people in the respondent's network.")
    peers: ColumnName = Field(description="Count of people like them (same service, same label).")
    community: ColumnName = Field(description="Count of ordinary citizens in the network.")


class Integration(_Model):
    levels: Annotated[list[Bilingual], Field(min_length=2)] = Field(
        description="The continuum's levels in order, e.g. fragmented → integrated.")
    partner: ColumnName = "partner"
    site: ColumnName = "site"
    level: ColumnName = "level"


class LogicItem(_Model):
    """One box of the logic model, optionally tied to an indicator the study measures."""

    label: Bilingual
    indicator: str | None = Field(
        None, description="A variable of the codebook or an evalkit indicator (e.g. "
        "tokenism_rate) that measures this box.")


class LogicModel(_Model):
    """Inputs → process → outputs → outcomes, with the study's indicators at each stage."""

    inputs: list[LogicItem] = Field(default_factory=list)
    process: list[LogicItem] = Field(default_factory=list)
    outputs: list[LogicItem] = Field(default_factory=list)
    outcomes: list[LogicItem] = Field(default_factory=list)


class Measures(_Model):
    involvement: Involvement | None = None
    outcomes: Outcomes | None = None
    scales: dict[str, Scale] = Field(default_factory=dict)
    network: Network | None = None
    integration: Integration | None = None
    logic_model: LogicModel | None = None


class KeySource(_Model):
    """Where the pseudonymisation key is: an environment variable or a file outside the study."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> KeySource:
        if (self.env is None) == (self.file is None):
            raise config_error("config.key_one_source")
        return self


class DisclosurePolicy(_Model, metaclass=CalledModel):
    """The thresholds of disclosure control: what every released table is held to.

    A study's ``privacy`` section *is* its policy (:class:`Privacy` adds to these thresholds
    what preparation needs); Python code may also build one directly.

    Attributes
    ----------
    min_cell : int, default 5
        Counts of people from 1 to ``min_cell − 1`` are suppressed.
    min_n_for_rates : int, default 10
        Rates, means and intervals computed on fewer than this many people are suppressed.
    zero_counts : {'show', 'suppress'}, default 'show'
        Whether zero counts are shown or suppressed like small counts.

    Examples
    --------
    >>> DisclosurePolicy(min_cell=3)
    DisclosurePolicy(min_cell=3, min_n_for_rates=10, zero_counts='show')
    >>> DisclosurePolicy(min_cell=0)
    Traceback (most recent call last):
    ...
    evalkit.errors.ArgumentError: min_cell must be ≥ 1, got 0
    """

    min_cell: Annotated[int, Field(ge=1)] = Field(
        5, description="Counts of people from 1 to min_cell - 1 are suppressed.")
    min_n_for_rates: Annotated[int, Field(ge=1)] = Field(
        10, description="Rates, means and intervals on fewer people are suppressed.")
    zero_counts: Literal["show", "suppress"] = Field(
        "show", description="Whether zero counts are shown or suppressed like small counts.")


class Privacy(DisclosurePolicy):
    """The ``privacy`` section: the disclosure policy, and what preparation replaces or scrubs."""

    pseudonymise: list[ColumnName] = Field(
        default_factory=list, description="Identifier columns replaced by keyed pseudonyms.")
    redact: list[ColumnName] = Field(
        default_factory=list, description="Free-text columns scrubbed before any quote leaves.")
    names: list[str] = Field(
        default_factory=list, description="Names of people known to the study, to scrub.")
    quasi_identifiers: list[ColumnName] = Field(
        default_factory=list, description="Columns checked for k-anonymity in record exports.")
    key: KeySource | None = Field(None, description="Where the pseudonymisation key comes from.")


class Parameters(_Model):
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
    bootstrap: Annotated[int, Field(ge=0)] = 2000
    seed: Annotated[int, Field(ge=0)] = 20261122


class Gripp2(_Model):
    """GRIPP2 short form: how users were involved in the study itself."""

    aim: Bilingual
    methods: Bilingual
    results: Bilingual
    outcomes: Bilingual = Field(description="Discussion and conclusions: what the involvement "
                                            "changed.")
    reflections: Bilingual


class Report(_Model):
    authors: list[str] = Field(default_factory=list)
    organisation: Bilingual | None = None
    context: Bilingual | None = Field(None, description="The context paragraph of the brief.")
    question: Bilingual | None = Field(None, description="The question the study answers.")
    gripp2: Gripp2 | None = None


class Study(_Model):
    """A study: the content of ``study.yaml``."""

    study: StudyId = Field(description="Identifier: letters, digits and '-', used in paths.")
    title: Bilingual
    languages: Annotated[list[Language], Field(min_length=1)] = ["fr", "en"]
    sources: Sources
    codebook_file: Path = Field(
        alias="codebook", description="Codebook file (YAML, CSV or XLSX), relative to study.yaml.")
    roles: Roles
    waves: Waves | None = None
    measures: Measures = Field(default_factory=Measures)
    privacy: Privacy = Field(default_factory=Privacy)
    parameters: Parameters = Field(default_factory=Parameters)
    report: Report = Field(default_factory=Report)

    _root: Path = PrivateAttr(default=Path("."))
    _file: Path = PrivateAttr(default=Path("study.yaml"))
    _sha256: str = PrivateAttr(default="")
    _lines: dict = PrivateAttr(default_factory=dict)
    _codebook: Codebook | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _roles_distinct(self) -> Study:
        used = [(role, v) for role, v in self.roles.model_dump().items() if v is not None]
        columns = [v for _, v in used]
        repeated = sorted({v for v in columns if columns.count(v) > 1})
        if repeated:
            # located at the second role that names the column: the one to change, usually
            second = next(role for i, (role, v) in enumerate(used) if v in columns[:i])
            raise config_error("config.roles_repeat", at=("roles", second),
                               columns=", ".join(repeated))
        return self

    # -- where things are -------------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The folder that holds ``study.yaml``; relative paths start here."""
        return self._root

    @property
    def file(self) -> Path:
        """The ``study.yaml`` this study was loaded from."""
        return self._file

    @property
    def sha256(self) -> str:
        """SHA-256 of the bytes of ``study.yaml``."""
        return self._sha256

    def resolve(self, path: Path | str) -> Path:
        """A path of the study (relative to ``study.yaml``) as an absolute path."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self._root / path)

    def line_of(self, key: str) -> int | None:
        """The line of ``study.yaml`` where a dotted key (e.g. ``roles.group``) is written."""
        loc: tuple = tuple(int(p) if p.isdigit() else p for p in key.split("."))
        while loc:
            if loc in self._lines:
                return self._lines[loc]
            loc = loc[:-1]
        return None

    @property
    def codebook(self) -> Codebook:
        """The study's codebook, parsed from ``codebook_file`` the first time it is needed and
        kept: every stage of a run reads this one.

        Raises
        ------
        evalkit.errors.ConfigError
            The codebook is missing or malformed (every problem located).
        """
        if self._codebook is None:
            self._codebook = load_codebook(self.resolve(self.codebook_file))
        return self._codebook

    def baseline_wave(self, values: Iterable[Any] = ()) -> Any:
        """The baseline wave: the one analyses of change start from, and the wave of
        single-wave tables.

        Parameters
        ----------
        values : iterable, optional
            The values the wave column takes in the data.

        Returns
        -------
        scalar or None
            ``waves.baseline`` when declared; else the first value the codebook lists for the
            wave column; else the smallest of ``values`` (numbers before text); None when the
            study has no wave column and no value is given.

        Examples
        --------
        >>> study = load_study("data_samples/demo/study.yaml")
        >>> study.baseline_wave()
        1
        """
        if self.waves is not None:
            return self.waves.baseline
        wave = self.roles.wave
        if wave is not None and wave in self.codebook:
            declared = list(self.codebook.values_of(wave))
            if declared:
                return declared[0]
        present = [v for v in dict.fromkeys(values) if v is not None and v == v]
        if not present:
            return None
        first = min(present, key=_wave_order)
        # 1.0 read from a spreadsheet is wave 1
        return int(first) if isinstance(first, float) and first.is_integer() else first

    def parameters_dict(self) -> dict[str, Any]:
        """The analysis parameters as plain values (safe to show: no secrets)."""
        return json.loads(self.parameters.model_dump_json())


def _wave_order(value: Any) -> tuple:
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def load_study(path: str | Path) -> Study:
    """Load and check ``study.yaml``: every problem is reported with its file, line and key.

    Raises
    ------
    evalkit.errors.ConfigError
        When the file is missing, is not valid YAML, or does not match the study model (all
        problems at once, see :class:`evalkit.config._model.StudyConfigError`).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    if not path.is_file():
        raise ConfigError.from_catalogue("study.file_missing", where=str(path))
    raw = path.read_bytes()
    located: LocatedYaml = load_yaml(path, text=_decode(raw, path))
    if not isinstance(located.data, dict):
        raise ConfigError.from_catalogue("study.not_a_mapping", where=path.name)
    try:
        study = Study.model_validate(located.data)
    except ValidationError as exc:
        raise StudyConfigError(located_problems(exc, Study, located)) from None
    study._root = path.resolve().parent
    study._file = path.resolve()
    study._sha256 = hashlib.sha256(raw).hexdigest()
    study._lines = located.lines
    return study


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError.from_catalogue(
            "study.not_utf8", where=str(path), position=error.start) from None


def study_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``study.yaml`` (for editors: completion and checking as you type)."""
    schema = Study.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "evalkit study.yaml"
    return schema
