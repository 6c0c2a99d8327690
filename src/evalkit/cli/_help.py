"""The help of the command line in the user's language.

Every text ``evalkit --help`` and ``evalkit COMMAND --help`` print comes from the catalogues:
descriptions and argument help (``cli.<command>.*``) and the words argparse itself adds (the
usage prefix, the titles of the argument groups, the help of ``--help``: ``cli.help.*``), with
French typography. argparse's own error sentences (a missing argument, an invalid choice...) are
said again in the same language (``cli.argparse.*``): see :func:`usage_error_text`. The language is chosen before the parser is built, because argparse prints
the help while it parses: see :func:`help_language`.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from evalkit.i18n import t, typography

__all__ = ["HelpParser", "cli_language", "description_text", "help_language", "help_text",
           "usage_error_text"]


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


def help_language(argv: Sequence[str], commands: Sequence[str]) -> str:
    """The language of the help: the ``--lang`` given before the command, else as
    :func:`cli_language`.

    Only the options before the command name count: after it, ``--lang`` of ``evalkit run``
    chooses the languages of the reports, not of the messages.

    Examples
    --------
    >>> help_language(["--lang", "fr", "run", "--help"], ["run"])
    'fr'
    >>> help_language(["--lang=en", "run", "--lang", "fr"], ["run"])
    'en'
    """
    explicit = None
    args = list(argv)
    for i, arg in enumerate(args):
        if arg in commands:
            break
        if arg == "--lang" and i + 1 < len(args):
            explicit = args[i + 1]
        elif arg.startswith("--lang="):
            explicit = arg.split("=", 1)[1]
    return cli_language(explicit)


def help_text(key: str, lang: str, /, **params: Any) -> str:
    """The catalogue text ``key`` as argparse prints it: French typography, ``%`` doubled
    (argparse formats help strings with ``%``).

    Examples
    --------
    >>> help_text("cli.run.timeout", "fr", default=600).endswith("0\\u00a0: aucune)")
    True
    """
    return typography(t(key, lang, **params), lang).replace("%", "%%")


def description_text(key: str, lang: str, /) -> str:
    """The catalogue text ``key`` for a description or an epilog (printed as is)."""
    return typography(t(key, lang), lang)


#: argparse's error sentences (Python 3.10 to 3.13, without the ``argument X:`` prefix), each with
#: its catalogue key: the values they quote are taken from the sentence as argparse wrote it.
_ARGPARSE_ERRORS = tuple((key, re.compile(pattern)) for key, pattern in (
    ("cli.argparse.unrecognized", r"unrecognized arguments: (?P<args>.+)"),
    ("cli.argparse.required", r"the following arguments are required: (?P<args>.+)"),
    ("cli.argparse.one_required", r"one of the arguments (?P<args>.+) is required"),
    ("cli.argparse.expected_one", r"expected one argument"),
    ("cli.argparse.expected_at_most_one", r"expected at most one argument"),
    ("cli.argparse.expected_at_least_one", r"expected at least one argument"),
    ("cli.argparse.expected_n", r"expected (?P<n>\d+) arguments?"),
    ("cli.argparse.invalid_value", r"invalid (?P<type>\w+) value: (?P<value>.+)"),
    ("cli.argparse.invalid_choice",
     r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)"),
    ("cli.argparse.not_allowed", r"not allowed with argument (?P<other>.+)"),
    ("cli.argparse.ignored_explicit", r"ignored explicit argument (?P<value>.+)"),
    ("cli.argparse.ambiguous", r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)"),
    ("cli.argparse.cannot_open", r"can't open '(?P<filename>.*)': (?P<error>.+)"),
))
_ARGUMENT = re.compile(r"argument (?P<argument>.+?): (?P<message>.+)", re.DOTALL)
#: Types whose name argparse puts in "invalid int value": said in words.
_TYPES = ("int", "float")


def usage_error_text(message: str, lang: str) -> str:
    """argparse's error sentence ``message`` said in ``lang`` from the catalogues, with the
    values it quotes kept as they are; a sentence it does not know is left as it is.

    Examples
    --------
    >>> usage_error_text("argument --jobs: invalid int value: 'two'", "fr")
    "argument --jobs\u00a0: valeur non valide, un nombre entier est attendu\u00a0: 'two'"
    >>> usage_error_text("the following arguments are required: study", "en")
    'the following arguments are required: study'
    """
    argument = _ARGUMENT.fullmatch(message)
    said = _sentence(argument["message"] if argument else message, lang)
    if said is None:
        return message
    if argument:
        said = t("cli.argparse.argument", lang, argument=argument["argument"], message=said)
    return typography(said, lang)


def _sentence(message: str, lang: str) -> str | None:
    for key, pattern in _ARGPARSE_ERRORS:
        found = pattern.fullmatch(message)
        if found:
            params = found.groupdict()
            if params.get("type") in _TYPES:
                params["type"] = t(f"cli.argparse.type.{params['type']}", lang)
            return t(key, lang, **params)
    return None


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, with the usage prefix of the language."""

    def __init__(self, prog: str, *, lang: str = "en", **kwargs: Any) -> None:
        super().__init__(prog, **kwargs)
        self._lang = lang

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        if prefix is None:
            prefix = typography(t("cli.help.usage", self._lang), self._lang)
        super().add_usage(usage, actions, groups, prefix)


class HelpParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose own words (usage, group titles, ``--help``)
    are in ``lang``; its subcommands' parsers are made in the same language."""

    def __init__(self, *args: Any, lang: str = "en", **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", functools.partial(_Formatter, lang=lang))
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self.lang = lang
        # The two groups argparse makes itself have no public setter for their titles; argparse
        # adds the colon, French sets it apart with a non-breaking space.
        space = "\u00a0" if lang == "fr" else ""
        self._positionals.title = t("cli.help.positionals", lang) + space
        self._optionals.title = t("cli.help.options", lang) + space
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help=help_text("cli.help.help", lang))

    def error(self, message: str) -> NoReturn:
        """A usage error: the usage, then the message in the language after its prefix
        (argparse's own sentences, such as an invalid choice, said again from the
        catalogues: :func:`usage_error_text`), exit 2."""
        self.print_usage(sys.stderr)
        prefix = typography(f"{self.prog}: {t('cli.error', self.lang).lower()}: ", self.lang)
        self.exit(2, f"{prefix}{usage_error_text(message, self.lang)}\n")

    def add_subparsers(self, **kwargs: Any) -> argparse._SubParsersAction:
        kwargs.setdefault("parser_class", functools.partial(HelpParser, lang=self.lang))
        return super().add_subparsers(**kwargs)
