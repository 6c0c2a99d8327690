"""The stages of a run and the registry that says which function does each one.

A run validates the data, prepares and computes once (the working data and result tables that
every notebook reads), executes the notebooks (each page exported to HTML as it finishes),
writes the brief, the index and the manifest, then checks what would be released. The
orchestrator asks this registry for each stage; a later part of evalkit plugs in by registering
its function under the stage's name.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.analyse.compute import compute_results
from evalkit.analyse.results import Results
from evalkit.errors import ArgumentError, DataError
from evalkit.i18n import LANGUAGES
from evalkit.prepare.keys import DemoKeyWarning, load_key
from evalkit.prepare.ready import check_run_ready
from evalkit.prepare.study import prepare_study
from evalkit.present.session import DRAWN_FOLDER, analysis_parameters
from evalkit.present.writers import write_briefs
from evalkit.release.bundle import BUNDLE_SUFFIX, bundle_members, linked_members, write_bundle
from evalkit.release.disclosure import check_disclosure, scan_summary
from evalkit.release.protect import suppression_rates
from evalkit.release.suppress import policy_record
from evalkit.release.tables import released_frames, save_released
from evalkit.release.writers import write_table
from evalkit.validate.study import validate_study

__all__ = ["PIPELINE", "RunContext", "StageRegistry", "release_check", "stages"]

#: The stages of a run, in order.
PIPELINE: tuple[str, ...] = ("validate", "prepare", "notebooks", "brief", "index", "manifest",
                             "release")
#: The stages whose function can be replaced (the others are the run's own machinery).
PLUGGABLE: tuple[str, ...] = ("validate", "prepare", "brief", "release")

Stage = Callable[["RunContext"], dict | None]


@dataclass
class RunContext:
    """What a stage sees of the run.

    Attributes
    ----------
    study : evalkit.config.study.Study
    out : Path
        The reports folder (``--out``).
    languages : list of str
        The languages the notebooks run in.
    sites : list of str
        The study's sites: the values of the site variable in the codebook, as text.
    selected_sites : list of str
        The sites whose per-site notebooks run (``--sites``, default all).
    parameters : dict
        ``seed``, ``bootstrap``, ``confidence`` and ``ci``: what every notebook receives.
    run_dir : Path or None
        The run folder being assembled (None during validation, which comes first).
    records : dict
        Each stage's record for the manifest, by stage name. A record's ``tables`` (manifest
        records of released tables, as :func:`evalkit.write_table` returns them) are
        listed in the manifest, where the release check finds their count columns.
    validation : evalkit.validate.study.ValidationReport or None
        The validation stage's report: the problems and the typed responses.
    jobs : int
        The run's ``--jobs``: the processes its release check may read files with.
    """

    study: Any
    out: Path
    languages: list[str]
    sites: list[str]
    selected_sites: list[str]
    parameters: dict
    run_dir: Path | None = None
    records: dict = field(default_factory=dict)
    validation: Any = None
    validation_csv: Path | None = None
    prepared: Any = None
    results: Any = None
    jobs: int = 1

    @property
    def study_dir(self) -> Path:
        """``<out>/<study>``: the study's runs, and its latest ``validation.csv``."""
        return self.out / self.study.study

    @property
    def work_dir(self) -> Path:
        """``<run>/.work``: the working data and result tables, private to the run."""
        return self._in_run(".work")

    @property
    def tables_dir(self) -> Path:
        return self._in_run("tables")

    @property
    def figures_dir(self) -> Path:
        return self._in_run("figures")

    @property
    def brief_dir(self) -> Path:
        return self._in_run("brief")

    def _in_run(self, name: str) -> Path:
        if self.run_dir is None:
            raise RuntimeError("the run folder does not exist yet (validation stage)")
        return self.run_dir / name


class StageRegistry:
    """Which function runs each stage; functions may be given as ``"module:function"`` and are
    imported only when the stage runs (``import evalkit`` stays light)."""

    def __init__(self, defaults: dict[str, str | Stage | None]) -> None:
        self._stages = dict(defaults)

    def register(self, name: str, stage: str | Stage | None) -> None:
        """Run ``stage`` (a function of the run context, or None to skip) for stage ``name``."""
        if name not in PLUGGABLE:

            raise ArgumentError(f"name must be one of {', '.join(PLUGGABLE)}, got {name!r}",
                                where="name")
        self._stages[name] = stage

    def get(self, name: str) -> Stage | None:
        """The function of stage ``name`` (None when the stage is skipped)."""
        stage = self._stages.get(name)
        if isinstance(stage, str):
            module, _, attribute = stage.partition(":")
            stage = getattr(importlib.import_module(module), attribute)
        return stage

    def with_overrides(self, overrides: dict[str, str | Stage | None] | None) -> StageRegistry:
        """A copy with some stages replaced (for one run)."""
        copy = StageRegistry(self._stages)
        for name, stage in (overrides or {}).items():
            copy.register(name, stage)
        return copy


def validate_stage(ctx: RunContext) -> dict:
    """Validate the study; refuse to run on errors (every problem in ``validation.csv``).

    The report (with the typed responses) is kept in ``ctx.validation`` for the prepare stage,
    which then does not read the data a second time.

    Raises
    ------
    evalkit.errors.ConfigError
        The run would stop later for a configuration reason (no key, an instrument that does
        not load): said now, before the data are read, as ``evalkit validate`` says it.
    evalkit.errors.DataError
        The data have errors; the message points to ``<out>/<study>/validation.csv``.
    """

    check_run_ready(ctx.study)
    report = validate_study(ctx.study)
    path = report.write_csv(ctx.study_dir / "validation.csv")
    ctx.validation, ctx.validation_csv = report, path
    if report.n_errors:
        raise DataError.from_catalogue("validation.failed", where=str(path),
                                       errors=report.n_errors, warnings=report.n_warnings)
    return {"status": "ok", "errors": 0, "warnings": report.n_warnings}


def prepare_stage(ctx: RunContext) -> dict:
    """Prepare the data and compute every result table once, for every notebook of the run.

    The prepared data (pseudonymised, scrubbed) never leave the process; the result tables are
    saved in ``.work/results`` (private: the notebooks read them there) and released in
    ``tables/`` after disclosure control, one CSV per table, each recorded for the manifest
    with its count columns so that the release check can verify them.
    """

    params = ctx.parameters
    # The rule the notebooks' sessions apply too: they then find these results theirs.
    used = analysis_parameters(ctx.study, seed=params.get("seed"),
                               bootstrap=params.get("bootstrap"),
                               confidence=params.get("confidence"), ci=bool(params.get("ci")))
    n_boot = used["bootstrap"]
    ctx.prepared = prepare_study(ctx.study, report=ctx.validation, lang=ctx.languages[0])
    ctx.results = compute_results(ctx.prepared, seed=used["seed"], n_boot=n_boot,
                                  confidence=used["confidence"], languages=ctx.languages)
    ctx.results.save(ctx.work_dir / "results")
    info = {"study": ctx.study.study, "study_file": str(ctx.study.file), "sites": ctx.sites,
            "languages": ctx.languages, "parameters": {**params, "bootstrap": n_boot}}
    (ctx.work_dir / "run.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    # Disclosure control chosen jointly over every released table; the frames are kept with
    # the private results so that the notebooks show exactly these.
    released = released_frames(ctx.results, policy=ctx.study.privacy)
    save_released(released, ctx.work_dir / "results", policy=ctx.study.privacy)
    tables = []
    for name, table in ctx.results.items():
        if not table.release:
            continue
        record = write_table(released[name], ctx.tables_dir / f"{name}.csv",
                             counts=table.counts, estimates=table.estimates, n=table.n,
                             numerators=table.numerators, policy=ctx.study.privacy,
                             lang=ctx.languages[0])
        record["path"] = f"tables/{name}.csv"
        record["non_validated"] = table.non_validated
        tables.append(record)
    study = ctx.results.meta.get("study_parameters") or {}
    loss = suppression_rates(released, study=study)
    # The tables the data could not support, and why (the index lists them).
    absent = [{"table": a.table, "reason": {g: a.text(g) for g in LANGUAGES}}
              for a in ctx.results.absences]
    return {"status": "ok", "bootstrap": n_boot, "tables": tables, "absent": absent,
            "study_parameters": study, "information_loss": loss,
            "policy": policy_record(ctx.study.privacy),
            "files": [".work/run.json", ".work/results/results.json"]}


def brief_stage(ctx: RunContext) -> dict:
    """The 1:3:25 evidence brief, HTML and DOCX in each language, from released results.

    The ``06_evidence_brief`` notebook assembles the brief into ``brief/`` when it is part of
    the run; this stage then only records it. Otherwise (``--only`` without that notebook, or
    the notebook failed) the stage writes it.
    """
    budget = ctx.brief_dir / "budget.json"
    expected = [f"brief.{g}.{ext}" for g in ctx.languages for ext in ("html", "docx")]
    if budget.is_file() and all((ctx.brief_dir / name).is_file() for name in expected):
        data = json.loads(budget.read_text(encoding="utf-8"))
        return {"status": "ok", "by": "notebook",
                "files": [f"brief/{name}" for name in [*expected, "budget.json"]],
                "budget": data.get("budget", data)}
    if ctx.results is None:  # a resume whose results were computed by the first run

        stored = ctx.work_dir / "results"
        if not (stored / "results.json").is_file():
            return {"status": "not available"}
        ctx.results = Results.load(stored)

    run_date = dt.date.today().isoformat()
    record = write_briefs(ctx.results, ctx.study, ctx.brief_dir, run_date=run_date,
                          policy=ctx.study.privacy, languages=ctx.languages,
                          drawn=ctx.work_dir / DRAWN_FOLDER)
    record["files"] = [f"brief/{name}" for name in record["files"]]
    return {"status": "ok", **record}


def _identifiers(study: Any, validation: Any) -> list:
    """Raw values of the study's identifying columns, searched for in what would be released."""
    if validation is None:
        return []
    columns = dict.fromkeys([*validation.codebook.identifying(), *study.privacy.pseudonymise])
    responses = validation.responses
    return [value for column in columns if column in responses
            for value in responses[column].dropna().unique().tolist()]


def release_check(run_dir: Path, *, study: Any = None, validation: Any = None,
                  prepared: Any = None, bundle: Path | None = None,
                  checked: dict[str, str] | None = None, jobs: int = 1) -> dict:
    """Scan what a run would release with :func:`evalkit.check_disclosure`.

    What is scanned is what the run's release bundle holds: ``manifest.json`` and the files it
    lists as released, hard-linked into a private folder at the paths the bundle gives them
    (written into a bundle and read back from it where files cannot be linked; a folder
    without a manifest: every file but the private ``.work/``). The scan searches for the raw values of
    the study's identifying columns (from the validation report, when there is one), its
    listed names, its key, absolute paths of the machine (the home, the study's and the
    reports' folders), and small counts in the tables the manifest declares.

    ``bundle`` is a bundle already written (the final one): it is scanned as it is, the files
    of ``checked`` (path → SHA-256, those a full check passed) that it holds unchanged are not
    read again (see :func:`evalkit.check_disclosure`); the result then has ``bundle_sha256``,
    the digest of the bundle scanned, and ``rescanned``, the members read again. ``jobs``
    processes read the files (the same findings with any number).

    Returns
    -------
    dict
        The manifest's ``disclosure_scan``: ``status`` (``passed`` or ``failed``), ``n_findings``, ``by_kind``,
        ``scanned_files`` and ``findings`` (file, place, kind and a masked excerpt).
    """

    inputs: dict[str, Any] = {}
    if study is not None:
        with warnings.catch_warnings():
            # the demo's published key: the run was told when its data were prepared
            warnings.simplefilter("ignore", DemoKeyWarning)
            key = load_key(study)
        names = list(prepared.names) if prepared is not None else list(study.privacy.names)
        inputs = {"identifiers": _identifiers(study, validation), "names": names, "key": key,
                  "policy": study.privacy,
                  "machine_paths": [str(Path(study.root).resolve()),
                                    str(Path(run_dir).resolve().parent.parent)]}
    manifest_file = Path(run_dir) / "manifest.json"
    if bundle is not None:
        findings = check_disclosure(bundle, update_manifest=False, checked=checked, jobs=jobs,
                                    **inputs)
    elif manifest_file.is_file():
        members = bundle_members(json.loads(manifest_file.read_text(encoding="utf-8")))
        view = Path(run_dir) / ".work" / "release-check"
        with linked_members(run_dir, members, view) as linked:
            if linked is not None:  # the bundle's members, as it would hold them
                findings = check_disclosure(linked, update_manifest=False, jobs=jobs, **inputs)
        if linked is None:
            trial = Path(run_dir) / ".work" / f"check{BUNDLE_SUFFIX}"
            try:
                write_bundle(run_dir, members, trial)
                findings = check_disclosure(trial, update_manifest=False, jobs=jobs, **inputs)
            finally:
                trial.unlink(missing_ok=True)
    else:
        findings = check_disclosure(run_dir, update_manifest=False, exclude=(".work",),
                                    jobs=jobs, **inputs)
    result = scan_summary(findings, scanned_files=findings.attrs.get("scanned_files", 0))
    result.pop("bundle", None)  # a trial bundle's name; the run records its own bundle
    if bundle is not None:
        result["bundle_sha256"] = findings.attrs["bundle_sha256"]
        result["rescanned"] = findings.attrs.get("rescanned", [])
    result["findings"] = json.loads(findings.to_json(orient="records", force_ascii=False))
    return result


def release_stage(ctx: RunContext) -> dict:
    """The release check of the run folder (its result goes into the manifest)."""
    return release_check(ctx.run_dir, study=ctx.study, validation=ctx.validation,
                         prepared=ctx.prepared, jobs=ctx.jobs)


#: The registry the orchestrator asks. ``notebooks``, ``index`` and ``manifest`` are the run's
#: own machinery and are not listed.
stages = StageRegistry({
    "validate": "evalkit.run.stages:validate_stage",
    "prepare": "evalkit.run.stages:prepare_stage",
    "brief": "evalkit.run.stages:brief_stage",
    "release": "evalkit.run.stages:release_stage",
})
