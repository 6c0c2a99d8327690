"""The ``evalkit`` command line: one module per subcommand, errors printed without traceback.

Exit codes: 0 success, 1 problems found in the data or during a run, 2 usage or configuration
errors. ``--debug`` shows the traceback of any error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from evalkit._version import __version__
from evalkit.cli._help import (
    HelpParser,
    cli_language,
    description_text,
    help_language,
    help_text,
)
from evalkit.errors import EvalkitError, os_error
from evalkit.i18n import t

__all__ = ["build_parser", "cli_language", "main"]

#: Subcommand modules of ``evalkit.cli``, in the order ``evalkit --help`` lists them. Each module
#: defines ``NAME``, ``register(subparsers, lang)`` (its help in ``lang``, from the catalogues) and
#: ``run(args) -> int``.
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


def command_name(module: str) -> str:
    """The name a subcommand is typed as (its module's ``NAME``): ``check-disclosure``."""
    return module.replace("_", "-")


def build_parser(lang: str = "en", only: str | None = None) -> argparse.ArgumentParser:
    """The parser of the command line, its help in ``lang``; with ``only`` (a command name),
    that subcommand's alone, so that running one command imports only its module."""
    parser = HelpParser(
        prog="evalkit", lang=lang, description=description_text("cli.help.description", lang),
        epilog=description_text("cli.help.epilog", lang))
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}",
                        help=help_text("cli.help.version", lang))
    parser.add_argument("--debug", action="store_true", help=help_text("cli.help.debug", lang))
    parser.add_argument("--lang", choices=("fr", "en"), default=None,
                        help=help_text("cli.help.lang", lang))
    subparsers = parser.add_subparsers(dest="command", metavar=t("cli.help.command", lang))
    for name in COMMANDS:
        if only is None or command_name(name) == only:
            importlib.import_module(f"evalkit.cli.{name}").register(subparsers, lang)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (also used by ``python -m evalkit``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    names = [command_name(name) for name in COMMANDS]
    # Each subcommand's module imports what it runs on (pandas at least): the one typed is
    # imported alone; the others only to list them (no command, or a mistyped one).
    parser = build_parser(help_language(argv, names),
                          only=next((arg for arg in argv if arg in names), None))
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
    except BrokenPipeError as error:
        if isinstance(error.__context__, KeyboardInterrupt):  # a pipe broken by the stop
            print("\ninterrupted / interrompu", file=sys.stderr)
            return 130
        # output piped into a command that stopped reading (e.g. head)
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
