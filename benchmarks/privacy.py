"""Time the privacy steps at scale: pseudonyms, scrubbing, complementary suppression.

Run from the repository root: ``python -m benchmarks.privacy``. Targets: 1,000,000 pseudonyms in
a few seconds; 100,000 comments scrubbed in under a minute; a 20 × 20 table with margins
protected (suppression and LP audit) in a few seconds.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from evalkit import DisclosurePolicy, pseudonymise, scrub_texts, suppress_table

REPEATS = 3
SENTENCES = [
    "On me demande souvent mon avis, mais je ne vois pas ce que ça change.",
    "Merci à Émilie Tremblay, appelez-la au 819-555-0142 poste 221.",
    "Pour me joindre : emilie.tremblay@example.org ou (873) 555-0199.",
    "J'habite au J1H 5N4, c'est loin du point de service.",
    "Les délais sont longs avant d'avoir une réponse (2025-03-14, 1 234,50 $).",
]
NAMES = [f"{first} {last}" for first in ("Émilie", "Gaétan", "Josée", "Benoît", "Hélène")
         for last in ("Tremblay", "Gagnon", "Côté", "Bouchard", "Lévesque", "Morin")]


def timed(function, *args, **kwargs) -> tuple[float, float]:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        function(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def main() -> None:
    ids = pd.Series([f"S{i % 12:02d}-{i:07d}" for i in range(1_000_000)])
    best, median = timed(pseudonymise, ids, key=bytes(range(32)))
    print(f"pseudonymise 1,000,000 IDs: best {best:.2f} s, median {median:.2f} s")

    rng = np.random.default_rng(20261122)
    comments = pd.Series(rng.choice(SENTENCES, size=100_000))
    best, median = timed(scrub_texts, comments, lang="fr", names=NAMES)
    print(f"scrub_texts 100,000 comments, {len(NAMES)} names: best {best:.2f} s, "
          f"median {median:.2f} s")

    inner = rng.choice([1, 2, 3, 8, 15, 40, 120], size=(20, 20),
                       p=[0.02, 0.02, 0.02, 0.19, 0.3, 0.3, 0.15])
    table = np.vstack([inner, inner.sum(axis=0)])
    table = pd.DataFrame(np.hstack([table, table.sum(axis=1, keepdims=True)]))
    best, median = timed(suppress_table, table, policy=DisclosurePolicy())
    hidden = suppress_table(table, policy=DisclosurePolicy()).iloc[:, :21].isna().sum().sum()
    primary = int(((table > 0) & (table < 5)).sum().sum())
    print(f"suppress_table 20 × 20 with margins ({primary} small cells, {hidden} suppressed): "
          f"best {best:.2f} s, median {median:.2f} s")


if __name__ == "__main__":
    main()
