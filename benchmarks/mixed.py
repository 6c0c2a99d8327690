"""Benchmark: the random-intercept model on 200 sites × 1,000 respondents × 2 waves.

The involvement model (outcome change on baseline rung and tokenism, random intercept per
site) fitted by :func:`evalkit.analyse.models.mixed_model` with the profiled engine (the
default) and with statsmodels ``MixedLM``, side by side in the same run (medians of
``--repeats``); the estimates of both are compared. Target: no slower than ``lme4::lmer`` on
the same data. When ``Rscript`` with lme4 is installed, lmer is fitted in the same run on the
same rows (``benchmarks/mixed_lme4.R``; R's start and reading the file are not timed, nor is
building the change data for the Python engines) and the ratio is printed; otherwise the
benchmark says that R is missing.

Run from the repository root:  python -m benchmarks.mixed [--sites 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pandas as pd

LME4_SCRIPT = Path(__file__).with_name("mixed_lme4.R")


def _lme4(change: pd.DataFrame, folder: str, repeats: int) -> tuple[list[float], pd.DataFrame]:
    """lmer's fit times and its fixed effects on ``change`` (``([], empty)`` without R)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return [], pd.DataFrame()
    path = Path(folder) / "change.csv"
    change[["outcome_change", "rung", "tokenistic", "site"]].dropna().to_csv(path, index=False)
    done = subprocess.run([rscript, str(LME4_SCRIPT), str(path), str(repeats)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:  # lme4 not installed
        return [], pd.DataFrame()
    times, coefs = [], []
    for line in done.stdout.splitlines():
        kind, *rest = line.split()
        if kind == "time":
            times.append(float(rest[0]))
        elif kind == "coef":
            coefs.append({"term": rest[0], "estimate": float(rest[1]),
                          "std_error": float(rest[2])})
    return times, pd.DataFrame(coefs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mixed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--per-site", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import tempfile

    from evalkit.analyse.models import involvement_change_data, mixed_model
    from evalkit.config.study import load_study
    from evalkit.datasets import make_demo_study, simulate_responses

    with tempfile.TemporaryDirectory() as tmp:
        study = load_study(make_demo_study(tmp, n_sites=3, n_per_site=20, formats="plain"))
        responses = simulate_responses(n_sites=args.sites, n_per_site=args.per_site, waves=2,
                                       seed=1).responses
        change = involvement_change_data(responses, study=study)
        lme4_times, lme4_fit = _lme4(change, tmp, args.repeats)
    formula = "outcome_change ~ rung + tokenistic"
    times: dict[str, list[float]] = {"profiled": [], "statsmodels": []}
    fits = {}
    for _ in range(args.repeats):  # alternating, so that the machine's load hits both
        for engine in times:
            start = time.perf_counter()
            fits[engine] = mixed_model(change, formula=formula, group="site", engine=engine)
            times[engine].append(time.perf_counter() - start)
    fast, slow = (statistics.median(times[e]) for e in ("profiled", "statsmodels"))
    n = int(fits["profiled"].fit["n_obs"].iloc[0])
    print(f"random-intercept model, {formula}, {args.sites} sites, {n:,} rows with a change, "
          f"median of {args.repeats}")
    print(f"  profiled REML from per-site sums   {fast:7.3f} s")
    print(f"  statsmodels MixedLM                {slow:7.3f} s   "
          f"({slow / fast:.1f}x the profiled fit)")
    if lme4_times:
        lme4 = statistics.median(lme4_times)
        print(f"  lme4::lmer (REML), same rows          {lme4:7.3f} s   "
              f"(profiled / lme4 = {fast / lme4:.2f}; target <= 1)")
    else:
        print("  lme4::lmer: not measured (Rscript with lme4 is not installed)")
    a = fits["profiled"].coefficients.set_index("term")
    b = fits["statsmodels"].coefficients.set_index("term")
    worst = ((a[["estimate", "std_error"]] - b[["estimate", "std_error"]]).abs()
             / b[["estimate", "std_error"]].abs()).max().max()
    print(f"  largest relative difference of estimates and SEs between the two: {worst:.1e}")
    if not lme4_fit.empty:
        c = lme4_fit.set_index("term").rename(index={"(Intercept)": "Intercept"})
        gap = ((a.loc[c.index, ["estimate", "std_error"]] - c).abs() / c.abs()).max().max()
        print(f"  largest relative difference from lme4: {gap:.1e}")


if __name__ == "__main__":
    main()
