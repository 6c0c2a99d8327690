"""Timing of the involvement, tokenism, outcome and model analyses at scale.

200 sites × 1,000 respondents × 2 waves generated in memory by the demo generator; prints the
time of each analysis, their total, the peak memory of the process and, when R with lme4 is
installed, the time of ``lme4::lmer`` on the same model data inside R (the fit alone).

Run from the repository root:  python -m benchmarks.involvement [--sites 200] [--per-site 1000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._timing import Stopwatch
from evalkit.analyse.involvement import ladder_distribution, perception_gap, tokenism_rates
from evalkit.analyse.models import icc, involvement_change_data, mixed_model
from evalkit.analyse.outcomes import outcome_change_from_study
from evalkit.config.study import load_study
from evalkit.datasets import make_demo_study, simulate_responses
from evalkit.datasets.demo import LADDER_ITEMS

timed = Stopwatch(width=44)
TIMES = timed.times


R_SCRIPT = """
suppressPackageStartupMessages(library(lme4))
d <- read.csv(commandArgs(TRUE)[1])
d <- d[complete.cases(d[, c("outcome_change", "rung", "tokenistic", "site")]), ]
t <- system.time(fit <- lmer(outcome_change ~ rung + tokenistic + (1 | site), data = d,
                             REML = TRUE))[["elapsed"]]
cat(sprintf("%.4f %d %.6f\\n", t, nrow(d), fixef(fit)[["rung"]]))
"""


def lmer_seconds(change, folder: Path) -> tuple[float, int, float] | None:
    """Fit time of lme4::lmer inside R on the same data (None when R or lme4 is missing)."""
    if shutil.which("Rscript") is None:
        return None
    csv, script = folder / "change.csv", folder / "lmer.R"
    change[["site", "rung", "tokenistic", "outcome_change"]].to_csv(csv, index=False)
    script.write_text(R_SCRIPT, encoding="utf-8")
    run = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        print("  (R or lme4 not usable: " + run.stderr.strip().splitlines()[-1] + ")")
        return None
    seconds, n, slope = run.stdout.split()
    return float(seconds), int(n), float(slope)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--per-site", type=int, default=1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = load_study(make_demo_study(folder / "study", n_sites=2, n_per_site=20,
                                           formats="plain"))
        inv = study.measures.involvement
        print(f"Data: {args.sites} sites × {args.per_site} respondents × 2 waves (in memory)")
        start = time.perf_counter()
        responses = simulate_responses(n_sites=args.sites, n_per_site=args.per_site).responses
        # What validation does before any analysis: missing codes 8 and 9 become NaN.
        responses[LADDER_ITEMS] = responses[LADDER_ITEMS].mask(responses[LADDER_ITEMS] >= 8)
        print(f"  generated {len(responses):,} rows in {time.perf_counter() - start:.1f} s "
              "(not counted)\n")
        baseline = responses[responses["wave"] == 1]
        print("Analyses:")
        with timed("tokenism rates by site and group (Wilson)"):
            tokenism_rates(baseline, voice=inv.tokenism.voice, influence=inv.tokenism.influence,
                           agree_at=inv.agree_at, site="site", group="respondent_type")
        with timed("perception gap by site (Welch, Newcombe)"):
            perception_gap(baseline, voice=inv.tokenism.voice, influence=inv.tokenism.influence,
                           agree_at=inv.agree_at, group="respondent_type", staff="staff",
                           users="user", site="site", items=inv.ladder)
        with timed("ladder distribution by site and group"):
            ladder_distribution(baseline, items=inv.ladder, agree_at=inv.agree_at, site="site",
                                group="respondent_type")
        with timed("outcome change by site (15 items + 3 groups)"):
            outcome_change_from_study(responses, study=study)
        with timed("change data (rung, tokenism, mean change)"):
            change = involvement_change_data(responses, study=study)
        with timed("mixed model (random intercept per site)"):
            fit = mixed_model(change, formula="outcome_change ~ rung + tokenistic",
                              group="site")
        with timed("ICC of outcome change (ANOVA + mixed model)"):
            icc(change, y="outcome_change", group="site")
        total = sum(TIMES.values())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        f = fit.fit.iloc[0]
        print(f"\n  total of the analyses above: {total:.2f} s (target ≤ 5 s)")
        print(f"  peak memory of the process: {peak_mb:,.0f} MB (including the data)")
        print(f"  mixed model: {f['n_obs']:,} users, {f['n_groups']} sites, rung slope "
              f"{fit.coefficients.set_index('term').loc['rung', 'estimate']:.4f}")
        r = lmer_seconds(change, folder)
        if r is not None:
            seconds, n, slope = r
            ratio = TIMES["mixed model (random intercept per site)"] / seconds
            print(f"  lme4::lmer in R on the same {n:,} rows: {seconds:.2f} s (slope {slope:.4f});"
                  f" statsmodels / lme4 time ratio: {ratio:.2f}")
        else:
            print("  R with lme4 not found: no comparison with lmer")


if __name__ == "__main__":
    main(sys.argv[1:])
