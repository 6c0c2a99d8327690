"""``evalkit check-disclosure RUN_DIR``: the release check of a run (exit 1 when anything is found).

With ``--study``, the identifiers searched are the raw values of the study's identifying columns,
its listed names and its key; the result is recorded in the run's ``manifest.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from evalkit._checks import check_int
from evalkit.cli._help import description_text, help_text
from evalkit.config.study import load_study
from evalkit.i18n import t
from evalkit.prepare.keys import DemoKeyWarning, load_key
from evalkit.release._parallel import usable_jobs
from evalkit.release.disclosure import check_disclosure, scan_summary
from evalkit.validate.study import validate_study

NAME = "check-disclosure"
#: Processes that read the files by default (at most the cores there are), as ``evalkit run``.
DEFAULT_JOBS = 2


def register(subparsers: argparse._SubParsersAction, lang: str = "en") -> None:
    parser = subparsers.add_parser(
        NAME, help=help_text("cli.check_disclosure.help", lang),
        description=description_text("cli.check_disclosure.description", lang))
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help=help_text("cli.check_disclosure.run_dir", lang))
    parser.add_argument("--study", metavar="STUDY.yaml", default=None,
                        help=help_text("cli.check_disclosure.study", lang))
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help=help_text("cli.check_disclosure.format", lang))
    parser.add_argument("--jobs", type=int, metavar="N", default=None,
                        help=help_text("cli.check_disclosure.jobs", lang))
    parser.set_defaults(handler=run)


def study_inputs(study_file: str) -> dict[str, Any]:
    """Identifiers (raw values of identifying columns), names, key and policy of a study."""

    study = load_study(study_file)
    key = load_key(study)
    report = validate_study(study)
    columns = list(dict.fromkeys([*report.codebook.identifying(), *study.privacy.pseudonymise]))
    responses = report.responses
    identifiers: list[Any] = []
    for column in columns:
        if column in responses:
            identifiers += responses[column].dropna().unique().tolist()
    return {"identifiers": identifiers, "names": list(study.privacy.names),
            "key": key, "policy": study.privacy, "machine_paths": [str(study.root.resolve())]}


def run(args: argparse.Namespace) -> int:

    inputs: dict[str, Any] = {}
    if args.study:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DemoKeyWarning)
            inputs = study_inputs(args.study)
        if any(issubclass(w.category, DemoKeyWarning) for w in caught):
            print(t("privacy.demo_key", args.lang), file=sys.stderr)
    jobs = check_int(args.jobs, "jobs", minimum=1) if args.jobs is not None else \
        usable_jobs(DEFAULT_JOBS)
    findings = check_disclosure(Path(args.run_dir), jobs=jobs, **inputs)
    n_files = findings.attrs.get("scanned_files", 0)
    if args.format == "json":
        result = scan_summary(findings, scanned_files=n_files)
        result["findings"] = findings.to_dict("records")
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(t("privacy.scan.header", args.lang, path=args.run_dir, files=n_files))
        for row in findings.itertuples(index=False):
            kind = t(f"privacy.kind.{row.kind}", args.lang)
            print(f"  {row.file}  {row.place}  {kind}  {row.excerpt}".rstrip())
        if len(findings):
            print(t("privacy.scan.found", args.lang, n=len(findings)))
        elif findings.attrs.get("bundle"):
            print(t("privacy.scan.clean_bundle", args.lang, name=findings.attrs["bundle"]))
        else:
            print(t("privacy.scan.clean", args.lang))
    return 1 if len(findings) else 0
