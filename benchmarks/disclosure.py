"""Time disclosure control and the attacker's audit of a whole run at scale.

Run from the repository root: ``python -m benchmarks.disclosure``. A generated study of
200 sites × 1,000 respondents × 2 waves (:func:`evalkit.datasets.make_demo_study`) is prepared
and its results computed (not counted); then the released tables are protected jointly
(:func:`evalkit.release.protect.protect_tables`) and attacked
(:func:`evalkit.release.audit.audit_tables`). Target: control plus audit under 30 s on 2 cores.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from time import perf_counter

from benchmarks._timing import Stopwatch
from evalkit import load_study, prepare_study
from evalkit.analyse.compute import compute_results
from evalkit.datasets import make_demo_study
from evalkit.release.audit import audit_tables
from evalkit.release.protect import protect_tables, suppression_rates

N_SITES, N_PER_SITE, WAVES = 200, 1000, 2
TARGET = 30.0


def main(n_sites: int = N_SITES, n_per_site: int = N_PER_SITE) -> int:
    start = perf_counter()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = load_study(make_demo_study(folder, n_sites=n_sites, n_per_site=n_per_site,
                                           waves=WAVES, formats="plain"))
        results = compute_results(prepare_study(study), seed=1, n_boot=0)
    tables = {name: table.frame for name, table in results.items() if table.release}
    parameters = results.meta.get("study_parameters") or {}
    policy = study.privacy
    print(f"{n_sites} sites × {n_per_site} respondents × {WAVES} waves: {len(tables)} released "
          f"tables, {sum(len(f) for f in tables.values()):,} rows, computed in "
          f"{perf_counter() - start:.0f} s (not counted)")
    watch = Stopwatch()
    with watch("disclosure control (primary + joint secondary)"):
        released = protect_tables(tables, policy=policy, study=parameters)
    with watch("audit (feasible interval of every hidden count)"):
        audit = audit_tables(released, policy=policy, study=parameters)
    total = sum(watch.times.values())
    loss = suppression_rates(released, study=parameters)
    hidden = sum(v["hidden"] for v in loss.values())
    cells = sum(v["cells"] for v in loss.values())
    print(f"  hidden counts of people: {hidden:,} of {cells:,} cells "
          f"({hidden / max(cells, 1):.1%}); disclosed after control: "
          f"{int(audit['disclosed'].sum())}")
    print(f"  control + audit: {total:.1f} s (target < {TARGET:.0f} s)")
    return 0 if total < TARGET and not audit["disclosed"].any() else 1


if __name__ == "__main__":
    sys.exit(main(*map(int, sys.argv[1:3])))
