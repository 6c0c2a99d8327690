"""The study folder: a typed model of ``study.yaml``, loaded with located, bilingual errors.

A study names its sources (paths relative to ``study.yaml``), its codebook, the roles of its
columns, how items become constructs, its privacy rules and its analysis parameters. Column names
belong to the study, never to the code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from evalkit.config._model import StudyConfigError, config_error, located_problems
from evalkit.config._yaml import LocatedYaml, load_yaml
from evalkit.errors import ConfigError

__all__ = [
    "Bilingual",
    "Study",
    "SourceSpec",
    "load_study",
    "study_json_schema",
]

Language = Literal["fr", "en"]
StudyId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$", max_length=64)]
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


class SourceSpec(_Model):
    """One input file. Declared reading options win over what evalkit detects."""

    path: Path = Field(description="Path of the file, relative to study.yaml.")
    format: Literal["csv", "qualtrics", "xlsx", "sav", "dta", "qdpx", "segments"] | None = Field(
        None, description="File format; detected from the extension and content when omitted.")
    encoding: str | None = Field(None, description="Text encoding of a CSV file, e.g. cp1252.")
    delimiter: Literal[",", ";", "\t", "|"] | None = Field(
        None, description="Field delimiter of a CSV file.")
    decimal: Literal[".", ","] | None = Field(None, description="Decimal mark of a CSV file.")
    thousands: str | None = Field(None, description="Thousands separator of a CSV file.")
    sheet: str | int | None = Field(None, description="Worksheet of an XLSX file (name or index).")
    wave: Scalar | None = Field(
        None, description="Wave of every row of this file, when the file has no wave column.")
    site: Scalar | None = Field(
        None, description="Site of every row of this file, when the file has no site column.")
    group: Scalar | None = Field(
        None, description="Survey file: the respondent group of every row, when the file has no "
        "group column. Population file: the respondent group its margins describe (e.g. user).")
    label: Bilingual | None = None


class Sources(_Model):
    survey: Annotated[list[SourceSpec], Field(min_length=1)] = Field(
        description="Survey files (waves, sites), stacked with their source kept per row.")
    interviews: list[SourceSpec] = Field(
        default_factory=list,
        description="Coded interviews: REFI-QDA projects (.qdpx) or coded-segment CSV/XLSX.")
    population: SourceSpec | None = Field(
        None, description="Population margins per site (site, dimension, level, count).")
    partners: SourceSpec | None = Field(
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


class Outcomes(_Model):
    items: Annotated[list[ColumnName], Field(min_length=1)]
    met_at: float = Field(description="An outcome is met when its rating is at least this value.")
    groups: dict[str, list[ColumnName]] = Field(
        default_factory=dict, description="Outcome groups (e.g. quality_of_life, process, change).")

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


class Privacy(_Model):
    min_cell: Annotated[int, Field(ge=1)] = Field(
        5, description="Counts of people from 1 to min_cell - 1 are suppressed.")
    min_n_for_rates: Annotated[int, Field(ge=1)] = Field(
        10, description="Rates, means and intervals on fewer people are suppressed.")
    zero_counts: Literal["show", "suppress"] = Field(
        "show", description="Whether zero counts are shown or suppressed like small counts.")
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
    codebook: Path = Field(description="Codebook file (YAML, CSV or XLSX), relative to study.yaml.")
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

    def parameters_dict(self) -> dict[str, Any]:
        """The analysis parameters as plain values (safe to show: no secrets)."""
        return json.loads(self.parameters.model_dump_json())


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
