"""The ``evalkit`` command line: one module per subcommand, errors printed without traceback.

Exit codes: 0 success, 1 problems found in the data or during a run, 2 usage or configuration
errors. ``--debug`` shows the traceback of any error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from evalkit._version import __version__
from evalkit.errors import EvalkitError, os_error
from evalkit.i18n import t

__all__ = ["main"]

#: Subcommand modules of ``evalkit.cli``, in the order ``evalkit --help`` lists them. Each module
#: defines ``NAME``, ``register(subparsers)`` and ``run(args) -> int``.
COMMANDS: tuple[str, ...] = (
    "validate",
    "new",
    "schema",
    "kernel",
    "run",
    "demo",
    "keygen",
    "check_disclosure",
)


def cli_language(explicit: str | None = None) -> str:
    """The language of messages: ``--lang``, then ``EVALKIT_LANG``, then the locale, else English."""
    if explicit in ("fr", "en"):
        return explicit
    env = os.environ.get("EVALKIT_LANG", "")
    if env in ("fr", "en"):
        return env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalkit",
        description="Evaluation workbench for personalised, community-based social services. "
        "Atelier d'évaluation des services sociaux personnalisés et communautaires.",
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--lang", choices=("fr", "en"), default=None,
                        help="language of messages (default: EVALKIT_LANG, then the locale)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"evalkit.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (also used by ``python -m evalkit``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.lang = cli_language(args.lang)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.handler(args) or 0)
    except EvalkitError as error:
        if args.debug:
            raise
        print(error.render(args.lang), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\ninterrupted / interrompu", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stderr.close()
        return 0
    except OSError as error:  # a full disk, a read-only folder: said plainly, with what to do
        if args.debug:
            raise
        said = os_error(error)
        print(said.render(args.lang), file=sys.stderr)
        return said.exit_code
    except Exception as error:  # a bug: say so briefly, the traceback is one flag away
        if args.debug:
            raise

        print(t("cli.unexpected", args.lang, kind=type(error).__name__, message=error),
              file=sys.stderr)
        print(t("cli.debug_hint", args.lang), file=sys.stderr)
        return 1
