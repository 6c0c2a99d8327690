"""Benchmark: scale scores and reliability on a large multi-site survey.

200 sites × 1,000 respondents × 2 waves = 400,000 rows of a seven-item scale answered 1-5 (the
SWEMWBS layout): scale scores by the instrument's rules, Cronbach's alpha with 2,000 bootstrap
resamples, ordinal alpha and omega with fewer resamples. Where R is installed, psych::alpha is
timed on the same data (inside R, file reading excluded) for comparison.

Run from the repository root:  python -m benchmarks.reliability [--rows-per-site 1000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.analyse.reliability import cronbach_alpha, mcdonald_omega, ordinal_alpha
from evalkit.analyse.scales import score_scale, scoring_summary

ITEMS = [f"wb_{i}" for i in range(1, 8)]


def make_survey(sites: int = 200, per_site: int = 1000, waves: int = 2,
                seed: int = 20261122) -> pd.DataFrame:
    """A synthetic survey: one latent well-being per respondent, a site effect, 7 items cut at
    item thresholds, about 1% of answers missing and 0.1% coded 9 ("refused")."""
    gen = np.random.default_rng(seed)
    n = sites * per_site * waves
    site = np.repeat(np.arange(sites), per_site * waves)
    latent = gen.normal(size=n) + 0.3 * gen.normal(size=sites)[site]
    loadings = np.array([0.8, 0.75, 0.7, 0.7, 0.65, 0.6, 0.55])
    cuts = np.array([-1.8, -0.8, 0.3, 1.3])
    noise = gen.normal(size=(n, 7)) * np.sqrt(1 - loadings**2)
    answers = (np.searchsorted(cuts, latent[:, None] * loadings + noise) + 1).astype(float)
    answers[gen.random(answers.shape) < 0.01] = np.nan
    answers[gen.random(answers.shape) < 0.001] = 9
    frame = pd.DataFrame(answers, columns=ITEMS)
    frame.insert(0, "site", site)
    frame.insert(1, "wave", np.tile(np.repeat(np.arange(1, waves + 1), per_site), sites))
    frame.insert(0, "respondent", np.arange(n))
    return frame


def timed(label: str, func, figures: list, trace: bool):
    """Run ``func``, print its wall-clock and CPU seconds (and traced peak memory)."""
    if trace:
        tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else float("nan")
    if trace:
        tracemalloc.stop()
    figures.append((label, seconds, cpu))
    print(f"  {label:<52} {seconds:7.2f} s  (CPU {cpu:6.2f} s)"
          + (f"   peak {peak:7.0f} MiB" if trace else ""), flush=True)
    return result


R_SCRIPT = """
suppressPackageStartupMessages(library(psych))
x <- read.csv(commandArgs(TRUE)[1])
x <- x[stats::complete.cases(x), ]
t0 <- system.time(a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE))[["elapsed"]]
t1 <- system.time(b <- psych::alpha(x, check.keys = FALSE, warnings = FALSE,
                                    n.iter = 21))[["elapsed"]]
cat(sprintf("%.6f %.4f %.4f %d\\n", a$total$raw_alpha, t0, t1, nrow(x)))
"""


def time_psych(items: pd.DataFrame, boot_resamples: int) -> None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("R: Rscript not found, psych::alpha comparison skipped")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "items.csv"
        items.to_csv(csv, index=False)
        script = Path(tmp) / "alpha.R"
        script.write_text(R_SCRIPT)
        run = subprocess.run([rscript, str(script), str(csv)], capture_output=True, text=True,
                             timeout=1800)
    if run.returncode != 0:
        print("R: psych::alpha failed, comparison skipped:", run.stderr.strip()[-300:])
        return None
    alpha, plain, boot20, n = run.stdout.split()
    plain, boot20 = float(plain), float(boot20)
    per_resample = max(boot20 - plain, 0.0) / 20
    print(f"R psych::alpha on the {int(n):,} complete rows (timed inside R, reading excluded):")
    print(f"  alpha = {float(alpha):.6f}; no bootstrap {plain:.2f} s; n.iter = 21 "
          f"{boot20:.2f} s -> {per_resample:.3f} s per resample, "
          f"{plain + per_resample * boot_resamples:.0f} s extrapolated to {boot_resamples:,}")
    return plain, plain + per_resample * boot_resamples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--rows-per-site", type=int, default=1000)
    parser.add_argument("--boot", type=int, default=2000, help="alpha bootstrap resamples")
    parser.add_argument("--boot-ordinal", type=int, default=200,
                        help="ordinal alpha and omega bootstrap resamples")
    parser.add_argument("--trace-memory", action="store_true",
                        help="peak Python-allocated memory per step (tracemalloc; slower)")
    parser.add_argument("--no-r", action="store_true", help="skip the psych::alpha comparison")
    args = parser.parse_args(argv)

    figures: list = []
    survey = make_survey(args.sites, args.rows_per_site)
    print(f"evalkit reliability benchmark: {len(survey):,} rows ({args.sites} sites × "
          f"{args.rows_per_site} respondents × 2 waves), {len(ITEMS)} items 1-5")
    trace = args.trace_memory
    # Reliability is computed on valid answers: the refusal code 9 becomes missing.
    answers = survey[ITEMS].where(survey[ITEMS] <= 5)
    scores = timed("scale scores (SWEMWBS rules, Rasch conversion)",
                   lambda: score_scale(survey, instrument="swemwbs", items=ITEMS,
                                       id="respondent"), figures, trace)
    summary = scoring_summary(scores)
    shown = summary.loc[summary["n"] > 0, ["status", "n"]].to_numpy().tolist()
    print("    statuses:", ", ".join(f"{s} {n:,}" for s, n in shown))
    alpha = timed(f"Cronbach's alpha, Feldt + {args.boot:,} bootstrap resamples",
                  lambda: cronbach_alpha(answers, items=ITEMS, n_boot=args.boot, seed=1),
                  figures, trace)
    print("    alpha = {:.6f}, bootstrap 95% CI [{:.4f}, {:.4f}], n = {:,} (listwise)".format(
        alpha["estimate"][0], alpha["ci_low"][1], alpha["ci_high"][1], alpha["n"][0]))
    ordinal = timed(f"ordinal alpha, {args.boot_ordinal} bootstrap resamples",
                    lambda: ordinal_alpha(answers, items=ITEMS, n_boot=args.boot_ordinal,
                                          seed=1), figures, trace)
    print(f"    ordinal alpha = {ordinal['estimate'][0]:.4f}")
    omega = timed(f"omega total, {args.boot_ordinal} bootstrap resamples",
                  lambda: mcdonald_omega(answers, items=ITEMS, n_boot=args.boot_ordinal,
                                         seed=1),
                  figures, trace)
    print(f"    omega total = {omega['estimate'][0]:.4f}")
    total = sum(seconds for _, seconds, _ in figures)
    total_cpu = sum(cpu for _, _, cpu in figures)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    print(f"  {'total':<52} {total:7.2f} s  (CPU {total_cpu:6.2f} s)")
    print(f"peak resident memory of the process (data included): {rss:.2f} GiB")
    if not args.no_r:
        psych = time_psych(answers, args.boot)
        if psych is not None:
            ours = figures[1][1]
            print(f"ratio psych::alpha (no bootstrap) / evalkit (with {args.boot:,} "
                  f"resamples): {psych[0] / ours:.1f}; extrapolated psych with the same "
                  f"resamples / evalkit: {psych[1] / ours:.0f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
