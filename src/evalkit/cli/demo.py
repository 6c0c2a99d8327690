"""``evalkit demo``: the whole run on the demo study, then the path of its index."""

from __future__ import annotations

import argparse
import sys

from evalkit.cli.run import add_run_options, run_from_args
from evalkit.i18n import t
from evalkit.run.demo import demo_study

NAME = "demo"


def register(subparsers: argparse._SubParsersAction) -> None:

    parser = subparsers.add_parser(
        NAME, help="run every notebook on the demo study and print the index path",
        description="Run on data_samples/demo (in a source checkout) or on the same demo study "
        "generated next to the reports (same seed, same data).")
    add_run_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    study, generated = demo_study(args.out)
    if generated:
        print(t("runner.demo.generated", args.lang, path=str(study.parent)), file=sys.stderr)
    return run_from_args(str(study), args)
