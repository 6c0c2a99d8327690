"""Execute one notebook job in its own kernel (papermill + nbclient), in a worker process.

Failures papermill does not always mark (a cell timeout, a dead kernel, ``sys.exit`` swallowed
by IPython, a code cell that never ran) are found here, written into the failing cell of the
executed copy, and returned with the cell's index and first line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import evalkit.present.notebook_page  # noqa: F401
from evalkit._lifetime import kill_group
from evalkit.config.study import load_study
from evalkit.present.notebook_page import export_notebook_html
from evalkit.present.notebook_page import warm_up as warm_pages
from evalkit.run.index import index_name
from evalkit.run.jobs import Job, JobResult
from evalkit.run.kernel import KERNEL_NAME, ensure_kernel, kernel_manager_class
from evalkit.run.warm import kill_template, template, warm_kernels_enabled

__all__ = ["discard_kernel_ahead", "find_failure", "run_job", "run_job_ahead",
           "start_kernels_ahead"]

#: Kernel starts tried per job (one retry when a kernel fails to start; never for cells).
START_ATTEMPTS = 2
#: Seconds a kernel may take to start and answer.
STARTUP_TIMEOUT = 60
#: ipykernel options of a run's kernels: IPython's input history stays in memory (``In`` and
#: ``Out`` still work) instead of a SQLite file every kernel of the machine writes to.
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False",)
#: Seconds between saves of the executed copy during a long cell.
AUTOSAVE_SECONDS = 30

# Process groups of the kernels this worker runs, killed if the worker is told to stop.
_KERNEL_PIDS: set[int] = set()
# Told of each kernel started and stopped (``("kernel", pid)``, ``("kernel_gone", pid)``): a pool
# worker tells the run, which can then kill the kernel itself if the worker cannot.
_KERNEL_WATCHERS: list[Callable[[tuple], None]] = []

Events = Callable[[tuple], None] | None


class _Ahead:
    """A kernel started for this worker's next notebook while the current one runs: its
    manager, the folder it runs in, and the unnamed file its own output goes to until a
    notebook's log takes it."""

    def __init__(self, km: Any, cwd: str, log: Any, pid: int | None) -> None:
        self.km, self.cwd, self.log, self.pid = km, cwd, log, pid


# Whether this worker starts kernels ahead (:func:`start_kernels_ahead`), and the one it holds.
_AHEAD_ON = False
_AHEAD: _Ahead | None = None
# A dask worker's jobs run in one thread and the run's end (``Client.run``) in another: the
# kernel held is taken by one of them only.
_AHEAD_LOCK = threading.Lock()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _quiet_logger() -> logging.Logger:
    # nbclient logs timeouts and dead kernels at ERROR level; the run reports them itself.
    logger = logging.getLogger("evalkit.run.nbclient")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
    return logger


def warm_up() -> None:
    """Import what executing and exporting a notebook needs, and compile the pages' templates
    (seconds, once per worker, while the run prepares its data)."""
    import nbclient  # noqa: F401
    import nbconvert
    import nbconvert.exporters  # noqa: F401
    import papermill.clientwrap  # noqa: F401
    from jupyter_client import AsyncKernelManager  # noqa: F401

    with contextlib.suppress(Exception):  # a page that cannot be made says so on its job
        warm_pages()


def kill_kernels(*_: Any) -> None:
    """Kill the kernels this process started (their whole process groups), then exit.

    Installed as the SIGTERM handler of pool workers: a run that is interrupted stops its
    workers, and a worker must not leave a kernel behind.
    """
    for pid in list(_KERNEL_PIDS):  # a kernel leads its own process group on POSIX
        kill_group(pid)
    kill_template()  # and the kernels it forked, by their parent-death signal
    os._exit(1)


def _tell(event: tuple) -> None:
    for watcher in _KERNEL_WATCHERS:
        try:
            watcher(event)
        except Exception:  # the run stopped listening: nothing to tell any more
            pass


def start_kernels_ahead() -> None:
    """From now on, while a notebook runs, start the kernel of this worker's next notebook.

    Each notebook still gets a new kernel of its own, forked from the same template as
    always; only its start (the kernel application's set-up and the first exchange with it,
    a quarter of a second of wall time) is no longer waited for between two notebooks. Used
    by the local executor's workers, which end the kernel they hold when they stop, and by
    dask workers (:func:`run_job_ahead`), whose kernels the run ends on every worker when its
    jobs are done (:func:`discard_kernel_ahead`): a worker of a cluster outlives the run.
    """
    global _AHEAD_ON
    _AHEAD_ON = True


def _start_ahead(cwd: str) -> None:
    """Start the next notebook's kernel in ``cwd`` (nothing when one is held already, or when
    kernels are not forked from a warm template)."""
    global _AHEAD
    from jupyter_core.utils import run_sync

    if not _AHEAD_ON or _AHEAD is not None or not warm_kernels_enabled():
        return
    import tempfile

    km = kernel_manager_class()(kernel_name=KERNEL_NAME)
    log = tempfile.TemporaryFile()  # unnamed: nothing is left behind, whatever happens
    try:
        run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS), cwd=cwd,
                                  stdout=log, stderr=log)
    except Exception:  # the next notebook starts its kernel itself
        log.close()
        with contextlib.suppress(Exception):
            run_sync(km.cleanup_resources)()
        return
    pid = getattr(km.provisioner, "pid", None)
    if pid:
        _KERNEL_PIDS.add(pid)
        _tell(("kernel", pid))
    with _AHEAD_LOCK:
        _AHEAD = _Ahead(km, cwd, log, pid)


def _take_ahead(cwd: str) -> _Ahead | None:
    """The kernel started ahead, if it runs in ``cwd`` and is alive (else it is ended)."""
    global _AHEAD
    from jupyter_core.utils import run_sync

    with _AHEAD_LOCK:
        ahead, _AHEAD = _AHEAD, None
    if ahead is None:
        return None
    try:
        if ahead.cwd == cwd and run_sync(ahead.km.is_alive)():
            return ahead
    except Exception:  # treated as dead
        pass
    _end_ahead(ahead)
    return None


def _end_ahead(ahead: _Ahead) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(ahead.km.shutdown_kernel)(now=True)
    except Exception:  # its manager failed (another thread's event loop...): its group goes
        if ahead.pid:
            kill_group(ahead.pid)
    with contextlib.suppress(Exception):
        ahead.log.close()
    if ahead.pid:
        _KERNEL_PIDS.discard(ahead.pid)
        _tell(("kernel_gone", ahead.pid))


def discard_kernel_ahead() -> bool:
    """End the kernel this worker started for a notebook that did not come; True when it
    held none or it is ended."""
    global _AHEAD
    with _AHEAD_LOCK:
        ahead, _AHEAD = _AHEAD, None
    if ahead is not None:
        _end_ahead(ahead)
    return True


def _kept_output(ahead: _Ahead, log: Any) -> None:
    """Append what the kernel started ahead wrote on its own output to the notebook's log."""
    with contextlib.suppress(OSError, ValueError):
        ahead.log.seek(0)
        shutil.copyfileobj(ahead.log, log)
        ahead.log.close()


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            text = line.strip()
            return text if len(text) <= 80 else text[:77] + "..."
    return ""


def find_failure(nb: Any) -> dict | None:
    """The first failing code cell of an executed notebook, or None.

    A cell fails when it holds an error output (``SystemExit`` included: IPython swallows it and
    the kernel goes on) and is not tagged ``raises-exception``, or when it has code but no
    execution count (it never ran) and is not tagged ``skip-execution``. Blank cells are never
    run by nbclient and are not failures.

    Returns
    -------
    dict or None
        ``kind``, ``cell_index``, ``cell_first_line`` and ``message``.
    """
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors and "raises-exception" not in tags:
            error = errors[0]
            kind = "system_exit" if error.get("ename") == "SystemExit" else "exception"
            if error.get("ename") in ("CellTimeoutError", "DeadKernelError"):
                kind = "timeout" if error["ename"] == "CellTimeoutError" else "dead_kernel"
            message = f"{error.get('ename', '')}: {error.get('evalue', '')}".strip(": ")
            return _failure(kind, index, cell, message)
        if (cell.source.strip() and cell.get("execution_count") is None
                and "skip-execution" not in tags):
            return _failure("not_executed", index, cell, "")
    return None


def _failure(kind: str, index: int | None, cell: Any, message: str) -> dict:
    return {"kind": kind, "cell_index": index,
            "cell_first_line": _first_line(cell.source) if cell is not None else "",
            "message": message[:500]}


def _mark_cell(nb: Any, index: int | None, ename: str, evalue: str) -> None:
    """Write a failure the kernel could not report into the cell, as an error output."""
    import nbformat

    if index is None or index >= len(nb.cells):
        return
    cell = nb.cells[index]
    cell.setdefault("outputs", []).append(nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]))
    cell.metadata.setdefault("papermill", {})["status"] = "failed"
    cell.metadata["papermill"]["exception"] = True
    nb.metadata.setdefault("papermill", {})["exception"] = True


def _classes():
    """papermill's execution manager and client, extended to report progress and kernel pids."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NotebookExecutionManager

    class Manager(NotebookExecutionManager):
        """Papermill writes the whole executed copy before and after every cell; here it is
        written when the notebook starts, then at most every :data:`AUTOSAVE_SECONDS` (a long
        cell included, as papermill does), and when it ends, errors in place: the same file,
        without serialising and validating it twice per cell."""

        def __init__(self, nb, *, events: Events, key: str, cwd: str | None = None,
                     **kwargs):
            super().__init__(nb, progress_bar=False, autosave_cell_every=AUTOSAVE_SECONDS,
                             **kwargs)
            self.events, self.key, self.current, self.cwd = events, key, None, cwd
            self._saved: float | None = None
            self._final = False

        def save(self, **kwargs):
            now = time.monotonic()
            if self._final or self._saved is None or now - self._saved >= AUTOSAVE_SECONDS:
                super().save(**kwargs)
                self._saved = now

        def notebook_complete(self, **kwargs):
            self._final = True
            super().notebook_complete(**kwargs)

        def cell_start(self, cell, cell_index=None, **kwargs):
            if self.current is None and self.cwd is not None:
                _start_ahead(self.cwd)  # this notebook's kernel is ready: the next one starts
            self.current = cell_index
            super().cell_start(cell, cell_index, **kwargs)

        def cell_complete(self, cell, cell_index=None, **kwargs):
            super().cell_complete(cell, cell_index, **kwargs)
            if self.events:
                self.events(("cell", self.key, cell_index))

    class Client(PapermillNotebookClient):
        def start_new_kernel(self, **kwargs):
            super().start_new_kernel(**kwargs)
            pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
            if pid:
                self._evalkit_pid = pid
                _KERNEL_PIDS.add(pid)
                _tell(("kernel", pid))

        def _cleanup_kernel(self):
            try:
                super()._cleanup_kernel()
            finally:
                pid = getattr(self, "_evalkit_pid", None)
                _KERNEL_PIDS.discard(pid)
                if pid:
                    _tell(("kernel_gone", pid))

    return Manager, Client


def _prime(job: Job) -> None:
    """Have this worker's kernel template read ahead what the notebooks of ``job``'s run read
    first (its study, its results), once per run, before it forks the next kernels
    (:meth:`evalkit.run.warm.KernelTemplate.prime`). A template that cannot is left as it is:
    its kernels read the files themselves."""
    study = job.parameters.get("study_file")
    if not isinstance(study, str) or not warm_kernels_enabled():
        return
    run_dir = Path(job.run_dir).resolve()
    with contextlib.suppress(OSError, ValueError):
        kernels = template()
        if kernels is not None:
            kernels.prime(str((run_dir / Path(job.ipynb).parent / study).resolve()),
                          str(run_dir))


def _prepare(job: Job) -> Any:
    from papermill.execute import prepare_notebook_metadata
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(job.source)
    nb = parameterize_notebook(nb, job.parameters, kernel_name=KERNEL_NAME, language="python")
    # Papermill's record names the notebooks as the run does: no path of the machine.
    nb = prepare_notebook_metadata(nb, Path(job.source).name, Path(job.ipynb).as_posix())
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3 (evalkit)",
                                 "language": "python"}
    nb.metadata["evalkit"] = {"job": job.key, "notebook": job.notebook, "lang": job.lang,
                              "site": job.site}
    return nb


def _execute_once(job: Job, events: Events, *, first: bool = True
                  ) -> tuple[Any, dict | None, bool]:
    """One attempt: (executed notebook, failure, whether the kernel failed to start)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    Manager, Client = _classes()
    run_dir = Path(job.run_dir)
    output = run_dir / job.ipynb
    log_path = run_dir / job.log
    log_path.parent.mkdir(parents=True, exist_ok=True)
    nb = _prepare(job)
    cwd = str(output.parent)
    manager = Manager(nb, output_path=str(output), events=events, key=job.key, cwd=cwd)
    manager.notebook_start()
    failure, start_failed = None, False
    # The kernel started while the previous notebook ran, if any (never for a second try).
    ahead = _take_ahead(cwd) if first else None
    client = Client(manager, km=ahead.km if ahead else None, kernel_name=KERNEL_NAME,
                    kernel_manager_class=kernel_manager_class(),
                    timeout=job.timeout, startup_timeout=STARTUP_TIMEOUT,
                    shutdown_kernel="immediate", extra_arguments=list(KERNEL_ARGUMENTS),
                    log=_quiet_logger())
    if ahead is not None and ahead.pid:
        client._evalkit_pid = ahead.pid  # told gone when the client ends it
    try:
        with open(log_path, "ab") as log:
            try:
                client.execute(cwd=cwd, stdout=log, stderr=log)
            finally:
                if ahead is not None:
                    _cleanup(client)  # nbclient ends only the kernels it started itself
                    _kept_output(ahead, log)
    except CellTimeoutError:
        _mark_cell(manager.nb, manager.current, "CellTimeoutError",
                   f"the cell did not finish within {job.timeout} s (--timeout)")
    except DeadKernelError:
        _mark_cell(manager.nb, manager.current, "DeadKernelError",
                   "the kernel died while this cell ran (killed, or out of memory)")
    except Exception as error:  # the kernel could not start, or the machinery failed
        if manager.current is None:
            start_failed = True
            failure = _failure("kernel_start", None, None, f"{type(error).__name__}: {error}")
            _cleanup(client)
        else:
            _mark_cell(manager.nb, manager.current, type(error).__name__, str(error))
            failure = _failure("error", manager.current, manager.nb.cells[manager.current],
                               f"{type(error).__name__}: {error}")
    finally:
        released_study_file(manager.nb, job.parameters)
        manager.notebook_complete()
    if failure is None:
        failure = find_failure(manager.nb)
    return manager.nb, failure, start_failed


def released_study_file(nb: Any, parameters: dict) -> None:
    """Name the study by its file only in an executed notebook run with the study's absolute
    path (the study and the reports share no folder): the parameter cell and papermill's
    record, so that the released notebook holds no path of the analyst's machine. Re-running
    it by hand then asks for the study's path in its first cell."""
    value = parameters.get("study_file")
    if not value or not Path(value).is_absolute():
        return
    shown = Path(value).name
    for cell in nb.cells:
        if "injected-parameters" in (cell.get("metadata", {}).get("tags") or []):
            cell.source = cell.source.replace(_quoted(value), _quoted(shown))
    record = nb.metadata.get("papermill", {}).get("parameters")
    if isinstance(record, dict) and "study_file" in record:
        record["study_file"] = shown


def _quoted(text: str) -> str:
    """A string as papermill's Python translator writes it in the parameter cell."""
    from papermill.translators import PythonTranslator

    return PythonTranslator.translate_str(text)


def _cleanup(client: Any) -> None:
    try:
        if client.km is not None and client.km.has_kernel:
            client._cleanup_kernel()
    except Exception:  # the kernel is already gone; nothing left to stop
        pass


@functools.cache
def _study(path: str) -> Any:

    return load_study(path)


def _export(nb: Any, job: Job) -> dict | None:
    """The code-free page of the executed notebook in each language of the run."""
    import nbformat

    run_dir = Path(job.run_dir)
    try:
        # the study's file is named relative to the folder the notebook ran in
        study = _study(str(run_dir / Path(job.ipynb).parent / job.parameters["study_file"]))
        languages = list(job.pages)
        executed = nbformat.read(run_dir / job.ipynb, as_version=4)
        for lang, page in job.pages.items():
            up = "../" * (len(Path(page).parts) - 1)
            twins = {other: os.path.relpath(job.pages[other], Path(page).parent)
                     for other in languages if other != lang}
            export_notebook_html(executed, run_dir / page, study=study, lang=lang,
                                 run_date=job.run_date or dt.date.today().isoformat(),
                                 title=job.titles.get(lang),
                                 index=up + index_name(lang, languages), twins=twins)
    except Exception as error:  # a broken output must not hide the other notebooks' pages
        return _failure("error", None, None, f"HTML export: {type(error).__name__}: {error}")
    return None


def run_job_ahead(job: Job) -> JobResult:
    """:func:`run_job` on a dask worker: the worker starts its next notebook's kernel while
    this one runs (:func:`start_kernels_ahead`); the run ends the last one
    (:func:`discard_kernel_ahead`)."""
    start_kernels_ahead()
    return run_job(job)


def run_job(job: Job, events: Events = None) -> JobResult:
    """Execute ``job``: the executed copy is saved (errors in place), and on success the
    code-free HTML page is written.

    Parameters
    ----------
    job : Job
    events : callable, optional
        Receives progress events: ``("start", key, n_cells)``, ``("cell", key, index)`` after
        each cell (markdown cells included) and ``("end", key, status)``.

    Returns
    -------
    JobResult
    """
    import nbformat

    ensure_kernel()
    result = JobResult(job.key, started=_now(), extra={"host": socket.gethostname()})
    started = time.perf_counter()
    if events:  # papermill steps through every cell, the injected parameters cell included
        events(("start", job.key, len(nbformat.read(job.source, as_version=4).cells) + 1))
    _prime(job)
    for attempt in range(1, START_ATTEMPTS + 1):
        result.attempts = attempt
        nb, failure, start_failed = _execute_once(job, events, first=attempt == 1)
        if not start_failed:
            break
    result.failure = failure
    result.cells = sum(c.cell_type == "code" and c.get("execution_count") is not None
                       for c in nb.cells)
    if not failure:
        result.failure = _export(nb, job)
        result.html = result.failure is None
    result.status = "failed" if result.failure else "ok"
    result.finished = _now()
    result.duration = round(time.perf_counter() - started, 3)
    if events:
        events(("end", job.key, result.status))
    return result
