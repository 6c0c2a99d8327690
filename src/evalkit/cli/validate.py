"""``evalkit validate STUDY.yaml``: check every data file against the codebook, and what a run
needs besides (the pseudonymisation key, the scales' instruments).

Prints a grouped summary (text or JSON), writes every problem to ``validation.csv``, and exits with
0 (clean or warnings only), 1 (errors in the data) or 2 (the study or codebook is malformed, or a
run would stop for a configuration reason such as a missing key).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evalkit.cli._help import description_text, help_text
from evalkit.config._model import StudyConfigError
from evalkit.i18n import t
from evalkit.prepare.ready import run_problems
from evalkit.validate.study import validate_study

NAME = "validate"


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:
    parser = subparsers.add_parser(
        NAME, help=help_text("cli.validate.help", lang),
        description=description_text("cli.validate.description", lang))
    parser.add_argument("study", type=Path, help=help_text("cli.validate.study", lang))
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help=help_text("cli.validate.format", lang))
    parser.add_argument("--out", type=Path, default=Path("validation.csv"),
                        help=help_text("cli.validate.out", lang))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    report = validate_study(args.study)
    path = report.write_csv(args.out)
    # What `evalkit run` would stop for besides the data: reported after them, exit 2.
    blocking = run_problems(report.study)
    if args.format == "json":
        payload = report.to_json()
        payload["problems_file"] = str(path)
        payload["run_problems"] = [{"key": p.key, "line": p.line, "message_en": p.message_en,
                                    "message_fr": p.message_fr} for p in blocking]
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(report.render_text(args.lang))
        print(t("validation.written", args.lang, path=path))
    if blocking:
        raise StudyConfigError(blocking)
    return report.exit_code
