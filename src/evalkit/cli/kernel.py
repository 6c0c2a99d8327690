"""``evalkit kernel install``: the Jupyter kernel that runs evalkit's notebooks.

The kernelspec is installed into the environment itself (``sys.prefix``) and points at the
interpreter that runs evalkit, so that a user-wide ``python3`` kernelspec pointing to another
Python is never used by a run.
"""

from __future__ import annotations

import argparse

from evalkit.run.kernel import install_kernel

NAME = "kernel"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME, help="install the Jupyter kernel evalkit's notebooks run on",
        description="Install the 'evalkit' kernelspec into this environment.",
    )
    parser.add_argument("action", choices=("install",))
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    install_kernel(quiet=args.quiet)
    return 0
