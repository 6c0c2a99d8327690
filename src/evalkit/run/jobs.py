"""Jobs: one notebook to execute (for one site), its pages in each language, and what came of it.

Jobs and their results are plain, picklable records: the local process pool and a dask cluster
carry them to workers and back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FAILURE_KINDS", "STATUSES", "Job", "JobResult"]

#: The statuses of a notebook in a run.
STATUSES: tuple[str, ...] = ("ok", "failed", "not_run")

#: How a notebook can fail: an exception in a cell, a cell over the time limit, a kernel that
#: died (killed, out of memory), a cell that called ``sys.exit``, a code cell that never ran, a
#: kernel that could not start (twice), or an error of the machinery itself.
FAILURE_KINDS: tuple[str, ...] = ("exception", "timeout", "dead_kernel", "system_exit",
                                  "not_executed", "kernel_start", "error")


@dataclass(frozen=True)
class Job:
    """One execution of a notebook.

    Attributes
    ----------
    key : str
        Unique within the run and safe as a file stem: ``name`` or ``name.site``.
    notebook : str
        The registry name of the notebook.
    source : str
        Path of the notebook to execute.
    lang : str
        The notebook's ``lang`` parameter: one language, or ``all`` when the notebook shows
        every language of the run (it is executed once; each page keeps one language).
    site : str or None
    parameters : dict
        What is injected after the notebook's ``parameters`` cell (checked beforehand).
    run_dir : str
        The run folder being assembled (absolute).
    timeout : int or None
        Seconds allowed per cell; None for no limit.
    languages : tuple of str
        The languages of the HTML pages written from the executed notebook.
    titles : dict
        The notebook's title in each language, for the pages.
    run_date : str
        The run's date (ISO), printed on the pages.
    """

    key: str
    notebook: str
    source: str
    lang: str
    site: str | None
    parameters: dict
    run_dir: str
    timeout: int | None = None
    languages: tuple[str, ...] = ("fr",)
    titles: dict = field(default_factory=dict)
    run_date: str = ""

    @property
    def title(self) -> str:
        """The title in the run's first language."""
        return self.titles.get(self.languages[0], self.notebook)

    @property
    def ipynb(self) -> str:
        """The executed copy, relative to the run folder."""
        return f"notebooks/{self.key}.ipynb"

    def html(self, lang: str) -> str:
        """The code-free HTML page in ``lang``, relative to the run folder."""
        return f"html/{self.key}.{lang}.html"

    @property
    def pages(self) -> dict[str, str]:
        """The code-free HTML page of each language, relative to the run folder."""
        return {lang: self.html(lang) for lang in self.languages}

    @property
    def log(self) -> str:
        """The kernel's own output (start-up messages, crashes), relative to the run folder."""
        return f".work/logs/{self.key}.log"


@dataclass
class JobResult:
    """What came of a job (recorded per notebook in ``manifest.json``).

    Attributes
    ----------
    key : str
    status : {"ok", "failed", "not_run"}
    started, finished : str or None
        ISO 8601 times (UTC).
    duration : float or None
        Seconds.
    attempts : int
        Kernel starts tried (a kernel that fails to start is tried once more).
    failure : dict or None
        ``kind`` (one of :data:`FAILURE_KINDS`), ``cell_index`` (in the executed notebook,
        from 0, the injected-parameters cell included), ``cell_first_line`` and ``message``.
    html : bool
        Whether the HTML page was written.
    cells : int
        Code cells executed.
    """

    key: str
    status: str = "not_run"
    started: str | None = None
    finished: str | None = None
    duration: float | None = None
    attempts: int = 0
    failure: dict | None = None
    html: bool = False
    cells: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        data.update(self.extra)
        return data
