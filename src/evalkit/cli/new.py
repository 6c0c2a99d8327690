"""``evalkit new DIR``: a commented study folder that validates, to edit into your own; with
``--from FILE...``, a study drafted from the data files and data dictionaries given."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from evalkit._files import atomic_write
from evalkit.cli._help import description_text, help_text
from evalkit.config.codebook import load_codebook
from evalkit.config.draft import Draft, draft_study
from evalkit.errors import ConfigError
from evalkit.i18n import t
from evalkit.read.sketch import dictionary_kind, read_data_dictionary, sketch_source

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


def draft_new_study(directory: str | Path, files: Sequence[str | Path]) -> tuple[Path, Draft]:
    """Draft ``study.yaml`` and ``codebook.yaml`` in ``directory`` from data files (CSV,
    Qualtrics, XLSX, SPSS, Stata) and data dictionaries (REDCap, a sheet of variables, or a
    codebook in evalkit's spreadsheet form).

    The data files stay where they are (``study.yaml`` names them by relative path) and are
    never written; ``directory`` may exist but must not hold a study already.

    Returns
    -------
    path, draft
        The ``study.yaml`` written and the :class:`~evalkit.config.draft.Draft`.
    """
    target = Path(directory)
    if any((target / name).exists() for name in ("study.yaml", "codebook.yaml")):
        raise ConfigError.from_catalogue("draft.exists", where=str(target))
    data, dictionaries, codebook = [], [], None
    for file in map(Path, files):
        kind = dictionary_kind(file) if file.is_file() else None
        if kind == "evalkit":
            codebook = load_codebook(file)
        elif kind is not None:
            dictionaries.append(read_data_dictionary(file))
        else:
            data.append(file)
    if not data:
        raise ConfigError.from_catalogue("draft.no_data", where="--from")
    sketches = [sketch_source(file) for file in data]
    paths = [_relative(file, target) for file in data]
    draft = draft_study(sketches, paths=paths, study_id=_slug(target.resolve().name),
                        dictionaries=dictionaries, codebook=codebook)
    # Both files or neither: the codebook is written first, study.yaml (what names the study
    # a study) last.
    with atomic_write(target / "codebook.yaml", "w", encoding="utf-8") as handle:
        handle.write(draft.codebook)
    with atomic_write(target / "study.yaml", "w", encoding="utf-8") as handle:
        handle.write(draft.study)
    return target / "study.yaml", draft


def _relative(file: Path, folder: Path) -> str:
    """``file`` as study.yaml in ``folder`` names it: relative where possible."""
    try:
        return Path(os.path.relpath(file.resolve(), folder.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return file.resolve().as_posix()


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:
    parser = subparsers.add_parser(
        NAME, help=help_text("cli.new.help", lang),
        description=description_text("cli.new.description", lang))
    parser.add_argument("directory", type=Path, metavar="DIR",
                        help=help_text("cli.new.directory", lang))
    parser.add_argument("--from", dest="sources", nargs="+", type=Path, metavar="FILE",
                        help=help_text("cli.new.from", lang))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    if args.sources:
        path, draft = draft_new_study(args.directory, args.sources)
        print(t("draft.written", args.lang, n=len(args.sources), path=path))
        for guess in draft.guesses:
            reason = guess.reason_fr if args.lang == "fr" else guess.reason_en
            print(t("draft.guess_line", args.lang, role=guess.role,
                    column=guess.column or "–", reason=reason))
        print(t("draft.next", args.lang, path=path))
        return 0
    path = new_study(args.directory)
    print(t("study.new_written", args.lang, path=path))
    return 0
