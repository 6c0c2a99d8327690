"""The stages of a run and the registry that says which function does each one.

A run validates the data, prepares and computes once (the working data and result tables that
every notebook reads), executes the notebooks (each page exported to HTML as it finishes),
writes the brief, the index and the manifest, then checks what would be released. The
orchestrator asks this registry for each stage; a later part of evalkit plugs in by registering
its function under the stage's name.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import DataError

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
    study : evalkit.study.Study
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
        records of released tables, as :func:`evalkit.privacy.write_table` returns them) are
        listed in the manifest, where the release check finds their count columns.
    validation : evalkit.validate.ValidationReport or None
        The validation stage's report: the problems and the typed responses.
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
            from evalkit.errors import ArgumentError

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
    evalkit.errors.DataError
        The data have errors; the message points to ``<out>/<study>/validation.csv``.
    """
    from evalkit.validate import validate_study

    report = validate_study(ctx.study)
    path = report.write_csv(ctx.study_dir / "validation.csv")
    ctx.validation, ctx.validation_csv = report, path
    if report.n_errors:
        raise DataError.from_catalogue("validation.failed", where=str(path),
                                       errors=report.n_errors, warnings=report.n_warnings)
    return {"status": "ok", "errors": 0, "warnings": report.n_warnings}


def prepare_stage(ctx: RunContext) -> dict:
    """Write what every notebook of the run shares to ``.work/run.json``.

    The compute stage that reads, prepares and analyses the data once per run registers itself
    in place of this one; it writes the working data to ``ctx.work_dir`` and the released
    result tables to ``ctx.tables_dir``.
    """
    import json

    info = {"study": ctx.study.study, "study_file": str(ctx.study.file), "sites": ctx.sites,
            "languages": ctx.languages, "parameters": ctx.parameters}
    (ctx.work_dir / "run.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    return {"status": "ok", "files": [".work/run.json"]}


def brief_stage(ctx: RunContext) -> dict:
    """The evidence brief; written by the reports part of evalkit when it is installed."""
    return {"status": "not available"}


def _identifiers(study: Any, validation: Any) -> list:
    """Raw values of the study's identifying columns, searched for in what would be released."""
    if validation is None:
        return []
    columns = dict.fromkeys([*validation.codebook.identifying(), *study.privacy.pseudonymise])
    responses = validation.responses
    return [value for column in columns if column in responses
            for value in responses[column].dropna().unique().tolist()]


@contextlib.contextmanager
def _private_set_aside(run_dir: Path) -> Iterator[None]:
    """Move ``.work/`` (never released) out of the run folder while it is scanned."""
    work, aside = run_dir / ".work", run_dir.with_name(run_dir.name + ".work")
    moved = work.is_dir()
    if moved:
        os.rename(work, aside)
    try:
        yield
    finally:
        if moved:
            os.rename(aside, work)


def release_check(run_dir: Path, *, study: Any = None, validation: Any = None) -> dict:
    """Scan what a run would release with :func:`evalkit.privacy.check_disclosure`.

    The scan covers every file of the run folder except the private ``.work/`` folder, and
    searches for the raw values of the study's identifying columns (from the validation
    report, when there is one), its listed names, its key, and small counts in the tables the
    manifest declares.

    Returns
    -------
    dict
        The manifest's ``disclosure_scan``: ``status`` (``passed``, ``failed`` or ``not
        available`` when the privacy part of evalkit is missing), ``n_findings``, ``by_kind``,
        ``scanned_files`` and ``findings`` (file, place, kind and a masked excerpt).
    """
    try:
        from evalkit.privacy import check_disclosure, scan_summary
        from evalkit.privacy.keys import DemoKeyWarning, load_key
    except ImportError:
        return {"status": "not available"}
    inputs: dict[str, Any] = {}
    if study is not None:
        with warnings.catch_warnings():
            # the demo's published key: the run was told when its data were prepared
            warnings.simplefilter("ignore", DemoKeyWarning)
            key = load_key(study)
        inputs = {"identifiers": _identifiers(study, validation),
                  "names": list(study.privacy.names), "key": key, "policy": study.privacy}
    with _private_set_aside(Path(run_dir)):
        findings = check_disclosure(run_dir, update_manifest=False, **inputs)
    result = scan_summary(findings, scanned_files=findings.attrs.get("scanned_files", 0))
    result["findings"] = json.loads(findings.to_json(orient="records", force_ascii=False))
    return result


def release_stage(ctx: RunContext) -> dict:
    """The release check of the run folder (its result goes into the manifest)."""
    return release_check(ctx.run_dir, study=ctx.study, validation=ctx.validation)


#: The registry the orchestrator asks. ``notebooks``, ``index`` and ``manifest`` are the run's
#: own machinery and are not listed.
stages = StageRegistry({
    "validate": "evalkit.run.stages:validate_stage",
    "prepare": "evalkit.run.stages:prepare_stage",
    "brief": "evalkit.run.stages:brief_stage",
    "release": "evalkit.run.stages:release_stage",
})
