"""``evalkit keygen``: make a new pseudonymisation key (printed, or written to a private file)."""

from __future__ import annotations

import argparse
import sys

from evalkit.i18n import t
from evalkit.prepare.keys import generate_key, write_key_file

NAME = "keygen"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME, help="make a new pseudonymisation key",
        description="Make a new 256-bit pseudonymisation key. With --out, write it to a file "
        "readable by you only (never overwritten, never inside a study folder); without, print "
        "it, e.g. for: export EVALKIT_KEY=$(evalkit keygen).",
    )
    parser.add_argument("--out", metavar="FILE", default=None,
                        help="write the key to FILE (permissions 0600) instead of printing it")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    if args.out is None:
        print(generate_key())
        return 0
    path = write_key_file(args.out)
    print(t("privacy.keygen_written", args.lang, path=str(path)), file=sys.stderr)
    return 0
