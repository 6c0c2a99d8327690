"""``evalkit kernel install``: the Jupyter kernel that runs evalkit's notebooks.

The kernelspec is installed into the environment itself (``sys.prefix``) and points at the
interpreter that runs evalkit, so that a user-wide ``python3`` kernelspec pointing to another
Python is never used by a run.
"""

from __future__ import annotations

import argparse
import sys

NAME = "kernel"
#: The kernel name notebooks and runs use.
KERNEL_NAME = "evalkit"


def install_kernel(*, prefix: str | None = None, quiet: bool = False) -> str:
    """Install (or refresh) the ``evalkit`` kernelspec under ``prefix`` (default ``sys.prefix``)."""
    from ipykernel.kernelspec import install

    path = install(
        kernel_name=KERNEL_NAME,
        display_name=f"Python 3 (evalkit, {sys.version_info.major}.{sys.version_info.minor})",
        prefix=prefix or sys.prefix,
    )
    if not quiet:
        print(path)
    return path


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
