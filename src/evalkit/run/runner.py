"""The orchestrator of a run: it checks everything it can before any kernel starts, then asks
the registries (stages, notebooks, executors) for each step, and moves the finished run into
place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit._checks import check_int
from evalkit.config.study import load_study
from evalkit.errors import NO_SPACE, ConfigError, EvalkitError, Place, os_error
from evalkit.i18n import format_number, t
from evalkit.release.bundle import (
    BUNDLE_SUFFIX,
    bundle_members,
    bundle_path,
    remove_bundle,
    write_bundle,
)
from evalkit.run.executors import default_jobs, get_executor
from evalkit.run.index import release_label, write_index
from evalkit.run.jobs import Job, JobResult
from evalkit.run.kernel import ensure_kernel
from evalkit.run.manifest import (
    MANIFEST_VERSION,
    environment,
    git_commit,
    input_records,
    package_versions,
    read_manifest,
    sha256_file,
    write_manifest,
)
from evalkit.run.notebooks import NotebookEntry, file_stem, load_registry, split_list
from evalkit.run.parameters import (
    ParameterError,
    check_parameters,
    guard_secrets,
    notebook_parameters,
    study_key_forms,
)
from evalkit.run.progress import Progress
from evalkit.run.rundir import Leftover, RunFolder
from evalkit.run.stages import RunContext, release_check, stages

__all__ = ["DEFAULT_TIMEOUT", "RunResult", "run_study"]

#: Seconds a cell may run by default (``--timeout``; 0 for no limit).
DEFAULT_TIMEOUT = 600


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    run_id : str
    run_dir : Path
        The finished run folder.
    status : {"ok", "failed"}
        ``failed`` when a notebook failed or the release check found a problem.
    notebooks : list of dict
        One record per notebook execution, as in ``manifest.json``.
    rerun : list of str
        The jobs executed by this call (all of them, or those a resume re-ran).
    manifest : dict
    leftovers : list of Leftover
        What earlier, stopped runs of the study had left behind, and what was done with it.
    """

    run_id: str
    run_dir: Path
    status: str
    notebooks: list[dict]
    rerun: list[str]
    manifest: dict = field(repr=False, default_factory=dict)
    leftovers: list[Leftover] = field(default_factory=list)

    @property
    def index(self) -> Path:
        """The run's landing page."""
        return self.run_dir / "index.html"

    @property
    def exit_code(self) -> int:
        """0 when everything succeeded, 1 otherwise."""
        return 0 if self.status == "ok" else 1

    def summary(self, lang: str = "en") -> str:
        """What ran, its status and how long it took, and where the index is, in ``lang``."""

        ran = [r for r in self.notebooks if r["key"] in self.rerun]
        failed = [r for r in self.notebooks if r["status"] != "ok"]
        lines = [t("runner.summary.header", lang, run=self.run_id,
                   study=self.manifest.get("study", ""), n=len(ran),
                   ok=sum(r["status"] == "ok" for r in ran), failed=len(failed))]
        width = max([len(r["key"]) for r in ran] + [10])
        for record in ran:
            status = t(f"runner.status.{record['status']}", lang)
            duration = record.get("duration")
            shown = format_number(duration, lang, decimals=1) + " s" if duration is not None \
                else "–"
            line = f"  {status:<8} {record['key']:<{width}} {shown:>9}"
            failure = record.get("failure")
            if failure:
                line += "  " + t(f"runner.failure.{failure['kind']}", lang)
                if failure.get("cell_index") is not None:
                    line += " — " + t("runner.cell", lang, index=failure["cell_index"],
                                      line=failure.get("cell_first_line", ""))
            lines.append(line)

        repaired = (self.manifest.get("resumed") or [{}])[-1].get("repaired") or {}
        if self.manifest.get("resumed") and repaired:
            lines.append(t("runner.summary.repaired", lang, files=", ".join(sorted(repaired))))
        if self.manifest.get("missing"):
            lines.append(t("runner.summary.missing", lang,
                           files=", ".join(self.manifest["missing"])))
        for leftover in self.leftovers:
            lines.append(t(f"runner.summary.leftover_{leftover.action}", lang,
                           name=leftover.name, owner=leftover.owner or "?"))
        lines.append(t("runner.summary.release", lang,
                       status=release_label(self.manifest.get("disclosure_scan"), lang)))
        if failed:
            lines.append(t("runner.summary.failed_hint", lang, run=self.run_id))
        lines.append(t("runner.summary.index", lang, path=str(self.index)))
        return "\n".join(lines)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def declared_sites(study: Any) -> list[str]:
    """The sites the codebook declares for the study's site column (as text)."""

    codebook = study.codebook
    if study.roles.site not in codebook:
        return []
    return [str(value) for value in codebook.values_of(study.roles.site)]


def _languages(lang: str | None, study: Any) -> list[str]:
    if lang in (None, "all"):
        return list(study.languages)
    if lang not in ("fr", "en"):
        raise ConfigError.from_catalogue("runner.unknown_lang", where="--lang", got=lang)
    return [lang]


def _selected_sites(sites: Sequence[str] | str | None, known: list[str]) -> list[str]:
    wanted = split_list(sites)
    if wanted is None:
        return list(known)
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ConfigError.from_catalogue("runner.unknown_site", where="--sites",
                                         names=", ".join(unknown), known=", ".join(known) or "-")
    return [s for s in known if s in wanted]


def study_file_parameter(ctx: RunContext) -> str:
    """The study's file as the executed notebooks name it: relative to the run's
    ``notebooks/`` folder, where they run (``../../../../study.yaml`` for reports written in
    the study's folder), so that an executed notebook re-runs in place and names no path of
    the analyst's machine. When the study and the reports share no folder but the root (or
    are on different drives), the path is absolute for the run and the released notebooks
    name the study's file only (see :func:`evalkit.run.execute.released_study_file`)."""
    study = ctx.study.file.resolve()
    notebooks = (ctx.study_dir / "run" / "notebooks").resolve()  # every run is at this depth
    try:
        shared = Path(os.path.commonpath([study, notebooks]))
    except ValueError:  # different drives
        return str(study)
    if shared == Path(shared.anchor):
        return str(study)
    return Path(os.path.relpath(study, notebooks)).as_posix()


def job_parameters(ctx: RunContext, lang: str, site: str | None, per_site: bool) -> dict:
    """The parameters a notebook receives (``study_file`` and ``run_dir`` are relative to the
    executed copy's folder, so that an executed notebook can be re-run in place, after the run
    is moved too, and names no path of the analyst's machine)."""
    parameters = {"study_file": study_file_parameter(ctx), "run_dir": "..", "lang": lang}
    if per_site:
        parameters["site"] = site
    parameters.update(ctx.parameters)
    return parameters


def check_notebooks(ctx: RunContext, entries: list[NotebookEntry]) -> None:
    """Check every selected notebook's parameters, and refuse secrets, before any kernel."""

    key_forms = study_key_forms(ctx.study)
    problems = []
    for entry in entries:
        if entry.per_site and not ctx.selected_sites:
            raise ConfigError.from_catalogue("runner.no_sites", where=entry.path.name,
                                             column=ctx.study.roles.site)
        sample_site = ctx.selected_sites[0] if entry.per_site else None
        passed = job_parameters(ctx, notebook_lang(ctx), sample_site, entry.per_site)
        problems += check_parameters(entry.path.name, notebook_parameters(entry.path), passed)
        guard_secrets(entry.path.name, passed, key_forms=key_forms)
        for site in ctx.selected_sites if entry.per_site else []:
            guard_secrets(entry.path.name, {"site": site}, key_forms=key_forms)
    if problems:
        raise ParameterError(problems)


def notebook_lang(ctx: RunContext) -> str:
    """The ``lang`` notebooks receive: the run's one language, or ``all`` for several."""
    return ctx.languages[0] if len(ctx.languages) == 1 else "all"


def build_jobs(ctx: RunContext, entries: list[NotebookEntry], *,
               timeout: int | None, run_date: str = "") -> list[Job]:
    """One job per notebook and site (per-site notebooks), in the registry's order.

    A notebook is executed once and shows every language of the run; its page in each language
    keeps that language only (see :func:`evalkit.present.export_notebook_html`).
    """
    jobs, keys = [], set()
    lang = notebook_lang(ctx)
    for entry in entries:
        for site in ctx.selected_sites if entry.per_site else [None]:
            key = file_stem(entry.name, site)
            n = 2
            while key in keys:
                key, n = file_stem(entry.name, f"{site}-{n}"), n + 1
            keys.add(key)
            jobs.append(Job(key=key, notebook=entry.name, source=str(entry.path), lang=lang,
                            site=site, parameters=job_parameters(ctx, lang, site,
                                                                 entry.per_site),
                            run_dir=str(ctx.run_dir), timeout=timeout,
                            languages=tuple(ctx.languages),
                            titles={g: _titled(entry.title_in(g), site) for g in ctx.languages},
                            run_date=run_date or dt.date.today().isoformat()))
    return jobs


def _titled(title: str, site: str | None) -> str:
    return f"{title} – {site}" if site else title


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler, ``kill``) stops the run the way Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_stage(registry: Any, name: str, ctx: RunContext) -> dict:
    stage = registry.get(name)
    if stage is None:
        record = {"status": "skipped"}
    else:
        started = time.perf_counter()
        record = dict(stage(ctx) or {"status": "ok"})
        record.setdefault("status", "ok")
        record["duration"] = round(time.perf_counter() - started, 3)
    ctx.records[name] = record
    return record


def _job_record(job: Job, result: JobResult) -> dict:

    record = {"key": job.key, "notebook": job.notebook, "title": job.title,
              "titles": dict(job.titles), "lang": job.lang, "languages": list(job.languages),
              "site": job.site, "source_sha256": sha256_file(job.source)}
    record.update(result.to_dict())
    record["outputs"] = {"notebook": job.ipynb,
                         "html": dict(job.pages) if result.html else None}
    return record


def _execute(runner: Any, jobs: list[Job], *, quiet: bool, lang: str) -> list[JobResult]:

    if not jobs:
        return []
    progress = Progress(len(jobs), lang=lang, quiet=quiet)
    try:
        return runner.run(jobs, on_event=progress.event, on_result=progress.result)
    finally:
        progress.close()


#: The folders of a run whose files are released (the bundle holds them).
RELEASED_FOLDERS = ("tables", "html", "brief", "figures", "notebooks")


def _released_files(run_dir: Path, manifest: dict) -> dict[str, str]:
    """SHA-256 of every file the run releases, by path relative to the folder: the files the
    manifest claims, the index pages, ``validation.csv`` and the files of the released folders
    (figures the notebooks drew). Never ``manifest.json`` itself, the private ``.work/``, a
    hidden file or a file someone put at the top of the folder."""
    wanted = {p for p in _claimed(manifest) if (run_dir / p).is_file()}
    wanted |= {p.name for p in run_dir.glob("index*.html")}
    wanted |= {"validation.csv"} if (run_dir / "validation.csv").is_file() else set()
    for folder in RELEASED_FOLDERS:
        wanted |= {p.relative_to(run_dir).as_posix() for p in (run_dir / folder).rglob("*")
                   if p.is_file()}
    wanted = {p for p in wanted if not any(part.startswith(".") for part in Path(p).parts)}
    return {path: sha256_file(run_dir / path) for path in sorted(wanted)}


def _claimed(manifest: dict) -> dict[str, str | None]:
    """The files a manifest says its run holds, with their SHA-256 where it recorded one."""
    claims: dict[str, str | None] = dict(manifest.get("files") or {})
    for table in manifest.get("tables") or []:
        claims.setdefault(table["path"], table.get("sha256"))
    for record in manifest.get("notebooks") or []:
        outputs = record.get("outputs") or {}
        if record.get("status", "not_run") != "not_run" and outputs.get("notebook"):
            claims.setdefault(outputs["notebook"], None)
        if record.get("html"):
            for page in (outputs.get("html") or {}).values():
                claims.setdefault(page, None)
    for stage in (manifest.get("stages") or {}).values():
        for path in stage.get("files") or []:
            if not str(path).startswith(".work/"):
                claims.setdefault(path, None)
    return claims


def damaged_files(run_dir: Path, manifest: dict) -> dict[str, str]:
    """The files ``manifest`` claims that ``run_dir`` does not hold as recorded: path →
    ``missing`` or ``changed`` (a different SHA-256)."""
    damaged = {}
    for path, digest in _claimed(manifest).items():
        target = run_dir / path
        if not target.is_file():
            damaged[path] = "missing"
        elif digest and sha256_file(target) != digest:
            damaged[path] = "changed"
    return damaged


def _check_resume(manifest: dict, study: Any, run_id: str) -> None:

    changed = []
    if manifest.get("study_sha256") != study.sha256:
        changed.append(study.file.name)
    before = {(r["kind"], r["path"]): r.get("sha256") for r in manifest.get("inputs", [])}
    for record in input_records(study):
        if record["kind"] != "study" and before.get((record["kind"], record["path"])) \
                != record["sha256"]:
            changed.append(record["path"])
    if changed:
        raise ConfigError.from_catalogue("runner.resume_changed", where=run_id,
                                         files=", ".join(changed))


def _table_records(records: dict) -> list[dict]:
    """The released tables the stages declare (paths, or records with their count columns)."""
    tables = []
    for record in records.values():
        for table in record.get("tables", []) or []:
            tables.append({"path": table} if isinstance(table, str) else dict(table))
    return tables


def _manifest(ctx: RunContext, *, run_id: str, started: str, records: list[dict],
              options: dict, rerun: list[str], previous: dict | None,
              repaired: dict | None = None, leftovers: list[Leftover] = ()) -> dict:

    failed = any(r["status"] != "ok" for r in records)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "study": ctx.study.study,
        "title": ctx.study.title.model_dump(),
        "run_id": run_id,
        "status": "failed" if failed else "ok",
        "started": (previous or {}).get("started", started),
        "finished": _now(),
        "resumed": list((previous or {}).get("resumed", [])),
        "study_file": ctx.study.file.name,
        "study_sha256": ctx.study.sha256,
        "inputs": input_records(ctx.study),
        "parameters": ctx.parameters,
        "options": options,
        "versions": package_versions(),
        "environment": {**environment(), "study_git": git_commit(ctx.study.root)},
        "stages": {name: record for name, record in ctx.records.items()
                   if name not in ("release",)},
        "tables": _table_records(ctx.records),
        "notebooks": records,
        "disclosure_scan": None,
        "leftovers": [{"name": x.name, "action": x.action, "owner": x.owner} for x in leftovers],
    }
    if previous is not None:
        manifest["resumed"].append({"at": started, "notebooks": rerun,
                                    "repaired": dict(repaired or {})})
    return manifest


def run_study(study_file: str | Path, *, out: str | Path = "reports",
              sites: Sequence[str] | str | None = None, only: Sequence[str] | str | None = None,
              jobs: int | None = None, lang: str | None = "all", executor: str = "local",
              scheduler: str | None = None, resume: str | None = None,
              timeout: int | None = DEFAULT_TIMEOUT, quiet: bool = False,
              notebooks: str | Path | None = None, stage_overrides: dict | None = None,
              messages_lang: str = "en") -> RunResult:
    """Run the notebooks of a study and assemble the run folder ``<out>/<study>/<run_id>/``.

    Parameters
    ----------
    study_file : str or Path
        The study's ``study.yaml`` (or its folder).
    out : str or Path
        The reports folder.
    sites : list of str or "A,B", optional
        The sites whose per-site notebooks run (default: every site of the codebook).
    only : list of str or "a,b", optional
        Run only these notebooks (registry names).
    jobs : int, optional
        Notebooks executed at once (default ``min(2, CPUs)``).
    lang : {"all", "fr", "en"}
        The languages the notebooks run in (``all``: the study's languages).
    executor : {"local", "dask"}
    scheduler : str, optional
        Address of a dask scheduler (``dask`` executor; default a ``LocalCluster``).
    resume : str, optional
        A run id of the study: re-run only its notebooks that failed or did not run, and update
        it in place.
    timeout : int or None
        Seconds allowed per cell; 0 or None for no limit.
    quiet : bool
        No progress bars.
    notebooks : str or Path, optional
        A folder with ``notebooks.yaml`` (default: evalkit's own notebooks).
    stage_overrides : dict, optional
        Stage name → function (or None to skip) for this run only.
    messages_lang : {"en", "fr"}
        Language of the progress bars.

    Returns
    -------
    RunResult

    Raises
    ------
    evalkit.errors.ConfigError
        Bad options, or notebook parameters that do not match (before any kernel starts).
    evalkit.errors.DataError
        Validation found errors (see ``<out>/<study>/validation.csv``).
    evalkit.errors.PrivacyError
        A notebook parameter would hold the study's key.
    KeyboardInterrupt
        Ctrl-C or SIGTERM: the unfinished run folder is removed.
    """

    plan = _plan(study_file, out=out, sites=sites, only=only, lang=lang, resume=resume,
                 notebooks=notebooks, timeout=timeout, jobs=jobs)
    plan.options["executor"] = executor
    runner = get_executor(executor, jobs=plan.workers, scheduler=scheduler)
    registry = stages.with_overrides(stage_overrides)
    with _sigterm_as_interrupt():
        folder = None
        try:
            if plan.entries and hasattr(runner, "warm"):
                runner.warm()  # the notebooks' libraries are imported while the data are checked
            if plan.previous is None or "validation.csv" in plan.repairs:
                _run_stage(registry, "validate", plan.ctx)
            folder = RunFolder.for_resume(plan.ctx.study_dir, resume) if resume \
                else RunFolder.create(plan.ctx.study_dir)
            rerun = _assemble(plan, folder, runner, registry, quiet=quiet, lang=messages_lang)
            final = folder.publish()
            _place_bundle(final)
        except BaseException as error:
            # Stopping the workers and removing the unfinished folder must not hide why the
            # run stopped (an interrupt above all): what fails while cleaning up is dropped.
            with contextlib.suppress(Exception):
                runner.close(force=True)
            if folder is not None:
                with contextlib.suppress(Exception):
                    folder.discard()
            if isinstance(error, OSError):  # a full disk, a folder that became read-only
                raise os_error(error, where=error.filename or str(plan.ctx.study_dir)) \
                    from error
            raise
    manifest = read_manifest(final / "manifest.json")
    return RunResult(folder.run_id, final, manifest["status"], manifest["notebooks"], rerun,
                     manifest, folder.leftovers)


@dataclass
class _Plan:
    """Everything decided and checked before anything is written."""

    ctx: RunContext
    entries: list[NotebookEntry]
    previous: dict | None
    timeout: int | None
    workers: int | None
    options: dict
    started: str
    repairs: dict = field(default_factory=dict)  # resume: damaged file -> missing | changed


def _plan(study_file: str | Path, *, out: str | Path, sites: Any, only: Any, lang: str | None,
          resume: str | None, notebooks: Any, timeout: int | None, jobs: int | None) -> _Plan:

    study = load_study(study_file)
    registry = load_registry(notebooks)
    timeout = check_int(timeout or 0, "timeout", minimum=0) or None
    workers = check_int(jobs, "jobs", minimum=1) if jobs is not None else None
    known_sites = declared_sites(study)
    ctx = RunContext(study=study, out=Path(out).resolve(), languages=_languages(lang, study),
                     sites=known_sites, selected_sites=_selected_sites(sites, known_sites),
                     parameters={**study.parameters_dict(), "ci": _ci()})
    previous, repairs = None, {}
    if resume:
        previous = _resume_manifest(ctx, resume)
        _check_resume(previous, study, resume)
        repairs = damaged_files(ctx.study_dir / resume, previous)
        ctx.languages = list(previous["options"]["languages"])
        ctx.selected_sites = list(previous["options"]["sites"])
        only = [n for n in previous["options"]["notebooks"]
                if n in (split_list(only) or previous["options"]["notebooks"])]
    entries = registry.select(split_list(only))
    check_notebooks(ctx, entries)
    options = {"notebooks": [e.name for e in entries], "languages": ctx.languages,
               "sites": ctx.selected_sites, "jobs": workers or default_jobs(),
               "timeout": timeout, "notebook_folder": _folder_name(registry.folder, study)}
    ctx.jobs = options["jobs"]
    _check_writable(ctx.study_dir)
    return _Plan(ctx, entries, previous, timeout, workers, options, _now(), repairs)


def _folder_name(folder: Path, study: Any) -> str:
    """The notebook folder as the manifest names it: relative to the study's folder when it
    is inside, else its name only (evalkit's own notebooks: ``notebooks``)."""
    folder = folder.resolve()
    try:
        return folder.relative_to(Path(study.root).resolve()).as_posix()
    except ValueError:
        return folder.name


def _check_writable(folder: Path) -> None:
    """Refuse at once a reports folder that cannot be written to (a read-only disk, another
    user's folder, a file where a folder should be), before anything is computed or written:
    a file is created and removed in the nearest folder that exists."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
        handle, probe = tempfile.mkstemp(prefix=".evalkit-write-test-", dir=existing)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        said = os_error(error, where=str(error.filename or existing))
        if said.exit_code != 2 and error.errno not in NO_SPACE:  # still the option's fault
            said = ConfigError.from_catalogue("os.not_writable", where=said.where,
                                              reason=error.strerror or str(error))
        raise said from None


def _assemble(plan: _Plan, folder: Any, runner: Any, registry: Any, *, quiet: bool,
              lang: str) -> list[str]:
    """Fill the run folder: prepare, notebooks, brief, index, manifest, release check; return
    the keys of the jobs executed."""

    ctx, previous = plan.ctx, plan.previous
    ctx.run_dir = folder.path
    if ctx.validation_csv is not None:
        shutil.copyfile(ctx.validation_csv, folder.path / "validation.csv")
    run_date = ((previous or {}).get("started") or plan.started)[:10]
    all_jobs = build_jobs(ctx, plan.entries, timeout=plan.timeout, run_date=run_date)
    before = {r["key"]: r for r in (previous or {}).get("notebooks", [])}
    redo = _repair_plan(plan, folder.path)
    todo = [j for j in all_jobs
            if before.get(j.key, {}).get("status") != "ok" or j.key in redo["jobs"]]
    # Notebooks over the whole study start before the per-site ones: they are the long jobs
    # (the brief above all), and the short site jobs then fill the workers' time instead of
    # one long job running alone at the end. Pages, index and manifest keep the listed order.
    todo = sorted(todo, key=lambda job: job.site is not None)
    if todo:
        # Workers start (and import their libraries) while the data are prepared.
        ensure_kernel()
        runner.start(len(todo))
    if previous is None or previous["stages"].get("prepare", {}).get("status") != "ok" \
            or redo["prepare"]:
        _run_stage(registry, "prepare", ctx)
    else:  # a resume reuses the run's working data
        ctx.records.update({k: v for k, v in previous["stages"].items()
                            if k in ("validate", "prepare")})
    results = _execute(runner, todo, quiet=quiet, lang=lang)
    runner.close()
    fresh = {job.key: _job_record(job, result) for job, result in zip(todo, results, strict=True)}
    records = [fresh.get(j.key) or before[j.key] for j in all_jobs]
    _run_stage(registry, "brief", ctx)
    manifest = _manifest(ctx, run_id=folder.run_id, started=plan.started, records=records,
                         options=plan.options, rerun=[j.key for j in todo], previous=previous,
                         repaired=plan.repairs, leftovers=folder.leftovers)
    _finish(ctx, manifest, registry, folder.path, repairs=plan.repairs)
    return [j.key for j in todo]


def _repair_plan(plan: _Plan, run_dir: Path) -> dict:
    """What a resume re-creates of the files the previous run lost or that were changed since:
    the tables (the prepare stage again), a notebook's copy and pages (that notebook again),
    the brief (written again), figures (every notebook again: any of them may draw one),
    ``validation.csv`` (validated again, before). A changed file is removed first, so that
    nothing keeps it; any other file is left out of the run's claims and reported."""
    redo: dict[str, Any] = {"prepare": False, "jobs": set()}
    if not plan.repairs:
        return redo
    owners = {}
    for record in plan.previous.get("notebooks", []):
        outputs = record.get("outputs") or {}
        for path in [outputs.get("notebook"), *(outputs.get("html") or {}).values()]:
            if path:
                owners[path] = record["key"]
    for path in plan.repairs:
        with contextlib.suppress(OSError):
            (run_dir / path).unlink()
        if path.startswith("tables/"):
            redo["prepare"] = True
        elif path in owners:
            redo["jobs"].add(owners[path])
        elif path.startswith("figures/"):
            redo["jobs"].update(owners.values())
    return redo


def _finish(ctx: RunContext, manifest: dict, registry_stages: Any, run_dir: Path, *,
            repairs: dict | None = None) -> None:
    """Index and manifest, then the release check of the whole folder, recorded in both; then
    the folder's claims checked against what it holds."""

    write_manifest(run_dir / "manifest.json", manifest)
    write_index(run_dir, manifest, ctx.languages)
    # The folder's claims, checked against what it holds: a file the run lost (e.g. one a
    # resume could not re-create) is named and fails the run instead of being listed.
    manifest["files"] = {}
    missing = set(damaged_files(run_dir, manifest))
    if repairs:  # what a resume was to re-create: done, or lost (e.g. --only left it out)
        done = {p: s for p, s in repairs.items() if (run_dir / p).is_file()}
        manifest["resumed"][-1]["repaired"] = done
        missing |= {p for p in repairs if p not in done}
    missing = sorted(missing)
    if missing:
        manifest["missing"] = missing
        manifest["status"] = "failed"
        write_index(run_dir, manifest, ctx.languages)
    # What the release check scans is what the bundle will hold.
    manifest["files"] = _released_files(run_dir, manifest)
    checked = dict(manifest["files"])
    write_manifest(run_dir / "manifest.json", manifest)
    try:
        scan = _run_stage(registry_stages, "release", ctx)
    except EvalkitError as error:  # e.g. the key is no longer available: say so, keep the run
        scan = {"status": "failed", "error": error.render("en")}
    manifest["disclosure_scan"] = scan
    if scan.get("status") == "failed":
        manifest["status"] = "failed"
    write_index(run_dir, manifest, ctx.languages)
    manifest["files"] = _released_files(run_dir, manifest)
    pending = run_dir / PENDING_BUNDLE
    pending.unlink(missing_ok=True)
    if manifest["status"] == "ok" and scan.get("status") == "passed":
        # The bundle's own manifest names it; the folder's copy adds its SHA-256 (a file
        # cannot hold its own digest).
        manifest["release_bundle"] = {"name": manifest["run_id"] + BUNDLE_SUFFIX}
        write_manifest(run_dir / "manifest.json", manifest)
        digest = write_bundle(run_dir, bundle_members(manifest), pending)
        final = _check_final(ctx, run_dir, pending, checked)
        if final.get("status") == "passed" and final.get("bundle_sha256") == digest:
            manifest["release_bundle"].update(sha256=digest,
                                              checked_sha256=final["bundle_sha256"],
                                              rescanned=final["rescanned"])
        else:  # what the manifest and index added after the full check may not leave
            pending.unlink(missing_ok=True)
            del manifest["release_bundle"]
            manifest["status"] = "failed"
            manifest["disclosure_scan"] = _with_final(scan, final)
            write_index(run_dir, manifest, ctx.languages)
            manifest["files"] = _released_files(run_dir, manifest)
    write_manifest(run_dir / "manifest.json", manifest)


def _with_final(scan: dict, final: dict) -> dict:
    """The release check's record with what the check of the final bundle found added."""
    found = [*scan.get("findings", []), *final.get("findings", [])]
    kinds: dict[str, int] = {}
    for finding in found:
        kinds[finding["kind"]] = kinds.get(finding["kind"], 0) + 1
    return {**scan, "status": "failed", "n_findings": len(found), "by_kind": kinds,
            "findings": found, "final_bundle": final}


def _check_final(ctx: RunContext, run_dir: Path, bundle: Path, checked: dict[str, str]
                 ) -> dict:
    """The release check of the bundle the run leaves, as written: its members the full check
    read with the same bytes are not read again (the manifest and index pages are)."""
    try:
        return release_check(run_dir, study=ctx.study, validation=ctx.validation,
                             prepared=ctx.prepared, bundle=bundle, checked=checked,
                             jobs=ctx.jobs)
    except EvalkitError as error:
        return {"status": "failed", "error": error.render("en")}


#: Where a run keeps its release bundle until the run folder is in place.
PENDING_BUNDLE = Path(".work") / f"pending{BUNDLE_SUFFIX}"


def _place_bundle(run_dir: Path) -> None:
    """Move the bundle the run wrote next to the finished run folder; a run that may not be
    released leaves none (nor the one an earlier, resumed run had written)."""
    pending = run_dir / PENDING_BUNDLE
    if pending.is_file():
        os.replace(pending, bundle_path(run_dir))
    else:
        remove_bundle(run_dir)


def _resume_manifest(ctx: RunContext, run_id: str) -> dict:

    path = ctx.study_dir / run_id / "manifest.json"
    if not path.is_file():
        raise ConfigError.from_catalogue("runner.resume_not_found", where="--resume",
                                         run=run_id, folder=str(ctx.study_dir))
    try:
        manifest = read_manifest(path)
        problem = _manifest_problem(manifest)
    except (OSError, ValueError) as error:  # truncated, not JSON, not UTF-8
        problem = f"{type(error).__name__}: {error}"
    if problem:
        raise ConfigError.from_catalogue("runner.resume_damaged", where=Place(str(path)),
                                         run=run_id, problem=problem)
    return manifest


#: What a resume reads of the previous run's manifest, and the type it must have.
_RESUME_KEYS = {"study_sha256": str, "inputs": list, "options": dict, "stages": dict,
                "notebooks": list, "started": str}


def _manifest_problem(manifest: Any) -> str:
    """What makes ``manifest`` unusable for a resume (empty when nothing)."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    for key, kind in _RESUME_KEYS.items():
        if not isinstance(manifest.get(key), kind):
            return f"'{key}' missing or not a {kind.__name__}"
    for key in ("languages", "sites", "notebooks"):
        if not isinstance(manifest["options"].get(key), list):
            return f"'options.{key}' missing or not a list"
    for record in manifest["notebooks"]:
        if not isinstance(record, dict) or not isinstance(record.get("key"), str):
            return "a notebook record without its key"
    return ""
