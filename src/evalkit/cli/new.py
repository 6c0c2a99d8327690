"""``evalkit new DIR``: a commented study folder that validates, to edit into your own."""

from __future__ import annotations

import argparse
import re
import shutil
import unicodedata
from importlib import resources
from pathlib import Path

from evalkit.errors import ConfigError
from evalkit.i18n import t

NAME = "new"


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()
    return slug[:64] or "my-study"


def new_study(directory: str | Path) -> Path:
    """Write the commented template study into ``directory`` (which must not hold files)."""
    target = Path(directory)
    if target.exists() and any(target.iterdir()):
        raise ConfigError.from_catalogue("study.new_not_empty", where=str(target))
    template = resources.files("evalkit.config") / "templates" / "new"
    with resources.as_file(template) as source:
        shutil.copytree(source, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    study_file = target / "study.yaml"
    text = study_file.read_text(encoding="utf-8")
    study_file.write_text(text.replace("study: mon-etude", f"study: {_slug(target.name)}", 1),
                          encoding="utf-8")
    return study_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        NAME, help="write a commented template study folder",
        description="Write study.yaml, a codebook and small example data files into DIR.",
    )
    parser.add_argument("directory", type=Path)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    path = new_study(args.directory)
    print(t("study.new_written", args.lang, path=path))
    return 0
