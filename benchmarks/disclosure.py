"""Time disclosure control and the attacker's audit of a whole run at scale.

Run from the repository root: ``python -m benchmarks.disclosure`` (20, 50, 100 and 200 sites ×
1,000 respondents × 2 waves) or ``python -m benchmarks.disclosure 20 50 --per-site 200``. For
each size, a generated study (:func:`evalkit.datasets.make_demo_study`) is prepared and its
results computed (not counted); then the released tables are protected jointly
(:func:`evalkit.release.protect.protect_tables`) and attacked
(:func:`evalkit.release.audit.audit_tables`). Target: control plus audit of 200 sites × 1,000
respondents under 30 s on 2 cores.

Both the elapsed time and the processor time of this process are printed: on a machine shared
with other work, the elapsed time also counts the time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings

N_SITES, N_PER_SITE, WAVES = (20, 50, 100, 200), 1000, 2
TARGET = 30.0


def measure(n_sites: int, n_per_site: int) -> dict[str, float]:
    """Control and audit of one generated run: times, cells, hidden cells, disclosed."""
    from evalkit import load_study, prepare_study
    from evalkit.analyse.compute import compute_results
    from evalkit.datasets import make_demo_study
    from evalkit.release.audit import audit_tables
    from evalkit.release.protect import protect_tables, suppression_rates

    start = time.perf_counter()
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
          f"{time.perf_counter() - start:.0f} s (not counted)", flush=True)
    out: dict[str, float] = {"sites": n_sites, "per_site": n_per_site}
    wall, cpu = time.perf_counter(), time.process_time()
    released = protect_tables(tables, policy=policy, study=parameters)
    out["control"], out["control_cpu"] = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    audit = audit_tables(released, policy=policy, study=parameters)
    out["audit"], out["audit_cpu"] = time.perf_counter() - wall, time.process_time() - cpu
    loss = suppression_rates(released, study=parameters)
    out["cells"] = sum(v["cells"] for v in loss.values())
    out["hidden"] = sum(v["hidden"] for v in loss.values())
    out["disclosed"] = int(audit["disclosed"].sum())
    total = out["control"] + out["audit"]
    print(f"  control {out['control']:6.1f} s ({out['control_cpu']:.1f} s processor), audit "
          f"{out['audit']:6.1f} s ({out['audit_cpu']:.1f} s processor); "
          f"{out['hidden']:,} of {out['cells']:,} counts of people hidden "
          f"({out['hidden'] / max(out['cells'], 1):.1%}), {out['disclosed']} disclosed; "
          f"control + audit {total:.1f} s = {total / TARGET:.2f} × the {TARGET:.0f} s target",
          flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.disclosure",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="*", type=int, default=list(N_SITES),
                        help="numbers of sites (default: 20 50 100 200)")
    parser.add_argument("--per-site", type=int, default=N_PER_SITE,
                        help="respondents per site (default: 1000)")
    args = parser.parse_args(argv)
    rows = [measure(n, args.per_site) for n in args.sites]
    print(f"\n{'sites':>5} {'resp./site':>10} {'cells':>7} {'hidden':>7} {'loss':>6} "
          f"{'control s':>9} {'audit s':>8} {'total s':>8} {'cpu s':>6} {'/ target':>8} "
          f"{'disclosed':>9}")
    for r in rows:
        total = r["control"] + r["audit"]
        print(f"{r['sites']:>5} {r['per_site']:>10} {r['cells']:>7,} {r['hidden']:>7,} "
              f"{r['hidden'] / max(r['cells'], 1):>6.1%} {r['control']:>9.1f} "
              f"{r['audit']:>8.1f} {total:>8.1f} {r['control_cpu'] + r['audit_cpu']:>6.1f} "
              f"{total / TARGET:>8.2f} {r['disclosed']:>9}")
    largest = rows[-1]
    ok = (largest["control"] + largest["audit"] < TARGET
          and not any(r["disclosed"] for r in rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
