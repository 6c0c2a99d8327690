"""``evalkit kernel install``: the Jupyter kernel that runs evalkit's notebooks.

The kernelspec is installed into the environment itself (``sys.prefix``) and points at the
interpreter that runs evalkit, so that a user-wide ``python3`` kernelspec pointing to another
Python is never used by a run.
"""

from __future__ import annotations

import argparse

from evalkit.cli._help import description_text, help_text
from evalkit.run.kernel import install_kernel

NAME = "kernel"


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:
    parser = subparsers.add_parser(
        NAME, help=help_text("cli.kernel.help", lang),
        description=description_text("cli.kernel.description", lang))
    parser.add_argument("action", choices=("install",), help=help_text("cli.kernel.action", lang))
    parser.add_argument("--quiet", action="store_true", help=help_text("cli.kernel.quiet", lang))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    install_kernel(quiet=args.quiet)
    return 0
