"""Time reading a large French-Excel CSV export: ``python -m benchmarks.read_csv``.

Generates a 200,000-row × 50-column survey file as French Excel saves it (Windows-1252, ``;``
delimiter, decimal comma) in a temporary folder, then times :func:`evalkit.read.read_source` and
:func:`evalkit.read.parse_numbers` on its numeric columns. The whole validation of such a file must
take under 10 s, so reading should take well under half of that.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.read import parse_numbers, read_source

SITES = ["Estrie", "Montréal-Centre", "Québec–Capitale", "Laval", "Gaspésie", "Saguenay"]
GROUPS = ["usager", "proche aidant", "intervenant"]
COMMENTS = [
    "Très satisfait de l’accompagnement.",
    "On m’a écouté, mais rien n’a changé ; « consultation » seulement.",
    "Les rencontres à domicile étaient précieuses, merci à l’équipe !",
    "Délais trop longs ; accès difficile en région.",
    "",
    "Je me suis senti respecté, surtout par l’intervenante.",
    "Cœur de l’équipe : écoute et suivi.",
]


def make_survey(n_rows: int, seed: int = 20261122) -> pd.DataFrame:
    """A synthetic survey of 50 columns: ids, categories, Likert 1-5 with 8/9, decimals, text."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "respondent_id": [f"R{i:07d}" for i in range(1, n_rows + 1)],
        "site": rng.choice(SITES, n_rows),
        "respondent_type": rng.choice(GROUPS, n_rows),
        "wave": rng.integers(1, 4, n_rows),
    }
    for j in range(1, 31):  # Likert items, with "don't know" (8) and "refused" (9)
        values = rng.integers(1, 6, n_rows).astype(float)
        values[rng.random(n_rows) < 0.04] = 8
        values[rng.random(n_rows) < 0.02] = 9
        values[rng.random(n_rows) < 0.03] = np.nan
        columns[f"q{j:02d}"] = pd.array(values, dtype="Int64")
    for j in range(1, 12):  # measurements with a decimal comma
        values = np.round(rng.normal(50, 15, n_rows), 2)
        values[rng.random(n_rows) < 0.02] = np.nan
        columns[f"mesure_{j:02d}"] = values
    columns["revenu"] = np.round(rng.lognormal(10, 0.6, n_rows), 2)
    columns["age"] = rng.integers(18, 99, n_rows)
    columns["heures"] = np.round(rng.gamma(2, 3, n_rows), 1)
    columns["nb_rencontres"] = rng.poisson(6, n_rows)
    columns["commentaire"] = rng.choice(COMMENTS, n_rows)
    return pd.DataFrame(columns)


def write_french_excel_csv(frame: pd.DataFrame, path: Path) -> None:
    """Save as French Excel does: Windows-1252, ``;``, decimal comma, CRLF line ends."""
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252", lineterminator="\r\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = parser.parse_args(argv)

    frame = make_survey(args.rows)
    numeric = [c for c in frame.columns if c.startswith(("q", "mesure_"))]
    numeric += ["wave", "revenu", "age", "heures", "nb_rencontres"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "enquete.csv"
        start = time.perf_counter()
        write_french_excel_csv(frame, path)
        generated = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6

        read_times, parse_times = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            source = read_source(path)
            read_times.append(time.perf_counter() - start)
            p = source.provenance
            start = time.perf_counter()
            failures = 0
            for column in numeric:
                _, failed = parse_numbers(source.data[column], decimal=p.decimal,
                                          thousands=p.thousands)
                failures += int(failed.sum())
            parse_times.append(time.perf_counter() - start)

    print(f"file: {args.rows:,} rows × {frame.shape[1]} columns, {size_mb:.1f} MB "
          f"(generated in {generated:.1f} s)")
    print(f"detected: encoding={p.encoding} delimiter={p.delimiter!r} decimal={p.decimal!r} "
          f"thousands={p.thousands!r}")
    print(f"read_source:   {min(read_times):.2f} s (best of {args.repeat})")
    print(f"parse_numbers: {min(parse_times):.2f} s for {len(numeric)} numeric columns "
          f"({failures} cells not numbers)")
    print(f"total:         {min(read_times) + min(parse_times):.2f} s")


if __name__ == "__main__":
    main()
