"""Batch runs: parameterised notebooks executed on a study into a self-contained run folder.

``run_study`` validates the study, prepares and computes once, executes every notebook in its
own kernel (locally or on a dask cluster), exports code-free HTML pages, and writes the index
and the manifest; see ``docs/run.md``. Nothing heavy is imported until a run starts, and each
public name imports its module on first use: a run's worker process, which imports
:mod:`evalkit.run.executors`, does not pay for the run's own stages.
"""

from evalkit._lazy import lazy_api

#: Public name → module that defines it.
_API: dict[str, str] = {
    "FAILURE_KINDS": "evalkit.run.jobs",
    "Job": "evalkit.run.jobs",
    "JobResult": "evalkit.run.jobs",
    "NotebookEntry": "evalkit.run.notebooks",
    "NotebookRegistry": "evalkit.run.notebooks",
    "load_registry": "evalkit.run.notebooks",
    "RUN_PARAMETERS": "evalkit.run.parameters",
    "Parameter": "evalkit.run.parameters",
    "ParameterError": "evalkit.run.parameters",
    "check_parameters": "evalkit.run.parameters",
    "notebook_parameters": "evalkit.run.parameters",
    "DEFAULT_TIMEOUT": "evalkit.run.runner",
    "RunResult": "evalkit.run.runner",
    "run_study": "evalkit.run.runner",
    "PIPELINE": "evalkit.run.stages",
    "RunContext": "evalkit.run.stages",
    "release_check": "evalkit.run.stages",
    "stages": "evalkit.run.stages",
}

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

__getattr__, __dir__ = lazy_api(globals(), _API)
