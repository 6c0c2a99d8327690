"""``evalkit validate STUDY.yaml``: check every data file against the codebook.

Prints a grouped summary (text or JSON), writes every problem to ``validation.csv``, and exits with
0 (clean or warnings only), 1 (errors in the data) or 2 (the study or codebook is malformed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evalkit.i18n import t
from evalkit.validate.study import validate_study

NAME = "validate"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME, help="check a study's data against its codebook",
        description="Read every source of the study, check it against the codebook, and report "
        "every problem (file, row, column, value, rule, message in French and English).",
    )
    parser.add_argument("study", type=Path, help="study.yaml (or the folder that holds it)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="format of the summary printed on standard output")
    parser.add_argument("--out", type=Path, default=Path("validation.csv"),
                        help="where to write the table of problems (default: ./validation.csv)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    report = validate_study(args.study)
    path = report.write_csv(args.out)
    if args.format == "json":
        payload = report.to_json()
        payload["problems_file"] = str(path)
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(report.render_text(args.lang))
        print(t("validation.written", args.lang, path=path))
    return report.exit_code
