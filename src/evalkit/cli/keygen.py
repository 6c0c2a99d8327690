"""``evalkit keygen``: make a new pseudonymisation key (printed, or written to a private file)."""

from __future__ import annotations

import argparse
import sys

from evalkit.cli._help import description_text, help_text
from evalkit.i18n import t
from evalkit.prepare.keys import generate_key, write_key_file

NAME = "keygen"


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:
    parser = subparsers.add_parser(
        NAME, help=help_text("cli.keygen.help", lang),
        description=description_text("cli.keygen.description", lang))
    parser.add_argument("--out", metavar="FILE", default=None,
                        help=help_text("cli.keygen.out", lang))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    if args.out is None:
        print(generate_key())
        return 0
    path = write_key_file(args.out)
    print(t("privacy.keygen_written", args.lang, path=str(path)), file=sys.stderr)
    return 0
