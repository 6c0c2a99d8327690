"""Drafting a study from a 200,000-row SPSS file (``evalkit new DIR --from FILE``), then
validating the draft against it.

Target: the draft in under 10 s on a 2-core machine. Run: ``python -m benchmarks.draft
[--rows N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_ITEMS = 30
AGREE = {1.0: "Tout à fait en désaccord", 2.0: "Plutôt en désaccord",
         3.0: "Ni en accord ni en désaccord", 4.0: "Plutôt d'accord",
         5.0: "Tout à fait d'accord", 8.0: "Ne sait pas", 9.0: "Refus"}


def write_sav(path: Path, rows: int, seed: int = 1) -> None:
    """An SPSS file as survey teams export them: a participant number, 40 territories (the file
    sorted by territory), two waves, three respondent types, 30 labelled Likert items with
    user-missing 8 and 9, an age, a date, an e-mail and a free-text comment (38 columns)."""
    import pyreadstat

    gen = np.random.default_rng(seed)
    people = rows // 2
    data = {
        "no_participant": np.tile([f"P{i:06d}" for i in range(people)], 2),
        "territoire": np.tile(np.sort(gen.integers(1, 41, people)), 2).astype(float),
        "temps": np.repeat([1.0, 2.0], people),
        "type_repondant": np.tile(gen.choice([1.0, 2.0, 3.0], people), 2),
    }
    for j in range(1, N_ITEMS + 1):
        answers = gen.integers(1, 6, 2 * people).astype(float)
        codes = gen.random(2 * people)
        answers[codes < 0.02] = 8.0
        answers[(codes >= 0.02) & (codes < 0.03)] = 9.0
        data[f"q{j:02d}"] = answers
    data["age"] = np.tile(gen.integers(18, 95, people), 2).astype(float)
    start = dt.date(2025, 3, 1)
    data["date_reponse"] = [start + dt.timedelta(days=int(d))
                            for d in gen.integers(0, 120, 2 * people)]
    data["courriel"] = np.tile([f"p{i}@exemple.ca" for i in range(people)], 2)
    data["commentaire"] = np.where(gen.random(2 * people) < 0.1,
                                   [f"Commentaire numéro {i}" for i in range(2 * people)], "")
    frame = pd.DataFrame(data)
    labels = {"territoire": {float(k): f"CLSC {k}" for k in range(1, 41)},
              "type_repondant": {1.0: "Usager", 2.0: "Proche", 3.0: "Intervenant"},
              **{f"q{j:02d}": AGREE for j in range(1, N_ITEMS + 1)}}
    pyreadstat.write_sav(frame, path, variable_value_labels=labels,
                         missing_ranges={f"q{j:02d}": [8.0, 9.0] for j in range(1, N_ITEMS + 1)},
                         column_labels={"territoire": "Territoire du CLSC",
                                        "temps": "Temps de mesure",
                                        "type_repondant": "Type de répondant"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from evalkit.cli.new import draft_new_study
    from evalkit.validate.study import validate_study

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "enquete.sav"
        write_sav(data, args.rows)
        size = data.stat().st_size / 1e6
        times = []
        for k in range(args.repeat):
            start = time.perf_counter()
            study_file, draft = draft_new_study(Path(tmp) / f"etude{k}", [data])
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        report = validate_study(study_file)
        validate = time.perf_counter() - start
    print(f"draft (evalkit new --from): {args.rows:,} rows x 38 columns ({size:.1f} MB SPSS): "
          f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s over "
          f"{args.repeat} runs (target: under 10 s); roles {draft.roles}")
    print(f"validate_study of the draft: {validate:.2f} s, {report.n_errors} errors, "
          f"{report.n_warnings} warnings")
    return 0 if report.n_errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
