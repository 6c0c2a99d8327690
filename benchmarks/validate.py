"""Validation speed: a 200,000-row × 50-column French-Excel survey checked against its codebook.

Target: under 10 s on a 2-core machine. Run: ``python -m benchmarks.validate [--rows N]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

N_LIKERT = 40
N_NUMBER = 5


def _bi(text: str) -> dict[str, str]:
    return {"fr": text, "en": text}


def write_study(folder: Path, rows: int, seed: int = 1) -> Path:
    """A one-wave study of ``rows`` rows: id, site, wave, group, 40 Likert items with 8/9 codes,
    5 numbers with decimal commas, a date and a free-text column (50 columns)."""
    gen = np.random.default_rng(seed)
    sites = [f"S{i:03d}" for i in range(200)]
    data = {
        "respondent_id": [f"R{i:07d}" for i in range(rows)],
        "site": gen.choice(sites, rows),
        "wave": np.ones(rows, dtype=int),
        "respondent_type": gen.choice(["user", "carer", "staff"], rows),
    }
    for j in range(N_LIKERT):
        values = gen.integers(1, 6, rows)
        codes = gen.random(rows)
        values[codes < 0.02] = 8
        values[(codes >= 0.02) & (codes < 0.03)] = 9
        data[f"q{j + 1:02d}"] = values
    for j in range(N_NUMBER):
        data[f"x{j + 1}"] = np.round(gen.gamma(2.0, 3.0, rows), 1)
    data["response_date"] = pd.Timestamp("2025-03-01") + pd.to_timedelta(
        gen.integers(0, 90, rows), unit="D")
    data["comment"] = np.where(gen.random(rows) < 0.2, "Très bon accueil, merci à l'équipe.", "")
    frame = pd.DataFrame(data)
    # A few planted problems so the report is not empty.
    frame.loc[gen.choice(rows, 50, replace=False), "q01"] = 7
    frame.to_csv(folder / "survey.csv", sep=";", decimal=",", index=False, encoding="cp1252",
                 lineterminator="\r\n", date_format="%d/%m/%Y")
    missing = {8: _bi("Ne sait pas"), 9: _bi("Refus")}
    variables = {
        "respondent_id": {"type": "id", "label": _bi("Identifiant"), "identifying": True},
        "site": {"type": "category", "label": _bi("Site"), "values": {s: _bi(s) for s in sites}},
        "wave": {"type": "category", "label": _bi("Temps"), "values": {1: _bi("1")}},
        "respondent_type": {"type": "category", "label": _bi("Type"),
                            "values": {g: _bi(g) for g in ("user", "carer", "staff")}},
    }
    for j in range(N_LIKERT):
        variables[f"q{j + 1:02d}"] = {"type": "likert", "label": _bi(f"Item {j + 1}"),
                                      "values": "agree5", "missing": missing}
    for j in range(N_NUMBER):
        variables[f"x{j + 1}"] = {"type": "number", "label": _bi(f"Nombre {j + 1}"),
                                  "range": [0, 1000]}
    variables["response_date"] = {"type": "date", "label": _bi("Date")}
    variables["comment"] = {"type": "text", "label": _bi("Commentaire"), "required": False}
    codebook = {"value_sets": {"agree5": {k: _bi(str(k)) for k in range(1, 6)}},
                "variables": variables}
    (folder / "codebook.yaml").write_text(yaml.safe_dump(codebook, allow_unicode=True),
                                          encoding="utf-8")
    study = {"study": "bench", "title": _bi("Banc d'essai"), "codebook": "codebook.yaml",
             "sources": {"survey": [{"path": "survey.csv"}]},
             "roles": {"id": "respondent_id", "site": "site", "wave": "wave",
                       "group": "respondent_type"}}
    (folder / "study.yaml").write_text(yaml.safe_dump(study, allow_unicode=True),
                                       encoding="utf-8")
    return folder / "study.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from evalkit.validate.study import validate_study

    with tempfile.TemporaryDirectory() as tmp:
        study = write_study(Path(tmp), args.rows)
        size = (Path(tmp) / "survey.csv").stat().st_size / 1e6
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = validate_study(study)
            times.append(time.perf_counter() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"validate_study: {args.rows:,} rows x 50 columns ({size:.1f} MB cp1252 CSV): "
          f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
          f"over {args.repeat} runs; {len(report.problems):,} problems found; "
          f"peak RSS {peak:.0f} MB (target: under 10 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
