"""``evalkit run STUDY.yaml``: execute the study's notebooks into a new run folder.

Exit codes: 0 every notebook succeeded, 1 a notebook failed or the data have errors,
2 bad options or notebook parameters (found before any kernel starts), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from evalkit.run import run_study
from evalkit.run.runner import DEFAULT_TIMEOUT

NAME = "run"


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options ``evalkit run`` and ``evalkit demo`` share."""

    parser.add_argument("--out", default="reports", metavar="FOLDER",
                        help="reports folder (default: reports)")
    parser.add_argument("--sites", metavar="A,B", help="per-site notebooks only for these sites")
    parser.add_argument("--only", metavar="NB,...", help="run only these notebooks")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="notebooks executed at once (default: min(2, CPUs))")
    parser.add_argument("--lang", dest="report_lang", choices=("fr", "en", "all"), default="all",
                        help="report languages (default: all languages of the study)")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="local process pool (default) or a dask cluster")
    parser.add_argument("--scheduler", metavar="ADDR",
                        help="dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                        "(default: a local cluster)")
    parser.add_argument("--resume", metavar="RUN_ID",
                        help="re-run only the notebooks that failed or did not run in RUN_ID")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time limit per cell (default: {DEFAULT_TIMEOUT}; 0: none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--notebooks", metavar="FOLDER",
                        help="a folder with notebooks.yaml (default: evalkit's notebooks)")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME, help="run the study's notebooks and write a run folder with its index",
        description="Validate the study, compute once, execute every notebook in its own "
        "kernel, export code-free HTML pages and write reports/<study>/<run_id>/.")
    parser.add_argument("study", help="study.yaml (or its folder)")
    add_run_options(parser)
    parser.set_defaults(handler=run)


def run_from_args(study: str, args: argparse.Namespace) -> int:
    """Run ``study`` with the shared options; print the summary; return the exit code."""

    result = run_study(
        study, out=args.out, sites=args.sites, only=args.only, jobs=args.jobs,
        lang=args.report_lang, executor=args.executor, scheduler=args.scheduler,
        resume=args.resume, timeout=args.timeout, quiet=args.quiet, notebooks=args.notebooks,
        messages_lang=args.lang)
    print(result.summary(args.lang), file=sys.stdout, flush=True)
    return result.exit_code


def run(args: argparse.Namespace) -> int:
    return run_from_args(args.study, args)
