"""Batch runs: parameterised notebooks executed on a study into a self-contained run folder.

``run_study`` validates the study, prepares and computes once, executes every notebook in its
own kernel (locally or on a dask cluster), exports code-free HTML pages, and writes the index
and the manifest; see ``docs/run.md``. Nothing heavy is imported until a run starts.
"""

from evalkit.run.jobs import FAILURE_KINDS, Job, JobResult
from evalkit.run.notebooks import NotebookEntry, NotebookRegistry, load_registry
from evalkit.run.parameters import (
    RUN_PARAMETERS,
    Parameter,
    ParameterError,
    check_parameters,
    notebook_parameters,
)
from evalkit.run.runner import DEFAULT_TIMEOUT, RunResult, run_study
from evalkit.run.stages import PIPELINE, RunContext, release_check, stages

__all__ = [
    "DEFAULT_TIMEOUT",
    "FAILURE_KINDS",
    "PIPELINE",
    "RUN_PARAMETERS",
    "Job",
    "JobResult",
    "NotebookEntry",
    "NotebookRegistry",
    "Parameter",
    "ParameterError",
    "RunContext",
    "RunResult",
    "check_parameters",
    "load_registry",
    "notebook_parameters",
    "release_check",
    "run_study",
    "stages",
]
