"""``evalkit schema``: print the JSON Schema of ``study.yaml`` (or of the codebook)."""

from __future__ import annotations

import argparse
import json
import sys

from evalkit.cli._help import description_text, help_text
from evalkit.config.codebook import Codebook
from evalkit.config.study import study_json_schema

NAME = "schema"


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:
    parser = subparsers.add_parser(
        NAME, help=help_text("cli.schema.help", lang),
        description=description_text("cli.schema.description", lang))
    parser.add_argument("which", nargs="?", choices=("study", "codebook"), default="study",
                        help=help_text("cli.schema.which", lang))
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
