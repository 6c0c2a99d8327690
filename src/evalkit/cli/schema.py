"""``evalkit schema``: print the JSON Schema of ``study.yaml`` (or of the codebook)."""

from __future__ import annotations

import argparse
import json
import sys

from evalkit.config.codebook import Codebook
from evalkit.config.study import study_json_schema

NAME = "schema"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME, help="print the JSON Schema of study.yaml or of the codebook",
        description="Print a JSON Schema that editors (VS Code, JupyterLab) use to complete and "
        "check study.yaml as you type.",
    )
    parser.add_argument("which", nargs="?", choices=("study", "codebook"), default="study")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    if args.which == "study":
        schema = study_json_schema()
    else:
        schema = Codebook.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "evalkit codebook"
    json.dump(schema, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0
