"""Validation of a study's data against its codebook: every problem collected, none hidden.

Each problem is one row: the source file, the row as the user sees it in that file (header is
line 1), the column, the value (masked for identifying columns), the rule, a message in French and
in English, and a severity. The typed, stacked responses are kept so that the rest of a run does
not read or type the data a second time.
"""

from __future__ import annotations

import dataclasses
import json
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit._files import atomic_write
from evalkit.config._model import ConfigProblem, StudyConfigError
from evalkit.config.codebook import Codebook
from evalkit.config.study import InterviewSource, SourceSpec, Study, load_study
from evalkit.errors import DataError, EvalkitError
from evalkit.i18n import format_number, format_percent, t
from evalkit.read import SourceData, parse_numbers, population_margins, read_source
from evalkit.validate import _coerce as C

__all__ = ["PROBLEM_COLUMNS", "ValidationReport", "validate_study", "check_study_config"]

#: Columns of the problems table (``validation.csv``), in order.
PROBLEM_COLUMNS = ["source", "row", "column", "value", "rule", "severity", "message_fr",
                   "message_en"]
#: How values of identifying columns are shown in reports.
MASK = "***"
#: Columns added to the stacked responses: where each row comes from.
SOURCE_COLUMNS = ("source", "source_row")

_STATUS_RULES = {
    C.WRONG_TYPE: "wrong_type",
    C.OUT_OF_RANGE: "out_of_codebook",
    C.UNDECLARED_MISSING: "undeclared_missing_code",
}


@dataclass
class _Problems:
    """Accumulates problems as small frames (vectorised), concatenated once at the end."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, rule: str, severity: str, *, source: str = "", rows: Iterable = (None,),
            column: str = "", values: Iterable = (None,), by_lang: dict | None = None,
            **params: Any) -> None:
        rows = list(rows)
        values = list(values)
        if len(values) == 1 and len(rows) > 1:
            values = values * len(rows)
        messages = {lang: [] for lang in ("fr", "en")}
        for value in values:
            shown = "" if value is None else str(value)
            for lang in messages:
                extra = (by_lang or {}).get(lang, {})
                messages[lang].append(t(f"validation.rule.{rule}", lang, column=column,
                                        value=shown, **params, **extra))
        self.parts.append(pd.DataFrame({
            "source": source, "row": pd.array(rows, dtype="Int64"), "column": column,
            "value": ["" if v is None else str(v) for v in values], "rule": rule,
            "severity": severity, "message_fr": messages["fr"], "message_en": messages["en"],
        }))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "str")
                                 for c in PROBLEM_COLUMNS})
        out = pd.concat(self.parts, ignore_index=True)[PROBLEM_COLUMNS]
        return out.astype({"row": "Int64"})


@dataclass
class ValidationReport:
    """The outcome of :func:`validate_study`.

    Attributes
    ----------
    study : Study
        The study, with its codebook (``report.codebook`` is ``study.codebook``).
    problems : DataFrame
        One row per problem, columns :data:`PROBLEM_COLUMNS`.
    responses : DataFrame
        The survey files stacked and typed: codebook variables present in the data, plus
        ``source`` and ``source_row``. Missing codes and invalid cells are NA here.
    missing : DataFrame
        Declared missing codes met in the data: ``row`` (position in ``responses``),
        ``variable``, ``code`` (e.g. 8 = don't know stays distinguishable from 9 = refused).
    not_asked : DataFrame
        Missing by design: one boolean column per variable of ``responses``, True where the
        cell is empty because the question was not put to that respondent (its wave is not in
        the variable's ``waves``, its file has no such column, or the ``asked_if`` condition
        of the codebook is not met). Such a cell is not item non-response.
    population : DataFrame or None
        Population margins: ``site, dimension, level, count``.
    provenance : list of dict
        One record per input file (path, sha256, rows, columns, encoding, dialect...).
    """

    study: Study
    problems: pd.DataFrame
    responses: pd.DataFrame
    missing: pd.DataFrame
    population: pd.DataFrame | None
    provenance: list[dict]
    partners: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    documents: pd.DataFrame | None = None
    not_asked: pd.DataFrame | None = None

    @property
    def codebook(self) -> Codebook:
        """The study's codebook (the one the study loaded)."""
        return self.study.codebook

    @property
    def n_errors(self) -> int:
        return int((self.problems["severity"] == "error").sum())

    @property
    def n_warnings(self) -> int:
        return int((self.problems["severity"] == "warning").sum())

    @property
    def ok(self) -> bool:
        """True when no problem is an error (warnings allowed)."""
        return self.n_errors == 0

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> pd.DataFrame:
        """Problems grouped by severity, rule, source and column, with counts and first rows."""
        p = self.problems
        if p.empty:
            return pd.DataFrame(columns=["severity", "rule", "source", "column", "n",
                                         "first_rows", "message_fr", "message_en"])
        order = {"error": 0, "warning": 1}
        grouped = (
            p.assign(_o=p["severity"].map(order))
            .groupby(["_o", "severity", "rule", "source", "column"], sort=True, dropna=False)
            .agg(n=("rule", "size"), first_rows=("row", _first_rows),
                 message_fr=("message_fr", "first"), message_en=("message_en", "first"))
            .reset_index().drop(columns="_o")
        )
        return grouped

    def counts(self, lang: str = "en") -> pd.DataFrame:
        """Respondents (rows) by site and wave, with totals: the shape of the data at a glance."""
        roles = self.study.roles
        site = roles.site if roles.site in self.responses.columns else None
        wave = roles.wave if roles.wave and roles.wave in self.responses.columns else None
        if site is None or self.responses.empty:
            return pd.DataFrame()
        keys = [_norm_series(self.responses[site]).rename("site")]
        if wave:
            keys.append(_norm_series(self.responses[wave]).rename("wave"))
        table = self.responses.groupby(keys, dropna=False).size()
        table = table.unstack("wave", fill_value=0) if wave else table.to_frame("n")
        table.loc[t("validation.total", lang)] = table.sum()
        table.index.name = self.codebook.label(site, lang)
        if wave:
            table.columns.name = self.codebook.label(wave, lang)
        return table

    def item_response(self) -> pd.DataFrame:
        """Item non-response, told apart from missing by design, one row per question.

        Returns
        -------
        DataFrame
            ``variable``, ``n_rows`` (survey rows), ``n_not_asked`` (empty by design: skip
            logic, a wave or a file that does not ask it), ``n_asked`` (the base: rows minus
            those not asked), ``n_answered``, ``n_missing_code`` (a declared missing code such
            as don't know or refused), ``n_no_answer`` (asked but no valid answer, missing codes
            included) and ``share_no_answer`` (``n_no_answer / n_asked``; NA when no one was
            asked). Questions are the codebook's ``category``, ``likert``, ``number``, ``date``
            and ``text`` variables that are neither identifying nor a role of the study (site,
            wave, group).

        Notes
        -----
        ``n_rows = n_not_asked + n_asked`` and ``n_asked = n_answered + n_no_answer``. An answer
        given where the question was not asked counts as answered (and is reported by
        validation as ``answered_not_asked``).
        """
        roles = self.study.roles
        skip = {roles.id, roles.site, roles.wave, roles.group, *self.codebook.identifying()}
        columns = ["variable", "n_rows", "n_not_asked", "n_asked", "n_answered",
                   "n_missing_code", "n_no_answer", "share_no_answer"]
        names = [n for n in self.codebook.names if n in self.responses.columns
                 and n not in skip and self.codebook[n].type != "id"]
        if not names:
            return pd.DataFrame({c: pd.Series(dtype="str" if c == "variable" else "float64")
                                 for c in columns})
        n_rows = len(self.responses)
        not_asked = (self.not_asked if self.not_asked is not None
                     else pd.DataFrame(False, index=self.responses.index, columns=names))
        answered = self.responses[names].notna().sum()
        by_design = not_asked.reindex(columns=names, fill_value=False).sum()
        out = pd.DataFrame({"variable": names, "n_rows": n_rows,
                            "n_not_asked": by_design.to_numpy(dtype="int64")})
        out["n_asked"] = out["n_rows"] - out["n_not_asked"]
        out["n_answered"] = answered.to_numpy(dtype="int64")
        out["n_missing_code"] = _codes_asked(self.missing, not_asked, names)
        out["n_no_answer"] = out["n_asked"] - out["n_answered"]
        share = out["n_no_answer"] / out["n_asked"].where(out["n_asked"] > 0)
        out["share_no_answer"] = share.astype("float64")
        return out[columns]

    def _skip_logic_lines(self, lang: str) -> list[str]:
        """Item response of the questions asked of a subset: not asked apart from no answer."""
        skipped = self.codebook.skip_logic()
        if not skipped:
            return []
        table = self.item_response().set_index("variable")
        lines = [t("validation.skip_logic", lang)]
        for name in skipped:
            if name not in table.index:
                continue
            row = table.loc[name]
            share = ("–" if pd.isna(row["share_no_answer"])
                     else format_percent(float(row["share_no_answer"]), lang))
            lines.append("  " + t("validation.skip_logic_line", lang,
                                  label=self.codebook.label(name, lang),
                                  asked=format_number(int(row["n_asked"]), lang, decimals=0),
                                  no_answer=format_number(int(row["n_no_answer"]), lang, decimals=0),
                                  share=share,
                                  not_asked=format_number(int(row["n_not_asked"]), lang, decimals=0)))
        return lines

    def render_text(self, lang: str = "en") -> str:
        """A short, grouped summary for the terminal."""
        lines = [t("validation.header", lang, study=self.study.study,
                   n_files=len(self.provenance), n_rows=len(self.responses))]
        counts = self.counts(lang)
        if not counts.empty:
            lines.append(t("validation.counts", lang))
            lines += ["  " + line for line in counts.to_string().splitlines()]
        lines += self._skip_logic_lines(lang)
        summary = self.summary()
        if summary.empty:
            lines.append(t("validation.clean", lang))
            return "\n".join(lines)
        for _, row in summary.iterrows():
            where = row["source"] or "–"
            if row["column"]:
                where += f" [{row['column']}]"
            rows = f" ({t('validation.rows', lang)} {row['first_rows']})" if row["first_rows"] else ""
            tag = t(f"validation.severity.{row['severity']}", lang)
            message = row[f"message_{lang}"]
            lines.append(f"  {tag:<9} {row['rule']:<26} {row['n']:>6}  {where}{rows}")
            lines.append(f"            {message}")
        lines.append(t("validation.totals", lang, errors=self.n_errors, warnings=self.n_warnings))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "study": self.study.study,
            "ok": self.ok,
            "errors": self.n_errors,
            "warnings": self.n_warnings,
            "rows": int(len(self.responses)),
            "sources": self.provenance,
            "summary": json.loads(self.summary().to_json(orient="records", force_ascii=False)),
            "item_response": json.loads(self.item_response().to_json(orient="records",
                                                                     force_ascii=False)),
        }

    def write_csv(self, path: str | Path) -> Path:
        """Write the problems to ``path`` (UTF-8 with BOM so Excel shows accents), atomically."""
        return write_csv_atomic(self.problems, Path(path))


def _codes_asked(missing: pd.DataFrame, not_asked: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Declared missing codes of each question among the rows that were asked it."""
    counts = []
    for name in names:
        rows = missing.loc[missing["variable"] == name, "row"].drop_duplicates().to_numpy()
        if name in not_asked.columns and rows.size:
            rows = rows[~not_asked[name].to_numpy(dtype=bool)[rows.astype("int64")]]
        counts.append(rows.size)
    return np.asarray(counts, dtype="int64")


def _first_rows(rows: pd.Series) -> str:
    shown = [str(int(r)) for r in rows.dropna().head(5)]
    more = len(rows.dropna()) - len(shown)
    return ", ".join(shown) + (", …" if more > 0 else "")


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as CSV through a temporary file, so a crash never leaves half a file."""
    with atomic_write(path, "w", encoding="utf-8-sig", newline="") as handle:
        frame.to_csv(handle, index=False, lineterminator="\n")
    return Path(path)


# -- configuration checks (the study against its codebook) --------------------------------------
def check_study_config(study: Study, codebook: Codebook) -> None:
    """Check that every column ``study.yaml`` names is a variable of the codebook.

    Raises :class:`~evalkit.config._model.StudyConfigError` (exit 2) listing every unknown name.
    """
    problems: list[ConfigProblem] = []

    def need(key: str, column: str | None, kinds: tuple[str, ...] | None = None) -> None:
        if column is None:
            return
        if column not in codebook:
            problems.append(ConfigProblem(
                study.file.name, study.line_of(key), key,
                t("validation.config.unknown_variable", "en", column=column),
                t("validation.config.unknown_variable", "fr", column=column)))
        elif kinds and codebook[column].type not in kinds:
            problems.append(ConfigProblem(
                study.file.name, study.line_of(key), key,
                t("validation.config.wrong_kind", "en", column=column,
                  kind=codebook[column].type, expected=", ".join(kinds)),
                t("validation.config.wrong_kind", "fr", column=column,
                  kind=codebook[column].type, expected=", ".join(kinds))))

    roles = study.roles
    need("roles.id", roles.id, ("id",))
    need("roles.site", roles.site, ("category",))
    need("roles.wave", roles.wave, ("category",))
    need("roles.group", roles.group, ("category",))
    need("roles.weight", roles.weight, ("number",))
    numeric = ("likert", "number", "category")
    m = study.measures
    if m.involvement:
        for i, col in enumerate(m.involvement.ladder):
            need(f"measures.involvement.ladder.{i}", col, numeric)
        if m.involvement.tokenism:
            for part in ("voice", "influence"):
                for i, col in enumerate(getattr(m.involvement.tokenism, part)):
                    need(f"measures.involvement.tokenism.{part}.{i}", col, numeric)
    if m.outcomes:
        for i, col in enumerate(m.outcomes.items):
            need(f"measures.outcomes.items.{i}", col, numeric)
    for name, scale in m.scales.items():
        items = scale.items.values() if isinstance(scale.items, dict) else scale.items
        for i, col in enumerate(items):
            need(f"measures.scales.{name}.items.{i}", col, numeric)
    if m.network:
        for part in ("paid", "peers", "community"):
            need(f"measures.network.{part}", getattr(m.network, part), ("number",))
    p = study.privacy
    for key in ("pseudonymise", "redact", "quasi_identifiers"):
        for i, col in enumerate(getattr(p, key)):
            need(f"privacy.{key}.{i}", col)
    for i, spec in enumerate(study.sources.survey):
        for column, name in spec.columns.items():
            need(f"sources.survey.{i}.columns.{column}", name)
        for name in spec.constants:
            need(f"sources.survey.{i}.set.{name}", name)
    for kind in ("population", "partners"):
        spec = getattr(study.sources, kind)
        if spec is not None:
            problems += _shape_problems(study, codebook, kind, spec)
    if problems:
        raise StudyConfigError(problems)


def _shape_problems(study: Study, codebook: Codebook, kind: str,
                    spec: SourceSpec) -> list[ConfigProblem]:
    """A population or partners file's ``columns`` and ``set`` must use the names its kind
    knows (a population file's dimensions may also be any codebook variable)."""
    roles = study.roles
    if kind == "population":
        renamed = [roles.site, *POPULATION_ROLES]
        constant = [roles.site, *([roles.group] if roles.group else [])]
    else:
        partner, site, level = _partner_columns(study)
        renamed, constant = [partner, site, level], [site]
    wrong = [(f"columns.{column}", name, renamed) for column, name in spec.columns.items()
             if name not in renamed and not (kind == "population" and name in codebook)]
    wrong += [(f"set.{name}", name, constant) for name in spec.constants if name not in constant]
    problems = []
    for key, name, allowed in wrong:
        where = f"sources.{kind}.{key}"
        params = {"name": name, "allowed": ", ".join(dict.fromkeys(allowed))}
        problems.append(ConfigProblem(
            study.file.name, study.line_of(where), where,
            t("validation.config.unknown_name", "en", **params),
            t("validation.config.unknown_name", "fr", **params)))
    return problems


def _partner_columns(study: Study) -> tuple[str, str, str]:
    integration = study.measures.integration
    if integration is None:
        return "partner", "site", "level"
    return integration.partner, integration.site, integration.level


# -- reading ------------------------------------------------------------------------------------
#: The columns of a population file besides the site and the dimensions (codebook variables).
POPULATION_ROLES = ("count", "dimension", "level")


def _display(study: Study, spec: SourceSpec | InterviewSource) -> str:
    return spec.path.as_posix()


def _read(study: Study, spec: SourceSpec | InterviewSource, kind: str,
          problems: _Problems) -> SourceData | None:
    """Read one source through the reader registry; an unreadable file is a problem."""
    options: dict[str, Any] = {"format": spec.format, "sheet": spec.sheet}
    if kind == "interviews":
        options |= {"site": study.roles.site, "group": study.roles.group,
                    "external_sources": (None if spec.external_sources is None
                                         else study.resolve(spec.external_sources))}
    else:
        options |= {"encoding": spec.encoding, "delimiter": spec.delimiter,
                    "decimal": spec.decimal, "thousands": spec.thousands}
    try:
        return read_source(study.resolve(spec.path), kind=kind,
                           display_path=_display(study, spec), **options)
    except EvalkitError as error:
        problems.add("unreadable_file", "error", source=_display(study, spec),
                     by_lang={lang: {"reason": error.render(lang)} for lang in ("fr", "en")})
        return None


def _renamed_missing(spec: SourceSpec, source: SourceData, problems: _Problems) -> None:
    """``columns`` names a column the file does not have."""
    present = {str(c) for c in source.data.columns}
    for column, name in spec.columns.items():
        if column not in present:
            problems.add("renamed_column_missing", "error", source=source.provenance.path,
                         column=column, name=name)


def _with_constants(spec: SourceSpec, source: SourceData, problems: _Problems,
                    names: Iterable[str]) -> SourceData:
    """The source with a column for each of ``names`` that ``set`` gives one value."""
    data = source.data
    added = {}
    for name in names:
        if name not in spec.constants:
            continue
        if name in data.columns:
            problems.add("set_replaces_column", "warning", source=source.provenance.path,
                         column=name)
        added[name] = pd.Series([spec.constants[name]] * len(data), index=data.index,
                                dtype=object)
    if not added:
        return source
    return dataclasses.replace(source, data=data.assign(**added))


def _reader_warnings(source, problems: _Problems, name: str) -> None:
    for warning in source.warnings:
        key = getattr(warning, "key", None)
        params = dict(getattr(warning, "params", {}) or {})
        message_en = getattr(warning, "message", str(warning))
        if hasattr(warning, "render"):
            message_en, message_fr = warning.render("en"), warning.render("fr")
        else:
            message_fr = t(key, "fr", **params) if key else message_en
        problems.parts.append(pd.DataFrame({
            "source": [name], "row": pd.array([None], dtype="Int64"),
            "column": [str(params.get("column", ""))], "value": [""], "rule": ["reader"],
            "severity": ["warning"], "message_fr": [message_fr], "message_en": [message_en],
        }))


# -- the checks -------------------------------------------------------------------------------
def validate_study(study: Study | str | Path) -> ValidationReport:
    """Read every source of ``study`` and check it against the codebook; collect all problems.

    Raises
    ------
    evalkit.errors.ConfigError
        When ``study.yaml`` or the codebook is malformed (exit 2): data are not checked against a
        broken codebook.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    codebook = study.codebook
    check_study_config(study, codebook)
    problems = _Problems()
    _check_paths(study, problems)
    frames: list[pd.DataFrame] = []
    missing_parts: list[pd.DataFrame] = []
    provenance: list[dict] = []
    offset = 0
    for spec in study.sources.survey:
        source = _read(study, spec, "survey", problems)
        if source is None:
            continue
        provenance.append(source.provenance.to_dict())
        name = source.provenance.path
        _reader_warnings(source, problems, name)
        _renamed_missing(spec, source, problems)
        typed, missing = _check_source(study, codebook, spec, source, problems)
        _check_value_labels(codebook, source, problems, name)
        if typed is None:
            continue
        missing["row"] += offset
        offset += len(typed)
        frames.append(typed)
        missing_parts.append(missing)
    responses = _stack(frames, codebook)
    not_asked = _not_asked(study, codebook, frames, responses)
    missing = (pd.concat(missing_parts, ignore_index=True) if missing_parts
               else pd.DataFrame({"row": pd.Series(dtype="int64"), "variable": [], "code": []}))
    population = None
    if study.sources.population is not None:
        population = _check_population(study, codebook, problems, provenance)
    partners = None
    if study.sources.partners is not None:
        partners = _check_partners(study, codebook, problems, provenance)
    segments, documents = _check_interviews(study, codebook, problems, provenance)
    if not responses.empty:
        shapes = {_display(study, spec): spec for spec in study.sources.survey}
        _check_across_rows(study, codebook, responses, population, _InFile(problems, shapes))
        _check_skip_logic(codebook, responses, _InFile(problems, shapes))
        _check_variable_waves(study, codebook, responses, problems)
    return ValidationReport(study=study, problems=_sorted(problems.frame()),
                            responses=responses, missing=missing, population=population,
                            provenance=provenance, partners=partners, segments=segments,
                            documents=documents, not_asked=not_asked)


def _asked_if_met(codebook: Codebook, name: str, responses: pd.DataFrame) -> np.ndarray:
    """Whether each row of ``responses`` meets the ``asked_if`` condition of ``name`` (all True
    when it has none). A row whose filter question is empty, itself not asked or not
    answered, does not meet it: the question was not put to that respondent."""
    rule = codebook[name].asked_if
    if rule is None:
        return np.ones(len(responses), dtype=bool)
    if rule.variable not in responses.columns:
        return np.zeros(len(responses), dtype=bool)
    wanted = [_norm(v) for v in rule.values]
    return _norm_series(responses[rule.variable]).isin(wanted).to_numpy(dtype=bool,
                                                                         na_value=False)


def _not_asked(study: Study, codebook: Codebook, frames: list[pd.DataFrame],
               responses: pd.DataFrame) -> pd.DataFrame:
    """Cells empty by design (see :attr:`ValidationReport.not_asked`)."""
    names = [c for c in responses.columns if c not in SOURCE_COLUMNS]
    out = {}
    collected = {n: np.concatenate([np.full(len(f), n in f.columns) for f in frames])
                 if frames else np.zeros(0, dtype=bool) for n in names}
    wave = study.roles.wave
    wave_text = (_norm_series(responses[wave]) if wave and wave in responses.columns
                 else None)
    for name in names:
        var = codebook[name]
        asked = collected[name] & _asked_if_met(codebook, name, responses)
        if var.waves is not None and wave_text is not None:
            asked &= wave_text.isin([_norm(w) for w in var.waves]).to_numpy(
                dtype=bool, na_value=True)
        out[name] = ~asked & responses[name].isna().to_numpy()
    return pd.DataFrame(out, index=responses.index, columns=names, dtype=bool)


def _check_skip_logic(codebook: Codebook, responses: pd.DataFrame, problems: _InFile) -> None:
    """Warn about an answer given where the codebook says the question was not asked."""
    masked = set(codebook.identifying())
    for name, rule in codebook.skip_logic().items():
        if name not in responses.columns:
            continue
        given = responses[name].notna().to_numpy() & ~_asked_if_met(codebook, name, responses)
        codes = ", ".join(_norm(v) for v in rule.values)
        for source, part in responses[given].groupby("source", sort=False):
            values = [MASK] * len(part) if name in masked else [_cell(v) for v in part[name]]
            _add_rows(problems, "answered_not_asked", source, part, name, values,
                      severity="warning", filter=rule.variable, codes=codes)


def _check_variable_waves(study: Study, codebook: Codebook, responses: pd.DataFrame,
                          problems: _Problems) -> None:
    """Warn about a wave a variable's ``waves`` names that no survey row has (a misspelt code:
    the variable would be taken as not asked at every wave the data do have)."""
    wave = study.roles.wave
    if not wave or wave not in responses.columns or responses[wave].isna().all():
        return
    present = sorted(set(_norm_series(responses[wave].dropna())))
    source = Path(study.codebook_file).as_posix()
    for name, var in codebook.variables.items():
        for code in var.waves or ():
            if _norm(code) not in present:
                problems.add("variable_wave_absent", "warning", source=source, column=name,
                             values=[_norm(code)], variable=name, present=", ".join(present))


def _check_paths(study: Study, problems: _Problems) -> None:
    """Warn about files written outside the study folder (``../``, absolute paths): the run
    records them, but the study folder alone no longer holds the study."""
    specs = [*study.sources.survey, *study.sources.interviews,
             *(s for s in (study.sources.population, study.sources.partners) if s is not None)]
    root = os.path.normpath(study.root)
    for written in [study.codebook_file, *(spec.path for spec in specs)]:
        # normpath, not resolve: a link inside the folder is the user's own arrangement
        place = os.path.normpath(study.resolve(written))
        if os.path.commonpath([root, place]) != root:
            problems.add("outside_study_folder", "warning", source=Path(written).as_posix(),
                         path=place)


def _label_text(text: Any) -> str:
    """A value label compared loosely: accents, case, quotes and spaces aside."""
    text = unicodedata.normalize("NFKD", str(text)).casefold().replace("’", "'")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("_", " ").split()).strip(" .")


def _check_value_labels(codebook: Codebook, source, problems: _Problems, name: str) -> None:
    """Value labels stored in the file (SPSS, Stata) against the codebook's.

    A code whose label in the file is the label the codebook gives to *another* code means that
    the file's codes run otherwise (typically a scale reversed in the export): an error, one per
    column. Labels worded differently prove nothing and are not reported.
    """
    for column, labels in (getattr(source, "value_labels", None) or {}).items():
        if column not in codebook or not labels:
            continue
        declared = {**codebook.values_of(column), **codebook[column].missing}
        owner: dict[str, Any] = {}
        for code, text in declared.items():
            for lang in ("fr", "en"):
                owner.setdefault(_label_text(text[lang]), code)
        differ = [(code, label, owner[_label_text(label)]) for code, label in labels.items()
                  if _label_text(label) in owner and _norm(owner[_label_text(label)]) != _norm(code)]
        if differ:
            code, label, other = differ[0]
            problems.add("value_labels_differ", "error", source=name, column=column,
                         values=[_norm(code)], label=label, code=_norm(other), n=len(differ))


def _sorted(problems: pd.DataFrame) -> pd.DataFrame:
    order = problems["severity"].map({"error": 0, "warning": 1})
    return (problems.assign(_o=order, _i=np.arange(len(problems)))
            .sort_values(["source", "row", "_i"], kind="stable", na_position="first")
            .drop(columns=["_o", "_i"]).reset_index(drop=True))


def _wave_of(spec: SourceSpec, data: pd.DataFrame, study: Study) -> list:
    col = study.roles.wave
    if col and col in spec.constants:
        return [spec.constants[col]]
    if col and spec.file_column(col) in data.columns:
        return [v for v in pd.unique(data[spec.file_column(col)].dropna())]
    return []


def _applies(var, waves: list) -> bool:
    if var.waves is None or not waves:
        return True
    wanted = {str(w) for w in var.waves}
    return any(_norm(w) in wanted for w in waves)


def _norm(value: Any) -> str:
    """A code as text, the same whether it was read as 2, 2.0 or '2'."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value).strip()
    return str(int(number)) if number.is_integer() else str(number)


def _norm_series(values: pd.Series) -> pd.Series:
    """:func:`_norm` for a whole column, vectorised (NA stays NA)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        whole = numbers.notna() & (numbers % 1 == 0)
        out = numbers.astype("string")
        out[whole] = numbers[whole].astype("int64").astype("string")
        return out
    return values.astype("string").str.strip()


def _check_source(study: Study, codebook: Codebook, spec: SourceSpec, source, problems: _Problems):
    """Type one survey file against the codebook. Problems name the file's own columns; the
    typed frame has the study's names (``columns``) and the values ``set`` gives."""
    data = source.data
    name = source.provenance.path
    if data.shape[0] == 0:
        problems.add("empty_file", "error", source=name)
        return None, None
    lines = np.asarray(source.lines)
    prov = source.provenance
    decimal = getattr(prov, "decimal", None) or "."
    thousands = getattr(prov, "thousands", None)
    identifying = set(codebook.identifying())
    waves = _wave_of(spec, data, study)
    # Columns: missing and unknown.
    for var_name, var in codebook.variables.items():
        if spec.file_column(var_name) in data.columns or var_name in spec.constants:
            continue
        if var.required and _applies(var, waves):
            problems.add("missing_column", "error", source=name, column=var_name)
    for column in data.columns:
        if spec.columns.get(str(column), column) not in codebook:
            problems.add("unknown_column", "warning", source=name, column=str(column))
    # Cells.
    typed: dict[str, pd.Series] = {}
    missing_parts = []
    for var_name in codebook.names:
        column = spec.file_column(var_name)
        if var_name in spec.constants:
            if column in data.columns and column not in spec.columns:
                problems.add("set_replaces_column", "warning", source=name, column=column)
            raw = pd.Series([spec.constants[var_name]] * len(data), index=data.index,
                            dtype=object)
            column = f"set.{var_name}"
        elif column in data.columns:
            raw = data[column]
        else:
            continue
        result = C.coerce_column(raw, var_name, codebook, decimal=decimal, thousands=thousands,
                                 file_missing=source.missing_codes.get(column))
        typed[var_name] = result.values.reset_index(drop=True)
        constant = var_name in spec.constants
        for status, rule in _STATUS_RULES.items():
            where = np.flatnonzero(result.status == status)
            if where.size:
                where = where[:1] if constant else where  # one value: one problem
                shown = [MASK] * where.size if var_name in identifying else \
                    [_cell(raw.iloc[i]) for i in where]
                rows = [None] if constant else lines[where]
                problems.add(rule, "error", source=name, rows=rows, column=column,
                             values=shown, by_lang={lang: {"expected": _expected(
                                 codebook, var_name, lang)} for lang in ("fr", "en")})
        coded = np.flatnonzero(result.status == C.MISSING_CODE)
        if coded.size:
            missing_parts.append(pd.DataFrame({"row": coded, "variable": var_name,
                                               "code": result.codes.iloc[coded].to_numpy()}))
        if var_name in (study.roles.id, study.roles.site, study.roles.wave):
            empty = np.flatnonzero(result.status == C.EMPTY)
            if empty.size:
                problems.add("empty_key", "error", source=name, rows=lines[empty],
                             column=column)
    frame = pd.DataFrame(typed)
    frame["source"] = name
    frame["source_row"] = lines.astype("int64")
    missing = (pd.concat(missing_parts, ignore_index=True) if missing_parts
               else pd.DataFrame({"row": pd.Series(dtype="int64"), "variable": [], "code": []}))
    return frame, missing


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)  # an SPSS code 6.0 is shown as the user wrote it: 6
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _expected(codebook: Codebook, name: str, lang: str) -> str:
    """What the codebook allows for ``name``, said in ``lang``."""
    var = codebook[name]
    if var.type in ("category", "likert"):
        codes = [str(c) for c in codebook.values_of(name)]
        return ", ".join(codes[:12]) + (", …" if len(codes) > 12 else "")
    if var.type == "number":
        bounds = "" if var.range is None else f"[{_num(var.range[0])}, {_num(var.range[1])}]"
        key = "validation.expected.integer" if var.integer else "validation.expected.number"
        return t(key, lang, bounds=bounds).strip()
    if var.type == "date":
        bounds = "" if var.range is None else f"[{var.range[0]}, {var.range[1]}]"
        return t("validation.expected.date", lang, bounds=bounds).strip()
    return var.type


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _stack(frames: list[pd.DataFrame], codebook: Codebook) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=[*codebook.names, *SOURCE_COLUMNS])
    stacked = pd.concat(frames, ignore_index=True, sort=False)
    ordered = [c for c in codebook.names if c in stacked.columns] + list(SOURCE_COLUMNS)
    return stacked[ordered]


def _check_across_rows(study: Study, codebook: Codebook, responses: pd.DataFrame,
                       population: pd.DataFrame | None, problems: _InFile) -> None:
    roles = study.roles
    rid, wave, group, site = roles.id, roles.wave, roles.group, roles.site
    if rid not in responses.columns:
        return
    masked = rid in codebook.identifying()
    person, _ = pd.factorize(responses[rid], use_na_sentinel=True)
    has_wave = bool(wave and wave in responses.columns)
    wave_text = _norm_series(responses[wave]) if has_wave else None
    # Duplicate (id, wave).
    keys = [rid] + ([wave] if has_wave else [])
    usable = responses[keys].notna().all(axis=1).to_numpy()
    dup = responses.duplicated(subset=keys, keep="first").to_numpy() & usable
    if dup.any():
        first = responses[usable].drop_duplicates(subset=keys, keep="first")
        index = pd.MultiIndex.from_frame(first[keys])
        first_source = pd.Series(first["source"].to_numpy(), index=index)
        first_line = pd.Series(first["source_row"].astype(str).to_numpy(), index=index)
        for source, part in responses[dup].groupby("source", sort=False):
            at = pd.MultiIndex.from_frame(part[keys])
            _add_rows(problems, "duplicate_id_wave", source, part, rid,
                      [MASK] * len(part) if masked else part[rid].tolist(),
                      first_source=first_source.reindex(at).tolist(),
                      first_line=first_line.reindex(at).tolist())
    # Waves: a baseline must exist; follow-ups without a baseline are flagged.
    if has_wave and responses[wave].notna().any():
        baseline = _norm(study.baseline_wave(responses[wave].dropna().unique()))
        at_baseline = (wave_text == baseline).to_numpy(dtype=bool, na_value=False)
        if not at_baseline.any():
            problems.add("no_baseline_wave", "error", column=wave, baseline=baseline)
        else:
            seen = np.zeros(person.max() + 2, dtype=bool)
            seen[person[at_baseline & (person >= 0)]] = True
            later = ~at_baseline & responses[wave].notna().to_numpy() & (person >= 0)
            orphan = later & ~seen[person]
            for source, part in responses[orphan].groupby("source", sort=False):
                _add_rows(problems, "follow_up_without_baseline", source, part, rid,
                          [MASK] * len(part) if masked else part[rid].tolist(),
                          severity="warning", baseline=baseline)
    # The respondent type of a person must not change across waves.
    if group and group in responses.columns:
        kind, _ = pd.factorize(responses[group], use_na_sentinel=True)
        known = (person >= 0) & (kind >= 0)
        first_kind = np.full(person.max() + 2, -1)
        order = np.flatnonzero(known)[::-1]  # reversed so the first occurrence is written last
        first_kind[person[order]] = kind[order]
        bad = known & (kind != first_kind[person])
        if bad.any():
            first_value = pd.Series(responses[group].to_numpy()[known]).groupby(
                person[known]).first()
            for source, part in responses[bad].groupby("source", sort=False):
                idx = np.flatnonzero(bad)[(responses["source"].to_numpy()[bad] == source)]
                _add_rows(problems, "inconsistent_group", source, part, group,
                          part[group].tolist(),
                          first=[_norm(v) for v in first_value.loc[person[idx]]])
    # Sites must be in the population file.
    if population is not None and site in responses.columns and not population.empty:
        known_sites = list({_norm(s) for s in population["site"].dropna()})
        site_text = _norm_series(responses[site])
        outside = (responses[site].notna() & ~site_text.isin(known_sites)).to_numpy(dtype=bool)
        for source, part in responses[outside].groupby("source", sort=False):
            _add_rows(problems, "site_not_in_population", source, part, site,
                      _norm_series(part[site]).tolist())


@dataclass
class _InFile:
    """The problems of checks across files, whose columns are named as each file names them."""

    problems: _Problems
    shapes: dict[str, SourceSpec]

    def add(self, rule: str, severity: str, *, source: str = "", column: str = "",
            **params: Any) -> None:
        spec = self.shapes.get(source)
        if spec is not None and column:
            column = f"set.{column}" if column in spec.constants else spec.file_column(column)
        self.problems.add(rule, severity, source=source, column=column, **params)


def _add_rows(problems: _Problems | _InFile, rule: str, source: str, part: pd.DataFrame,
              column: str, values: list, *, severity: str = "error", **params: Any) -> None:
    """Add one problem per row of ``part``; list-valued params vary by row."""
    per_row = {k: v for k, v in params.items() if isinstance(v, list)}
    fixed = {k: v for k, v in params.items() if not isinstance(v, list)}
    if not per_row:
        problems.add(rule, severity, source=source, rows=part["source_row"], column=column,
                     values=values, **fixed)
        return
    for i, (row, value) in enumerate(zip(part["source_row"], values, strict=True)):
        problems.add(rule, severity, source=source, rows=[row], column=column, values=[value],
                     **fixed, **{k: v[i] for k, v in per_row.items()})


def _check_population(study: Study, codebook: Codebook, problems: _Problems,
                      provenance: list[dict]) -> pd.DataFrame | None:
    """Population margins per site; problems name the file's columns and lines."""
    spec = study.sources.population
    source = _read(study, spec, "population", problems)
    if source is None:
        return None
    provenance.append(source.provenance.to_dict())
    name = source.provenance.path
    _reader_warnings(source, problems, name)
    _renamed_missing(spec, source, problems)
    if source.data.empty:
        problems.add("empty_file", "error", source=name)
        return source.data.copy()
    site_col = study.roles.site
    source = _with_constants(spec, source, problems, [site_col])
    try:
        margins = population_margins(
            source, site=spec.file_column(site_col), count=spec.file_column("count"),
            dimension=spec.file_column("dimension"), level=spec.file_column("level"),
            dimensions={column: target for column, target in spec.columns.items()
                        if target not in (site_col, *POPULATION_ROLES)})
    except EvalkitError as error:
        problems.add("unreadable_file", "error", source=name,
                     by_lang={lang: {"reason": error.render(lang)} for lang in ("fr", "en")})
        return None
    pop = margins.data.copy()
    in_file = pop.attrs.pop("file_columns")
    lines = np.asarray(margins.lines)
    pop["site"] = pop["site"].map(_norm, na_action="ignore")
    valid_sites = {_norm(s) for s in codebook.values_of(site_col)} if site_col in codebook else set()
    bad_site = ~pop["site"].isin(valid_sites)
    if valid_sites and bad_site.any():
        problems.add("population_unknown_site", "error", source=name,
                     rows=lines[np.flatnonzero(bad_site)], column=in_file["site"],
                     values=pop.loc[bad_site, "site"].tolist())
    long_form = "dimension" in in_file
    for dimension, part in pop.groupby("dimension", sort=False):
        rows = np.flatnonzero((pop["dimension"] == dimension).to_numpy())
        if dimension not in codebook:
            problems.add("population_unknown_dimension", "error", source=name,
                         rows=lines[rows[:1]],
                         column=in_file["dimension"] if long_form else in_file[dimension],
                         values=[dimension])
            continue
        levels = {_norm(v) for v in codebook.values_of(dimension)}
        level_text = part["level"].map(_norm)
        bad = ~level_text.isin(levels)
        if levels and bad.any():
            problems.add("population_unknown_level", "error", source=name,
                         rows=lines[rows[bad.to_numpy()]],
                         column=in_file["level"] if long_form else in_file[dimension],
                         values=level_text[bad].tolist(), dimension=dimension)
    pop["level"] = pop["level"].map(_norm)
    return pop


def _check_partners(study: Study, codebook: Codebook, problems: _Problems,
                    provenance: list[dict]) -> pd.DataFrame | None:
    """Partners' ratings, with the columns named as ``measures.integration`` says."""
    spec = study.sources.partners
    source = _read(study, spec, "partners", problems)
    if source is None:
        return None
    provenance.append(source.provenance.to_dict())
    name = source.provenance.path
    _renamed_missing(spec, source, problems)
    integration = study.measures.integration
    names = _partner_columns(study)
    source = _with_constants(spec, source, problems, names)
    data = source.data
    columns = [spec.file_column(n) if n not in spec.constants else n for n in names]
    for column in columns:
        if column not in data.columns:
            problems.add("missing_column", "error", source=name, column=column)
    if any(c not in data.columns for c in columns) or data.empty:
        if data.empty:
            problems.add("empty_file", "error", source=name)
        return None
    data = data.rename(columns=dict(zip(columns, names, strict=True)))
    partner, site, level = names
    lines = np.asarray(source.lines)
    levels, failed = parse_numbers(data[level], decimal=source.provenance.decimal or ".")
    n_levels = len(integration.levels) if integration else None
    bad = np.asarray(failed, dtype=bool) | levels.isna().to_numpy()
    if n_levels:
        bad |= ~levels.isin(range(1, n_levels + 1)).to_numpy()
    if bad.any():
        problems.add("out_of_codebook", "error", source=name, rows=lines[bad], column=columns[2],
                     values=data.loc[bad, level].astype(str).tolist(),
                     expected=f"1–{n_levels}" if n_levels else "1, 2, …")
    data[level] = levels
    data[site] = data[site].map(_norm, na_action="ignore")
    site_col = study.roles.site
    sites = {_norm(s) for s in codebook.values_of(site_col)} if site_col in codebook else set()
    unknown = (data[site].notna() & ~data[site].isin(sites)).to_numpy(dtype=bool) \
        if sites else np.zeros(len(data), dtype=bool)
    if unknown.any():
        problems.add("partner_unknown_site", "error", source=name, rows=lines[unknown],
                     column=columns[1], values=data.loc[unknown, site].tolist())
    return data.loc[~(bad | unknown)].reset_index(drop=True)


def _check_interviews(study: Study, codebook: Codebook, problems: _Problems,
                      provenance: list[dict]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Read the coded interviews; their sites and groups must be those of the survey."""
    seg_parts, doc_parts = [], []
    for spec in study.sources.interviews:
        source = _read(study, spec, "interviews", problems)
        if source is None:
            continue
        name = source.provenance.path
        _reader_warnings(source, problems, name)
        segments, documents = source.data, source.documents
        record = {"path": name, "format": source.provenance.format,
                  "sha256": source.provenance.sha256, "rows": int(len(segments))}
        if source.provenance.offsets:  # sources of a REFI-QDA project per offset convention
            record["offsets"] = dict(source.provenance.offsets)
        provenance.append(record)
        for role, column in (("site", study.roles.site), ("group", study.roles.group)):
            if column is None or column not in codebook:
                continue
            valid = {_norm(v) for v in codebook.values_of(column)}
            values = _norm_series(segments[role].dropna())
            unknown = sorted(set(values) - valid)
            for value in unknown:
                problems.add("interview_unknown_value", "warning", source=name, column=role,
                             values=[value], variable=column)
        seg_parts.append(segments.assign(source=name))
        if documents is not None:
            doc_parts.append(documents.assign(source=name))
    segments = pd.concat(seg_parts, ignore_index=True) if seg_parts else None
    documents = pd.concat(doc_parts, ignore_index=True) if doc_parts else None
    return segments, documents


def raise_for_problems(report: ValidationReport) -> None:
    """Raise a :class:`DataError` pointing to the report when validation found errors."""
    if not report.ok:
        raise DataError.from_catalogue("validation.failed", errors=report.n_errors,
                                       warnings=report.n_warnings)
