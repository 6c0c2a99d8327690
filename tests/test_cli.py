import pytest


def test_version_and_help(cli):
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("evalkit ")


def test_no_command_is_a_usage_error(cli):
    result = cli()
    assert result.returncode == 2
    assert "usage: evalkit" in result.stderr


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.returncode == 2


def test_a_command_imports_its_own_module_only():
    # Every command's module imports pandas and more: the command typed is the only one
    # loaded, and each module is named as it is typed.
    import importlib
    import subprocess
    import sys

    from evalkit.cli import COMMANDS, command_name

    for module in COMMANDS:
        assert importlib.import_module(f"evalkit.cli.{module}").NAME == command_name(module)
    code = ("import sys\nfrom evalkit.cli import main\nsys.argv = ['evalkit']\n"
            "try:\n    main(['keygen', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('evalkit.cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "['evalkit.cli._help', 'evalkit.cli.keygen']"


# --- help in both languages


def _subcommands(parser):
    """The subcommand parsers of ``parser``, by name."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _helps(parser):
    return [action.help for action in parser._actions if action.help != "==SUPPRESS=="]


def test_every_command_has_its_help_in_french_and_in_english():
    from evalkit.cli import build_parser

    parsers = {lang: build_parser(lang) for lang in ("fr", "en")}
    assert parsers["fr"].format_help() != parsers["en"].format_help()
    commands = {lang: _subcommands(parser) for lang, parser in parsers.items()}
    assert set(commands["fr"]) == set(commands["en"]) and len(commands["fr"]) >= 8
    for name in commands["en"]:
        fr, en = commands["fr"][name], commands["en"][name]
        assert fr.description and en.description and fr.description != en.description, name
        fr_helps, en_helps = _helps(fr), _helps(en)
        # Every argument says what it is for, in each language, and differently.
        assert all(fr_helps) and all(en_helps), name
        assert [a == b for a, b in zip(fr_helps, en_helps, strict=True)] == [False] * len(
            en_helps), name
        text = fr.format_help()
        assert text.startswith("utilisation\u00a0: evalkit ") and "options\u00a0:" in text
        assert "show this help" not in text and "usage:" not in text


def test_help_language_follows_the_option_then_the_environment_then_the_locale(cli):
    french = cli("--lang", "fr", "run", "--help")
    assert french.returncode == 0
    assert french.stdout.startswith("utilisation\u00a0: evalkit run")
    assert "dossier des rapports" in french.stdout
    english = cli("run", "--help")  # the tests' environment says EVALKIT_LANG=en
    assert english.stdout.startswith("usage: evalkit run") and "reports folder" in english.stdout
    by_locale = cli("validate", "--help", env={"EVALKIT_LANG": "", "LC_ALL": "",
                                               "LC_MESSAGES": "", "LANG": "fr_CA.UTF-8"})
    assert "dictionnaire de codes" in by_locale.stdout
    # After the command, --lang is run's languages of the reports: the help stays English.
    assert cli("run", "--lang", "fr", "--help").stdout.startswith("usage: evalkit run")


def test_french_usage_error_keeps_french_typography(cli):
    result = cli("--lang", "fr", "frobnicate")
    assert result.returncode == 2
    assert "utilisation\u00a0: evalkit" in result.stderr
    assert "evalkit\u00a0: erreur\u00a0: " in result.stderr


# --- argparse's own error sentences in the language of the messages
USAGE_ERRORS = {
    # kind: (arguments, French sentence, English sentence)
    "unrecognized": (["run", "study.yaml", "--bogus"], "arguments non reconnus\u00a0: --bogus",
                     "unrecognized arguments: --bogus"),
    "required": (["run"], "arguments obligatoires manquants\u00a0: study",
                 "the following arguments are required: study"),
    "invalid choice": (["run", "s", "--executor", "foo"],
                       "argument --executor\u00a0: choix non valide\u00a0: 'foo' (choisir parmi "
                       "'local', 'dask')",
                       "argument --executor: invalid choice: 'foo' (choose from 'local', "
                       "'dask')"),
    "expected one": (["run", "s", "--jobs"],
                     "argument --jobs\u00a0: une valeur est attendue après cette option",
                     "argument --jobs: expected one argument"),
    "invalid int": (["run", "s", "--jobs", "two"],
                    "argument --jobs\u00a0: valeur non valide, un nombre entier est attendu"
                    "\u00a0: 'two'", "argument --jobs: invalid int value: 'two'"),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", list(USAGE_ERRORS))
def test_argparse_errors_are_said_in_the_language_of_the_messages(kind, lang, capsys):
    from evalkit.cli import build_parser

    args, french, english = USAGE_ERRORS[kind]
    with pytest.raises(SystemExit) as stopped:
        build_parser(lang).parse_args(args)
    assert stopped.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    expected = french if lang == "fr" else english
    assert last.endswith(expected), last
    assert last.startswith("evalkit") and ("erreur\u00a0: " if lang == "fr" else "error: ") in last


def test_an_unknown_argparse_sentence_is_kept_as_it_is():
    from evalkit.cli._help import usage_error_text

    assert usage_error_text("argument -x: something new", "fr") == "argument -x: something new"
    assert usage_error_text("argument --jobs: expected 2 arguments", "fr") == \
        "argument --jobs\u00a0: 2 valeurs sont attendues"


def test_a_french_usage_error_from_the_command_line_exits_2(cli):
    result = cli("--lang", "fr", "run", "--bogus")
    assert result.returncode == 2
    assert "arguments obligatoires manquants\u00a0: study" in result.stderr
    assert "required" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("during_interrupt, code", [(True, 130), (False, 0)])
def test_a_pipe_broken_while_stopping_is_an_interrupt_not_a_success(monkeypatch,
                                                                   during_interrupt, code):
    # A pipe that breaks while a run is being stopped (its workers killed) must not turn
    # Ctrl-C into exit 0; a reader of the output that went away (| head) still is exit 0.
    import io
    import sys

    import evalkit.cli.keygen as keygen
    from evalkit.cli import main

    def handler(args):
        if not during_interrupt:
            raise BrokenPipeError
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise BrokenPipeError  # noqa: B904 - raised while handling, as a cleanup would

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(keygen, "run", handler)
    assert main(["keygen"]) == code
    if during_interrupt:
        assert "interrupted / interrompu" in err.getvalue()
