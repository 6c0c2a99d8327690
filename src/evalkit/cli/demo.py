"""``evalkit demo``: the whole run on the demo study, then the path of its index."""

from __future__ import annotations

import argparse
import sys

from evalkit.cli._help import description_text, help_text
from evalkit.cli.run import add_run_options, run_from_args
from evalkit.i18n import t
from evalkit.run.demo import demo_study

NAME = "demo"


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:

    parser = subparsers.add_parser(
        NAME, help=help_text("cli.demo.help", lang),
        description=description_text("cli.demo.description", lang))
    add_run_options(parser, lang)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    study, generated = demo_study(args.out)
    if generated:
        print(t("runner.demo.generated", args.lang, path=str(study.parent)), file=sys.stderr)
    return run_from_args(str(study), args)
