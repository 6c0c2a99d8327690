"""``evalkit run STUDY.yaml``: execute the study's notebooks into a new run folder.

Exit codes: 0 every notebook succeeded, 1 a notebook failed or the data have errors,
2 bad options or notebook parameters (found before any kernel starts), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys

from evalkit.cli._help import description_text, help_text
from evalkit.run import run_study
from evalkit.run.runner import DEFAULT_TIMEOUT

NAME = "run"


def add_run_options(parser: argparse.ArgumentParser, lang: str = "en") -> None:
    """The options ``evalkit run`` and ``evalkit demo`` share, their help in ``lang``."""

    def say(key: str, **params: object) -> str:
        return help_text(f"cli.run.{key}", lang, **params)

    parser.add_argument("--out", default="reports", metavar="FOLDER", help=say("out"))
    parser.add_argument("--sites", metavar="A,B", help=say("sites"))
    parser.add_argument("--only", metavar="NB,...", help=say("only"))
    parser.add_argument("--jobs", type=int, metavar="N", help=say("jobs"))
    parser.add_argument("--lang", dest="report_lang", choices=("fr", "en", "all"), default="all",
                        help=say("lang"))
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help=say("executor"))
    parser.add_argument("--scheduler", metavar="ADDR", help=say("scheduler"))
    parser.add_argument("--resume", metavar="RUN_ID", help=say("resume"))
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=say("timeout", default=DEFAULT_TIMEOUT))
    parser.add_argument("--quiet", action="store_true", help=say("quiet"))
    parser.add_argument("--notebooks", metavar="FOLDER", help=say("notebooks"))


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:
    parser = subparsers.add_parser(
        NAME, help=help_text("cli.run.help", lang),
        description=description_text("cli.run.description", lang))
    parser.add_argument("study", help=help_text("cli.run.study", lang))
    add_run_options(parser, lang)
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
